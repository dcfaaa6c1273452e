"""Grids of training runs (train size × method × model size) and the paper's two figures.

Results go to ``results.jsonl`` one line per finished run, so a crashed sweep resumes where it
stopped without repeating or losing runs; ``results.csv`` and the PNGs are rebuilt from it.
:func:`refine_crossing` adds runs between two grid sizes to find where a method first reaches a target.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from modgap.fone.methods import ModelSpec
from modgap.fone.train import TrainArgs, TrainResult, train

__all__ = [
    "add_run_options",
    "budgeted_args",
    "sweep",
    "run_point",
    "same_budget",
    "crossing",
    "refine_crossing",
    "load_results",
    "write_csv",
    "plot_results",
    "plot_lines",
]

KEYS = ("method", "size", "train_size")


def _key(row: dict) -> tuple:
    return tuple(row[k] for k in KEYS)


def load_results(out: Path) -> list[dict]:
    path = out / "results.jsonl"
    if not path.exists():
        return []
    rows = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                raise ValueError(f"{path}:{i} is not valid JSON; delete that line to resume") from None
    return rows


def sweep(
    base: TrainArgs,
    methods: Sequence[str],
    sizes: Sequence[str],
    train_sizes: Sequence[int],
    out: Path,
    on_run: Callable[[dict, bool], None] | None = None,
    extra: Callable[[TrainResult, TrainArgs], dict] | None = None,
) -> list[dict]:
    """Train every (method, size, train_size) not already in ``out/results.jsonl``; returns all rows.

    ``on_run(row, cached)`` is called after each grid point (``cached`` when it was resumed from disk);
    ``extra(result, args)`` adds its own metrics to a fresh run's row (e.g. scores on other test sets).
    The whole grid is checked first: a bad method, size or training-set size is a ValueError before
    anything is trained.
    """
    for name, values in (("methods", methods), ("sizes", sizes), ("training-set sizes", train_sizes)):
        if not values:
            raise ValueError(f"the sweep needs at least one of {name}")
    for method in methods:
        for size in sizes:
            replace(base.spec, method=method, size=size)  # ModelSpec refuses an unknown one
    if min(train_sizes) < 1:
        raise ValueError(f"training-set sizes must be >= 1, got {list(train_sizes)}")
    out.mkdir(parents=True, exist_ok=True)
    grid = {"methods": list(methods), "sizes": list(sizes), "train_sizes": list(train_sizes)}
    (out / "config.json").write_text(json.dumps({"base": base.to_dict(), **grid}, indent=2))
    done = {_key(r): r for r in load_results(out)}
    rows = [
        run_point(base, method, size, n, out, done, on_run, extra)
        for size in sizes
        for method in methods
        for n in train_sizes
    ]
    write_csv(rows, out / "results.csv")
    plot_results(rows, out)
    return rows


def run_point(
    base: TrainArgs,
    method: str,
    size: str,
    train_size: int,
    out: Path,
    done: dict[tuple, dict] | None = None,
    on_run: Callable[[dict, bool], None] | None = None,
    extra: Callable[[TrainResult, TrainArgs], dict] | None = None,
) -> dict:
    """One grid point: its row from ``done`` (default: ``out/results.jsonl``), else a fresh run appended
    there (and to ``done``)."""
    done = {_key(r): r for r in load_results(out)} if done is None else done
    key = (method, size, train_size)
    if key in done:
        if on_run:
            on_run(done[key], True)
        return done[key]
    args = replace(base, spec=replace(base.spec, method=method, size=size), train_size=train_size)
    result = train(args)
    row = {**result.metrics, "size": size, **(extra(result, args) if extra else {})}
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("a") as f:
        f.write(json.dumps(row) + "\n")
    done[key] = row
    if on_run:
        on_run(row, False)
    return row


def same_budget(
    base: TrainArgs,
    baselines: Sequence[str],
    run: Callable[[TrainArgs, str], dict] | None = None,
) -> list[dict]:
    """Train ``base`` (until its target or budget), then each baseline method on the same problems with
    the optimisation time ``base`` took. ``run(args, method)`` trains one model (default: :func:`train`)."""
    run = run or (lambda args, _method: train(args).metrics)
    first = run(base, base.spec.method)
    rows = [first]
    for method in baselines:
        args = replace(base, spec=replace(base.spec, method=method), minutes=first["train_seconds"] / 60)
        rows.append(run(args, method))
    return rows


COLUMNS = (
    "task",
    "method",
    "size",
    "parameters",
    "train_size",
    "steps",
    "train_seconds",
    "seconds",
    "exact_match",
    "digit_accuracy",
)


def write_csv(rows: Sequence[dict], path: Path, columns: Sequence[str] = COLUMNS) -> None:
    """Rows sorted by task, method, size and train size; ``columns`` picks and orders the fields."""
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        w.writerows(sorted(rows, key=lambda r: (r.get("task", ""), *_key(r))))


def crossing(accuracy: dict[int, float], threshold: float) -> tuple[int | None, int | None]:
    """(largest size tried below the crossing, smallest size that reached ``threshold``).

    Nothing reached it: (largest size tried, None). The smallest size tried already did: (None, it).
    Accuracy need not grow with data under a fixed time budget, so "smallest that reached" is reported.
    """
    reached = min((n for n, acc in accuracy.items() if acc >= threshold), default=None)
    below = max((n for n in accuracy if reached is None or n < reached), default=None)
    return below, reached


def refine_crossing(
    accuracy: dict[int, float],
    threshold: float,
    run: Callable[[int], float],
    steps: int,
    resolution: float = 1.25,
) -> dict[int, float]:
    """Geometric bisection between the bracketing sizes: up to ``steps`` more runs (``run(n)`` returns
    the accuracy of training on ``n`` examples), each at the bracket's geometric mean rounded to a
    multiple of 100, until the bracket is narrower than a factor ``resolution``. Returns all sizes tried.
    """
    accuracy = dict(accuracy)
    for _ in range(steps):
        below, reached = crossing(accuracy, threshold)
        if below is None or reached is None or reached / below <= resolution:
            break
        mid = max(100, round(math.sqrt(below * reached) / 100) * 100)
        if not below < mid < reached:
            break
        accuracy[mid] = run(mid)
    return accuracy


def plot_results(rows: Sequence[dict], out: Path) -> list[Path]:
    """Accuracy vs training examples (per model size) and accuracy vs parameters (largest train size)."""
    methods = sorted({r["method"] for r in rows})
    by_data = {
        f"{m} ({size})": [
            (r["train_size"], r["exact_match"]) for r in rows if (r["method"], r["size"]) == (m, size)
        ]
        for size in sorted({r["size"] for r in rows})
        for m in methods
    }
    largest = max(r["train_size"] for r in rows)
    by_parameters = {
        m: [
            (r["parameters"], r["exact_match"])
            for r in rows
            if r["method"] == m and r["train_size"] == largest
        ]
        for m in methods
    }
    return [
        plot_lines({"": by_data}, out / "accuracy_vs_data.png", "training examples", xscale="log"),
        plot_lines(
            {f"{largest} training examples": by_parameters},
            out / "accuracy_vs_parameters.png",
            "parameters",
            xscale="log",
        ),
    ]


def plot_lines(
    panels: dict[str, dict[str, Sequence[tuple[float, float]]]],
    path: Path,
    xlabel: str,
    ylabel: str = "test exact match",
    xscale: str = "linear",
) -> Path:
    """One panel per title, one line per label through its (x, y) points (sorted by x); saves a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.5), squeeze=False)
    for ax, (title, lines) in zip(axes[0], panels.items(), strict=True):
        for label, points in lines.items():
            if points:
                ax.plot(*zip(*sorted(points), strict=True), marker="o", label=label)
        ax.set(xscale=xscale, xlabel=xlabel, ylabel=ylabel, ylim=(-0.02, 1.02), title=title)
        if xscale == "linear":  # few x values (lengths, digits): tick exactly those
            ax.set_xticks(sorted({x for points in lines.values() for x, _ in points}))
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options every FoNE benchmark shares: per-run budget, batch size, device, output, seed."""
    parser.add_argument("--minutes", type=float, help="per-run budget, overrides the plan's")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)


def budgeted_args(options: argparse.Namespace, plan: dict, spec: ModelSpec, **overrides) -> TrainArgs:
    """A benchmark's base run: the plan's time budget and test size (validation ≤ 1,000 of the same
    size), the shared options of :func:`add_run_options`, and no epoch limit short of the budget."""
    fields = {
        "minutes": plan["minutes"],
        "epochs": 10_000,
        "val_size": min(1_000, plan["test_size"]),
        "test_size": plan["test_size"],
        "batch_size": options.batch_size,
        "seed": options.seed,
        "device": options.device,
    }
    return TrainArgs(spec=spec, **{**fields, **overrides})
