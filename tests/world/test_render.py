"""world renders: deterministic, non-blank, and each object's colour is at its position."""

import random

import numpy as np
import pytest

from modgap.isobench.task import png_bytes
from modgap.world import Object, Scene, SceneConfig, render_scene, sample_scene
from modgap.world.render import BACKGROUND, object_colour
from modgap.world.scene import radius


def test_render_is_deterministic_and_sized():
    scene = sample_scene(random.Random(0), SceneConfig(text_prob=0.5))
    assert png_bytes(render_scene(scene)) == png_bytes(render_scene(scene))
    assert render_scene(scene).size == (96, 96) and render_scene(scene, 256).size == (256, 256)


@pytest.mark.parametrize("size", [64, 96, 128])
def test_object_colours_at_object_centres(size):
    cfg = SceneConfig(max_objects=8, text_prob=0.3)
    for i in range(40):
        scene = sample_scene(random.Random(i), cfg)
        pixels = np.asarray(render_scene(scene, size)).astype(int)
        assert (np.abs(pixels - BACKGROUND).sum(-1) > 60).mean() > 0.02  # not blank
        drawn = sorted(enumerate(scene.objects), key=lambda p: p[1].depth)
        for k, o in drawn:
            # the nearest object covering a centre decides its colour; skip centres another object overlaps
            if any(abs(p.x - o.x) < 0.2 and abs(p.y - o.y) < 0.2 for j, p in drawn if j != k):
                continue
            # a box inside the object: its median is the fill colour; on a sign (whose word covers much
            # of the face) the fill colour is at least present
            half = max(1, int(0.4 * radius(o) * size))
            r, c = int(o.y * size), int(o.x * size)
            box = pixels[r - half : r + half + 1, c - half : c + half + 1].reshape(-1, 3)
            error = np.abs(box - object_colour(o)).max(-1)
            assert (error.min() if o.text else np.abs(np.median(box, 0) - object_colour(o)).max()) < 25, (
                i,
                o,
            )


def test_farther_objects_are_darker_and_occluded():
    near = Object("square", "yellow", "large", 0.5, 0.5, 0.0)
    far = Object("circle", "blue", "large", 0.5, 0.5, 1.0)
    pixels = np.asarray(render_scene(Scene((far, near)), 96)).astype(int)
    assert np.abs(pixels[48, 48] - object_colour(near)).max() < 10  # the near one is drawn on top
    assert sum(object_colour(far)) < sum(object_colour(Object("circle", "blue", "large", 0.5, 0.5, 0.0)))
