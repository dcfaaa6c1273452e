"""IsoBench: one problem in isomorphic text, image, audio and video forms, generated with verified answers."""

import lazy_loader

# Names resolve on first use (PEP 562), so importing the package loads no torch or transformers; the
# built-in tasks register on the first look-up in TASKS.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submodules=["tasks"],
    submod_attrs={
        "export": ["from_parquet", "to_dataset", "to_parquet"],
        "gallery": ["write_gallery"],
        "media": ["render_text_image", "render_video", "text_image"],
        "official": ["import_isobench", "load_isobench"],
        "parsing": [
            "PARSE_MODES",
            "Parsed",
            "explain_answer",
            "explain_modes",
            "judge_answer",
            "parse_answer",
        ],
        "report": ["ReportSummary", "Run", "load_run", "write_report"],
        "runner": ["plan_jobs", "run_bench"],
        "speech": ["render_audio", "spoken_text", "synthesize"],
        "stats": ["Accuracy", "Analysis", "Outcome", "analyse", "compare_paired", "mcnemar_p", "wilson_ci"],
        "suite": ["ISOBENCH_SIZES", "Record", "generate", "load_suite", "write_suite"],
        "verification": ["Check", "Verification", "verify"],
        "task": [
            "AUDIO",
            "IMAGE",
            "Instance",
            "MEDIA",
            "TASKS",
            "TEXT_IMAGE",
            "Task",
            "TaskConfig",
            "Undecidable",
            "VIDEO",
            "create_task",
            "register_task",
            "solve",
        ],
    },
)
