"""How often the parser reads replies as a reference reader did (e.g. the official IsoBench evaluator).

A row is one reply: ``task``, ``response``, ``choices``, ``reference_parse`` (the reference reading)
and optionally ``fields``. A reading agrees when it is not ``None`` and equals the reference after
:func:`normalise` (case, spacing, surrounding quotes and a final period, ``12.0`` as ``12``). A
reference that is none of the choices is counted (``ref_outside``) and still compared, so such rows
agree only if the parser read that very value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from modgap.isobench.parsing import PARSE_MODES, Parsed, explain_modes

__all__ = ["TaskAgreement", "agreement", "normalise", "read_rows"]


def normalise(value: Any) -> str:
    """The form readings are compared in: "  Yes, it is balanced. " and "yes, it is balanced" match."""
    text = re.sub(r"\s+", " ", str(value)).strip().strip("\"'`").strip().rstrip(".").strip().casefold()
    return str(int(float(text))) if re.fullmatch(r"\d+(?:\.0+)?", text) else text


@dataclass(frozen=True)
class TaskAgreement:
    """One task's counts (``task == "all"`` for every task together)."""

    task: str
    n: int
    ref_outside: int
    """References that are none of the choices."""
    strict_answered: int
    strict_agreed: int
    nearest_agreed: int

    @property
    def strict_coverage(self) -> float:
        return self.strict_answered / self.n

    @property
    def strict_precision(self) -> float:
        """Agreement among the replies strict reads (non-None)."""
        return self.strict_agreed / self.strict_answered if self.strict_answered else 1.0

    @property
    def nearest_agreement(self) -> float:
        return self.nearest_agreed / self.n


def read_rows(lines: Iterable[str], source: str = "rows") -> list[dict[str, Any]]:
    """JSON lines with the fields :func:`agreement` needs; a bad one is a ValueError naming it."""
    import json

    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{source}:{number}: not JSON ({e.msg})") from None
        for key in ("task", "response", "choices", "reference_parse"):
            if key not in row:
                raise ValueError(f"{source}:{number}: no field {key!r}")
        if not isinstance(row["choices"], list):
            raise ValueError(f"{source}:{number}: choices must be a list, got {row['choices']!r}")
        rows.append(row)
    return rows


def agreement(
    rows: Iterable[Mapping[str, Any]], readings: Iterable[Mapping[str, Parsed]] | None = None
) -> list[TaskAgreement]:
    """Per-task counts, then ``all``. ``readings`` (one :func:`explain_modes` result per row) are
    computed when not given."""
    rows = list(rows)
    if readings is None:
        readings = [explain_modes(r["task"], r["response"], r["choices"], r.get("fields")) for r in rows]
    counts: dict[str, list[int]] = {}
    for row, read in zip(rows, readings, strict=True):
        ref = normalise(row["reference_parse"])
        agreed = {m: read[m].answer is not None and normalise(read[m].answer) == ref for m in PARSE_MODES}
        c = counts.setdefault(row["task"], [0] * 5)
        c[0] += 1
        c[1] += ref not in {normalise(x) for x in row["choices"]}
        c[2] += read["strict"].answer is not None
        c[3] += agreed["strict"]
        c[4] += agreed["nearest"]
    table = [TaskAgreement(task, *c) for task, c in sorted(counts.items())]
    total = [sum(c[i] for c in counts.values()) for i in range(5)]
    return [*table, TaskAgreement("all", *total)] if table else []
