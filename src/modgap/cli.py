"""The `modgap` command line: one sub-app per area; each command parses, builds a config, calls the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from modgap import __version__

console = Console()
app = typer.Typer(help="Benchmark and close the modality gap of multimodal LLMs.", no_args_is_help=True)
fone_app = typer.Typer(
    help="FoNE: Fourier Number Embeddings and the arithmetic recipe.", no_args_is_help=True
)
app.add_typer(fone_app, name="fone")
for _name, _help in {
    "world": "Synthetic visual world and a tiny trainable VLM.",
    "steer": "Textual steering vectors for MLLMs.",
    "tldr": "TLDR token-level hallucination reward model.",
}.items():
    app.add_typer(typer.Typer(help=f"{_help} Not built yet.", no_args_is_help=True), name=_name)


bench_app = typer.Typer(
    help="IsoBench: isomorphic text/image problems with verified answers.", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")


def _version(value: bool) -> None:
    if value:
        console.print(f"modgap {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """modgap: FoNE, IsoBench, TLDR and textual steering vectors on the Hugging Face stack."""


def _fail(e: Exception) -> typer.Exit:
    console.print(f"[bold red]error:[/] {e}", soft_wrap=True)
    return typer.Exit(code=2)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
    )


def _metrics_table(rows: list[dict], title: str) -> Table:
    table = Table(title=title)
    for col in ("method", "size", "train examples", "steps", "seconds", "exact match", "digit acc."):
        table.add_column(col, justify="right" if col != "method" else "left")
    for r in rows:
        table.add_row(
            r["method"],
            r.get("size", ""),
            f"{r['train_size']:,}",
            str(r["steps"]),
            f"{r['seconds']:.0f}",
            f"{100 * r['exact_match']:.2f}%",
            f"{100 * r['digit_accuracy']:.2f}%",
        )
    return table


# --- fone ------------------------------------------------------------------------------------------

Method = Annotated[str, typer.Option(help="fone | digit | subword | xval | abacus | fone+abacus.")]
Task = Annotated[str, typer.Option(help="add | sub | mul.")]
Digits = Annotated[int, typer.Option(help="Integer digits per operand (up to).")]
Decimals = Annotated[int, typer.Option(help="Fractional digits per operand.")]
Seed = Annotated[int, typer.Option(help="Seed for data, initialisation and batch order.")]


def run_training(args, out: Path | None, label: str) -> dict:
    """Train with a progress bar; returns the test metrics (shared by `fone train` and `demo`)."""
    from modgap.fone.train import train

    with _progress() as bar:
        job = bar.add_task(label, total=None, info="")

        def on_step(step: int, total: int, info: dict) -> None:
            val = f" val {100 * info['val']:.1f}%" if "val" in info else ""
            bar.update(job, completed=step, total=total, info=f"loss {info['loss']:.4f}{val}")

        result = train(args, out, on_step=on_step)
    return {**result.metrics, "size": args.spec.size}


@fone_app.command("train")
def fone_train(
    out: Annotated[
        Path, typer.Option(help="Run folder: config.json, model.safetensors, metrics.json.")
    ] = Path("runs/fone"),
    method: Method = "fone",
    task: Task = "add",
    digits: Digits = 6,
    decimals: Decimals = 0,
    size: Annotated[
        str, typer.Option(help="Model size: 1x64 | 2x128 | 3x192 | 4x256 (layers × width).")
    ] = "2x128",
    projection: Annotated[str, typer.Option(help="FoNE into the model width: pad | linear.")] = "pad",
    train_size: Annotated[int, typer.Option(help="Distinct training problems.")] = 51_200,
    val_size: Annotated[int, typer.Option(help="Held-out problems for early stopping.")] = 1_000,
    test_size: Annotated[int, typer.Option(help="Held-out problems scored at the end.")] = 10_000,
    minutes: Annotated[
        float | None, typer.Option(help="Wall-clock budget (the schedule anneals by time).")
    ] = 15.0,
    epochs: Annotated[int, typer.Option(help="Upper bound on passes over the training set.")] = 100,
    batch_size: int = 256,
    lr: float = 3e-3,
    seed: Seed = 0,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.")] = "auto",
) -> None:
    """Train one arithmetic model; prints and saves test metrics, weights (safetensors) and config."""
    from modgap.fone.methods import ModelSpec
    from modgap.fone.train import TrainArgs

    try:
        spec = ModelSpec(method, size, task, digits, decimals, projection)
        args = TrainArgs(
            spec,
            train_size,
            val_size,
            test_size,
            batch_size,
            lr,
            minutes=minutes,
            epochs=epochs,
            seed=seed,
            device=device,
        )
        metrics = run_training(args, out, f"{method} {spec.task.name}")
    except ValueError as e:
        raise _fail(e) from None
    console.print(_metrics_table([metrics], f"test set ({metrics['n']:,} held-out problems)"))
    console.print(f"saved to {out}/")


@fone_app.command("eval")
def fone_eval(
    checkpoint: Annotated[Path, typer.Option(help="A `modgap fone train` run folder.")],
    task: Annotated[str | None, typer.Option(help="add | sub | mul (default: the checkpoint's).")] = None,
    digits: Annotated[int | None, typer.Option(help="Integer digits (default: the checkpoint's).")] = None,
    decimals: Annotated[
        int | None, typer.Option(help="Fractional digits (default: the checkpoint's).")
    ] = None,
    n: Annotated[int, typer.Option(help="Problems to generate.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Problem seed; the training seed reproduces its test split.")] = 1,
    device: str = "cpu",
) -> None:
    """Exact match and per-digit accuracy of a saved model on freshly generated problems."""
    from modgap.fone.arithmetic import ArithmeticTask, sample_problems
    from modgap.fone.train import evaluate, load_checkpoint

    try:
        model, args = load_checkpoint(checkpoint, device=device)
        spec = args.spec
        t = ArithmeticTask(
            task or spec.op, digits or spec.int_digits, spec.frac_digits if decimals is None else decimals
        )
        metrics = evaluate(model, sample_problems(t, n, seed))
    except (ValueError, FileNotFoundError) as e:
        raise _fail(e) from None
    console.print(
        _metrics_table(
            [
                {
                    **metrics,
                    "method": spec.method,
                    "size": spec.size,
                    "train_size": args.train_size,
                    "steps": "-",
                    "seconds": 0,
                }
            ],
            f"{t.name}: {n:,} problems, seed {seed}",
        )
    )
    console.print_json(json.dumps(metrics))


@fone_app.command("sweep")
def fone_sweep(
    out: Annotated[Path, typer.Option(help="Sweep folder (resumes from its results.jsonl).")] = Path(
        "runs/fone-sweep"
    ),
    methods: Annotated[str, typer.Option(help="Comma-separated methods.")] = "fone,digit,subword",
    sizes: Annotated[str, typer.Option(help="Comma-separated model sizes.")] = "2x128",
    train_sizes: Annotated[
        str, typer.Option(help="Comma-separated training-set sizes.")
    ] = "800,3200,12800,51200",
    task: Task = "add",
    digits: Digits = 6,
    decimals: Decimals = 0,
    minutes: Annotated[float, typer.Option(help="Wall-clock budget per run.")] = 3.0,
    epochs: int = 100,
    test_size: Annotated[int, typer.Option(help="Held-out problems per run.")] = 2_000,
    seed: Seed = 0,
    device: str = "auto",
) -> None:
    """Train sizes × methods × model sizes → results.csv and plots of accuracy vs data and vs parameters."""
    from modgap.fone.methods import ModelSpec
    from modgap.fone.sweep import sweep
    from modgap.fone.train import TrainArgs

    try:
        base = TrainArgs(
            ModelSpec(op=task, int_digits=digits, frac_digits=decimals),
            test_size=test_size,
            minutes=minutes,
            epochs=epochs,
            seed=seed,
            device=device,
        )
        grid = (
            [m.strip() for m in methods.split(",")],
            [s.strip() for s in sizes.split(",")],
            [int(x) for x in train_sizes.split(",")],
        )
    except ValueError as e:
        raise _fail(e) from None

    def on_run(row: dict, cached: bool) -> None:
        tag = "cached" if cached else f"{row['seconds']:.0f}s"
        console.print(
            f"{row['method']:>12} {row['size']:>6} {row['train_size']:>7,}  "
            f"exact {100 * row['exact_match']:6.2f}%  ({tag})"
        )

    try:
        rows = sweep(base, *grid, out=out, on_run=on_run)
    except ValueError as e:
        raise _fail(e) from None
    console.print(_metrics_table(rows, "sweep"))
    console.print(f"wrote {out}/results.csv, accuracy_vs_data.png, accuracy_vs_parameters.png")


@fone_app.command("encode")
def fone_encode(
    number: Annotated[str, typer.Argument(help="An integer or decimal, e.g. 3.14159 or -42.")],
    int_digits: Annotated[
        int | None, typer.Option(help="Integer places (default: as many as the number has).")
    ] = None,
    frac_digits: Annotated[
        int | None, typer.Option(help="Fractional places (default: as the number has).")
    ] = None,
) -> None:
    """Print a number's FoNE vector, one (cos, sin) pair per period, and check it decodes back."""
    from modgap.fone import decode, encode, places

    try:
        need_m, need_n = places(number)
        m = need_m if int_digits is None else int_digits
        n = need_n if frac_digits is None else frac_digits
        vec = encode(number, m, n)
    except ValueError as e:
        raise _fail(e) from None
    table = Table(title=f"FoNE({number}), int_digits={m}, frac_digits={n}")
    for col in ("period", "cos", "sin"):
        table.add_column(col, justify="right")
    for i in range(m + n):
        table.add_row(f"1e{i + 1 - n}", f"{vec[2 * i]:+.6f}", f"{vec[2 * i + 1]:+.6f}")
    table.add_row("sign", f"{vec[-1]:.0f}", "")
    console.print(table)
    console.print(f"vector: {[round(v, 6) for v in vec.tolist()]}")
    console.print(f"decodes to: {decode(vec, m, n)}")


