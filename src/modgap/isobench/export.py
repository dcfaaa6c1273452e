"""Suites as Hugging Face datasets and parquet files, so they can be shared, pushed to the hub or reloaded.

One row per instance, with these columns (the schema is :data:`FEATURES`):

* ``id``, ``task``, ``domain``, ``answer``: strings (``domain`` is empty for a task not in the registry);
* ``choices``: a list of strings;
* ``fields``, ``text``, ``meta``: JSON strings. ``text`` maps each text representation to its text. JSON
  rather than one column per representation because tasks have different representations (a column per
  name would be mostly empty) and because ``fields`` differ per task too; ``json.loads`` gives them back;
* ``prompts``: every prompt modgap sends for the instance, one struct per (representation, strategy)
  (:mod:`modgap.isobench.prompt_rows`), so other tools can send exactly modgap's prompts;
* ``image``: a :class:`datasets.Image` holding the suite's PNG bytes unchanged;
* ``text_image`` (Image), ``audio`` (WAV bytes), ``video`` (MP4 bytes) and ``frames`` (a list of Images)
  when the suite was made with those modalities, else empty.

:func:`to_parquet` writes one file, or one ``<task>.parquet`` per task into a folder (the layout of the
official set), with a dataset card ``README.md`` beside it (:mod:`modgap.isobench.card`);
:func:`from_parquet` reads either back as ``(Record, files)`` pairs (files by their
suite path), ready for :func:`modgap.isobench.suite.write_suite`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from datasets import Dataset, Features, List, Value
from datasets import Image as ImageFeature

from modgap.isobench.card import check_card, write_card
from modgap.isobench.prompt_rows import prompt_rows
from modgap.isobench.suite import Record, load_suite, read_frames, read_media
from modgap.isobench.task import AUDIO, IMAGE, TASKS, TEXT_IMAGE, VIDEO, Instance

__all__ = ["FEATURES", "to_dataset", "to_parquet", "from_parquet"]

PROMPT = {
    "representation": Value("string"),
    "strategy": Value("string"),
    "segments": List(Value("string")),
    "media": List(Value("string")),
    "followup": List(Value("string")),
}
"""One prompt of the ``prompts`` column (fields in :mod:`modgap.isobench.prompt_rows`)."""

FEATURES = Features(
    {
        "id": Value("string"),
        "task": Value("string"),
        "domain": Value("string"),
        "answer": Value("string"),
        "choices": List(Value("string")),
        "fields": Value("string"),
        "text": Value("string"),
        "meta": Value("string"),
        "prompts": List(PROMPT),
        "image": ImageFeature(),
        TEXT_IMAGE: ImageFeature(),
        AUDIO: Value("binary"),
        VIDEO: Value("binary"),
        "frames": List(ImageFeature()),
    }
)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _row(record: Record, suite_dir: Path) -> dict[str, Any]:
    inst = record.instance
    media = {rep: read_media(suite_dir, record, rep) for rep in record.media}
    return {
        "id": inst.id,
        "task": inst.task,
        "domain": TASKS[inst.task].domain if inst.task in TASKS else "",
        "answer": inst.answer,
        "choices": list(inst.choices),
        "fields": _dumps(inst.fields),
        "text": _dumps(record.text),
        "meta": _dumps(inst.meta),
        "prompts": prompt_rows(record, suite_dir),
        "image": {"bytes": read_media(suite_dir, record, IMAGE), "path": None},
        TEXT_IMAGE: {"bytes": media[TEXT_IMAGE], "path": None} if TEXT_IMAGE in media else None,
        AUDIO: media.get(AUDIO),
        VIDEO: media.get(VIDEO),
        "frames": [{"bytes": frame, "path": None} for frame in read_frames(suite_dir, record)],
    }


def _dataset(rows: Iterable[dict[str, Any]]) -> Dataset:
    return Dataset.from_list(list(rows), features=FEATURES)


def _rows(suite_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(r.instance.task, _row(r, suite_dir)) for r in load_suite(suite_dir)]


def to_dataset(suite_dir: str | Path) -> Dataset:
    """The suite as one :class:`datasets.Dataset` (columns in the module docstring), in suite order."""
    return _dataset(row for _, row in _rows(Path(suite_dir)))


def to_parquet(suite_dir: str | Path, out: str | Path) -> list[Path]:
    """Write the suite to ``out``: one file if it ends in ``.parquet``, else ``out/<task>.parquet`` each."""
    out = Path(out)
    rows = _rows(Path(suite_dir))
    if out.suffix == ".parquet":
        groups = {out: [row for _, row in rows]}
    else:
        groups = {}
        for task, row in rows:
            groups.setdefault(out / f"{task}.parquet", []).append(row)
    card = check_card(out)
    for file, group in groups.items():
        file.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(_dataset(group).data.table, file)  # keeps the features; no progress bar
    write_card(card, Path(suite_dir), list(groups), FEATURES)
    return list(groups)


def _record(row: dict[str, Any], where: str) -> tuple[Record, dict[str, bytes]]:
    inst = Instance(
        task=row["task"],
        fields=json.loads(row["fields"]),
        answer=row["answer"],
        choices=list(row["choices"]),
        meta=json.loads(row["meta"]),
    )
    if inst.id != row["id"]:
        raise ValueError(f"{where}: row {row['id']} does not match its fields (their id is {inst.id})")
    stem = f"{inst.task}/{inst.id}"
    files = {f"images/{stem}.png": row["image"]["bytes"]}
    paths = {TEXT_IMAGE: f"text_images/{stem}.png", AUDIO: f"audio/{stem}.wav", VIDEO: f"video/{stem}.mp4"}
    blobs = {
        TEXT_IMAGE: (row.get(TEXT_IMAGE) or {}).get("bytes"),
        AUDIO: row.get(AUDIO),
        VIDEO: row.get(VIDEO),
    }
    media = {rep: paths[rep] for rep, blob in blobs.items() if blob}
    frames = tuple(f"video/{stem}/{i:03d}.png" for i in range(len(row.get("frames") or [])))
    files |= {paths[rep]: blobs[rep] for rep in media}
    files |= {path: f["bytes"] for path, f in zip(frames, row.get("frames") or [], strict=True)}
    record = Record(inst, json.loads(row["text"]), f"images/{stem}.png", media, frames)
    return record, files


def from_parquet(path: str | Path) -> list[tuple[Record, dict[str, bytes]]]:
    """Read a file or folder written by :func:`to_parquet` back as ``(Record, files)`` pairs.

    A folder is read file by file in name order (so tasks come back alphabetically, each in suite order).
    """
    path = Path(path)
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    if not files or not files[0].is_file():
        raise FileNotFoundError(f"no parquet file at {path}: write one with to_parquet")
    out = []
    for file in files:
        table = pq.read_table(file)
        missing = set(FEATURES) - set(table.column_names) - {TEXT_IMAGE, AUDIO, VIDEO, "frames", "prompts"}
        if missing:
            raise ValueError(f"{file} is not a modgap suite export: missing columns {sorted(missing)}")
        out.extend(_record(row, str(file)) for row in table.to_pylist())
    return out
