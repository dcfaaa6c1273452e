"""`modgap bench …`: generate suites, show and export them, run models on them, report the gap."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from modgap import __version__
from modgap.cli_checks import DEVICES, comma_list, non_negative, one_of, out_dir, out_file
from modgap.console import console, fail, one_line, progress, redacted_errors

if TYPE_CHECKING:
    from modgap.isobench.runner import RunSummary
    from modgap.isobench.verification import Verification

app = typer.Typer(
    help="IsoBench: isomorphic text/image problems with verified answers.", no_args_is_help=True
)
Seed = Annotated[int, typer.Option(help="Seed for the instances.")]
MAX_INSTANCES = 1_000_000
"""Most instances per task `bench generate` makes (each one's job is planned up front)."""


def _instance_count(value: str) -> str:
    if value == "isobench":
        return value
    try:
        count = int(value)
    except ValueError:
        raise typer.BadParameter(f"must be an integer or 'isobench', got {value!r}") from None
    if not 1 <= count <= MAX_INSTANCES:
        raise typer.BadParameter(f"must be between 1 and {MAX_INSTANCES:,} per task, got {count}")
    return value


def _parquet_out(path: Path) -> Path:
    """``--out`` of `bench export`: a .parquet file, or a folder for one file per task."""
    return out_file(path) if path.suffix == ".parquet" else out_dir(path)


@app.command("generate")
def bench_generate(
    out: Annotated[
        Path, typer.Option(help="Suite folder: instances.jsonl + images/ + config.json.", callback=out_dir)
    ] = Path("runs/suite"),
    tasks: Annotated[str, typer.Option(help="'all' or comma-separated task names.")] = "all",
    n: Annotated[
        str,
        typer.Option(
            help=f"Instances per task (1 to {MAX_INSTANCES:,}), or 'isobench' for the original's sizes.",
            callback=_instance_count,
        ),
    ] = "128",
    seed: Seed = 0,
    workers: Annotated[int, typer.Option(help="Processes (default: all cores).", min=0)] = 0,
    modalities: Annotated[
        str,
        typer.Option(help="image, or 'all' / some of image,text_image,audio,video (audio needs espeak-ng)."),
    ] = "image",
) -> None:
    """Generate a seeded suite: balanced, deduplicated instances with every text form and an image."""
    from modgap.isobench.suite import ISOBENCH_SIZES, check_modalities, resolve_tasks
    from modgap.isobench.task import MEDIA

    try:
        names = resolve_tasks(tasks)
        media = check_modalities(MEDIA if modalities == "all" else [m.strip() for m in modalities.split(",")])
        counts = ISOBENCH_SIZES if n == "isobench" else int(n)
        count = make_suite(out, names, counts, seed, workers or None, media)
    except (ValueError, RuntimeError) as e:  # RuntimeError: a task ran out of distinct instances
        raise fail(e) from None
    console.print(f"wrote {count:,} instances of {len(names)} task(s) to {out}/")


@app.command("gallery")
def bench_gallery(
    suite: Annotated[Path, typer.Argument(help="A suite folder.")],
    out: Annotated[Path, typer.Option(help="HTML file to write (self-contained).", callback=out_file)] = Path(
        "gallery.html"
    ),
    per_task: Annotated[int, typer.Option(help="Instances shown per task.", min=1)] = 4,
) -> None:
    """A static page: each instance's image beside its text forms, answer and choices."""
    from modgap.isobench import write_gallery

    try:
        write_gallery(suite, out, per_task=per_task)
    except (ValueError, FileNotFoundError) as e:
        raise fail(e) from None
    console.print(f"wrote {out}")


EXPORT_FORMATS = ("parquet", "lmms-eval", "vlmevalkit")


@app.command("export")
def bench_export(
    suite: Annotated[Path, typer.Argument(help="A suite folder.")],
    out: Annotated[
        Path,
        typer.Option(
            help="parquet: a .parquet file, or a folder for one <task>.parquet each; else a folder.",
            callback=_parquet_out,
        ),
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="parquet (HF datasets, with prompts and a card), lmms-eval, vlmevalkit."
        ),
    ] = "parquet",
) -> None:
    """Export a suite for datasets (parquet), lmms-eval (a task folder) or VLMEvalKit (TSVs)."""
    if fmt not in EXPORT_FORMATS:
        raise fail(ValueError(f"--format: unknown {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}"))
    if fmt == "lmms-eval":
        from modgap.integrations.lmms_eval import export_lmms_eval as export
    elif fmt == "vlmevalkit":
        from modgap.integrations.vlmevalkit import export_vlmevalkit as export
    else:
        from modgap.isobench import to_parquet as export
    try:
        paths = export(suite, out)
    except (ValueError, FileNotFoundError) as e:
        raise fail(e) from None
    shown = ", ".join(map(str, paths)) if len(paths) <= 4 else f"{len(paths)} files into {out}"
    console.print(f"wrote {shown}")


