"""world captions: all claims of 500 scenes are true by the helpers; slots point at their words."""

import random

import pytest

from modgap.world import (
    Object,
    Scene,
    SceneConfig,
    caption_claims,
    caption_text,
    check_claim,
    make_claim,
    resolve,
    sample_scene,
)
from modgap.world.language import NUMBERS, RELATIONS, TEMPLATES, Claim

CONFIG = SceneConfig(min_objects=1, max_objects=8, text_prob=0.25)
SCENES = [sample_scene(random.Random(f"0:scene:{i}"), CONFIG) for i in range(500)]


def test_every_claim_is_true_and_about_its_objects():
    kinds = set()
    for i, scene in enumerate(SCENES):
        claims = caption_claims(scene, random.Random(f"0:caption:{i}"))
        assert caption_text(claims) == " ".join(w for c in claims for w in c.words)
        for claim in claims:
            kinds.add(claim.kind)
            assert check_claim(scene, claim), (i, claim.text)
            for key, obj in zip("abx", claim.objects, strict=False):
                if f"{key}.shape" in claim.value:
                    ids = resolve(
                        scene, {k[2:]: v for k, v in claim.value.items() if k.startswith(f"{key}.")}
                    )
                    assert ids == [obj] or claim.kind == "object" and obj in ids
            if claim.kind in ("relation", "depth"):
                a, b = (scene.objects[k] for k in claim.objects)
                assert RELATIONS[claim.value["rel"]][1](a, b) and not RELATIONS[claim.value["rel"]][1](b, a)
    assert kinds == set(TEMPLATES)


def test_claims_round_trip_and_are_deterministic():
    scene = SCENES[3]
    a, b = (caption_claims(scene, random.Random("x")) for _ in range(2))
    assert a == b and [Claim.from_dict(c.to_dict()) for c in a] == a


def test_slots_span_the_words_that_say_them():
    claim = make_claim(
        "relation",
        "In the image, the {a} is {rel} the {b}.",
        {
            "a.size": "large",
            "a.colour": "orange",
            "a.shape": "circle",
            "rel": "to the left of",
            "b.shape": "star",
        },
    )
    assert claim.text == "In the image, the large orange circle is to the left of the star."
    spans = {k: " ".join(claim.words[s:e]) for k, (s, e) in claim.slots.items()}
    assert spans == {
        "a.size": "large",
        "a.colour": "orange",
        "a.shape": "circle",
        "rel": "to the left of",
        "b.shape": "star.",
    }
    article = make_claim("object", "There is {a:indef}.", {"a.colour": "orange", "a.shape": "star"})
    assert article.text == "There is an orange star." and article.slots == {
        "a.colour": (3, 4),
        "a.shape": (4, 5),
    }
    counted = make_claim("count", "I count {n} {noun}.", {"n": 1, "colour": "red", "shape": "circle"})
    assert counted.text == "I count one red circle." and counted.slots["n"] == (2, 3)
    assert make_claim("count", "I count {n} {noun}.", {"n": 3}).text == "I count three objects."


def _scene():
    red = Object("circle", "red", "large", 0.2, 0.5, 0.1)
    blue = Object("square", "blue", "small", 0.8, 0.5, 0.9)
    sign = Object("sign", "green", "medium", 0.5, 0.15, 0.5, "STOP")
    return Scene((red, blue, sign))


@pytest.mark.parametrize(
    ("kind", "template", "value", "truth"),
    [
        ("count", "I count {n} {noun}.", {"n": 3}, True),
        ("count", "I count {n} {noun}.", {"n": 2}, False),
        ("count", "I count {n} {noun}.", {"n": 1, "colour": "red", "shape": "circle"}, True),
        ("count", "I count {n} {noun}.", {"n": 0, "shape": "star"}, True),
        ("object", "There is {a:indef}.", {"a.colour": "red", "a.shape": "circle"}, True),
        ("object", "There is {a:indef}.", {"a.colour": "blue", "a.shape": "circle"}, False),  # binding
        ("attribute", "The {a} is {colour}.", {"a.shape": "circle", "colour": "red"}, True),
        ("attribute", "The {a} is {size}.", {"a.shape": "square", "size": "large"}, False),
        (
            "relation",
            "The {a} is {rel} the {b}.",
            {"a.shape": "circle", "rel": "to the left of", "b.shape": "square"},
            True,
        ),
        (
            "relation",
            "The {a} is {rel} the {b}.",
            {"a.shape": "circle", "rel": "to the right of", "b.shape": "square"},
            False,
        ),
        (
            "relation",
            "The {a} is {rel} the {b}.",
            {"a.shape": "sign", "rel": "above", "b.shape": "circle"},
            True,
        ),
        (
            "relation",
            "The {a} is {rel} the {b}.",
            {"a.shape": "star", "rel": "above", "b.shape": "circle"},
            False,
        ),
        (
            "depth",
            "The {a} is {rel} the {b}.",
            {"a.shape": "circle", "rel": "in front of", "b.shape": "square"},
            True,
        ),
        (
            "depth",
            "The {a} is {rel} the {b}.",
            {"a.shape": "circle", "rel": "behind", "b.shape": "square"},
            False,
        ),
        ("text", "The {a} reads {text}.", {"a.shape": "sign", "text": "STOP"}, True),
        ("text", "The {a} reads {text}.", {"a.shape": "sign", "text": "SALE"}, False),
    ],
)
def test_check_claim_on_a_hand_made_scene(kind, template, value, truth):
    assert check_claim(_scene(), make_claim(kind, template, value)) is truth


def test_numbers_cover_every_count():
    assert len(NUMBERS) == CONFIG.max_objects + 1
