"""Task math_parity: is f even, odd or neither? (IsoBench's function-parity task.)

Functions are either IsoBench's own family — a ratio of polynomials up to degree 10 with integer
coefficients, a decimal constant and an even, positive denominator (``(-4x^6 - 3x^5 + 1.35) /
(5x^10 + 2.43)``) — or sums of building blocks with decimal coefficients — polynomials, sin/cos,
Gaussians, |x|, rational functions and compositions — chosen so the class is not visible at a glance:
an even function may be a product of two odd factors (``x sin x``), an odd one an odd term times an
even factor, and "neither" is an even part plus an odd part or a shifted/one-sided block.
"""

from __future__ import annotations

import cmath
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp
from PIL import Image

from modgap.isobench.task import Instance, Task, TaskConfig, register_task
from modgap.isobench.tasks._functions import (
    X,
    code_text,
    coef,
    exact,
    latex_text,
    parse,
    pieces,
    plot,
    probes,
)

CLASSES = ["even", "odd", "neither"]
Block = Callable[[random.Random, int], sp.Expr]


@dataclass(frozen=True)
class MathParityConfig(TaskConfig):
    max_terms: int = 3
    """Most building blocks summed into f (it draws 2..max_terms of them, so no single textbook term)."""
    places: int = 2
    """Decimal places of every coefficient."""
    half_width: float = 4.0
    """The plot shows f on [-half_width, half_width]."""

    def __post_init__(self) -> None:
        if not 1 <= self.max_terms <= 5:
            raise ValueError(f"max_terms must be in 1..5, got {self.max_terms}")
        if not 1 <= self.places <= 3:
            raise ValueError(f"places must be in 1..3, got {self.places}")
        if not 1.0 <= self.half_width <= 20.0:
            raise ValueError(f"half_width must be in [1, 20], got {self.half_width}")


def _c(rng: random.Random, p: int) -> sp.Float:
    return coef(rng, 0.2, 2.5, p)


def _s(rng: random.Random, p: int) -> sp.Float:
    """A small coefficient for fast-growing terms (x**3, x**4), so no term swamps the plot."""
    return coef(rng, 0.05, 0.3, p)


def _k(rng: random.Random, p: int) -> sp.Float:
    return coef(rng, 0.3, 1.5, p, signed=False)


_EVEN: list[Block] = [
    lambda r, p: _c(r, p) * X**2,
    lambda r, p: _s(r, p) * X**4,
    lambda r, p: _c(r, p) * sp.cos(_k(r, p) * X),
    lambda r, p: _c(r, p) * sp.exp(-_k(r, p) * X**2),
    lambda r, p: _c(r, p) * sp.Abs(X),
    lambda r, p: _c(r, p) / (X**2 + _k(r, p)),
    lambda r, p: _c(r, p) * X * sp.sin(_k(r, p) * X),
    lambda r, p: _c(r, p) * sp.sin(coef(r, 0.1, 0.5, p) * X**2),
    lambda r, p: _c(r, p) * X**2 * sp.exp(-_k(r, p) * X**2),
    lambda r, p: _c(r, p) * sp.log(X**2 + _k(r, p)),
    lambda r, p: _c(r, p) * sp.cos(sp.sin(_k(r, p) * X)),
]
_ODD: list[Block] = [
    lambda r, p: _c(r, p) * X,
    lambda r, p: _s(r, p) * X**3,
    lambda r, p: _c(r, p) * sp.sin(_k(r, p) * X),
    lambda r, p: _c(r, p) * X * sp.exp(-_k(r, p) * X**2),
    lambda r, p: _c(r, p) * X / (X**2 + _k(r, p)),
    lambda r, p: _s(r, p) * X * sp.Abs(X),
    lambda r, p: _c(r, p) * sp.sin(coef(r, 0.02, 0.1, p) * X**3),
    lambda r, p: _c(r, p) * X * sp.cos(_k(r, p) * X),
    lambda r, p: _c(r, p) * sp.atan(_k(r, p) * X),
    lambda r, p: _c(r, p) * X**3 * sp.exp(-_k(r, p) * X**2),
]
_ONE_SIDED: list[Block] = [
    lambda r, p: _c(r, p) * sp.exp(coef(r, 0.2, 0.6, p) * X),
    lambda r, p: _c(r, p) * (X - coef(r, 0.3, 2.0, p)) ** 2,
    lambda r, p: _c(r, p) * sp.exp(-_k(r, p) * (X - coef(r, 0.3, 2.0, p)) ** 2),
    lambda r, p: _c(r, p) * sp.sin(_k(r, p) * X + coef(r, 0.3, 1.2, p, signed=False)),
]
_EVEN_DEGREES, _ODD_DEGREES = (2, 4, 6, 8, 10), (1, 3, 5, 7, 9)


def _monomials(rng: random.Random, degrees: tuple[int, ...], low: int, high: int) -> sp.Expr:
    """``low``..``high`` distinct powers from ``degrees`` with integer coefficients in ±1..5."""
    chosen = rng.sample(degrees, rng.randint(low, high))
    return sp.Add(*(rng.choice([-1, 1]) * rng.randint(1, 5) * X**d for d in chosen))


