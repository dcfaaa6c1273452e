"""Task math_convexity: is f convex or concave on the stated domain? (IsoBench's convexity task.)

A function is an "anchor" block that is convex on its own natural domain — everywhere (softplus,
cosh, x atan x, |x|, ...), on a half-line (1/x, -log x, an odd power or a cubic past its inflection
point, a Gaussian past its inflection points) or on an interval (-sin, tan, -cos) — plus
convex-everywhere blocks (often a |x| kink, as in half of the original items), a linear term, all
with decimal coefficients; it may be mirrored (x -> -x) and is negated for "concave". The domain is
part of the problem: many functions are convex only there.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import mpmath
import sympy as sp
from PIL import Image

from modgap.isobench.task import Instance, Task, TaskConfig, Undecidable, register_task
from modgap.isobench.tasks._functions import (
    Piece,
    X,
    code_text,
    coef,
    exact,
    latex_text,
    one_sided,
    parse,
    pieces,
    plot,
)

CLASSES = ["convex", "concave"]
Bound = float | None
Block = Callable[[random.Random, int], tuple[sp.Expr, Bound, Bound]]
_SAMPLES = 120  # f'' is checked at this many points per finite stretch and per unbounded side


@dataclass(frozen=True)
class MathConvexityConfig(TaskConfig):
    max_terms: int = 3
    """Most blocks in f besides the linear term (the anchor plus convex-everywhere blocks)."""
    places: int = 2
    """Decimal places of every coefficient (domain bounds always have one)."""
    window: float = 6.0
    """Width of the plotted stretch of an unbounded domain."""

    def __post_init__(self) -> None:
        if not 1 <= self.max_terms <= 5:
            raise ValueError(f"max_terms must be in 1..5, got {self.max_terms}")
        if not 1 <= self.places <= 3:
            raise ValueError(f"places must be in 1..3, got {self.places}")
        if not 2.0 <= self.window <= 40.0:
            raise ValueError(f"window must be in [2, 40], got {self.window}")


def _pos(rng: random.Random, p: int, lo: float = 0.2, hi: float = 2.5) -> sp.Float:
    return coef(rng, lo, hi, p, signed=False)


def _dec(v: float) -> float:
    """``v`` to one decimal, the precision of every domain bound (``+ 0.0`` turns -0.0 into 0.0)."""
    return round(v, 1) + 0.0


def _up(v: float) -> float:
    """``v`` rounded up to one decimal (a domain bound just inside the convex region)."""
    return _dec(math.ceil(v * 10 + 1e-9) / 10)


def _down(v: float) -> float:
    return _dec(math.floor(v * 10 - 1e-9) / 10)


def _cubic(r: random.Random, p: int) -> tuple[sp.Expr, Bound, Bound]:
    """a x^3 + b x^2 is convex past its inflection point -b / (3a)."""
    a, b = _pos(r, p, 0.1, 0.6), coef(r, 0.2, 2.0, p)
    return a * X**3 + b * X**2, _dec(_up(-float(b) / (3 * float(a))) + r.randint(0, 10) / 10), None


def _gaussian(r: random.Random, p: int) -> tuple[sp.Expr, Bound, Bound]:
    """exp(-k x^2) is convex beyond its inflection point 1 / sqrt(2k)."""
    k = _pos(r, p, 0.2, 1.5)
    return _pos(r, p) * sp.exp(-k * X**2), _up(1 / math.sqrt(2 * float(k))), None


def _lorentzian(r: random.Random, p: int) -> tuple[sp.Expr, Bound, Bound]:
    """1 / (x^2 + a) is convex for x > sqrt(a / 3)."""
    a = _pos(r, p, 0.3, 3.0)
    return _pos(r, p) / (X**2 + a), _up(math.sqrt(float(a) / 3)), None


def _periodic(r: random.Random, p: int) -> tuple[sp.Expr, Bound, Bound]:
    """-sin(kx) on (0, pi/k), tan(kx) on (0, pi/2k), -cos(kx) on (-pi/2k, pi/2k): a sub-interval."""
    k, c = _pos(r, p, 0.4, 1.5), _pos(r, p)
    expr, lo, hi = r.choice(
        [
            (-c * sp.sin(k * X), 0.0, math.pi),
            (c * sp.tan(k * X), 0.0, math.pi / 2),
            (-c * sp.cos(k * X), -math.pi / 2, math.pi / 2),
        ]
    )
    lo, hi = lo / float(k), hi / float(k)
    span = hi - lo
    return expr, _up(lo + r.uniform(0.0, 0.3) * span), _down(hi - r.uniform(0.0, 0.3) * span)


def _odd_power(r: random.Random, p: int) -> tuple[sp.Expr, Bound, Bound]:
    """x^3, x^5, x^7 are convex for x > 0 (IsoBench states that domain for them)."""
    return _pos(r, p, 0.1, 1.2) * X ** r.choice([3, 5, 7]), 0.0, None


def _shifted(r: random.Random, p: int) -> tuple[sp.Expr, Bound, Bound]:
    """Blocks convex on (s, oo): 1/(x-s), -log(x-s), (x-s) log(x-s), -sqrt(x-s)."""
    s = _dec(r.uniform(-2.0, 2.0))
    u, c = X - sp.Float(f"{s:.1f}"), _pos(r, p)
    return r.choice([c / u, -c * sp.log(u), c * u * sp.log(u), -c * sp.sqrt(u)]), s, None


_GLOBAL: list[Callable[[random.Random, int], sp.Expr]] = [
    lambda r, p: _pos(r, p) * X**2,
    lambda r, p: _pos(r, p) * sp.exp(coef(r, 0.2, 1.0, p) * X),
    lambda r, p: _pos(r, p, 0.05, 0.3) * X**4,
    lambda r, p: _pos(r, p) * sp.log(1 + sp.exp(coef(r, 0.4, 2.0, p) * X)),
    lambda r, p: _pos(r, p) * sp.sqrt(X**2 + _pos(r, p, 0.3, 3.0)),
    lambda r, p: _pos(r, p, 0.2, 1.0) * sp.cosh(_pos(r, p, 0.3, 1.0) * X),
    lambda r, p: _pos(r, p) * X * sp.atan(_pos(r, p, 0.3, 2.0) * X),
    lambda r, p: _pos(r, p, 0.05, 0.3) * X**6,
    lambda r, p: _pos(r, p) * sp.Abs(X - coef(r, 0.5, 2.0, 1)),
]
_ANCHORS: list[Block] = [
    lambda r, p: (r.choice(_GLOBAL)(r, p), None, None),
    _odd_power,
    _cubic,
    _gaussian,
    _lorentzian,
    _periodic,
    _shifted,
]


def _grid(lo: mpmath.mpf | None, hi: mpmath.mpf | None) -> list[mpmath.mpf]:
    """Points inside the open interval: dense across its finite part, geometrically closer to a finite
    bound (down to 1e-6 of the width) and geometrically farther along an unbounded side (out to 1e4)."""
    a = lo if lo is not None else (hi - 10 if hi is not None else mpmath.mpf(-10))
    b = hi if hi is not None else a + 20
    pts = [a + (b - a) * mpmath.mpf(i + 0.5) / _SAMPLES for i in range(_SAMPLES)]
    far = [mpmath.mpf(10) ** (mpmath.mpf(4 * i) / _SAMPLES) for i in range(_SAMPLES)]
    near = [(b - a) * mpmath.mpf(10) ** (-1 - mpmath.mpf(5 * i) / 40) for i in range(41)]
    pts += [a - t for t in far] if lo is None else [a + t for t in near]
    pts += [b + t for t in far] if hi is None else [b - t for t in near]
    return pts


Sign = int | None
"""+1: >= 0 throughout and > 0 somewhere; -1: the mirror image; 0: identically 0; None: both signs."""
_TINY = 10**-20  # |values| below this count as 0 (30-digit arithmetic)


def _mp(bound: sp.Expr) -> mpmath.mpf | None:
    return None if bound.is_infinite else mpmath.mpf(str(sp.N(bound, 35)))


def _onto(piece: Piece, t: sp.Symbol) -> sp.Expr:
    """x as an increasing map of t in (0, oo) onto the piece's interval."""
    lo, hi = piece.lo, piece.hi
    if lo.is_finite and hi.is_finite:
        return (lo + hi * t) / (1 + t)
    if lo.is_finite:
        return lo + t
    return hi - t if hi.is_finite else t - 1 / t