@app.command("import")
def bench_import(
    path: Annotated[Path, typer.Argument(help="A local copy of the official IsoBench parquet files.")],
    out: Annotated[Path, typer.Option(help="Suite folder to write.", callback=out_dir)] = Path(
        "runs/isobench-official"
    ),
    workers: Annotated[
        int, typer.Option(help="Processes re-deriving the labels (default: all cores).", min=0)
    ] = 0,
) -> None:
    """Convert the original IsoBench (local parquet, no download) into a modgap suite, every label that
    our solvers can decide re-derived: disputes and undecided items are listed, never overwritten."""
    from modgap.isobench import import_isobench

    try:
        with progress() as bar:
            job = bar.add_task("checking labels", total=None, info="")
            imported = import_isobench(
                path,
                out,
                workers=workers or None,
                on_item=lambda _: bar.advance(job),
                on_start=lambda n: bar.update(job, total=n),
            )
    except (ValueError, FileNotFoundError) as e:
        raise fail(e) from None
    for table in _verification_tables(imported.verification):
        console.print(table)
    console.print(f"wrote {imported.count:,} official instances to {out}/ (the checks: {out}/config.json)")


_SHOWN = 20  # rows of unverified items printed (all of them are in config.json)


def _verification_tables(verification: Verification) -> list[Table]:
    """The tally per task, every disputed item, and the first unverified ones with their reasons."""
    tally = Table(title="official labels re-derived by our solvers")
    for col in ("task", "items", "agree", "disputed", "unverified"):
        tally.add_column(col, justify="left" if col == "task" else "right")
    for task, n in verification.counts().items():
        tally.add_row(task, *(str(n[k]) for k in ("items", "agree", "disputed", "unverified")))
    for task in verification.unchecked:
        tally.add_row(task, "-", "-", "-", "-", style="dim")
    tables = [tally]
    disputed = verification.having("disputed")
    if disputed:
        table = Table(title=f"disputed: the official label stays the answer ({len(disputed)})")
        for col in ("task", "official id", "official label", "solver"):
            table.add_column(col)
        for c in disputed:
            table.add_row(c.task, escape(str(c.official_id)), escape(c.label), escape(str(c.solver)))
        tables.append(table)
    unverified = verification.having("unverified")
    if unverified:
        more = f", first {_SHOWN}" if len(unverified) > _SHOWN else ""
        table = Table(title=f"unverified: the solver cannot decide ({len(unverified)}{more})")
        for col in ("task", "official id", "official label", "reason"):
            table.add_column(col, overflow="fold")
        for c in unverified[:_SHOWN]:
            table.add_row(c.task, escape(str(c.official_id)), escape(c.label), escape(str(c.reason)))
        tables.append(table)
    return tables


def make_suite(
    out: Path,
    names: list[str],
    n: int | dict[str, int],
    seed: int,
    workers: int | None,
    modalities: tuple[str, ...] = ("image",),
) -> int:
    """Generate and write a suite with a progress bar (shared by `bench generate` and `demo`)."""
    from modgap.isobench.suite import generate, write_suite

    config = {"tasks": names, "n": n, "seed": seed, "modalities": list(modalities), "modgap": __version__}
    with progress() as bar:
        jobs = {
            name: bar.add_task(name, total=n if isinstance(n, int) else n[name], info="") for name in names
        }
        records = generate(
            names,
            n,
            seed,
            workers=workers,
            on_item=lambda name: bar.advance(jobs[name]),
            modalities=modalities,
        )
        return write_suite(records, out, config)


