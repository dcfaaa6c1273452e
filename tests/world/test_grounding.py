"""world recipe: the training-only prompts that teach positions. Grounded captions place every object they
name in the grid cell of its centre; half questions ask which half of the image one named object is in."""

import random
import re

import pytest

from modgap.world import Object, Scene, SceneConfig, generate_world, load_world, resolve, sample_scene
from modgap.world.recipe import (
    HALF_MARGIN,
    LOCATE,
    dialogue_examples,
    grid_cell,
    grounded_caption,
    grounding_examples,
    half_turns,
    train_world_vlm,
)
from modgap.world.vlm import VLMTrainArgs

CONFIG = SceneConfig(min_objects=1, max_objects=8)
PART = re.compile(r"the ([a-z ]+) (\d) (\d)")
ASKED = re.compile(r"Where is the ([a-z ]+) in the image: (\w+) or (\w+)\? options : (\w+) , (\w+)")


def _named(scene, name: str) -> list[int]:
    """The objects a name such as "red circle" picks out (each word an attribute value the scene shows)."""
    attr = {getattr(o, a): a for o in scene.objects for a in ("size", "colour", "shape")}
    return resolve(scene, {attr[w]: w for w in name.split()})


def test_grounded_captions_name_each_object_once_with_the_cell_of_its_centre():
    named = 0
    for i in range(300):
        scene = sample_scene(random.Random(f"2:scene:{i}"), CONFIG)
        caption = grounded_caption(scene, random.Random(i))
        assert caption == grounded_caption(scene, random.Random(i))
        seen = []
        for part in caption.split(" , ") if caption else []:
            name, column, row = PART.fullmatch(part).groups()
            ids = _named(scene, name)
            assert len(ids) == 1, part
            o, column, row = scene.objects[ids[0]], int(column), int(row)
            assert grid_cell(o) == (column, row) and o.x * 8 < column <= o.x * 8 + 1, part
            assert o.y * 8 < row <= o.y * 8 + 1, part
            seen += ids
        assert len(seen) == len(set(seen))
        named += len(seen)
    assert named > 900


def test_grounding_examples_are_fresh_per_draw_and_reproducible(tmp_path):
    world = tmp_path / "world"
    generate_world(20, 4, world)
    records = load_world(world)[:5]
    examples = grounding_examples(world, records, per_scene=3, seed=1)
    assert examples == grounding_examples(world, records, per_scene=3, seed=1)
    assert len(examples) == 15 and {e.question for e in examples} == {LOCATE}
    assert any(
        a.answer != b.answer for a, b in zip(examples[::3], examples[1::3], strict=True)
    )  # fresh draws
    assert grounding_examples(world, records, per_scene=0) == []
    with pytest.raises(ValueError, match="grounding must be >= 0"):
        train_world_vlm(world, world / "out", VLMTrainArgs(minutes=0.1), held_out=2, grounding=-1)


def test_half_questions_name_one_object_and_answer_by_its_centre():
    asked = 0
    for i in range(300):
        scene = sample_scene(random.Random(f"4:scene:{i}"), SceneConfig(min_objects=1, max_objects=8))
        turns = half_turns(scene, random.Random(i), per_axis=2)
        assert turns == half_turns(scene, random.Random(i), per_axis=2)
        per_axis = {"x": 0, "y": 0}
        for question, answer in turns:
            name, first, second, *options = ASKED.fullmatch(question).groups()
            assert options == [first, second] and answer in options
            ids = _named(scene, name)
            assert len(ids) == 1, question
            axis = {"left": "x", "above": "y"}[first]
            where = getattr(scene.objects[ids[0]], axis)
            assert abs(where - 0.5) > HALF_MARGIN and (answer == first) == (where < 0.5), question
            per_axis[axis] += 1
        assert max(per_axis.values()) <= 2
        asked += len(turns)
    assert asked > 600


def test_objects_on_the_middle_line_are_not_asked_about():
    scene = Scene(
        (
            Object("circle", "red", "small", 0.5, 0.2, 0.5),
            Object("square", "blue", "small", 0.8, 0.52, 0.5),
        )
    )
    turns = half_turns(scene, random.Random(0), per_axis=5)
    asked = sorted((ASKED.fullmatch(q)[1].split()[-1], ASKED.fullmatch(q)[2], a) for q, a in turns)
    assert asked == [("circle", "above", "above"), ("square", "left", "right")]
    assert half_turns(scene, random.Random(0), per_axis=0) == []
    with pytest.raises(ValueError, match="halves must be >= 0 questions per axis, got -1"):
        half_turns(scene, random.Random(0), per_axis=-1)


def test_fresh_conversations_carry_the_half_questions(tmp_path):
    generate_world(6, 5, tmp_path)
    records = load_world(tmp_path)

    def halves_asked(dialogues):
        return [sum(" in the image: " in q for q, _ in d.turns) for d in dialogues]

    plain = dialogue_examples(tmp_path, records, draws=3, seed=2, halves=0)
    dense = dialogue_examples(tmp_path, records, draws=3, seed=2, halves=2)
    assert dense[::3] == plain[::3]  # the first draw asks the world's own questions only
    assert sum(halves_asked(plain)) == 0 and sum(halves_asked(dense)) > 12
    assert max(halves_asked(dense)) <= 4
    with pytest.raises(ValueError, match="halves must be >= 0"):
        dialogue_examples(tmp_path, records, halves=-1)
