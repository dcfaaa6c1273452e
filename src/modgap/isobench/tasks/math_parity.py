"""Task math_parity: is f even, odd or neither? (IsoBench's function-parity task.)

Functions are sums of building blocks with decimal coefficients — polynomials, sin/cos, Gaussians,
|x|, rational functions and compositions — chosen so the class is not visible at a glance: an even
function may be a product of two odd factors (``x sin x``), an odd one an odd term times an
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
from modgap.isobench.tasks._functions import X, code_text, coef, exact, latex_text, parse, plot

CLASSES = ["even", "odd", "neither"]
_PROBES = [
    sp.Float(p, 30) for p in ("0.3183098862", "0.7071067812", "1.2247448714", "1.6180339887", "2.7182818285")
]
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


def _vanishes(e: sp.Expr) -> bool:
    """Whether ``e`` is identically 0: exactly after expansion, else by 30-digit evaluation at probes."""
    if sp.expand(e) == 0:
        return True
    for p in _PROBES:
        value = complex(e.evalf(30, subs={X: p}))
        if cmath.isfinite(value) and abs(value) > 1e-15:  # a pole at a probe proves nothing
            return False
    return True


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
        """Sum of blocks of the target's symmetry; "neither" mixes an even and an odd part or a shift."""
        p, n = self.config.places, rng.randint(min(2, self.config.max_terms), self.config.max_terms)
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
        """Compare f(-x) with f(x) and -f(x) on the exact (rational) expression."""
        f = exact(parse(fields["expression"]))
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
