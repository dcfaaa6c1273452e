"""Suites: many instances of many tasks, balanced, deduplicated, rendered, written to a folder.

A suite folder holds ``instances.jsonl`` (one record per instance: the :class:`Instance` fields, its
``text`` forms, the relative path of its ``image`` and of any other ``media``) and the files:
``images/<task>/<id>.png``, and when asked for, ``text_images/<task>/<id>.png``, ``audio/<task>/<id>.wav``,
``video/<task>/<id>.mp4`` with its frames in ``video/<task>/<id>/NNN.png``.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modgap.files import inside, read_checked
from modgap.isobench.task import (
    AUDIO,
    IMAGE,
    MEDIA,
    TASKS,
    TEXT_IMAGE,
    VIDEO,
    Instance,
    Task,
    create_task,
    png_bytes,
)
from modgap.jsonl import read_records
from modgap.lock import holding

__all__ = [
    "ISOBENCH_SIZES",
    "Record",
    "generate",
    "write_suite",
    "load_suite",
    "resolve_tasks",
    "check_modalities",
    "read_frames",
    "read_media",
]

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
    media: dict[str, str] = field(default_factory=dict)
    """Paths of the derived modalities the suite was made with (text_image, audio, video)."""
    frames: tuple[str, ...] = ()
    """Paths of the video's frames, in order (what chat APIs without video input are sent)."""

    def to_dict(self) -> dict[str, Any]:
        extra = {"media": self.media, "frames": list(self.frames)} if self.media else {}
        return {**self.instance.to_dict(), "text": self.text, "image": self.image, **extra}

    def path(self, representation: str) -> str:
        """The file of a non-text representation; ValueError if the suite was made without it."""
        if representation == IMAGE:
            return self.image
        if representation not in self.media:
            raise ValueError(
                f"instance {self.instance.id} has no {representation}: "
                f"generate the suite with --modalities {representation}"
            )
        return self.media[representation]


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


Made = tuple[Instance, str, dict[str, str], dict[str, bytes], dict[str, str], tuple[str, ...]]
"""A candidate: instance, dedup key, text forms, files by relative path, media paths, frame paths."""


def _make(job: tuple[str, dict, int, int, int, tuple[str, ...]]) -> Made:
    name, config, seed, index, attempt, modalities = job
    task = create_task(name, **config)
    inst = _candidate(task, seed, index, attempt)
    text = {rep: task.render_text(inst, rep) for rep in task.text_representations}
    stem = f"{name}/{inst.id}"
    files = {f"images/{stem}.png": png_bytes(task.render(inst, IMAGE))}
    media, frames = {}, ()
    if TEXT_IMAGE in modalities:
        from modgap.isobench.media import render_text_image

        media[TEXT_IMAGE] = f"text_images/{stem}.png"
        files[media[TEXT_IMAGE]] = png_bytes(render_text_image(task, inst))
    if AUDIO in modalities:
        from modgap.isobench.speech import render_audio

        media[AUDIO] = f"audio/{stem}.wav"
        files[media[AUDIO]] = render_audio(inst)
    if VIDEO in modalities:
        from modgap.isobench.media import render_video

        mp4, images = render_video(task, inst)
        media[VIDEO] = f"video/{stem}.mp4"
        frames = tuple(f"video/{stem}/{i:03d}.png" for i in range(len(images)))
        files |= {media[VIDEO]: mp4} | {path: png_bytes(f) for path, f in zip(frames, images, strict=True)}
    return inst, task.dedup_key(inst), text, files, media, frames


def check_modalities(modalities: Sequence[str]) -> tuple[str, ...]:
    unknown = [m for m in modalities if m not in MEDIA]
    if unknown:
        raise ValueError(
            f"unknown modalities {unknown}; choose from {', '.join(MEDIA)} (the image is always made)"
        )
    return tuple(modalities)


def generate(
    tasks: str | Sequence[str],
    n: int | Mapping[str, int],
    seed: int = 0,
    configs: dict[str, dict] | None = None,
    workers: int | None = None,
    on_item: Callable[[str], None] | None = None,
    modalities: Sequence[str] = (IMAGE,),
) -> Iterable[tuple[Record, dict[str, bytes]]]:
    """Yield (record, its files by relative path) for ``n`` (or ``n[task]``) instances per task, in task
    then index order. ``modalities`` adds text_image, audio and video files to the image."""
    modalities = check_modalities(modalities)
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
            jobs = [(name, config, seed, i, 0, modalities) for i in range(counts[name])]
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
                    made = _make((name, config, seed, i, attempt, modalities))
                seen.add(made[1])
                inst, _, text, files, media, frames = made
                yield Record(inst, text, f"images/{name}/{inst.id}.png", media, frames), files
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


@holding("out", "suite folder")
def write_suite(
    records: Iterable[tuple[Record, dict[str, bytes] | bytes]], out: Path, config: dict[str, Any]
) -> int:
    """Write ``config.json`` first, the files as they come, then ``instances.jsonl`` atomically.

    Each record comes with its files by relative path, or with just its image's PNG bytes (what the
    parquet and official-IsoBench readers give).
    """
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    tmp = out / (INSTANCES + ".tmp")
    count = 0
    with tmp.open("w") as f:
        for record, data in records:
            files = data if isinstance(data, dict) else {record.image: data}
            for relative, blob in files.items():
                path = out / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(blob)
            f.write(json.dumps(record.to_dict(), sort_keys=True) + "\n")
            count += 1
    tmp.replace(out / INSTANCES)
    return count


def load_suite(path: str | Path) -> list[Record]:
    """Read a suite folder (or its ``instances.jsonl``) back into records; images stay on disk.

    Every file path must lie inside the suite folder (ValueError naming the line, field and value).
    """
    path = Path(path)
    root = path if path.is_dir() else path.parent
    what = "a suite written by `modgap bench generate`"
    return read_records(path, INSTANCES, lambda d: _record(d, root), what)


def _record(d: dict[str, Any], root: Path) -> Record:
    media, frames = dict(d.get("media", {})), tuple(d.get("frames", ()))
    record = Record(Instance.from_dict(d), dict(d["text"]), d["image"], media, frames)
    for field_name, relative in _paths(record):
        inside(root, relative, field_name)
    return record


def _paths(record: Record) -> list[tuple[str, str]]:
    """(field, path) of every file the record names."""
    return [
        ("image", record.image),
        *((f"media.{rep}", p) for rep, p in record.media.items()),
        *((f"frames[{i}]", p) for i, p in enumerate(record.frames)),
    ]


_KIND = {IMAGE: "image", TEXT_IMAGE: "image", AUDIO: "audio", VIDEO: "video"}


def read_media(suite_dir: Path, record: Record, representation: str) -> bytes:
    """The file of a non-text representation, checked: inside the suite folder and decoding as its
    kind. ValueError (FileNotFoundError) naming the file, the instance and the field if not."""
    where = f"{representation} of instance {record.instance.id}"
    return read_checked(suite_dir, record.path(representation), _KIND[representation], where)


def read_frames(suite_dir: Path, record: Record) -> list[bytes]:
    """The video's frames, each checked as :func:`read_media` checks an image."""
    return [
        read_checked(suite_dir, frame, "image", f"frames[{i}] of instance {record.instance.id}")
        for i, frame in enumerate(record.frames)
    ]
