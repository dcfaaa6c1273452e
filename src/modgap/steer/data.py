"""Multiple-choice questions to sweep over: a world folder's held-out scenes, or a JSONL file.

A JSONL line is ``{"question": ..., "choices": [...], "answer": ..., "image": "path.png", "kind": ...}``
(``image`` relative to the file, optional).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from modgap.jsonl import read_records
from modgap.models.scoring import MCQuestion

__all__ = ["load_questions"]


def _from_line(d: dict[str, Any], root: Path) -> MCQuestion:
    image = None
    if d.get("image"):
        path = root / d["image"]
        if not path.is_file():
            raise ValueError(f"image {path} not found")
        with Image.open(path) as img:
            image = img.convert("RGB")
    return MCQuestion(
        str(d["question"]), tuple(map(str, d["choices"])), str(d["answer"]), image, d.get("kind", "")
    )


def load_questions(
    data: str | Path, kinds: Sequence[str] = (), held_out: int = 1000, n: int | None = None
) -> list[MCQuestion]:
    """Questions of ``kinds`` (all when empty), at most ``n``: a world folder's last ``held_out`` scenes
    (those the world VLM never trained on) or a JSONL file."""
    path = Path(data)
    if (path / "world.jsonl").is_file():
        from modgap.world.dataset import load_world, split_held_out
        from modgap.world.recipe import question_examples

        examples = question_examples(path, split_held_out(load_world(path), held_out, path)[1])
        questions = [MCQuestion(e.question, e.choices, e.answer, e.image, e.kind) for e in examples]
    elif path.is_file():
        questions = read_records(path, "", lambda d: _from_line(d, path.parent), "multiple-choice questions")
    else:
        raise ValueError(f"{data} is neither a world folder (world.jsonl) nor a JSONL file of questions")
    if kinds:
        present = sorted({q.kind for q in questions})
        unknown = [k for k in kinds if k not in present]
        if unknown:
            raise ValueError(
                f"no questions of kind {', '.join(unknown)} in {data}; it has {', '.join(present)}"
            )
        questions = [q for q in questions if q.kind in kinds]
    return questions[:n]
