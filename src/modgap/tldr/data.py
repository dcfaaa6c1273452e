"""TLDR examples from a world folder, from a user's image/caption pairs, and to and from JSONL.

World perturbations carry scene-derived word labels; :func:`world_examples` turns the words labelled bad
into character spans of the perturbed caption, trimmed of surrounding punctuation (in ``triangle.`` only
``triangle`` is wrong; the full stop is grammar), which is the same unit the alignment of
:mod:`modgap.tldr.labels` blames.

Examples files are JSONL, one :meth:`TLDRExample.to_dict` per line. A relative ``image`` is relative to the
file: :func:`read_examples` and :func:`read_pairs` return absolute paths, so examples can be merged and
rewritten anywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from modgap.files import read_kind
from modgap.jsonl import read_records
from modgap.tldr.example import GOLD, TLDRExample

__all__ = [
    "EXAMPLES",
    "OWN",
    "world_examples",
    "world_caption_examples",
    "read_examples",
    "write_examples",
    "read_pairs",
]

EXAMPLES = "examples.jsonl"
"""The examples file :func:`read_examples` looks for when given a folder."""
OWN = "own"
"""The ``type`` of a model's own caption labelled by the scene (:func:`world_caption_examples`)."""
_CORE = re.compile(r"\w(?:.*\w)?")


def _word_spans(words: Sequence[str], labels: Sequence[bool]) -> tuple[tuple[int, int], ...]:
    """Character spans in ``" ".join(words)`` of the bad words, without their surrounding punctuation."""
    spans, start = [], 0
    for word, good in zip(words, labels, strict=True):
        if not good:
            core = _CORE.search(word)
            s, e = core.span() if core else (0, len(word))
            spans.append((start + s, start + e))
        start += len(word) + 1
    return tuple(spans)


def _root(world_dir: str | Path) -> Path:
    """The absolute world folder, given the folder or its world.jsonl (images are relative to it)."""
    world_dir = Path(world_dir)
    return (world_dir if world_dir.is_dir() else world_dir.parent).resolve()


def world_examples(world_dir: str | Path, start: int = 0, stop: int | None = None) -> list[TLDRExample]:
    """Records ``start:stop`` of a world folder as examples: each gold caption (type ``none``, id
    ``<record>/none``), then each perturbation (id ``<record>/<type>``); images as absolute paths."""
    from modgap.world import load_world

    root = _root(world_dir)
    records = load_world(world_dir)
    if stop is not None and start >= stop:
        raise ValueError(f"--start {start} must be below --stop {stop}")
    if not 0 <= start < len(records):
        raise ValueError(f"{world_dir} has {len(records)} scenes; --start {start} is past its last scene")
    out = []
    for record in records[start:stop]:
        image = str(root / record.image)
        meta = {"world": str(root), "record": record.id}
        out.append(TLDRExample(image, record.caption, (), GOLD, f"{record.id}/{GOLD}", meta))
        for p in record.perturbations:
            text = " ".join(p["words"])
            spans = _word_spans(p["words"], p["labels"])
            out.append(TLDRExample(image, text, spans, p["type"], f"{record.id}/{p['type']}", meta))
    return out


def world_caption_examples(
    world_dir: str | Path, captions: Sequence[str], start: int = 0
) -> list[TLDRExample]:
    """A captioner's own captions of scenes ``start, start + 1, ...`` labelled by each scene's truth
    (:func:`~modgap.world.hallucination.caption_word_labels`): real hallucinations, not synthetic ones.
    The caption is kept as the world's tokenizer writes it (lower case, punctuation split off); captions
    with a sentence that fills no template are left out, their truth being unknown. Type :data:`OWN`."""
    from modgap.world import load_world
    from modgap.world.hallucination import caption_word_labels

    root = _root(world_dir)
    records = load_world(world_dir)[start : start + len(captions)]
    if len(records) != len(captions):
        raise ValueError(f"{world_dir} has {len(records)} scenes from {start}; got {len(captions)} captions")
    out = []
    for record, caption in zip(records, captions, strict=True):
        if labelled := caption_word_labels(record.scene, caption):
            words, labels = labelled
            meta = {"world": str(root), "record": record.id}
            spans = _word_spans(words, labels)
            out.append(
                TLDRExample(str(root / record.image), " ".join(words), spans, OWN, f"{record.id}/{OWN}", meta)
            )
    return out


def _absolute(image: str, root: Path) -> str:
    return image if Path(image).is_absolute() else str((root / image).resolve())


def read_examples(path: str | Path) -> list[TLDRExample]:
    """Examples from a JSONL file (or a folder's ``examples.jsonl``); bad lines raise ValueError naming the
    file and line."""
    path = Path(path)
    root = path if path.is_dir() else path.parent

    def parse(d: dict[str, Any]) -> TLDRExample:
        ex = TLDRExample.from_dict(d)
        return TLDRExample(_absolute(ex.image, root), ex.caption, ex.bad_spans, ex.type, ex.id, ex.meta)

    return read_records(path, EXAMPLES, parse, "a TLDR examples file (write_examples)")


def write_examples(path: str | Path, examples: Sequence[TLDRExample]) -> int:
    """Write examples as JSONL (to a temporary file renamed at the end, so the file is never half
    written); returns how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as f:
        for ex in examples:
            f.write(json.dumps(ex.to_dict(), sort_keys=True) + "\n")
    tmp.replace(path)
    return len(examples)


def read_pairs(path: str | Path) -> list[TLDRExample]:
    """Gold examples from a user's JSONL of ``{"image": path, "caption": text}`` (optionally ``"id"``),
    images relative to the file. A missing image is a ValueError naming the file, line and image path."""
    path = Path(path)
    root = path.parent
    count = 0

    def parse(d: dict[str, Any]) -> TLDRExample:
        nonlocal count
        count += 1
        image = Path(_absolute(str(d["image"]), root))
        read_kind(image, "image", "image")
        caption = d["caption"]
        if not isinstance(caption, str) or not caption.strip():
            raise ValueError(f"caption must be a non-empty string, got {caption!r}")
        return TLDRExample(str(image), caption, (), GOLD, str(d.get("id", f"{path.stem}/{count - 1}")))

    return read_records(path, "", parse, 'a JSONL of {"image": path, "caption": text} records')
