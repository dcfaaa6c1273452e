"""Task math_breakpoint: how many breakpoints does a piecewise-linear function have? (IsoBench.)

A breakpoint is a point where the slope changes. Functions are continuous, with one-decimal
breakpoints and slopes and a one-decimal first intercept; later intercepts follow exactly from
continuity (decimal arithmetic), so the formula, the code and the plot describe the same function.
Adjacent pieces always meet at an angle of at least ``min_angle`` degrees so every kink is visible.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

import sympy as sp
from PIL import Image

from modgap.isobench.task import Instance, Task, TaskConfig, register_task
from modgap.isobench.tasks._functions import X, code_text, exact, parse, pieces, plot


@dataclass(frozen=True)
class MathBreakpointConfig(TaskConfig):
    min_breakpoints: int = 1
    """Fewest breakpoints (the smallest answer class)."""
    max_breakpoints: int = 4
    """Most breakpoints (the largest answer class); IsoBench uses 2..3."""
    span: float = 5.0
    """Breakpoints lie in [-span, span]."""
    min_gap: float = 1.0
    """Smallest distance between two breakpoints, so each piece is visible in the plot."""
    max_slope: float = 3.0
    """Slopes are one-decimal numbers in [-max_slope, max_slope]."""
    min_angle: float = 15.0
    """Adjacent pieces meet at least this many degrees apart (x and y in equal units), so every kink
    shows in the plot: a slope change that would be visible near 0 can vanish between steep pieces."""

    def __post_init__(self) -> None:
        if not 1 <= self.min_breakpoints <= self.max_breakpoints <= 8:
            raise ValueError(
                "need 1 <= min_breakpoints <= max_breakpoints <= 8, "
                f"got {self.min_breakpoints}, {self.max_breakpoints}"
            )
        if self.min_gap < 0.1 or self.min_gap * (self.max_breakpoints - 1) > 2 * self.span:
            raise ValueError(
                f"min_gap {self.min_gap} must be >= 0.1 and leave room for {self.max_breakpoints} "
                f"breakpoints in [-{self.span}, {self.span}]"
            )
        if not 0.5 <= self.max_slope <= 20:
            raise ValueError(f"max_slope must be in [0.5, 20], got {self.max_slope}")
        if not 1.0 <= self.min_angle <= 2 * math.degrees(math.atan(self.max_slope)) / 3:
            raise ValueError(
                f"min_angle must be in [1, 2/3 of the widest angle max_slope allows], got {self.min_angle}"
            )


def _tenths(rng: random.Random, limit: float) -> Decimal:
    """A one-decimal number in [-limit, limit]."""
    n = int(limit * 10)
    return Decimal(rng.randint(-n, n)) / 10


def _boundaries(pw: sp.Piecewise) -> list[sp.Expr]:
    """Sorted numbers that the pieces' conditions compare x with (where a piece can start or end)."""
    return sorted(
        {side for _, c in pw.args for rel in c.atoms(sp.Rel) for side in rel.args if side.is_number}
    )


def _latex_rows(pw: sp.Piecewise) -> list[str]:
    """One ``value & if range`` row per piece. Sympy keeps conditions as a chain ``x < a``, ``x < b``,
    ..., ``True`` (first true wins), so each piece runs from the previous bound up to its own."""
    lt, le, gt, ge = "<", r"\le", ">", r"\ge"
    rows, low = [], None  # (bound, inclusive) left behind by the previous condition
    for piece, cond in pw.args:
        if cond is sp.true or (isinstance(cond, (sp.StrictLessThan, sp.LessThan)) and cond.lhs == X):
            strict = isinstance(cond, sp.StrictLessThan)
            lower = "" if low is None else f"{sp.latex(low[0])} {le if low[1] else lt} "
            upper = "" if cond is sp.true else f" {lt if strict else le} {sp.latex(cond.rhs)}"
            region = (
                f"{lower}x{upper}" if upper or low is None else f"x {ge if low[1] else gt} {sp.latex(low[0])}"
            )
            low = None if cond is sp.true else (cond.rhs, strict)
        else:
            region, low = sp.latex(cond), None
        rows.append(rf"{sp.latex(piece)} & \text{{if }} {region}")
    return rows


