"""The world VLM recipe: a world folder in, a trained checkpoint and its per-question-kind accuracy out.

The last ``held_out`` scenes are never trained on; every question about them is asked at the end.
Training sees every question of the other scenes (with its options, the answer as target) and, with
``captions``, each scene's dense caption as a description target too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from accelerate import PartialState
from PIL import Image

from modgap.world.dataset import WorldRecord, load_world
from modgap.world.vlm import (
    Example,
    VLMConfig,
    VLMTrainArgs,
    build_tokenizer,
    build_vlm,
    train_vlm,
)

__all__ = ["DESCRIBE", "caption_examples", "question_examples", "train_world_vlm", "chance"]

DESCRIBE = "describe the image ."
"""The prompt the world VLM learns to answer with the scene's dense caption."""


def _image(world: Path, record: WorldRecord) -> Image.Image:
    with Image.open(world / record.image) as img:
        return img.convert("RGB")


def question_examples(world: Path, records: Sequence[WorldRecord]) -> list[Example]:
    """Every question of ``records``, its options spelled out, answer as the target."""
    out = []
    for r in records:
        image = _image(world, r)
        out += [
            Example(image, f"{q.question} options : {' , '.join(q.choices)}", q.answer, q.topic, q.choices)
            for q in r.questions
        ]
    return out


def caption_examples(world: Path, records: Sequence[WorldRecord]) -> list[Example]:
    """One :data:`DESCRIBE` prompt per scene, its dense caption as the target."""
    return [Example(_image(world, r), DESCRIBE, r.caption, "caption") for r in records]


def chance(records: Sequence[WorldRecord]) -> dict[str, float]:
    """Expected accuracy of guessing uniformly among the options, per question topic."""
    odds: dict[str, list[float]] = {}
    for r in records:
        for q in r.questions:
            odds.setdefault(q.topic, []).append(1 / len(q.choices))
    return {kind: sum(v) / len(v) for kind, v in sorted(odds.items())}


def train_world_vlm(
    world: str | Path,
    out: str | Path,
    args: VLMTrainArgs | None = None,
    config: VLMConfig | None = None,
    held_out: int = 1000,
    captions: bool = True,
    on_eval: Callable[[int, float, dict[str, float]], None] | None = None,
    device: str = "cpu",
    resume: bool = False,
) -> dict[str, float]:
    """Train a world VLM from scratch on ``world`` into ``out``; returns held-out accuracy per kind.

    ``resume`` continues from ``out/checkpoint/`` (see :func:`train_vlm`). Under ``accelerate launch``
    only the main process writes files; the others return ``{}``.
    """
    world, out = Path(world), Path(out)
    args, config = args or VLMTrainArgs(), config or VLMConfig()
    records = load_world(world)
    if len(records) <= held_out:
        raise ValueError(f"{world} has {len(records)} scenes; need more than held_out={held_out}")
    train_records, test_records = records[:-held_out], records[-held_out:]
    train = question_examples(world, train_records)
    if captions:
        train += caption_examples(world, train_records)
    test = question_examples(world, test_records)
    tokenizer = build_tokenizer([f"{e.question} {e.answer}" for e in train])
    model, processor = build_vlm(tokenizer, config, args.seed)
    main = PartialState(cpu=device == "cpu").is_main_process
    if main:
        out.mkdir(parents=True, exist_ok=True)
        recipe = {"world": str(world), "held_out": held_out, "captions": captions, "config": asdict(config)}
        (out / "recipe.json").write_text(json.dumps(recipe) + "\n")
    scores = train_vlm(model, processor, train, test, args, out, device, on_eval, resume)
    if main:
        (out / "chance.json").write_text(json.dumps(chance(test_records), indent=2) + "\n")
    return scores
