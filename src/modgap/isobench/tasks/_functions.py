"""Helpers the three math tasks share: decimal coefficients, parsing, smooth pieces, the text forms
and the plot.

Expressions travel as sympy strings in the public ``fields``; every task parses them back with
:func:`parse` (one real symbol ``x``) so generator and solver read the same mathematics. Solvers work
on :func:`pieces`: ``|x|``, ``Max``/``Min`` and ``Piecewise`` rewritten by sympy into smooth pieces on
open intervals, each cut to where it is defined and continuous (``log x`` only for ``x > 0``), so a
kink or a pole is a boundary between pieces rather than a ``DiracDelta`` in a derivative.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
import sympy as sp
from PIL import Image
from sympy.calculus.util import continuous_domain

from modgap.isobench.drawing import figure, figure_image
from modgap.isobench.task import Undecidable

__all__ = [
    "X",
    "Piece",
    "coef",
    "parse",
    "exact",
    "pieces",
    "one_sided",
    "probes",
    "latex_text",
    "code_text",
    "plot",
]

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


class Piece(NamedTuple):
    """``expr`` on the open interval (``lo``, ``hi``), where it is smooth (no ``Abs``/``Max``/``Min``/
    ``Piecewise`` left) and continuous; ``lo``/``hi`` may be -oo/oo."""

    lo: sp.Expr
    hi: sp.Expr
    expr: sp.Expr


_NON_SMOOTH = (sp.Abs, sp.Max, sp.Min, sp.Piecewise, sp.sign, sp.Heaviside)


def pieces(expr: sp.Expr, lo: sp.Expr = -sp.oo, hi: sp.Expr = sp.oo) -> list[Piece]:
    """``expr`` on (``lo``, ``hi``) as smooth pieces in increasing order.

    sympy rewrites ``|.|``, ``Max``, ``Min``, ``sign``, ``Heaviside`` into ``Piecewise`` and folds them
    into one, whose conditions it turns into intervals; each piece then keeps only where it is
    continuous (poles and the outside of a natural domain drop out). Two neighbouring pieces share an
    end (a joint: a kink, a jump or a pole) or leave a gap (outside the function's domain). Raises
    :class:`Undecidable` when sympy cannot turn the conditions into intervals (``|sin x|``).
    """
    window = sp.Interval.open(lo, hi)
    folded = sp.piecewise_fold(expr.rewrite(sp.Piecewise)) if expr.has(*_NON_SMOOTH) else expr
    try:
        found = [
            Piece(smooth.start, smooth.end, part)
            for part, where in _pairs(folded, window)
            for stretch in _intervals(where, expr)
            for smooth in _intervals(_continuous(part, stretch), expr)
        ]
    except NotImplementedError as e:
        why = " ".join(str(e).split())
        raise Undecidable(f"sympy cannot split {expr} into smooth pieces: {why}") from None
    merged: list[Piece] = []
    for piece in sorted(found, key=lambda p: p.lo):
        last = merged[-1] if merged else None
        if last and last.expr == piece.expr and last.hi == piece.lo and _finite(piece.expr.subs(X, piece.lo)):
            merged[-1] = Piece(last.lo, piece.hi, piece.expr)  # split by a condition, smooth across it
        else:
            merged.append(piece)
    return merged


def _pairs(folded: sp.Expr, window: sp.Interval) -> list[tuple[sp.Expr, sp.Set]]:
    """(piece, where it applies) of a Piecewise within ``window``: first true condition wins."""
    if not isinstance(folded, sp.Piecewise):
        return [(folded, window)]
    pairs, left = [], window
    for part, condition in folded.args:
        where = _as_set(condition).intersect(left)
        pairs.append((part, where))
        left -= where
    return pairs


def _as_set(condition: sp.Basic) -> sp.Set:
    """The x where ``condition`` holds; a relation linear in x directly (sympy's ``as_set`` goes
    through periodicity and simplify: 1 s for a four-piece function), anything else by ``as_set``."""
    if condition is sp.true or condition is sp.false:
        return sp.Reals if condition is sp.true else sp.EmptySet
    if isinstance(condition, sp.And | sp.Or):
        sets = [_as_set(c) for c in condition.args]
        return sp.Intersection(*sets) if isinstance(condition, sp.And) else sp.Union(*sets)
    if isinstance(condition, sp.Not):
        return sp.Reals - _as_set(condition.args[0])
    if isinstance(condition, sp.Rel) and condition.rel_op != "!=":
        gap = condition.lhs - condition.rhs  # the relation says: gap <op> 0
        slope = gap.diff(X) if gap.is_polynomial(X) and sp.degree(gap, X) == 1 else None
        if slope is not None and slope.is_number:
            root, op = -gap.subs(X, 0) / slope, condition.rel_op
            if slope < 0:
                op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            return {
                "<": sp.Interval.open(-sp.oo, root),
                "<=": sp.Interval(-sp.oo, root),
                ">": sp.Interval.open(root, sp.oo),
                ">=": sp.Interval(root, sp.oo),
                "==": sp.FiniteSet(root),
            }[op]
    return condition.as_set()


def _continuous(expr: sp.Expr, stretch: sp.Interval) -> sp.Set:
    """Where in ``stretch`` the smooth expression is continuous: minus the real roots of the
    denominator for a rational function (Sturm sequences: fast even for degree 10, where sympy's
    general :func:`continuous_domain` takes seconds), else :func:`continuous_domain`."""
    if not expr.is_rational_function(X):
        return continuous_domain(expr, X, stretch)
    denominator = sp.Poly(sp.fraction(sp.cancel(expr))[1], X)
    if denominator.is_ground or denominator.count_roots() == 0:
        return stretch
    return stretch - sp.FiniteSet(*sp.real_roots(denominator))


def _intervals(where: sp.Set, expr: sp.Expr) -> Iterator[sp.Interval]:
    """The intervals of positive length that make up ``where`` (isolated points are dropped)."""
    for part in where.args if isinstance(where, sp.Union) else [where]:
        if isinstance(part, sp.Interval) and part.measure != 0:
            yield part
        elif not (isinstance(part, sp.FiniteSet) or part is sp.EmptySet):
            raise NotImplementedError(f"cannot list the intervals of {part} (from {expr})")


def _finite(value: sp.Expr) -> bool:
    return bool(value.is_finite and value.is_extended_real)


def one_sided(expr: sp.Expr, at: sp.Expr, side: str) -> sp.Expr:
    """The limit of ``expr`` as x tends to ``at`` from ``side`` (``"+"`` or ``"-"``); plain
    substitution when that is finite (a piece is smooth up to its ends unless it has a pole there)."""
    value = expr.subs(X, at)
    return value if _finite(value) else sp.limit(expr, X, at, side)


_FRACTIONS = [sp.Rational(n, 10**10) for n in (3183098862, 5772156649, 7071067812)]
_STEPS = [sp.Rational(n, 10**10) for n in (3183098862, 16180339887, 27182818285, 73890560989)]


def probes(lo: sp.Expr, hi: sp.Expr) -> list[sp.Expr]:
    """A few irrational-looking points strictly inside (``lo``, ``hi``), spread over it."""
    if lo.is_finite and hi.is_finite:
        return [lo + (hi - lo) * f for f in _FRACTIONS]
    if lo.is_finite:
        return [lo + s for s in _STEPS]
    if hi.is_finite:
        return [hi - s for s in _STEPS]
    return [s for t in _STEPS for s in (t, -t)]


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