def _rational(rng: random.Random, target: str, p: int) -> sp.Expr:
    """IsoBench's family: an even denominator with positive coefficients (no real root) under an odd,
    even or mixed numerator."""
    denominator = _monomials(rng, _EVEN_DEGREES, 1, 3).replace(lambda e: e.is_Integer, abs)
    denominator += coef(rng, 2.0, 30.0, p, signed=False)
    constant = coef(rng, 0.1, 20.0, p)
    numerator = {
        "odd": _monomials(rng, _ODD_DEGREES, 1, 3),
        "even": _monomials(rng, _EVEN_DEGREES, 0, 3) + constant,
        "neither": _monomials(rng, _ODD_DEGREES, 1, 2) + _monomials(rng, _EVEN_DEGREES, 0, 2) + constant,
    }[target]
    return numerator / denominator


def _vanishes(e: sp.Expr) -> bool:
    """Whether ``e`` is identically 0 wherever it is defined, piece by piece (see :func:`pieces`).

    A rational piece is decided exactly (``cancel``); any other is 0 if it expands to 0, and is not if
    it is nonzero at one of several generic points inside its interval (30 digits). A piece that
    vanishes at all of them without expanding to 0 (``sin(x)**2 + cos(x)**2 - 1``) counts as 0.
    """
    for piece in pieces(e):
        if piece.expr.is_rational_function(X):
            if sp.cancel(piece.expr) != 0:
                return False
        elif sp.expand(piece.expr) != 0:
            for p in probes(piece.lo, piece.hi):
                value = complex(piece.expr.evalf(30, subs={X: p}))
                if cmath.isfinite(value) and abs(value) > 1e-15:
                    return False
    return True


def _symmetric_domain(f: sp.Expr) -> bool:
    """Whether the open intervals where ``f`` is defined and continuous are symmetric about 0."""
    stretches = [(p.lo, p.hi) for p in pieces(f)]
    return sp.Union(*(sp.Interval.open(lo, hi) for lo, hi in stretches)) == sp.Union(
        *(sp.Interval.open(-hi, -lo) for lo, hi in stretches)
    )


@register_task("math_parity")
class MathParityTask(Task):
    """Classify a function as even, odd or neither from its formula, code or plot."""

    domain = "math"
    text_representations = ("latex", "code")
    config_class = MathParityConfig
    config: MathParityConfig

    @property
    def classes(self) -> list[str]:
        return list(CLASSES)

    def sample(self, rng: random.Random, target: str) -> Instance:
        if target not in CLASSES:
            raise ValueError(f"math_parity has no class {target!r}; choose from {CLASSES}")
        while True:
            expr = self._draw(rng, target)
            fields = {"expression": str(expr)}
            if expr.free_symbols and self.solve(fields) == target:
                return Instance(self.name, fields, target, list(CLASSES))

    def _draw(self, rng: random.Random, target: str) -> sp.Expr:
        """IsoBench's rational family (40%) or a sum of blocks of the target's symmetry; "neither"
        mixes an even and an odd part or a shift."""
        p, n = self.config.places, rng.randint(min(2, self.config.max_terms), self.config.max_terms)
        if rng.random() < 0.4:
            return _rational(rng, target, p)
        if target == "neither":
            if n == 1 or rng.random() < 0.3:
                pools = [_ONE_SIDED] + [rng.choice([_EVEN, _ODD]) for _ in range(n - 1)]
            else:
                pools = [_EVEN, _ODD] + [rng.choice([_EVEN, _ODD]) for _ in range(n - 2)]
        else:
            pools = [_EVEN if target == "even" else _ODD] * n
        terms = [rng.choice(pool)(rng, p) for pool in pools]
        if target != "neither" and rng.random() < 0.25:  # an even factor keeps the symmetry
            terms[0] *= 1 / (X**2 + _k(rng, p)) if rng.random() < 0.5 else sp.exp(-_k(rng, p) * X**2)
        return sp.Add(*terms)

    @staticmethod
    def solve(fields: dict[str, Any]) -> str:
        """Compare f(-x) with f(x) and -f(x) on the exact (rational) expression, piece by piece.

        A function whose domain is not symmetric about 0 (``log x``) is neither even nor odd.
        """
        f = exact(parse(fields["expression"]))
        if not _symmetric_domain(f):
            return "neither"
        mirrored = f.subs(X, -X)
        if _vanishes(mirrored - f):
            return "even"
        if _vanishes(mirrored + f):
            return "odd"
        return "neither"

    def render_text(self, instance: Instance, representation: str) -> str:
        expression = instance.fields["expression"]
        if representation == "latex":
            return latex_text(parse(expression))
        return code_text(expression)

    def render_image(self, instance: Instance) -> Image.Image:
        w = self.config.half_width
        return plot(parse(instance.fields["expression"]), -w, w)
