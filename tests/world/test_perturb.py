"""world perturbations: one false claim per caption, bad words = the edit's diff = what the scene blames."""

import random

import pytest

from modgap.world import (
    PERTURBATIONS,
    Object,
    Scene,
    SceneConfig,
    caption_claims,
    check_claim,
    make_claim,
    perturb,
    sample_scene,
    word_labels,
)

N = 1000
CAPTIONS = []
for _i in range(N):
    _scene = sample_scene(random.Random(f"0:scene:{_i}"), SceneConfig())
    CAPTIONS.append((_scene, caption_claims(_scene, random.Random(f"0:caption:{_i}"))))
FLOORS = {
    "spatial_relation": 0.95,
    "visual_attribute": 0.9,
    "attribute_binding": 0.85,
    "object_identification": 0.95,
    "counting": 0.95,
    "small_object": 0.6,
    "text_ocr": 0.45,
    "counterfactual": 0.95,
}
"""Measured shares over these 1,000 scenes minus a margin (text_ocr needs a sign: text_prob is 0.2)."""


def expected_bad(kind, claims, p):
    """The diff: differing words inside the changed slots (every slot word of an inserted claim)."""
    new = p.claims[p.index]
    offset = sum(len(c.words) for c in p.claims[: p.index])
    if kind == "counterfactual":
        assert len(p.claims) == len(claims) + 1
        return {offset + k for s, e in new.slots.values() for k in range(s, e)}
    old = claims[p.index]
    assert (old.kind, old.template) == (new.kind, new.template)
    bad = set()
    for slot in (s for s in new.value if new.value[s] != old.value[s]):
        (s, e), (os_, oe) = new.slots[slot], old.slots[slot]
        same = e - s == oe - os_
        bad |= {offset + s + k for k in range(e - s) if not same or new.words[s + k] != old.words[os_ + k]}
    return bad


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_perturbation_is_one_false_claim_labelled_by_the_scene(kind):
    made = 0
    for i, (scene, claims) in enumerate(CAPTIONS):
        p = perturb(scene, claims, kind, random.Random(f"{kind}:{i}"))
        if p is None:
            continue
        made += 1
        assert [check_claim(scene, c) for c in p.claims] == [k != p.index for k in range(len(p.claims))]
        assert p.words == tuple(w for c in p.claims for w in c.words) and p.text == " ".join(p.words)
        bad = {k for k, good in enumerate(p.labels) if not good}
        assert bad and bad == expected_bad(kind, claims, p), (i, p.text)
        assert list(p.labels) == word_labels(scene, p.claims)
        if i < 50:
            assert perturb(scene, claims, kind, random.Random(f"{kind}:{i}")) == p
    assert made / N >= FLOORS[kind], made / N


def test_word_labels_blame_what_the_scene_contradicts():
    red_circle = Object("circle", "red", "large", 0.2, 0.5, 0.1)
    blue_square = Object("square", "blue", "small", 0.8, 0.5, 0.9)
    scene = Scene((red_circle, blue_square))
    a, b = {"a.colour": "red", "a.shape": "circle"}, {"b.colour": "blue", "b.shape": "square"}

    def bad(kind, template, value):
        claim = make_claim(kind, template, value)
        return [w for w, good in zip(claim.words, word_labels(scene, [claim]), strict=True) if not good]

    assert bad("relation", "The {a} is {rel} the {b}.", {**a, "rel": "to the left of", **b}) == []
    assert bad("relation", "The {a} is {rel} the {b}.", {**a, "rel": "to the right of", **b}) == ["right"]
    assert bad("depth", "The {a} is {rel} the {b}.", {**a, "rel": "behind", **b}) == ["behind"]
    assert bad("count", "I count {n} {noun}.", {"n": 3, "colour": "red"}) == ["three"]
    assert bad("attribute", "The {a} is {size}.", {**a, "size": "small"}) == ["small."]
    # a real object with one wrong word, an ambiguous one (red square or blue circle?), an absent one
    assert bad("object", "There is {a:indef}.", {"a.colour": "red", "a.shape": "star"}) == ["star."]
    assert bad("object", "There is {a:indef}.", {"a.colour": "blue", "a.shape": "circle"}) == [
        "blue",
        "circle.",
    ]
    absent = {"a.size": "medium", "a.colour": "green", "a.shape": "star"}
    assert bad("object", "There is {a:indef}.", absent) == ["medium", "green", "star."]


def test_unknown_type_is_rejected():
    scene, claims = CAPTIONS[0]
    with pytest.raises(ValueError, match="counting"):
        perturb(scene, claims, "colour", random.Random(0))


def test_world_files_carry_one_perturbed_caption_per_possible_type_with_scene_truth(tmp_path):
    from modgap.world import generate_world, load_world

    generate_world(30, 0, tmp_path)
    records = load_world(tmp_path)
    kinds = {p["type"] for r in records for p in r.perturbations}
    assert kinds == set(PERTURBATIONS)
    for r in records:
        for p in r.perturbations:
            assert len(p["words"]) == len(p["labels"]) and not all(p["labels"])
            assert p["words"] != r.caption.split()
            good = [w for w, ok in zip(p["words"], p["labels"], strict=True) if ok]
            assert len(good) >= len(p["words"]) - 3  # minimal: at most three words made wrong
    assert records[0].to_dict() == load_world(tmp_path)[0].to_dict()