def _curvature(piece: Piece) -> Sign:
    """The sign of f'' on one smooth piece: proved by sympy's assumptions when it can (x a map of a
    positive t onto the interval), else read at 30 digits over :func:`_grid`."""
    f2 = sp.diff(piece.expr, X, 2)
    if f2 == 0:
        return 0
    t = sp.Dummy("t", positive=True)
    mapped = f2.subs(X, _onto(piece, t))
    if mapped.is_positive:
        return 1
    if mapped.is_negative:
        return -1
    with mpmath.workdps(30):
        fn = sp.lambdify(X, f2, "mpmath")
        values = [mpmath.re(fn(x)) for x in _grid(_mp(piece.lo), _mp(piece.hi))]
    above, below = any(v > _TINY for v in values), any(v < -_TINY for v in values)
    return None if above and below else (1 if above else -1 if below else 0)


def _number_sign(value: sp.Expr) -> int:
    if value.is_zero:
        return 0
    if value.is_extended_real is False or value is sp.nan:
        raise Undecidable(f"cannot compare {value} with 0")
    v = sp.N(value, 30)
    return 0 if abs(v) < _TINY else (1 if v > 0 else -1)


def _kink(left: Piece, right: Piece, expr: str) -> Sign:
    """What the joint of two pieces allows: the sign of the jump in slope f'(c+) - f'(c-) (a V is
    convex, a Λ concave, 0 a smooth joint); None for a jump in value (neither)."""
    c = left.hi
    below, above = one_sided(left.expr, c, "-"), one_sided(right.expr, c, "+")
    if not (below.is_finite and above.is_finite):
        raise Undecidable(f"{expr} has a pole at x = {c}: its domain is not an interval there")
    if _number_sign(above - below) != 0:
        return None
    slope = one_sided(sp.diff(right.expr, X), c, "+") - one_sided(sp.diff(left.expr, X), c, "-")
    return _number_sign(slope)


