"""World folders: many scenes with their images, dense captions and questions, and their HF dataset view.

A world folder holds ``config.json`` (written first), ``images/<id>.png`` and ``world.jsonl`` (one
:class:`WorldRecord` per line, written to a temporary file and renamed at the end, so a folder with a
``world.jsonl`` is always complete). Scene ``i`` draws from ``Random(f"{seed}:scene:{i}")``, its
caption from ``Random(f"{seed}:caption:{i}")`` and its questions from ``Random(f"{seed}:questions:{i}")``,
so the same seed gives byte-identical files and any scene can be regenerated alone.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modgap.files import inside, read_checked
from modgap.images import png_bytes
from modgap.jsonl import read_records
from modgap.lock import holding
from modgap.world.language import Claim, caption_claims, caption_text
from modgap.world.perturb import PERTURBATIONS, perturb
from modgap.world.questions import Question, scene_questions
from modgap.world.render import render_scene
from modgap.world.scene import Scene, SceneConfig, sample_scene

if TYPE_CHECKING:
    from datasets import Dataset

__all__ = [
    "COLUMNS",
    "WORLD",
    "WorldRecord",
    "make_record",
    "generate_world",
    "load_world",
    "split_held_out",
    "to_dataset",
]

WORLD = "world.jsonl"
VERSION = 1
COLUMNS = ("id", "image", "caption", "scene", "claims", "questions", "perturbations")
"""Dataset columns: ``image`` is an Image, the rest strings; ``scene``, ``claims``, ``questions`` and
``perturbations`` are JSON
(their records vary by kind)."""


@dataclass(frozen=True)
class WorldRecord:
    """One scene with its image path (relative to the world folder), caption claims and questions."""

    id: str
    image: str
    scene: Scene
    claims: tuple[Claim, ...]
    questions: tuple[Question, ...]
    perturbations: tuple[dict[str, Any], ...] = ()
    """One hallucinated caption per TLDR type the scene allows: type, index, words, word labels."""

    @property
    def caption(self) -> str:
        return caption_text(list(self.claims))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "image": self.image,
            "scene": self.scene.to_dict(),
            "caption": self.caption,
            "claims": [c.to_dict() for c in self.claims],
            "questions": [q.to_dict() for q in self.questions],
            "perturbations": list(self.perturbations),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WorldRecord:
        return cls(
            d["id"],
            d["image"],
            Scene.from_dict(d["scene"]),
            tuple(Claim.from_dict(c) for c in d["claims"]),
            tuple(Question.from_dict(q) for q in d["questions"]),
            tuple(d.get("perturbations", ())),
        )


def make_record(seed: int, index: int, config: SceneConfig) -> WorldRecord:
    """Scene ``index`` of the world with this seed and config (without its image)."""
    scene = sample_scene(random.Random(f"{seed}:scene:{index}"), config)
    claims = caption_claims(scene, random.Random(f"{seed}:caption:{index}"))
    questions = scene_questions(scene, random.Random(f"{seed}:questions:{index}"))
    made = (perturb(scene, claims, kind, random.Random(f"{seed}:{kind}:{index}")) for kind in PERTURBATIONS)
    rid = f"{index:06d}"
    perturbations = tuple(p.to_dict() for p in made if p is not None)
    return WorldRecord(rid, f"images/{rid}.png", scene, tuple(claims), tuple(questions), perturbations)


@holding("out", "world folder")
def generate_world(n: int, seed: int, out: str | Path, config: SceneConfig | None = None) -> int:
    """Write ``n`` scenes to the folder ``out`` (see the module docstring); returns how many."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")

    config = config or SceneConfig()
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    settings = {"version": VERSION, "n": n, "seed": seed, "scene": config.to_dict()}
    (out / "config.json").write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n")
    tmp = out / (WORLD + ".tmp")
    with tmp.open("w") as f:
        for i in range(n):
            record = make_record(seed, i, config)
            (out / record.image).write_bytes(png_bytes(render_scene(record.scene)))
            f.write(json.dumps(record.to_dict(), sort_keys=True) + "\n")
    tmp.replace(out / WORLD)
    return n


def load_world(path: str | Path) -> list[WorldRecord]:
    """Read a world folder (or its ``world.jsonl``); images stay on disk, and must lie inside the folder
    (ValueError naming the line and the path otherwise)."""
    path = Path(path)
    root = path if path.is_dir() else path.parent

    def parse(d: dict[str, Any]) -> WorldRecord:
        record = WorldRecord.from_dict(d)
        inside(root, record.image, "image")
        return record

    return read_records(path, WORLD, parse, "a folder written by generate_world")


def split_held_out(
    records: list[WorldRecord], held_out: int, world: str | Path
) -> tuple[list[WorldRecord], list[WorldRecord]]:
    """(training scenes, the last ``held_out`` scenes) of the world folder ``world``.

    ValueError unless ``0 < held_out < len(records)``: ``records[-held_out:]`` would be every scene
    for 0 and wrap for a negative count, and asking about more scenes than there are would ask about
    the training ones.
    """
    if not 0 < held_out < len(records):
        raise ValueError(
            f"{world} has {len(records)} scenes; --held-out must be between 1 and {len(records) - 1} "
            f"(the scenes before the held-out ones are the training scenes), got {held_out}"
        )
    return records[:-held_out], records[-held_out:]


def to_dataset(path: str | Path) -> Dataset:
    """The world as a :class:`datasets.Dataset` (columns: :data:`COLUMNS`), PNG bytes unchanged."""
    from datasets import Dataset, Features, Image, Value

    features = Features({c: Image() if c == "image" else Value("string") for c in COLUMNS})
    path = Path(path)
    root = path if path.is_dir() else path.parent
    rows = [
        {
            "id": r.id,
            "image": {"bytes": read_checked(root, r.image, "image", f"image of scene {r.id}"), "path": None},
            "caption": r.caption,
            "scene": json.dumps(r.scene.to_dict(), sort_keys=True),
            "claims": json.dumps([c.to_dict() for c in r.claims], sort_keys=True),
            "questions": json.dumps([q.to_dict() for q in r.questions], sort_keys=True),
            "perturbations": json.dumps(list(r.perturbations), sort_keys=True),
        }
        for r in load_world(path)
    ]
    return Dataset.from_list(rows, features=features)
