"""The report's figures: text vs image per domain (as in the IsoBench paper) and the gap per task.

Each draws the headline gaps (:meth:`Analysis.gaps`); with none to draw it returns None rather than an
empty frame, and the report says why (:attr:`Analysis.no_gap`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from itertools import product
from typing import Any

from matplotlib.figure import Figure

from modgap.isobench.drawing import figure, figure_image
from modgap.isobench.stats import Analysis, Comparison
from modgap.isobench.task import png_bytes

__all__ = ["domains_png", "gaps_png", "merge_orders"]


def merge_orders(orders: Iterable[Iterable[Hashable]]) -> list:
    """The union of several orderings, each kept: a new item goes right after its predecessor."""
    merged: list = []
    for order in orders:
        at = 0
        for item in order:
            if item not in merged:
                merged.insert(at, item)
            at = merged.index(item) + 1
    return merged


def _gaps(analyses: dict[str, Analysis], scope: str) -> list[tuple[str, Comparison]]:
    return [(m, c) for m, a in analyses.items() for c in a.gaps(scope)]


def _names(gaps: list[tuple[str, Comparison]], attr: str) -> list[str]:
    return merge_orders([getattr(c, attr) for m2, c in gaps if m2 == m] for m in _models(gaps))


def _models(gaps: list[tuple[str, Comparison]]) -> list[str]:
    """The models with something to draw, in report order."""
    return list(dict.fromkeys(m for m, _ in gaps))


def _text_label(analyses: dict[str, Analysis]) -> str:
    rules = dict.fromkeys(a.text_form for a in analyses.values())
    return f"text ({', '.join(rules)} form)"


def _err(value: float, ci: tuple[float, float]) -> list[list[float]]:
    """Matplotlib's asymmetric error bar, in points, for a value and its interval."""
    return [[100 * (value - ci[0])], [100 * (ci[1] - value)]]


def _png(fig: Figure, axes: Any) -> bytes:
    """One legend for all panels, laid out, as PNG bytes."""
    handles = {label: h for ax in axes.flat for h, label in zip(*ax.get_legend_handles_labels(), strict=True)}
    axes.flat[0].legend(handles.values(), handles.keys(), fontsize=8)
    fig.tight_layout()
    return png_bytes(figure_image(fig))


def domains_png(analyses: dict[str, Analysis]) -> bytes | None:
    """Per domain (columns) and strategy (rows): headline text vs image bars for each model, Wilson CIs.

    None when no model has a headline gap to draw.
    """
    gaps = _gaps(analyses, "domain")
    if not gaps:
        return None
    models, text = _models(gaps), _text_label(analyses)
    strategies, domains = _names(gaps, "strategy"), _names(gaps, "name")
    with figure(1.0 + len(domains) * (0.8 + 0.7 * len(models)), 0.4 + 2.8 * len(strategies)) as fig:
        axes = fig.subplots(len(strategies), len(domains), squeeze=False, sharey=True)
        for m, c in gaps:
            ax = axes[strategies.index(c.strategy), domains.index(c.name)]
            for dx, acc, color, label in (
                (-0.2, c.this, "#4c72b0", text),
                (0.2, c.base, "#dd8452", "image"),
            ):
                x = models.index(m) + dx
                ax.bar(
                    x, 100 * acc.value, 0.4, yerr=_err(acc.value, acc.ci), color=color, capsize=3, label=label
                )
        for (s, d), ax in zip(product(strategies, domains), axes.flat, strict=True):
            ax.set(title=f"{d} ({s})", xticks=range(len(models)), ylim=(0, 100))
            ax.set_xticklabels(models, rotation=20, ha="right", fontsize=8)
        for row in axes:
            row[0].set_ylabel("accuracy (%)")
        return _png(fig, axes)


def gaps_png(analyses: dict[str, Analysis]) -> bytes | None:
    """Per task: headline text − image for each model with its paired bootstrap CI, a panel per strategy.

    None when no model has a headline gap to draw.
    """
    gaps = _gaps(analyses, "task")
    if not gaps:
        return None
    models, ylabel = _models(gaps), f"{_text_label(analyses)} − image (points)"
    strategies, tasks = _names(gaps, "strategy"), _names(gaps, "name")
    with figure(2.0 + len(tasks) * (0.5 + 0.15 * len(models)), 0.6 + 3.0 * len(strategies)) as fig:
        axes = fig.subplots(len(strategies), 1, squeeze=False)
        step = 0.7 / len(models)
        for m, c in gaps:
            i = models.index(m)
            ax = axes[strategies.index(c.strategy), 0]
            x = tasks.index(c.name) + (i - (len(models) - 1) / 2) * step
            err = _err(c.paired.diff, c.paired.ci)
            ax.errorbar(x, 100 * c.paired.diff, yerr=err, fmt="o", color=f"C{i}", capsize=3, label=m)
        for s, ax in zip(strategies, axes.flat, strict=True):
            ax.axhline(0, color="#888888", lw=0.8)
            ax.set(title=s, xticks=range(len(tasks)), ylabel=ylabel)
            ax.set_xticklabels(tasks, rotation=30, ha="right", fontsize=8)
        return _png(fig, axes)