@app.command("run")
@redacted_errors
def bench_run(
    model: Annotated[str, typer.Option(help="openai:NAME[@URL], hf:/path/to/model or smollm2.")],
    suite: Annotated[Path, typer.Option(help="A suite folder (`modgap bench generate`).")],
    out: Annotated[Path, typer.Option(help="Run folder: config.json + results.jsonl.", callback=out_dir)],
    reps: Annotated[
        str,
        typer.Option(
            help="Text form names, 'text' (every form), image, text_image, audio, video; 'all' = text,image."
        ),
    ] = "all",
    strategies: Annotated[str, typer.Option(help="Some of: direct, cot, eta, isocb, isosp.")] = "direct",
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.", min=1)] = 16,
    max_tokens: Annotated[int, typer.Option(help="Longest reply per call.", min=1)] = 512,
    temperature: Annotated[
        float, typer.Option(help="0 is greedy (and cacheable).", callback=non_negative)
    ] = 0.0,
    judge: Annotated[
        str | None, typer.Option(help="Model spec of an LLM judge for replies the parser cannot read.")
    ] = None,
    parse: Annotated[
        str,
        typer.Option(
            help="How replies are read: strict (no guessing) or nearest (the option a reply is nearest to, "
            "as the official IsoBench evaluator forces a choice). Records keep both readings."
        ),
    ] = "strict",
    api_key_env: Annotated[str, typer.Option(help="Variable holding the API key.")] = "OPENAI_API_KEY",
    cache: Annotated[
        Path | None,
        typer.Option(help="SQLite response cache (default: in the modgap cache folder).", callback=out_file),
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the cache.")] = False,
    resume: Annotated[bool, typer.Option(help="Keep finished records and retry failed ones.")] = True,
    limit: Annotated[int | None, typer.Option(help="Only the first N instances of each task.", min=1)] = None,
    device: Annotated[
        str, typer.Option(help="auto | cpu | cuda (local models).", callback=one_of(*DEVICES))
    ] = "auto",
    video_as: Annotated[
        str,
        typer.Option(
            help="Send videos as 'frames' (images) or as one MP4 'video_url' (vLLM).",
            callback=one_of("frames", "video_url"),
        ),
    ] = "frames",
    max_attempts: Annotated[
        int, typer.Option(help="Tries per API request, the first included (retries back off).")
    ] = 6,
    allow_errors: Annotated[
        bool, typer.Option("--allow-errors", help="Exit 0 even if some records ended in error.")
    ] = False,
) -> None:
    """Evaluate a model on a suite: one JSONL record per (instance, representation, strategy).

    Exits 3 if any record ended in error after retries (a rerun retries just those), 2 on bad input.
    """
    import os

    from modgap.models import GenerationParams, RetryPolicy, cache_dir, make_backend

    try:
        rep_list = _representations(reps)
        params = GenerationParams(max_tokens=max_tokens, temperature=temperature)
        store = None if no_cache else (cache or cache_dir() / "responses.sqlite")
        common = {
            "concurrency": concurrency,
            "api_key_env": api_key_env,
            "device": device,
            "cache": store,
            "retry": RetryPolicy(max_attempts=max_attempts),
        }
        backend = make_backend(model, video_as=video_as, **common)
        judge_backend = make_backend(judge, **common) if judge else None
    except (ValueError, FileNotFoundError, ImportError) as e:
        raise fail(e) from None
    try:
        summary = run_with_progress(
            backend,
            suite,
            out,
            rep_list,
            [s.strip() for s in strategies.split(",")],
            params,
            concurrency,
            resume,
            judge_backend,
            secrets=[os.environ.get(api_key_env, "")],
            limit=limit,
            parse=parse,
        )
    except (ValueError, FileNotFoundError) as e:
        raise fail(e) from None
    if summary.accuracy():
        console.print(_summary_table(summary, out))
    console.print(f"{summary.skipped} already done, {len(summary.records)} new, {summary.errors} errors")
    counts = summary.parse_counts()
    console.print(
        "read as: "
        + "; ".join(f"{mode} {n} answered, {k} correct" for mode, (n, k) in counts.items())
        + f" (records use {parse})"
    )
    console.print(f"report: modgap bench report {out} --out {out}/report")
    if summary.errors:
        errors = list(dict.fromkeys(one_line(r["error"]) for r in summary.records if r["error"]))
        console.print(
            f"[bold red]{summary.errors} of {len(summary.records)} records ended in error[/] "
            f"({len(errors)} distinct; rerun the command to retry them):",
            soft_wrap=True,
        )
        for error in errors[:3]:
            console.print(f"  {escape(error)}", soft_wrap=True)
        if not allow_errors:
            raise typer.Exit(code=3)


def _representations(reps: str) -> list[str]:
    """``--reps`` as a list: 'all', or some of 'text', the media and the tasks' text form names."""
    from modgap.isobench.task import MEDIA, TASKS

    if reps == "all":
        return ["text", "image"]
    chosen = comma_list(reps, "--reps", "representation")
    known = {"text", *MEDIA, *(form for task in TASKS.values() for form in task(None).text_representations)}
    unknown = [r for r in chosen if r not in known]
    if unknown:
        raise ValueError(f"unknown representation(s) {unknown}; choose from all, {', '.join(sorted(known))}")
    return chosen


def run_with_progress(backend, suite: Path, out: Path, *args, **kwargs) -> RunSummary:
    """:func:`run_bench` with a progress bar showing rate, ETA, accuracy so far and errors."""
    from modgap.isobench.runner import run_bench

    with progress() as bar:
        job = bar.add_task(backend.name, total=None, info="")
        tally = {"correct": 0, "answered": 0, "errors": 0}

        def on_record(record: dict) -> None:
            tally["errors" if record["error"] else "answered"] += 1
            tally["correct"] += record["correct"]
            acc = tally["correct"] / max(tally["answered"], 1)
            rate = bar.tasks[0].speed or 0
            bar.update(job, advance=1, info=f"{rate:.1f}/s  acc {acc:.1%}  errors {tally['errors']}")

        return run_bench(
            backend,
            suite,
            out,
            *args,
            on_start=lambda n: bar.update(job, total=n),
            on_record=on_record,
            **kwargs,
        )


def _summary_table(summary: RunSummary, out: Path) -> Table:
    table = Table(title=f"this run's accuracy ({out}/results.jsonl)")
    for col in ("task", "strategy", "representation", "answered", "accuracy"):
        table.add_column(col, justify="right" if col in ("answered", "accuracy") else "left")
    for task, strategy, rep, n, acc in summary.accuracy():
        table.add_row(task, strategy, rep, str(n), f"{acc:.1%}")
    return table


@app.command("report")
def bench_report(
    runs: Annotated[list[Path], typer.Argument(help="Run folders (`modgap bench run`), one per model.")],
    out: Annotated[
        Path, typer.Option(help="Report folder: report.md, index.html, CSV, JSON, figures.", callback=out_dir)
    ] = Path("report"),
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the gap intervals.", min=1)] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap (and of the best-split halves).")] = 0,
    text_form: Annotated[
        str,
        typer.Option(
            help="The headline gap's text form per task: 'first' registered (as IsoBench), or 'best-split': "
            "the best on a seeded half of the instances, the gap measured on the other half."
        ),
    ] = "first",
) -> None:
    """Accuracy with 95% CIs per task, domain and representation; the modality gap with paired tests."""
    try:
        report(runs, out, n_boot, seed, text_form)
    except (ValueError, FileNotFoundError) as e:
        raise fail(e) from None


def report(runs: list[Path], out: Path, n_boot: int = 2000, seed: int = 0, text_form: str = "first") -> None:
    """Write the report and print its headline table (shared by `bench report` and `demo`)."""
    from modgap.isobench import write_report

    summary = write_report(runs, out, n_boot=n_boot, seed=seed, text_form=text_form)
    table = Table(title=summary.table.title)
    for col in summary.table.columns:
        table.add_column(col)
    for row in summary.table.rows:
        table.add_row(*row)
    console.print(table)
    if summary.table.footnote:
        console.print(summary.table.footnote)
    console.print(f"wrote {summary.report}, {out / 'index.html'} and CSV/JSON/figures in {out}/")
