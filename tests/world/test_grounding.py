"""world recipe: grounding turns name the grid cell that holds the described object."""

import random

from modgap.world import SceneConfig, resolve, sample_scene
from modgap.world.recipe import GRID, grounding_turns

CONFIG = SceneConfig(min_objects=1, max_objects=8)


def test_grounding_answers_are_the_cell_of_the_one_object_described():
    asked = 0
    for i in range(300):
        scene = sample_scene(random.Random(f"2:scene:{i}"), CONFIG)
        turns = grounding_turns(scene, random.Random(i), 3)
        assert turns == grounding_turns(scene, random.Random(i), 3) and len(turns) <= 3
        for question, answer in turns:
            words = question.removeprefix("Where in the image is the ").removesuffix("?").split()
            attr = {getattr(o, a): a for o in scene.objects for a in ("size", "colour", "shape")}
            ids = resolve(scene, {attr[w]: w for w in words})
            assert len(ids) == 1, question
            o = scene.objects[ids[0]]
            _, column, _, row = answer.split()
            assert o.x * GRID < int(column) <= o.x * GRID + 1 and o.y * GRID < int(row) <= o.y * GRID + 1
            asked += 1
    assert asked > 500