# --- bench -----------------------------------------------------------------------------------------


@bench_app.command("generate")
def bench_generate(
    out: Annotated[Path, typer.Option(help="Suite folder: instances.jsonl + images/ + config.json.")] = Path(
        "runs/suite"
    ),
    tasks: Annotated[str, typer.Option(help="'all' or comma-separated task names.")] = "all",
    n: Annotated[
        str, typer.Option(help="Instances per task, or 'isobench' for the original's sizes.")
    ] = "128",
    seed: Seed = 0,
    workers: Annotated[int, typer.Option(help="Processes (default: all cores).")] = 0,
) -> None:
    """Generate a seeded suite: balanced, deduplicated instances with every text form and an image."""
    from modgap.isobench.suite import ISOBENCH_SIZES, resolve_tasks

    try:
        names = resolve_tasks(tasks)
        counts = ISOBENCH_SIZES if n == "isobench" else int(n)
    except ValueError as e:
        raise _fail(ValueError(f"--n: {e}")) from None
    count = make_suite(out, names, counts, seed, workers or None)
    console.print(f"wrote {count:,} instances of {len(names)} task(s) to {out}/")


@bench_app.command("gallery")
def bench_gallery(
    suite: Annotated[Path, typer.Argument(help="A suite folder.")],
    out: Annotated[Path, typer.Option(help="HTML file to write (self-contained).")] = Path("gallery.html"),
    per_task: Annotated[int, typer.Option(help="Instances shown per task.")] = 4,
) -> None:
    """A static page: each instance's image beside its text forms, answer and choices."""
    from modgap.isobench import write_gallery

    try:
        write_gallery(suite, out, per_task=per_task)
    except (ValueError, FileNotFoundError) as e:
        raise _fail(e) from None
    console.print(f"wrote {out}")


