"""Suites: many instances of many tasks, balanced, deduplicated, rendered, written to a folder.

A suite folder holds ``instances.jsonl`` (one record per instance: the :class:`Instance` fields, its
``text`` forms and the relative path of its ``image``) and ``images/<task>/<id>.png``.

Instance ``i`` of task ``t`` is drawn from ``Random(f"{seed}:{t}:{i}:{attempt}")`` and asked for answer
class ``classes[i % len(classes)]``, so classes are balanced by construction and any instance can be
regenerated alone; a duplicate is redrawn with the next ``attempt``. Workers only make candidates;
deduplication runs in index order in the parent, so the output does not depend on the worker count.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modgap.isobench.task import IMAGE, TASKS, Instance, Task, create_task, png_bytes

__all__ = ["ISOBENCH_SIZES", "Record", "generate", "write_suite", "load_suite", "resolve_tasks"]

INSTANCES = "instances.jsonl"
ISOBENCH_SIZES = {
    "math_parity": 384,
    "math_convexity": 256,
    "math_breakpoint": 256,
    "graph_connectivity": 128,
    "graph_maxflow": 128,
    "graph_isomorphism": 128,
    "chess_winner": 257,
    "chess_puzzle": 200,
    "chemistry": 60,
    "physics": 90,
}
"""Instances per task in the original IsoBench (1,887 in all): ``generate(..., n=ISOBENCH_SIZES)``."""


@dataclass(frozen=True)
class Record:
    """An instance with its rendered forms, as stored in a suite."""

    instance: Instance
    text: dict[str, str]
    image: str  # path relative to the suite folder

    def to_dict(self) -> dict[str, Any]:
        return {**self.instance.to_dict(), "text": self.text, "image": self.image}


def resolve_tasks(spec: str | Sequence[str]) -> list[str]:
    """``"all"`` or comma-separated names -> validated task names (in registry order for ``all``)."""
    names = (
        list(TASKS)
        if spec == "all" or spec == ["all"]
        else ([s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec))
    )
    unknown = [n for n in names if n not in TASKS]
    if unknown:
        raise ValueError(f"unknown task(s) {unknown}; choose from all, {', '.join(TASKS)}")
    return names


def _candidate(task: Task, seed: int, index: int, attempt: int) -> Instance:
    classes = task.classes
    rng = random.Random(f"{seed}:{task.name}:{index}:{attempt}")
    return task.sample(rng, classes[index % len(classes)])


def _make(job: tuple[str, dict, int, int, int]) -> tuple[Instance, str, dict[str, str], bytes]:
    name, config, seed, index, attempt = job
    task = create_task(name, **config)
    inst = _candidate(task, seed, index, attempt)
    text = {rep: task.render_text(inst, rep) for rep in task.text_representations}
    return inst, task.dedup_key(inst), text, png_bytes(task.render(inst, IMAGE))


def generate(
    tasks: str | Sequence[str],
    n: int | Mapping[str, int],
    seed: int = 0,
    configs: dict[str, dict] | None = None,
    workers: int | None = None,
    on_item: Callable[[str], None] | None = None,
) -> Iterable[tuple[Record, bytes]]:
    """Yield (record, PNG bytes) for ``n`` (or ``n[task]``) instances per task, in task then index order."""
    configs = configs or {}
    names = resolve_tasks(tasks)
    counts = {name: n[name] if isinstance(n, Mapping) else n for name in names}
    bad = {name: c for name, c in counts.items() if c < 1}
    if bad:
        raise ValueError(f"instance counts must be >= 1, got {bad}")
    workers = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(workers) if workers > 1 else _Inline() as pool:
        for name in names:
            config = configs.get(name, {})
            create_task(name, **config)  # validate the config once, in the parent
            jobs = [(name, config, seed, i, 0) for i in range(counts[name])]
            seen: set[str] = set()
            for i, made in enumerate(pool.map(_make, jobs, chunksize=max(1, len(jobs) // (4 * workers)))):
                attempt = 0
                while made[1] in seen:
                    attempt += 1
                    if attempt > 1000:
                        raise RuntimeError(
                            f"{name}: cannot find a new instance for index {i}; "
                            "widen the task's config or ask for fewer instances"
                        )
                    made = _make((name, config, seed, i, attempt))
                seen.add(made[1])
                inst, _, text, png = made
                yield Record(inst, text, f"images/{name}/{inst.id}.png"), png
                if on_item:
                    on_item(name)


class _Inline:
    """A stand-in for a process pool when one worker is asked for (easier to debug, no fork)."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn, jobs, chunksize: int = 1):  # noqa: ARG002 - same signature as the pool
        return map(fn, jobs)


def write_suite(records: Iterable[tuple[Record, bytes]], out: Path, config: dict[str, Any]) -> int:
    """Write ``config.json`` first, the images as they come, then ``instances.jsonl`` atomically."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    tmp = out / (INSTANCES + ".tmp")
    count = 0
    with tmp.open("w") as f:
        for record, png in records:
            path = out / record.image
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png)
            f.write(json.dumps(record.to_dict(), sort_keys=True) + "\n")
            count += 1
    tmp.replace(out / INSTANCES)
    return count


def load_suite(path: str | Path) -> list[Record]:
    """Read a suite folder (or its ``instances.jsonl``) back into records; images stay on disk."""
    path = Path(path)
    file = path / INSTANCES if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"{file} not found: is {path} a suite written by `modgap bench generate`?")
    records = []
    for lineno, line in enumerate(file.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            records.append(Record(Instance.from_dict(d), dict(d["text"]), d["image"]))
        except (json.JSONDecodeError, KeyError, ValueError) as e:
            raise ValueError(f"{file}:{lineno}: not a suite record ({e})") from None
    return records
