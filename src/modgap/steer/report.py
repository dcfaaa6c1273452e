"""What a sweep leaves behind: a layer × α heatmap per position set and the paper-style summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from modgap.steer.sweep import SweepResult  # noqa: E402

__all__ = ["heatmap", "summary_markdown"]


def heatmap(result: SweepResult, path: Path) -> Path:
    """One panel per position set: dev accuracy minus the unsteered dev accuracy, layer × α."""
    positions = sorted({p.positions for p in result.grid})
    layers = sorted({p.layer for p in result.grid})
    alphas = sorted({p.alpha for p in result.grid})
    acc = {p.key: p.accuracy - result.base_dev for p in result.grid}
    fig, axes = plt.subplots(
        1,
        len(positions),
        figsize=(1.2 + 0.6 * len(alphas) * len(positions), 1 + 0.35 * len(layers)),
        squeeze=False,
    )
    span = max(1e-6, max(abs(v) for v in acc.values()))
    for ax, where in zip(axes[0], positions, strict=True):
        cells = [[acc.get((layer, a, where), float("nan")) for a in alphas] for layer in layers]
        im = ax.imshow(cells, cmap="RdBu", vmin=-span, vmax=span, aspect="auto", origin="lower")
        ax.set(title=f"{where} tokens", xlabel="α", ylabel="layer")
        ax.set_xticks(range(len(alphas)), [f"{a:g}" for a in alphas])
        ax.set_yticks(range(len(layers)), [str(layer) for layer in layers])
    fig.colorbar(im, ax=axes[0].tolist(), label="dev accuracy gain")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def summary_markdown(rows: Sequence[tuple[str, str, SweepResult]]) -> str:
    """The paper's table: per (concept, task), base and steered test accuracy, gain with CI, best L@α."""
    lines = [
        "| concept | task | base | steered | gain [95% CI] | best L@α (positions) | prompt hint | n test |",
        "|---|---|---:|---:|---|---|---:|---:|",
    ]
    for concept, task, r in rows:
        low, high = r.gain_ci
        lines.append(
            f"| {concept} | {task} | {r.base_test:.1%} | {r.steered_test:.1%} "
            f"| {r.gain:+.1%} [{low:+.1%}, {high:+.1%}] "
            f"| {r.best.layer}@{r.best.alpha:g} ({r.best.positions}) | {r.prompted_test:.1%} | {r.n_test} |"
        )
    return "\n".join(lines) + "\n"
