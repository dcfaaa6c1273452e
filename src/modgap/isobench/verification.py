"""Re-derive instance labels with our solvers: agreement, disputes and what cannot be decided.

Labels that come from elsewhere (the official IsoBench, a hand-made suite) are checked, never
overwritten: :func:`verify` runs each task's :meth:`~modgap.isobench.task.Task.solve` on an instance's
fields and compares its answer with the instance's own through the task's ``score`` (so a chess move
in UCI or SAN counts once). Each instance gets a :class:`Check`:

* ``agree``: the solver gives the same answer;
* ``disputed``: it gives another one (the instance keeps its label; the dispute is reported);
* ``unverified``: the solver cannot decide (:class:`~modgap.isobench.task.Undecidable`: a resigned
  game, an affine function) or fails; the reason says which, and a failure is a solver bug to fix.

Nothing here raises on one bad item: a summary lists every dispute and every unverified item.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from typing import Any

from modgap.isobench.task import TASKS, Instance, Undecidable

__all__ = ["AGREE", "DISPUTED", "UNVERIFIED", "Check", "Verification", "check", "verify"]

AGREE, DISPUTED, UNVERIFIED = "agree", "disputed", "unverified"


@dataclass(frozen=True)
class Check:
    """One instance's label against our solver's answer."""

    task: str
    id: str
    label: str
    status: str
    """:data:`AGREE`, :data:`DISPUTED` or :data:`UNVERIFIED`."""
    solver: str | None = None
    """The solver's answer (None when it could not give one)."""
    reason: str | None = None
    """Why the item is unverified."""
    official_id: str | None = None
    """The source's own id, when the instance has one (``fields["official_id"]``)."""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def check(instance: Instance) -> Check:
    """Solve one instance and compare; any exception becomes an ``unverified`` check with its reason."""
    common = {
        "task": instance.task,
        "id": instance.id,
        "label": instance.answer,
        "official_id": instance.fields.get("official_id"),
    }
    task = TASKS[instance.task]()
    try:
        answer = task.solve(instance.fields)
    except Undecidable as e:
        return Check(status=UNVERIFIED, reason=str(e), **common)
    except Exception as e:  # noqa: BLE001 - one item never stops an import; the bug is reported
        return Check(status=UNVERIFIED, reason=f"solver error: {type(e).__name__}: {e}", **common)
    status = AGREE if task.score(answer, instance) == 1.0 else DISPUTED
    return Check(status=status, solver=answer, **common)


@dataclass(frozen=True)
class Verification:
    """Every check of a set of instances, in their order, with the tally per task."""

    checks: list[Check]
    unchecked: list[str]
    """Tasks whose instances were not checked (their solver cannot read these instances' fields)."""

    def counts(self) -> dict[str, dict[str, int]]:
        """``{task: {"items", "agree", "disputed", "unverified"}}`` in first-seen task order."""
        out: dict[str, Counter] = {}
        for c in self.checks:
            tally = out.setdefault(c.task, Counter({AGREE: 0, DISPUTED: 0, UNVERIFIED: 0}))
            tally[c.status] += 1
        return {task: {"items": sum(t.values()), **t} for task, t in out.items()}

    def having(self, status: str) -> list[Check]:
        return [c for c in self.checks if c.status == status]

    def to_dict(self) -> dict[str, Any]:
        """What a suite's ``config.json`` records under ``"verification"``."""
        return {
            "counts": self.counts(),
            "unchecked": self.unchecked,
            DISPUTED: [c.to_dict() for c in self.having(DISPUTED)],
            UNVERIFIED: [c.to_dict() for c in self.having(UNVERIFIED)],
        }


def verify(
    instances: Iterable[Instance],
    tasks: Sequence[str] | None = None,
    workers: int | None = None,
    on_item: Callable[[Check], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Verification:
    """Check every instance of ``tasks`` (default: all registered) in ``workers`` processes (default:
    all cores); the checks come back in the instances' order whatever the worker count. ``on_start``
    hears how many instances will be checked, ``on_item`` sees each check as it comes."""
    instances = list(instances)
    wanted = set(TASKS if tasks is None else tasks)
    todo = [inst for inst in instances if inst.task in wanted]
    unchecked = list(dict.fromkeys(inst.task for inst in instances if inst.task not in wanted))
    workers = min(workers or os.cpu_count() or 1, max(len(todo), 1))
    if on_start:
        on_start(len(todo))
    checks: list[Check] = []
    with ProcessPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
        chunk = max(1, len(todo) // (8 * workers))
        for c in pool.map(check, todo, chunksize=chunk) if pool else map(check, todo):
            checks.append(c)
            if on_item:
                on_item(c)
    return Verification(checks, unchecked)
