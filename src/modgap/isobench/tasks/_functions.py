"""Helpers the three math tasks share: decimal coefficients, parsing, the text forms and the plot.

Expressions travel as sympy strings in the public ``fields``; every task parses them back with
:func:`parse` (one real symbol ``x``) so generator and solver read the same mathematics.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import numpy as np
import sympy as sp
from PIL import Image

from modgap.isobench.drawing import figure, figure_image

__all__ = ["X", "coef", "parse", "exact", "latex_text", "code_text", "plot"]

X = sp.Symbol("x", real=True)
"""The one variable of every math task (real, so sympy simplifies ``Abs`` and conditions as expected)."""


def coef(rng: random.Random, lo: float, hi: float, places: int = 2, signed: bool = True) -> sp.Float:
    """A decimal coefficient with ``places`` digits, magnitude in [lo, hi] (never 0), random sign."""
    step = 10**-places
    value = max(round(rng.uniform(lo, hi), places), step)
    if signed and rng.random() < 0.5:
        value = -value
    return sp.Float(f"{value:.{places}f}")


def parse(expression: str) -> sp.Expr:
    """A task's ``expression`` field back as a sympy expression in the real symbol :data:`X`."""
    return sp.sympify(expression, locals={"x": X})


def exact(expr: sp.Expr) -> sp.Expr:
    """The expression with every decimal replaced by its exact rational, so identities are exact."""
    return sp.nsimplify(expr, rational=True)


def latex_text(expr: sp.Basic, suffix: str = "") -> str:
    """``f(x) = <LaTeX>`` (plus e.g. a stated domain), the form a textbook would print."""
    return f"f(x) = {sp.latex(expr)}{suffix}"


def code_text(expression: str, extra: Sequence[str] = ()) -> str:
    """A runnable sympy snippet defining ``f`` (and any ``extra`` assignment lines)."""
    body = [f"f = {expression}", *extra]
    names = {n for n in re.findall(r"(?<![\w.])[A-Za-z_]\w*", "\n".join(body)) if hasattr(sp, n)}
    names.add("symbols")
    header = f"from sympy import {', '.join(sorted(names, key=str.lower))}"
    return "\n".join([header, "", 'x = symbols("x", real=True)', *body])


def plot(expr: sp.Expr, lo: float, hi: float, points: int = 801) -> Image.Image:
    """Plot ``expr`` over [lo, hi] with axes, grid and tick labels (500 x 400 px)."""
    xs = np.linspace(lo, hi, points)
    with np.errstate(all="ignore"):
        ys = np.broadcast_to(np.asarray(sp.lambdify(X, expr, "numpy")(xs), dtype=float), xs.shape).copy()
    ys[~np.isfinite(ys)] = np.nan
    y_lo, y_hi = float(np.nanmin(ys)), float(np.nanmax(ys))
    pad = 0.08 * (y_hi - y_lo) or 1.0
    with figure(5.0, 4.0) as fig:
        # fixed margins (tight_layout costs a second draw); the y label sits on top, clear of wide ticks
        ax = fig.add_axes((0.17, 0.12, 0.79, 0.8))
        ax.axhline(0, color="black", lw=0.9)
        if lo < 0 < hi:
            ax.axvline(0, color="black", lw=0.9)
        ax.plot(xs, ys, color="tab:blue", lw=2.2)
        ax.set_xlim(lo, hi)
        ax.set_ylim(y_lo - pad, y_hi + pad)
        ax.grid(True, alpha=0.45)
        ax.set_xlabel("x")
        ax.set_title("f(x)", loc="left")
        return figure_image(fig)