@bench_app.command("export")
def bench_export(
    suite: Annotated[Path, typer.Argument(help="A suite folder.")],
    out: Annotated[Path, typer.Option(help="A .parquet file, or a folder for one <task>.parquet each.")],
) -> None:
    """Export a suite to parquet (loadable with `datasets.Dataset.from_parquet`, images as `Image`)."""
    from modgap.isobench import to_parquet

    try:
        paths = to_parquet(suite, out)
    except (ValueError, FileNotFoundError) as e:
        raise _fail(e) from None
    console.print(f"wrote {', '.join(map(str, paths))}")


@bench_app.command("import")
def bench_import(
    path: Annotated[Path, typer.Argument(help="A local copy of the official IsoBench parquet files.")],
    out: Annotated[Path, typer.Option(help="Suite folder to write.")] = Path("runs/isobench-official"),
) -> None:
    """Convert the original IsoBench (local parquet, no download) into a modgap suite."""
    from modgap.isobench import import_isobench

    try:
        count = import_isobench(path, out)
    except (ValueError, FileNotFoundError) as e:
        raise _fail(e) from None
    console.print(f"wrote {count:,} official instances to {out}/")


def make_suite(out: Path, names: list[str], n: int | dict[str, int], seed: int, workers: int | None) -> int:
    """Generate and write a suite with a progress bar (shared by `bench generate` and `demo`)."""
    from modgap.isobench.suite import generate, write_suite

    config = {"tasks": names, "n": n, "seed": seed, "modgap": __version__}
    with _progress() as bar:
        jobs = {
            name: bar.add_task(name, total=n if isinstance(n, int) else n[name], info="") for name in names
        }
        records = generate(names, n, seed, workers=workers, on_item=lambda name: bar.advance(jobs[name]))
        return write_suite(records, out, config)