@register_task("math_breakpoint")
class MathBreakpointTask(Task):
    """Count the slope changes of a continuous piecewise-linear function."""

    domain = "math"
    text_representations = ("latex", "code")
    config_class = MathBreakpointConfig
    config: MathBreakpointConfig

    @property
    def classes(self) -> list[str]:
        return [str(k) for k in range(self.config.min_breakpoints, self.config.max_breakpoints + 1)]

    def sample(self, rng: random.Random, target: str) -> Instance:
        if target not in self.classes:
            raise ValueError(f"math_breakpoint has no class {target!r}; choose from {self.classes}")
        while True:
            fields = {"expression": self._draw(rng, int(target))}
            if self.solve(fields) == target:
                return Instance(self.name, fields, target, self.classes)

    def _draw(self, rng: random.Random, k: int) -> str:
        """A continuous piecewise-linear function with ``k`` kinks, as a sympy Piecewise string."""
        points, slopes = self._breakpoints(rng, k), self._slopes(rng, k + 1)
        intercepts = [_tenths(rng, 3.0)]
        for x, (m_left, m_right) in zip(
            points, pairwise(slopes), strict=True
        ):  # continuity at each breakpoint
            intercepts.append(intercepts[-1] + (m_left - m_right) * x)
        pieces = [(sp.Float(str(m)) * X + sp.Float(str(b))) for m, b in zip(slopes, intercepts, strict=True)]
        conds = [sp.Lt(X, sp.Float(str(x))) for x in points] + [sp.true]
        return str(sp.Piecewise(*zip(pieces, conds, strict=True)))

    def _breakpoints(self, rng: random.Random, k: int) -> list[Decimal]:
        """``k`` sorted one-decimal points in [-span, span], at least ``min_gap`` apart."""
        gap = Decimal(str(self.config.min_gap))
        while True:
            points = sorted(_tenths(rng, self.config.span) for _ in range(k))
            if all(b - a >= gap for a, b in pairwise(points)):
                return points

    def _slopes(self, rng: random.Random, n: int) -> list[Decimal]:
        """``n`` one-decimal slopes, each at least ``min_angle`` degrees from the previous."""
        slopes = [_tenths(rng, self.config.max_slope)]
        while len(slopes) < n:
            m = _tenths(rng, self.config.max_slope)
            if abs(math.degrees(math.atan(m) - math.atan(slopes[-1]))) >= self.config.min_angle:
                slopes.append(m)
        return slopes

    @staticmethod
    def solve(fields: dict[str, Any]) -> str:
        """Split f into smooth pieces (``Piecewise``, ``|x|``, ``Max``, ``Min``; see :func:`pieces`) and
        count the joints where the exact slope changes; the ends of a bounded domain are not joints."""
        expression = fields["expression"]
        parts = pieces(exact(parse(expression)))
        if any(not p.expr.is_polynomial(X) or sp.degree(p.expr, X) > 1 for p in parts):
            raise ValueError(f"not piecewise linear: {expression}")
        return str(
            sum(
                left.hi == right.lo and sp.diff(left.expr, X) != sp.diff(right.expr, X)
                for left, right in pairwise(parts)
            )
        )

    def render_text(self, instance: Instance, representation: str) -> str:
        expression = instance.fields["expression"]
        if representation == "code":
            return code_text(expression)
        rows = _latex_rows(parse(expression))
        return r"f(x) = \begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    def render_image(self, instance: Instance) -> Image.Image:
        pw = parse(instance.fields["expression"])
        points = [float(p) for p in _boundaries(pw)]
        margin = max(1.5, 0.3 * (points[-1] - points[0]))
        return plot(pw, points[0] - margin, points[-1] + margin)
