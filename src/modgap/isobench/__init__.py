"""IsoBench: one problem in isomorphic text, image, audio and video forms, generated with verified answers."""

from modgap.isobench import tasks  # noqa: F401  (registers every task)
from modgap.isobench.export import from_parquet, to_dataset, to_parquet
from modgap.isobench.gallery import write_gallery
from modgap.isobench.media import render_text_image, render_video, text_image
from modgap.isobench.official import import_isobench, load_isobench
from modgap.isobench.parsing import Parsed, explain_answer, judge_answer, parse_answer
from modgap.isobench.report import ReportSummary, Run, load_run, write_report
from modgap.isobench.runner import plan_jobs, run_bench
from modgap.isobench.speech import render_audio, spoken_text, synthesize
from modgap.isobench.stats import Accuracy, Analysis, Outcome, analyse, compare_paired, mcnemar_p, wilson_ci
from modgap.isobench.suite import ISOBENCH_SIZES, Record, generate, load_suite, write_suite
from modgap.isobench.task import (
    AUDIO,
    IMAGE,
    MEDIA,
    TASKS,
    TEXT_IMAGE,
    VIDEO,
    Instance,
    Task,
    TaskConfig,
    create_task,
    register_task,
    solve,
)

__all__ = [
    "AUDIO",
    "IMAGE",
    "ISOBENCH_SIZES",
    "MEDIA",
    "TASKS",
    "TEXT_IMAGE",
    "VIDEO",
    "Accuracy",
    "Analysis",
    "Instance",
    "Outcome",
    "Parsed",
    "Record",
    "ReportSummary",
    "Run",
    "Task",
    "TaskConfig",
    "analyse",
    "compare_paired",
    "create_task",
    "explain_answer",
    "from_parquet",
    "generate",
    "import_isobench",
    "judge_answer",
    "load_isobench",
    "load_run",
    "load_suite",
    "mcnemar_p",
    "parse_answer",
    "plan_jobs",
    "render_audio",
    "render_text_image",
    "render_video",
    "run_bench",
    "register_task",
    "solve",
    "spoken_text",
    "synthesize",
    "text_image",
    "to_dataset",
    "to_parquet",
    "wilson_ci",
    "write_gallery",
    "write_report",
    "write_suite",
]
