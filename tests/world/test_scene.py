"""world scenes: config errors name the field, seeded sampling, spacing, relations on hand-made scenes."""

import math
import random

import pytest

from modgap.world import (
    Object,
    Scene,
    SceneConfig,
    above,
    below,
    closer_to,
    closer_to_camera,
    count,
    left_of,
    right_of,
    sample_scene,
)
from modgap.world.scene import SIGN, extent


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"min_objects": 0}, "min_objects"),
        ({"max_objects": 9}, "max_objects"),
        ({"min_objects": 5, "max_objects": 4}, "max_objects"),
        ({"colours": ()}, "colours"),
        ({"colours": ("red", "mauve")}, "colours"),
        ({"shapes": ("hexagon",)}, "shapes"),
        ({"shapes": ("circle", "circle")}, "shapes"),
        ({"spacing": 0.1}, "spacing"),
        ({"text_prob": 1.5}, "text_prob"),
        ({"image_size": 8}, "image_size"),
    ],
)
def test_bad_config_names_the_field(overrides, field):
    with pytest.raises(ValueError, match=field):
        SceneConfig(**overrides)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"shape": "hexagon"}, "shape"),
        ({"colour": "mauve"}, "colour"),
        ({"size": "huge"}, "size"),
        ({"x": 1.2}, "x"),
        ({"depth": -0.1}, "depth"),
        ({"shape": SIGN}, "text"),
        ({"text": "STOP"}, "text"),
    ],
)
def test_bad_object_names_the_field(kwargs, field):
    base = {"shape": "circle", "colour": "red", "size": "small", "x": 0.5, "y": 0.5, "depth": 0.5}
    with pytest.raises(ValueError, match=field):
        Object(**{**base, **kwargs})


def test_same_seed_same_scene_and_round_trip():
    cfg = SceneConfig(max_objects=8, text_prob=0.5)
    a, b = (sample_scene(random.Random("7:scene:3"), cfg) for _ in range(2))
    assert a == b and Scene.from_dict(a.to_dict()) == a
    assert sample_scene(random.Random("7:scene:4"), cfg) != a


def test_scenes_respect_the_config():
    cfg = SceneConfig(min_objects=3, max_objects=8, colours=("red", "blue"), shapes=("star",), text_prob=0.3)
    for i in range(200):
        scene = sample_scene(random.Random(i), cfg)
        assert 3 <= len(scene.objects) <= 8 and scene.width == scene.height == cfg.image_size
        for k, o in enumerate(scene.objects):
            assert o.colour in cfg.colours and o.shape in ("star", SIGN)
            assert extent(o) <= o.x <= 1 - extent(o) and extent(o) <= o.y <= 1 - extent(o)
            for other in scene.objects[k + 1 :]:
                gap = math.hypot(o.x - other.x, o.y - other.y)
                factor = 1.0 if SIGN in (o.shape, other.shape) else cfg.spacing
                assert gap >= factor * (extent(o) + extent(other)) - 1e-9


def _obj(shape="circle", colour="red", x=0.5, y=0.5, depth=0.5, size="medium"):
    return Object(shape, colour, size, x, y, depth)


def test_relations_on_a_hand_made_scene():
    a = _obj(x=0.2, y=0.2, depth=0.1)
    b = _obj("square", "blue", x=0.8, y=0.8, depth=0.9)
    near = _obj("star", "green", x=0.25, y=0.5, depth=0.3)  # within the position margin of a on x
    assert left_of(a, b) and right_of(b, a) and not left_of(b, a)
    assert above(a, b) and below(b, a) and not above(b, a)
    assert not left_of(a, near) and not right_of(a, near)
    assert closer_to(near, a, b) and not closer_to(near, b, a)
    assert closer_to_camera(a, b) and not closer_to_camera(b, a)
    assert not closer_to_camera(a, near) and not closer_to_camera(near, a)  # depths within the margin
    scene = Scene((a, b, near))
    assert count(scene) == 3 and count(scene, colour="red") == 1 and count(scene, shape="square") == 1
    assert count(scene, colour="red", shape="square") == 0