@register_task("math_convexity")
class MathConvexityTask(Task):
    """Classify a function as convex or concave on a stated (possibly unbounded) open domain."""

    domain = "math"
    text_representations = ("latex", "code")
    config_class = MathConvexityConfig
    config: MathConvexityConfig

    @property
    def classes(self) -> list[str]:
        return list(CLASSES)

    def sample(self, rng: random.Random, target: str) -> Instance:
        if target not in CLASSES:
            raise ValueError(f"math_convexity has no class {target!r}; choose from {CLASSES}")
        while True:
            expr, lo, hi = self._draw(rng)
            if target == "concave":
                expr = -expr
            fields = {"expression": str(expr), "domain": [lo, hi]}
            try:
                if self.solve(fields) == target:
                    return Instance(self.name, fields, target, list(CLASSES))
            except Undecidable:
                continue

    def _draw(self, rng: random.Random) -> tuple[sp.Expr, Bound, Bound]:
        """A convex function and its domain: anchor + global blocks + linear term, maybe mirrored."""
        p = self.config.places
        expr, lo, hi = rng.choice(_ANCHORS)(rng, p)
        for _ in range(rng.randint(0, self.config.max_terms - 1)):
            expr += rng.choice(_GLOBAL)(rng, p)
        if rng.random() < 0.5:  # the kink of half of IsoBench's convexity items
            expr += _pos(rng, p) * sp.Abs(X)
        if rng.random() < 0.7:
            expr += coef(rng, 0.2, 3.0, p) * X
        if rng.random() < 0.5:
            expr += coef(rng, 0.2, 3.0, p)
        if lo is None and hi is None and rng.random() < 0.25:  # state a narrower domain now and then
            lo = _dec(rng.uniform(-3.0, 1.0))
            hi = _dec(lo + rng.uniform(1.0, 4.0)) if rng.random() < 0.5 else None
        if rng.random() < 0.3:
            expr, lo, hi = (
                expr.subs(X, -X),
                (None if hi is None else 0.0 - hi),
                (None if lo is None else 0.0 - lo),
            )
        return expr, lo, hi

    @staticmethod
    def solve(fields: dict[str, Any]) -> str:
        """ "convex", "concave" or "neither" on the stated open domain, cut to where f is defined.

        f is split into smooth pieces (at |x|, Max, Min and Piecewise kinks, poles and the ends of
        its natural domain: ``log x`` only for x > 0), which must leave one interval. Convex iff f''
        is >= 0 on every piece and every kink bends up (slope jump f'(c+) - f'(c-) >= 0), with some
        curvature somewhere; concave symmetrically; a jump in value is neither. The sign of f'' on a
        piece is proved by sympy when it can, else read at 30 digits over a dense grid (tails out to
        1e4). Raises Undecidable for an affine function (both), a domain with a hole, or an
        expression sympy cannot split.
        """
        expression = fields["expression"]
        lo, hi = (
            sp.Rational(str(v)) if v is not None else inf
            for v, inf in zip(fields["domain"], (-sp.oo, sp.oo), strict=True)
        )
        parts = pieces(exact(parse(expression)), lo, hi)
        if not parts:
            raise Undecidable(f"{expression} is defined nowhere on {fields['domain']}")
        signs = [_curvature(p) for p in parts]
        for left, right in pairwise(parts):
            if left.hi != right.lo:
                raise Undecidable(
                    f"{expression} is undefined on [{left.hi}, {right.lo}], inside the domain "
                    f"{fields['domain']}: convexity needs an interval"
                )
            signs.append(_kink(left, right, expression))
        if None in signs or (1 in signs and -1 in signs):
            return "neither"
        if 1 in signs:
            return "convex"
        if -1 in signs:
            return "concave"
        raise Undecidable(f"{expression} is affine on {fields['domain']}: both convex and concave")

    def render_text(self, instance: Instance, representation: str) -> str:
        expression, (lo, hi) = instance.fields["expression"], instance.fields["domain"]
        if lo is None and hi is None:
            latex_domain, code_domain = r"\mathbb{R}", "Reals"
        else:
            interval = sp.Interval.open(-sp.oo if lo is None else lo, sp.oo if hi is None else hi)
            latex_domain = sp.latex(interval)
            code_domain = f"Interval.open({'-oo' if lo is None else lo}, {'oo' if hi is None else hi})"
        if representation == "latex":
            return latex_text(parse(expression), rf", \quad x \in {latex_domain}")
        return code_text(expression, [f"domain = {code_domain}"])

    def render_image(self, instance: Instance) -> Image.Image:
        lo, hi = instance.fields["domain"]
        w = self.config.window
        if lo is None:
            lo = -w / 2 if hi is None else hi - w
        if hi is None:
            hi = lo + w
        inset = 0.01 * (hi - lo)  # open ends: stay off a singular boundary
        return plot(parse(instance.fields["expression"]), lo + inset, hi - inset)
