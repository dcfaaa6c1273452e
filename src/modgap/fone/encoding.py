"""Exact Fourier Number Encoding (FoNE, arXiv 2502.09741).

A number x with m integer and n fractional digits becomes the features
``[cos(2πx/T), sin(2πx/T)]`` for the periods ``T = 10^(-n+1), …, 10^0, …, 10^m``
(smallest period first), so pair ``i`` carries digit ``i - n`` (``10^(i-n)``'s place).

Why exact: the phase only needs ``x mod T``. Computing that remainder on Python ints
(the number scaled by ``10^n``) keeps a 60-digit integer as precise as a 3-digit one,
where float64 arithmetic would lose every digit past ~15.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation, localcontext

import torch

Number = int | float | str | Decimal

__all__ = [
    "Number",
    "DIGIT_PHASES",
    "feature_width",
    "to_scaled_int",
    "from_scaled_int",
    "encode",
    "encode_many",
    "decode",
    "digit_targets",
    "places",
]

DIGIT_PHASES = torch.tensor(
    [[math.cos(2 * math.pi * d / 10), math.sin(2 * math.pi * d / 10)] for d in range(10)],
    dtype=torch.float64,
)
"""The 10×2 matrix D of digit phases: row d is the point a digit d sits at on the unit circle."""


def feature_width(int_digits: int, frac_digits: int, signed: bool = True) -> int:
    """Length of a FoNE vector: one (cos, sin) pair per digit, plus a sign feature if ``signed``."""
    _check_digits(int_digits, frac_digits)
    return 2 * (int_digits + frac_digits) + int(signed)


def _check_digits(int_digits: int, frac_digits: int) -> None:
    if int_digits < 0 or frac_digits < 0 or int_digits + frac_digits == 0:
        raise ValueError(
            f"need int_digits >= 0, frac_digits >= 0 and at least one digit, "
            f"got int_digits={int_digits}, frac_digits={frac_digits}"
        )


def _as_decimal(x: Number) -> Decimal:
    if isinstance(x, bool) or not isinstance(x, int | float | str | Decimal):
        raise TypeError(f"expected int, float, str or Decimal, got {type(x).__name__}: {x!r}")
    if isinstance(x, float):
        # repr() is the shortest string that round-trips, so 0.1 means 0.1, not 0.1000000000000000055…
        x = repr(x)
    try:
        d = Decimal(x.strip()) if isinstance(x, str) else Decimal(x)
    except InvalidOperation:
        raise ValueError(f"not a number: {x!r}") from None
    if not d.is_finite():
        raise ValueError(f"cannot encode {x!r}: FoNE needs a finite number")
    return d


def places(x: Number) -> tuple[int, int]:
    """The (integer, fractional) places x needs, at least one integer: ``places("-3.140") == (1, 3)``."""
    d = _as_decimal(x)
    exponent = d.as_tuple().exponent
    assert isinstance(exponent, int)  # finite by _as_decimal
    return max(1, d.adjusted() + 1), max(0, -exponent)


def to_scaled_int(x: Number, int_digits: int, frac_digits: int) -> int:
    """``x · 10^frac_digits`` as an exact int, after checking that x fits the digit budget."""
    _check_digits(int_digits, frac_digits)
    d = _as_decimal(x)
    with localcontext() as ctx:
        ctx.prec = max(len(d.as_tuple().digits), 1) + frac_digits + 8
        scaled = d.scaleb(frac_digits)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{x!r} has more than frac_digits={frac_digits} fractional digits")
        n = int(scaled)
    if abs(n) >= 10 ** (int_digits + frac_digits):
        raise ValueError(f"{x!r} has more than int_digits={int_digits} integer digits")
    return n


def from_scaled_int(n: int, frac_digits: int) -> int | Decimal:
    """Inverse of :func:`to_scaled_int`: an int when there are no fractional digits, else a Decimal."""
    return n if frac_digits == 0 else Decimal(n).scaleb(-frac_digits)


def _features(n: int, digits: int, signed: bool) -> list[float]:
    out: list[float] = []
    mag = abs(n)
    for i in range(digits):
        period = 10 ** (i + 1)
        angle = 2 * math.pi * ((mag % period) / period)  # int / int is correctly rounded
        out += [math.cos(angle), math.sin(angle)]
    if signed:
        out.append(1.0 if n < 0 else 0.0)
    elif n < 0:
        raise ValueError(f"negative number {n} needs signed=True (a sign feature)")
    return out


def encode_many(
    values: Iterable[Number], int_digits: int, frac_digits: int, signed: bool = True
) -> torch.Tensor:
    """FoNE vectors of many numbers as a float64 tensor of shape (len(values), width)."""
    digits = int_digits + frac_digits
    rows = [_features(to_scaled_int(x, int_digits, frac_digits), digits, signed) for x in values]
    return torch.tensor(rows, dtype=torch.float64).reshape(
        len(rows), feature_width(int_digits, frac_digits, signed)
    )


def encode(x: Number, int_digits: int, frac_digits: int, signed: bool = True) -> torch.Tensor:
    """FoNE vector of one number: pairs for periods 10^(-n+1)…10^m, then the sign feature if ``signed``."""
    return encode_many([x], int_digits, frac_digits, signed)[0]


def decode(vector: torch.Tensor | Sequence[float], int_digits: int, frac_digits: int) -> int | Decimal:
    """Read a number back from its FoNE vector, digit by digit from the smallest period up.

    Pair i's phase gives ``u = (|x|·10^n mod 10^(i+1)) / 10^i``, i.e. digit i plus the already
    decoded lower digits as a fraction; subtracting that fraction and rounding yields the digit.
    Accepts vectors with or without the trailing sign feature.
    """
    v = torch.as_tensor(vector, dtype=torch.float64).flatten()
    digits = int_digits + frac_digits
    if v.numel() not in (2 * digits, 2 * digits + 1):
        raise ValueError(
            f"a FoNE vector for int_digits={int_digits}, frac_digits={frac_digits} has "
            f"{2 * digits} or {2 * digits + 1} entries, got {v.numel()}"
        )
    if not torch.isfinite(v).all():
        raise ValueError("FoNE vector contains NaN or inf")
    pairs = v[: 2 * digits].view(digits, 2)
    turns = torch.remainder(torch.atan2(pairs[:, 1], pairs[:, 0]) / (2 * math.pi), 1.0).tolist()
    mag = 0
    for i, turn in enumerate(turns):
        lower = mag / 10**i  # digits below i, as a fraction of one unit of digit i
        mag += (round(turn * 10 - lower) % 10) * 10**i
    negative = v.numel() == 2 * digits + 1 and v[-1].item() > 0.5
    return from_scaled_int(-mag if negative else mag, frac_digits)


def digit_targets(values: Iterable[Number], int_digits: int, frac_digits: int) -> torch.Tensor:
    """Per-digit class labels (smallest place first) of |x|: the targets of the FoNE digit head."""
    digits = int_digits + frac_digits
    rows = []
    for x in values:
        mag = abs(to_scaled_int(x, int_digits, frac_digits))
        rows.append([(mag // 10**i) % 10 for i in range(digits)])
    return torch.tensor(rows, dtype=torch.long).reshape(len(rows), digits)
