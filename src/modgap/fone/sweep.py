"""Grids of training runs (train size × method × model size) and the paper's two figures.

Results go to ``results.jsonl`` one line per finished run, so a crashed sweep resumes where it
stopped without repeating or losing runs; ``results.csv`` and the PNGs are rebuilt from it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from modgap.fone.train import TrainArgs, train

__all__ = ["sweep", "same_budget", "load_results", "plot_results"]

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
) -> list[dict]:
    """Train every (method, size, train_size) not already in ``out/results.jsonl``; returns all rows.

    ``on_run(row, cached)`` is called after each grid point (``cached`` when it was resumed from disk).
    """
    out.mkdir(parents=True, exist_ok=True)
    grid = {"methods": list(methods), "sizes": list(sizes), "train_sizes": list(train_sizes)}
    (out / "config.json").write_text(json.dumps({"base": base.to_dict(), **grid}, indent=2))
    done = {_key(r): r for r in load_results(out)}
    rows = []
    for size in sizes:
        for method in methods:
            for n in train_sizes:
                key = (method, size, n)
                if key in done:
                    rows.append(done[key])
                    if on_run:
                        on_run(done[key], True)
                    continue
                args = replace(base, spec=replace(base.spec, method=method, size=size), train_size=n)
                result = train(args)
                row = {**result.metrics, "size": size}
                with (out / "results.jsonl").open("a") as f:
                    f.write(json.dumps(row) + "\n")
                rows.append(row)
                if on_run:
                    on_run(row, False)
    write_csv(rows, out / "results.csv")
    plot_results(rows, out)
    return rows


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


def write_csv(rows: Sequence[dict], path: Path) -> None:
    cols = [
        "method",
        "size",
        "parameters",
        "train_size",
        "steps",
        "train_seconds",
        "seconds",
        "exact_match",
        "digit_accuracy",
    ]
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(sorted(rows, key=_key))


def plot_results(rows: Sequence[dict], out: Path) -> list[Path]:
    """Accuracy vs training examples (per model size) and accuracy vs parameters (largest train size)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    methods = sorted({r["method"] for r in rows})
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for size in sorted({r["size"] for r in rows}):
        for m in methods:
            pts = sorted(
                (r["train_size"], r["exact_match"]) for r in rows if r["method"] == m and r["size"] == size
            )
            if pts:
                ax.plot(*zip(*pts, strict=True), marker="o", label=f"{m} ({size})")
    ax.set(xscale="log", xlabel="training examples", ylabel="test exact match", ylim=(-0.02, 1.02))
    ax.legend(fontsize=7)
    fig.tight_layout()
    paths.append(out / "accuracy_vs_data.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    largest = max(r["train_size"] for r in rows)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for m in methods:
        pts = sorted(
            (r["parameters"], r["exact_match"])
            for r in rows
            if r["method"] == m and r["train_size"] == largest
        )
        if pts:
            ax.plot(*zip(*pts, strict=True), marker="o", label=m)
    ax.set(
        xscale="log",
        xlabel="parameters",
        ylabel="test exact match",
        ylim=(-0.02, 1.02),
        title=f"{largest} training examples",
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    paths.append(out / "accuracy_vs_parameters.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths
