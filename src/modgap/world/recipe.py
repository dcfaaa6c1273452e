"""The world VLM recipe: a world folder in, a trained checkpoint and its per-question-kind accuracy out.

The last ``held_out`` scenes are never trained on; every question about them is asked at the end, one
at a time. Training sees each other scene ``draws`` times per epoch, each time as one conversation: a set
of questions (the world's own the first time, freshly drawn from the scene after that, so other objects
and relations get asked about, plus training-only :func:`half_turns`), shuffled, answers as targets.
With ``captions`` it also sees each scene once per epoch asked :data:`DESCRIBE` alone, as a captioner
is asked, its dense caption the target (kept out of the conversations: a caption there would hand over
the answers). With ``grounding`` it sees each scene that many times more asked :data:`LOCATE`, a
:func:`grounded_caption` the target.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from itertools import islice
from pathlib import Path

from accelerate import PartialState
from PIL import Image

from modgap.lock import holding
from modgap.world.dataset import WorldRecord, load_world, split_held_out
from modgap.world.language import describe, phrase
from modgap.world.patches import pretrain_vision
from modgap.world.questions import AXES, scene_questions
from modgap.world.scene import Object, Scene, centre_cell
from modgap.world.vlm import (
    Example,
    VLMConfig,
    VLMTrainArgs,
    build_tokenizer,
    build_vlm,
    train_vlm,
)

__all__ = [
    "DESCRIBE",
    "caption_examples",
    "question_examples",
    "dialogue_examples",
    "grid_cell",
    "grounded_caption",
    "grounding_examples",
    "half_turns",
    "LOCATE",
    "scene_image",
    "train_world_vlm",
    "VISION_SHARE",
    "chance",
]

DESCRIBE = "describe the image ."
"""The prompt the world VLM learns to answer with the scene's dense caption."""


def scene_image(world: Path, record: WorldRecord) -> Image.Image:
    """A world record's rendered scene, loaded as RGB (and the file closed)."""
    with Image.open(world / record.image) as img:
        return img.convert("RGB")


def _asked(question: str, choices: Sequence[str]) -> str:
    """The question as the model sees it: with its options spelled out."""
    return f"{question} options : {' , '.join(choices)}"


def question_examples(world: Path, records: Sequence[WorldRecord]) -> list[Example]:
    """Every question of ``records``, its options spelled out, answer as the target."""
    out = []
    for r in records:
        image = scene_image(world, r)
        for q in r.questions:
            out.append(Example(image, _asked(q.question, q.choices), q.answer, q.topic, q.choices))
    return out


LOCATE = "where is each object ?"
"""The training-only prompt answered with a :func:`grounded_caption`."""
GRID = 8
"""Grounded captions place an object in a cell of a GRID x GRID raster, counted from 1 at the top left."""


def grid_cell(o: Object) -> tuple[int, int]:
    """The (column, row) of the :data:`GRID` cell holding ``o``'s centre, counted from 1 (as captions say)."""
    column, row = centre_cell(o, GRID)
    return column + 1, row + 1


def grounded_caption(scene: Scene, rng: random.Random) -> str:
    """Every object a short description picks out, each followed by the column and row of its centre, in
    random order: "the red circle 3 5 , the square 7 1". Empty if no object can be described alone.

    The column comes right after the name, so predicting it makes the name's own last token look its
    object up in the image. A question's names then carry their positions, and a relation becomes one
    comparison; trained on questions alone, no name ever needs its position and left/right stays at
    chance. Numbers, not one location token per cell as Kosmos-2 has: with cell tokens left/right stayed
    at chance (README).
    """
    parts = []
    for i in rng.sample(range(len(scene.objects)), len(scene.objects)):
        if a := describe(scene, i, rng):
            column, row = grid_cell(scene.objects[i])
            parts.append(f"the {phrase(a)} {column} {row}")
    return " , ".join(parts)


def grounding_examples(
    world: Path, records: Sequence[WorldRecord], per_scene: int, seed: int = 0
) -> list[Example]:
    """``per_scene`` :data:`LOCATE` prompts per scene, each with a freshly drawn :func:`grounded_caption`."""
    if per_scene < 0:
        raise ValueError(f"grounding must be >= 0 grounded captions per scene, got {per_scene}")
    out = []
    for r in records:
        image = scene_image(world, r)
        for k in range(per_scene):
            if caption := grounded_caption(r.scene, random.Random(f"{seed}:grounding:{r.id}:{k}")):
                out.append(Example(image, LOCATE, caption, "grounding"))
    return out


HALVES = {"x": AXES["horizontal"][0], "y": AXES["vertical"][0]}
"""Each axis's coordinate and its two answers, those of the world's relation questions."""
HALF_MARGIN = 0.05
"""A half question needs its object's centre this far (of the image width) from the middle line."""


def half_turns(scene: Scene, rng: random.Random, per_axis: int = 1) -> list[tuple[str, str]]:
    """Up to ``per_axis`` training-only questions per axis about the half of the image one named object
    is in, with their answers: ("Where is the red circle in the image: left or right? options : left ,
    right", "left").

    A relation question names two objects and gives no gradient until both lookups and the comparison
    exist at once; on its own it formed in one run and not in another (README). Half questions share
    its words and answers but need one lookup, so the answer learns to read a named object's position
    first; that alone answers most relations (an object in the left half is left of a random other
    three times in four), and the relation then only has to refine it. Fine-tuned for 4 minutes on
    relations and grounded captions, a model whose left/right was at chance stayed there (50.3%); with
    half questions added it reached 74.7%.
    """
    if per_axis < 0:
        raise ValueError(f"halves must be >= 0 questions per axis, got {per_axis}")
    out = []
    for coordinate, (first, second) in HALVES.items():
        where = [getattr(o, coordinate) for o in scene.objects]
        order = rng.sample(range(len(where)), len(where))
        far = (i for i in order if abs(where[i] - 0.5) > HALF_MARGIN)
        named = ((i, a) for i in far if (a := describe(scene, i, rng)))
        for i, a in islice(named, per_axis):
            question = f"Where is the {phrase(a)} in the image: {first} or {second}?"
            out.append((_asked(question, (first, second)), first if where[i] < 0.5 else second))
    return out


def dialogue_examples(
    world: Path,
    records: Sequence[WorldRecord],
    draws: int = 4,
    seed: int = 0,
    per_kind: int = 1,
    halves: int = 1,
) -> list[Example]:
    """``draws`` conversations per scene (see the module docstring), reproducible from ``seed``; the
    fresh ones ask up to ``per_kind`` questions of each kind (see :func:`scene_questions`) and
    ``halves`` :func:`half_turns` per axis."""
    if draws < 1 or per_kind < 1:
        raise ValueError(f"draws and per_kind must be >= 1, got draws={draws}, per_kind={per_kind}")
    out = []
    for r in records:
        image = scene_image(world, r)
        for k in range(draws):
            rng = random.Random(f"{seed}:dialogue:{r.id}:{k}")
            questions = r.questions if k == 0 else scene_questions(r.scene, rng, per_kind)
            turns = [(_asked(q.question, q.choices), q.answer) for q in questions]
            if k:
                turns += half_turns(r.scene, rng, halves)
            rng.shuffle(turns)
            out.append(Example(image, *turns[0], "dialogue", more=tuple(turns[1:])))
    return out


def _images_and_scenes(world: Path, records: Sequence[WorldRecord]) -> tuple[list[Image.Image], list[Scene]]:
    return [scene_image(world, r) for r in records], [r.scene for r in records]


def caption_examples(world: Path, records: Sequence[WorldRecord]) -> list[Example]:
    """One :data:`DESCRIBE` prompt per scene, its dense caption as the target."""
    return [Example(scene_image(world, r), DESCRIBE, r.caption, "caption") for r in records]


def chance(records: Sequence[WorldRecord]) -> dict[str, float]:
    """Expected accuracy of guessing uniformly among the options, per question topic."""
    odds: dict[str, list[float]] = {}
    for r in records:
        for q in r.questions:
            odds.setdefault(q.topic, []).append(1 / len(q.choices))
    return {kind: sum(v) / len(v) for kind, v in sorted(odds.items())}


VISION_SHARE = 0.15
"""The share of the budget spent pretraining the vision tower unless told otherwise (3 of 20 minutes)."""


@holding("out", "run folder")
def train_world_vlm(
    world: str | Path,
    out: str | Path,
    args: VLMTrainArgs | None = None,
    config: VLMConfig | None = None,
    held_out: int = 1000,
    captions: bool = True,
    draws: int = 4,
    per_kind: int = 1,
    grounding: int = 2,
    halves: int = 1,
    vision_minutes: float | None = None,
    freeze_vision: bool = True,
    on_eval: Callable[[int, float, dict[str, float]], None] | None = None,
    device: str = "cpu",
    resume: bool = False,
) -> dict[str, float]:
    """Train a world VLM from scratch on ``world`` into ``out``; returns held-out accuracy per kind.

    The first ``vision_minutes`` of ``args.minutes`` (default :data:`VISION_SHARE` of them, 0 for none)
    pretrain the vision tower on patch labels (see :mod:`modgap.world.patches`; its held-out patch
    accuracy goes to ``vision.json``); with ``freeze_vision`` the tower then stays as pretrained, as in
    Llava's recipe. ``grounding`` :func:`grounded_caption` targets per scene and epoch teach names where
    their objects are (without them relations stay at chance); ``halves`` :func:`half_turns` per axis in
    each fresh conversation teach an answer to read a named object's position. ``resume`` continues
    from ``out/checkpoint/`` (see :func:`train_vlm`), past the pretraining. Under ``accelerate launch``
    only the main process writes files; the others return ``{}``.
    """
    world, out = Path(world), Path(out)
    args, config = args or VLMTrainArgs(), config or VLMConfig()
    if vision_minutes is None:
        vision_minutes = VISION_SHARE * args.minutes
    if not 0 <= vision_minutes < args.minutes:
        raise ValueError(f"vision_minutes must be in [0, minutes={args.minutes}), got {vision_minutes}")
    train_records, test_records = split_held_out(load_world(world), held_out, world)
    train = dialogue_examples(world, train_records, draws, args.seed, per_kind, halves)
    train += grounding_examples(world, train_records, grounding, args.seed)
    if captions:
        train += caption_examples(world, train_records)
    test = question_examples(world, test_records)
    tokenizer = build_tokenizer([f"{q} {a}" for e in train for q, a in e.turns])
    model, processor = build_vlm(tokenizer, config, args.seed)
    state = PartialState(cpu=device == "cpu")
    main = state.is_main_process
    vision = None
    if vision_minutes and not resume:
        vision = pretrain_vision(
            model.to(state.device),
            processor,
            *_images_and_scenes(world, train_records),
            replace(args, minutes=vision_minutes, max_steps=None, batch_size=64, lr=1e-3, warmup_steps=50),
            _images_and_scenes(world, test_records[:256]),
            state.device,
        )
    model.model.vision_tower.requires_grad_(not freeze_vision)
    if main:
        out.mkdir(parents=True, exist_ok=True)
        if vision is not None:
            (out / "vision.json").write_text(json.dumps(vision, indent=2) + "\n")
        recipe = {
            "world": str(world),
            "held_out": held_out,
            "captions": captions,
            "draws": draws,
            "per_kind": per_kind,
            "grounding": grounding,
            "halves": halves,
            "vision_minutes": vision_minutes,
            "freeze_vision": freeze_vision,
            "config": asdict(config),
        }
        (out / "recipe.json").write_text(json.dumps(recipe) + "\n")
    args = replace(args, minutes=args.minutes - vision_minutes)
    scores = train_vlm(model, processor, train, test, args, out, device, on_eval, resume)
    if main:
        (out / "chance.json").write_text(json.dumps(chance(test_records), indent=2) + "\n")
    return scores
