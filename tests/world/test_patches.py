"""Patch labels from scene truth, and the vision tower's pretraining on them (alone and in the recipe)."""

import json
import random

import pytest
import torch
from safetensors.torch import load_file

from modgap.world import generate_world, render_scene, sample_scene
from modgap.world.patches import patch_targets, pretrain_vision, target_names
from modgap.world.recipe import train_world_vlm
from modgap.world.render import object_map
from modgap.world.scene import COLOURS, SHAPES, SIZES, Object, Scene
from modgap.world.vlm import VLMConfig, VLMTrainArgs, build_tokenizer, build_vlm

SMALL = VLMConfig(vision_layers=1, text_layers=1, vision_dim=64, text_dim=64)
BACKGROUND = [len(COLOURS), len(SHAPES) + 1, len(SIZES), 4, 8, 8]


def test_the_object_map_shows_the_nearer_object_where_two_overlap():
    far = Object("square", "red", "large", 0.5, 0.5, depth=0.9)
    near = Object("circle", "blue", "medium", 0.55, 0.5, depth=0.1)
    ids = object_map(Scene((near, far)), 64)
    assert ids.getpixel((35, 32)) == 1  # both cover it: the near circle (object 0) wins
    assert ids.getpixel((27, 32)) == 2  # only the square's left part
    assert ids.getpixel((2, 2)) == 0


def test_every_patch_is_labelled_with_the_object_it_shows():
    cube = Object("square", "green", "large", x=0.3, y=0.7, depth=0.6)
    targets = patch_targets(Scene((cube,)), 8).view(8, 8, 6)
    assert target_names() == ("colour", "shape", "size", "depth", "column", "row")
    centre = [list(COLOURS).index("green"), SHAPES.index("square"), list(SIZES).index("large"), 2, 2, 5]
    assert targets[5, 2].tolist() == centre  # row 5, column 2: the patch under the centre
    assert targets[5, 1].tolist() == centre  # a patch off its centre still names where the centre is
    assert targets[0, 7].tolist() == BACKGROUND
    shown = (targets[..., 0] != len(COLOURS)).sum().item()
    assert 4 <= shown <= 9  # a large square (side ~0.35 of the image) covers a few 8-px patches


def _scenes(n: int, seed: int) -> list[Scene]:
    return [sample_scene(random.Random(f"{seed}:{i}")) for i in range(n)]


def test_pretraining_teaches_the_tower_the_labels_and_repeats_exactly():
    scenes = _scenes(64, 0)
    images = [render_scene(s, 64) for s in scenes]
    args = VLMTrainArgs(max_steps=60, batch_size=16, lr=3e-3, warmup_steps=10)

    def run() -> tuple[dict[str, float], dict[str, torch.Tensor]]:
        model, processor = build_vlm(build_tokenizer(["a"]), SMALL)
        scores = pretrain_vision(model, processor, images, scenes, args, held_out=(images, scenes))
        return scores, model.model.vision_tower.state_dict()

    (scores, weights), (again, same) = run(), run()
    assert scores["steps"] == 60 and scores["colour"] >= 0.6  # chance is 1/9
    assert scores == again and all(torch.equal(weights[k], same[k]) for k in weights)
    with pytest.raises(ValueError, match="as many images as scenes"):
        pretrain_vision(*build_vlm(build_tokenizer(["a"]), SMALL), images[:3], scenes, args)


def test_the_recipe_pretrains_then_keeps_the_tower_frozen(tmp_path):
    world, out = tmp_path / "world", tmp_path / "run"
    generate_world(40, 2, world)
    args = VLMTrainArgs(minutes=0.5, max_steps=2, batch_size=4, warmup_steps=1, eval_size=8)
    train_world_vlm(world, out, args, SMALL, held_out=10, vision_minutes=0.1, freeze_vision=True)
    vision = json.loads((out / "vision.json").read_text())
    assert vision["steps"] > 0 and set(target_names()) < set(vision)
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["vision_minutes"] == 0.1 and recipe["freeze_vision"] is True
    moments = load_file(out / "checkpoint" / "optimizer.safetensors")
    assert moments and not any("vision_tower" in k for k in moments)  # AdamW never touched the tower
    assert any("multi_modal_projector" in k for k in moments)
    with pytest.raises(ValueError, match="vision_minutes"):
        train_world_vlm(world, out, args, SMALL, held_out=10, vision_minutes=0.5)
