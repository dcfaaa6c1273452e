"""world recipe: training-only half questions ask which half of the image one named object is in."""

import random
import re

import pytest

from modgap.world import Object, Scene, SceneConfig, generate_world, load_world, resolve, sample_scene
from modgap.world.recipe import HALF_MARGIN, dialogue_examples, half_turns

ASKED = re.compile(r"Where is the ([a-z ]+) in the image: (\w+) or (\w+)\? options : (\w+) , (\w+)")


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
            attr = {getattr(o, a): a for o in scene.objects for a in ("size", "colour", "shape")}
            ids = resolve(scene, {attr[w]: w for w in name.split()})
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