# --- demo ------------------------------------------------------------------------------------------

DEMO_PARTS = ("fone", "bench")


@app.command()
def demo(
    only: Annotated[
        str, typer.Option(help=f"Comma-separated parts to run: {', '.join(DEMO_PARTS)}.")
    ] = ",".join(DEMO_PARTS),
    out: Annotated[Path, typer.Option(help="Folder for the demo's run folders.")] = Path("runs/demo"),
) -> None:
    """The main job on embedded defaults: each part trains/evaluates something small and prints a table."""
    parts = [p.strip() for p in only.split(",") if p.strip()]
    unknown = set(parts) - set(DEMO_PARTS)
    if unknown:
        raise _fail(
            ValueError(f"unknown demo part(s) {sorted(unknown)}; choose from {', '.join(DEMO_PARTS)}")
        )
    if "fone" in parts:
        demo_fone(out / "fone")
    if "bench" in parts:
        demo_bench(out / "suite")


def demo_fone(out: Path) -> None:
    """FoNE vs digit tokens on 6-digit addition: same 51,200 problems, the digit model gets FoNE's time."""
    from modgap.fone.methods import ModelSpec
    from modgap.fone.sweep import same_budget
    from modgap.fone.train import TrainArgs

    console.rule("FoNE: 6-digit addition, 51,200 training problems, 2 layers × 128")
    base = TrainArgs(ModelSpec(method="fone", op="add", int_digits=6), train_size=51_200, minutes=15.0)
    rows = same_budget(base, ["digit"], run=lambda args, method: run_training(args, out / method, method))
    console.print(
        _metrics_table(rows, "6-digit addition, 10,000 held-out problems (digit: FoNE's time budget)")
    )
    console.print(f"run folders in {out}/")


def demo_bench(out: Path) -> None:
    """A small all-task IsoBench suite and its gallery."""
    from modgap.isobench import TASKS, load_suite, write_gallery

    console.rule("IsoBench: 8 instances of each of the ten tasks, every representation + image")
    make_suite(out, list(TASKS), 8, seed=0, workers=None)
    write_gallery(out, out / "gallery.html", per_task=2)
    table = Table(title=f"suite in {out}/ (gallery: {out / 'gallery.html'})")
    for col in ("task", "instances", "representations", "answers"):
        table.add_column(col)
    records = load_suite(out)
    for name, task in TASKS.items():
        rows = [r for r in records if r.instance.task == name]
        answers = sorted({r.instance.answer for r in rows})
        table.add_row(
            name,
            str(len(rows)),
            ", ".join(task(None).representations),
            ", ".join(answers[:4]) + (" …" if len(answers) > 4 else ""),
        )
    console.print(table)
