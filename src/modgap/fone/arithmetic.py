"""Arithmetic problems for the FoNE recipe: seeded, unique, split without overlap.

Operands are kept as *scaled ints* (value · 10^frac_digits) so that sampling, deduplication and
answers are exact; :attr:`Problem.a` / :attr:`Problem.b` / :attr:`Problem.answer` give the values.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from modgap.fone.encoding import from_scaled_int

__all__ = ["OPS", "ArithmeticTask", "Problem", "Splits", "make_splits", "sample_problems"]

Op = Literal["add", "sub", "mul"]
OPS: dict[str, str] = {"add": "+", "sub": "-", "mul": "*"}
Lengths = Literal["values", "uniform", "exact"]
LENGTHS = ("values", "uniform", "exact")


@dataclass(frozen=True)
class ArithmeticTask:
    """Operands with up to ``int_digits`` integer and exactly ``frac_digits`` fractional places.

    Operand order follows the FoNE paper: a ≤ b for + and ×, a ≥ b for − (answers are never negative).
    """

    op: Op = "add"
    int_digits: int = 6
    frac_digits: int = 0
    lengths: Lengths = "values"
    """How operands are drawn. ``values``: uniformly below 10^int_digits (the FoNE paper; nine in ten
    have all ``int_digits`` digits). ``uniform``: each operand's integer length uniform in
    1..int_digits, then a value of that length (the Abacus paper's training data, for length
    generalisation). ``exact``: every operand has exactly ``int_digits`` integer digits (test sets at
    one length)."""

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown op {self.op!r}; choose one of {sorted(OPS)}")
        if self.lengths not in LENGTHS:
            raise ValueError(f"unknown lengths {self.lengths!r}; choose one of {', '.join(LENGTHS)}")
        if self.int_digits < 1 or self.frac_digits < 0:
            raise ValueError(
                f"need int_digits >= 1 and frac_digits >= 0, got {self.int_digits}, {self.frac_digits}"
            )

    @property
    def name(self) -> str:
        frac = f".{self.frac_digits}" if self.frac_digits else ""
        lengths = "" if self.lengths == "values" else f"-{self.lengths}"
        return f"{self.op}{self.int_digits}{frac}{lengths}"

    @property
    def answer_digits(self) -> tuple[int, int]:
        """(integer, fractional) places an answer can need."""
        m, n = self.int_digits, self.frac_digits
        return {"add": (m + 1, n), "sub": (m, n), "mul": (2 * m, 2 * n)}[self.op]

    def sample(self, rng: random.Random) -> Problem:
        a, b = self._operand(rng), self._operand(rng)
        a, b = (max(a, b), min(a, b)) if self.op == "sub" else (min(a, b), max(a, b))
        return Problem(self, a, b)

    def _operand(self, rng: random.Random) -> int:
        """A scaled operand (value · 10^frac_digits) drawn as ``lengths`` says."""
        if self.lengths == "values":
            return rng.randrange(self._scaled(self.int_digits))
        length = rng.randint(1, self.int_digits) if self.lengths == "uniform" else self.int_digits
        return rng.randrange(self._shortest(length), self._scaled(length))

    def _scaled(self, length: int) -> int:
        """10^length as a scaled int: the first operand with ``length + 1`` integer digits."""
        return 10 ** (length + self.frac_digits)

    def _shortest(self, length: int) -> int:
        """The smallest scaled operand with ``length`` integer digits (0 for one digit)."""
        return self._scaled(length - 1) if length > 1 else 0

    @property
    def operands(self) -> int:
        """How many distinct operands can be drawn."""
        lo = self._shortest(self.int_digits) if self.lengths == "exact" else 0
        return self._scaled(self.int_digits) - lo


@dataclass(frozen=True)
class Problem:
    task: ArithmeticTask
    a_scaled: int
    b_scaled: int

    @property
    def a(self) -> int | Decimal:
        return from_scaled_int(self.a_scaled, self.task.frac_digits)

    @property
    def b(self) -> int | Decimal:
        return from_scaled_int(self.b_scaled, self.task.frac_digits)

    @property
    def answer(self) -> int | Decimal:
        a, b, n = self.a_scaled, self.b_scaled, self.task.frac_digits
        if self.task.op == "mul":
            return from_scaled_int(a * b, 2 * n)
        return from_scaled_int(a + b if self.task.op == "add" else a - b, n)

    @property
    def text(self) -> str:
        """The problem as plain text, e.g. ``"12.50+3.25="``."""
        return (
            f"{format_number(self.a, self.task.frac_digits)}{OPS[self.task.op]}"
            f"{format_number(self.b, self.task.frac_digits)}="
        )

    @property
    def answer_text(self) -> str:
        return format_number(self.answer, self.task.answer_digits[1])


def format_number(x: int | Decimal, frac_digits: int) -> str:
    """Plain positional notation with exactly ``frac_digits`` decimals (no exponent, no sign for 0)."""
    return f"{Decimal(x):.{frac_digits}f}"


@dataclass(frozen=True)
class Splits:
    train: list[Problem]
    val: list[Problem]
    test: list[Problem]


def sample_problems(
    task: ArithmeticTask, n: int, seed: int | str, exclude: set | None = None
) -> list[Problem]:
    """``n`` distinct problems from the stream seeded by ``seed`` (and not in ``exclude``)."""
    pairs = task.operands * (task.operands + 1) // 2
    if n > pairs // 2:  # rejection sampling stays fast below half the space
        raise ValueError(f"asked for {n} distinct {task.name} problems; at most {pairs // 2} can be drawn")
    rng = random.Random(f"{seed}:{task.name}")
    seen = set(exclude or ())
    out: list[Problem] = []
    while len(out) < n:
        p = task.sample(rng)
        if (p.a_scaled, p.b_scaled) not in seen:
            seen.add((p.a_scaled, p.b_scaled))
            out.append(p)
    return out


def make_splits(task: ArithmeticTask, train: int, val: int, test: int, seed: int = 0) -> Splits:
    """Disjoint splits. Test and val come first from the stream, so train sets of different sizes
    with the same seed are prefixes of one another and are always scored on the same test set."""
    problems = sample_problems(task, test + val + train, seed)
    return Splits(train=problems[test + val :], val=problems[test : test + val], test=problems[:test])
