"""world recipe: grounded captions place every object they name in the grid cell of its centre."""

import random
import re

import pytest

from modgap.world import SceneConfig, generate_world, load_world, resolve, sample_scene
from modgap.world.recipe import LOCATE, grid_cell, grounded_caption, grounding_examples, train_world_vlm
from modgap.world.vlm import VLMTrainArgs

CONFIG = SceneConfig(min_objects=1, max_objects=8)
PART = re.compile(r"the ([a-z ]+) (\d) (\d)")


def test_grounded_captions_name_each_object_once_with_the_cell_of_its_centre():
    named = 0
    for i in range(300):
        scene = sample_scene(random.Random(f"2:scene:{i}"), CONFIG)
        caption = grounded_caption(scene, random.Random(i))
        assert caption == grounded_caption(scene, random.Random(i))
        seen = []
        for part in caption.split(" , ") if caption else []:
            name, column, row = PART.fullmatch(part).groups()
            attr = {getattr(o, a): a for o in scene.objects for a in ("size", "colour", "shape")}
            ids = resolve(scene, {attr[w]: w for w in name.split()})
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
