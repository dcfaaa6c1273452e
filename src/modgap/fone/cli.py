"""`modgap fone …`: encode numbers, train and evaluate arithmetic models, sweep methods × data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from modgap.cli_checks import DEVICES, comma_list, one_of, out_dir, positive
from modgap.console import console, fail, progress

app = typer.Typer(help="FoNE: Fourier Number Embeddings and the arithmetic recipe.", no_args_is_help=True)


def metrics_table(rows: list[dict], title: str) -> Table:
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


MAX_DIGITS = 100
"""Most integer (and fractional) digits of an operand: sampling and scoring stay fast below it."""
MAX_PROBLEMS = 10_000_000
"""Most problems in one split: each is kept in memory while training."""
MAX_PLACES = 1000
"""Most places `fone encode` prints (one table row each)."""

Method = Annotated[str, typer.Option(help="fone | digit | subword | xval | abacus | fone+abacus.")]
Task = Annotated[str, typer.Option(help="add | sub | mul.", callback=one_of("add", "sub", "mul"))]
Digits = Annotated[
    int, typer.Option(help=f"Integer digits per operand (up to; 1-{MAX_DIGITS}).", min=1, max=MAX_DIGITS)
]
Decimals = Annotated[
    int, typer.Option(help=f"Fractional digits per operand (0-{MAX_DIGITS}).", min=0, max=MAX_DIGITS)
]
Seed = Annotated[int, typer.Option(help="Seed for data, initialisation and batch order.")]
Out = Annotated[
    Path, typer.Option(help="Run folder: config.json, model.safetensors, metrics.json.", callback=out_dir)
]
Device = Annotated[str, typer.Option(help="auto | cpu | cuda.", callback=one_of(*DEVICES))]


def run_training(args, out: Path | None, label: str) -> dict:
    """Train with a progress bar; returns the test metrics (shared by `fone train` and `demo`)."""
    from modgap.fone.train import train

    with progress() as bar:
        job = bar.add_task(label, total=None, info="")

        def on_step(step: int, total: int, info: dict) -> None:
            val = f" val {100 * info['val']:.1f}%" if "val" in info else ""
            bar.update(job, completed=step, total=total, info=f"loss {info['loss']:.4f}{val}")

        result = train(args, out, on_step=on_step)
    return {**result.metrics, "size": args.spec.size}


@app.command("train")
def fone_train(
    out: Out = Path("runs/fone"),
    method: Method = "fone",
    task: Task = "add",
    digits: Digits = 6,
    decimals: Decimals = 0,
    size: Annotated[
        str, typer.Option(help="Model size: 1x64 | 2x128 | 3x192 | 4x256 (layers × width).")
    ] = "2x128",
    projection: Annotated[
        str, typer.Option(help="FoNE into the model width: pad | linear.", callback=one_of("pad", "linear"))
    ] = "pad",
    train_size: Annotated[
        int, typer.Option(help="Distinct training problems.", min=1, max=MAX_PROBLEMS)
    ] = 51_200,
    val_size: Annotated[
        int, typer.Option(help="Held-out problems for early stopping.", min=1, max=MAX_PROBLEMS)
    ] = 1_000,
    test_size: Annotated[
        int, typer.Option(help="Held-out problems scored at the end.", min=1, max=MAX_PROBLEMS)
    ] = 10_000,
    minutes: Annotated[
        float | None,
        typer.Option(help="Wall-clock budget (the schedule anneals by time).", callback=positive),
    ] = 15.0,
    epochs: Annotated[int, typer.Option(help="Upper bound on passes over the training set.", min=1)] = 100,
    batch_size: Annotated[int, typer.Option(min=1)] = 256,
    lr: Annotated[float, typer.Option(callback=positive)] = 3e-3,
    seed: Seed = 0,
    device: Device = "auto",
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
        raise fail(e) from None
    console.print(metrics_table([metrics], f"test set ({metrics['n']:,} held-out problems)"))
    console.print(f"saved to {out}/")


@app.command("eval")
def fone_eval(
    checkpoint: Annotated[Path, typer.Option(help="A `modgap fone train` run folder.")],
    task: Annotated[
        str | None,
        typer.Option(
            help="add | sub | mul (default: the checkpoint's).", callback=one_of("add", "sub", "mul")
        ),
    ] = None,
    digits: Annotated[
        int | None, typer.Option(help="Integer digits (default: the checkpoint's).", min=1, max=MAX_DIGITS)
    ] = None,
    decimals: Annotated[
        int | None, typer.Option(help="Fractional digits (default: the checkpoint's).", min=0, max=MAX_DIGITS)
    ] = None,
    n: Annotated[
        int, typer.Option(help="Problems to generate (up to 1,000,000).", min=1, max=1_000_000)
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="Problem seed; the training seed reproduces its test split.")] = 1,
    device: Device = "cpu",
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
        raise fail(e) from None
    console.print(
        metrics_table(
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


@app.command("sweep")
def fone_sweep(
    out: Annotated[
        Path, typer.Option(help="Sweep folder (resumes from its results.jsonl).", callback=out_dir)
    ] = Path("runs/fone-sweep"),
    methods: Annotated[str, typer.Option(help="Comma-separated methods.")] = "fone,digit,subword",
    sizes: Annotated[str, typer.Option(help="Comma-separated model sizes.")] = "2x128",
    train_sizes: Annotated[
        str, typer.Option(help="Comma-separated training-set sizes.")
    ] = "800,3200,12800,51200",
    task: Task = "add",
    digits: Digits = 6,
    decimals: Decimals = 0,
    minutes: Annotated[float, typer.Option(help="Wall-clock budget per run.", callback=positive)] = 3.0,
    epochs: Annotated[int, typer.Option(min=1)] = 100,
    test_size: Annotated[
        int, typer.Option(help="Held-out problems per run.", min=1, max=MAX_PROBLEMS)
    ] = 2_000,
    seed: Seed = 0,
    device: Device = "auto",
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
            comma_list(methods, "--methods", "method"),
            comma_list(sizes, "--sizes", "model size"),
            _ints(comma_list(train_sizes, "--train-sizes", "training-set size")),
        )
    except ValueError as e:
        raise fail(e) from None

    def on_run(row: dict, cached: bool) -> None:
        tag = "cached" if cached else f"{row['seconds']:.0f}s"
        console.print(
            f"{row['method']:>12} {row['size']:>6} {row['train_size']:>7,}  "
            f"exact {100 * row['exact_match']:6.2f}%  ({tag})"
        )

    try:
        rows = sweep(base, *grid, out=out, on_run=on_run)
    except ValueError as e:
        raise fail(e) from None
    console.print(metrics_table(rows, "sweep"))
    console.print(f"wrote {out}/results.csv, accuracy_vs_data.png, accuracy_vs_parameters.png")


def _ints(items: list[str]) -> list[int]:
    try:
        return [int(x) for x in items]
    except ValueError:
        raise ValueError(f"cannot read {','.join(items)!r} as integers") from None


@app.command("encode")
def fone_encode(
    number: Annotated[str, typer.Argument(help="An integer or decimal, e.g. 3.14159 or -42.")],
    int_digits: Annotated[
        int | None,
        typer.Option(help="Integer places (default: as many as the number has).", min=0, max=MAX_PLACES),
    ] = None,
    frac_digits: Annotated[
        int | None,
        typer.Option(help="Fractional places (default: as the number has).", min=0, max=MAX_PLACES),
    ] = None,
) -> None:
    """Print a number's FoNE vector, one (cos, sin) pair per period, and check it decodes back."""
    from modgap.fone import decode, encode, places

    try:
        need_m, need_n = places(number)
        for need, what in ((need_m, "integer"), (need_n, "fractional")):
            if need > MAX_PLACES:
                shown = number if len(number) <= 20 else number[:20] + "…"
                raise ValueError(f"{shown} needs {need} {what} places; at most {MAX_PLACES} are shown")
        m = need_m if int_digits is None else int_digits
        n = need_n if frac_digits is None else frac_digits
        vec = encode(number, m, n)
    except ValueError as e:
        raise fail(e) from None
    table = Table(title=f"FoNE({number}), int_digits={m}, frac_digits={n}")
    for col in ("period", "cos", "sin"):
        table.add_column(col, justify="right")
    for i in range(m + n):
        table.add_row(f"1e{i + 1 - n}", f"{vec[2 * i]:+.6f}", f"{vec[2 * i + 1]:+.6f}")
    table.add_row("sign", f"{vec[-1]:.0f}", "")
    console.print(table)
    console.print(f"vector: {[round(v, 6) for v in vec.tolist()]}")
    console.print(f"decodes to: {decode(vec, m, n)}")
