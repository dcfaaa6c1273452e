"""Captions read back into claims by the templates, checked against the scene, tallied per claim kind."""

import random

import pytest

from modgap.world import (
    SceneConfig,
    caption_claims,
    caption_errors,
    caption_text,
    caption_word_labels,
    make_claim,
    parse_caption,
    sample_scene,
)
from modgap.world.language import NUMBERS, RELATIONS
from modgap.world.vlm import build_tokenizer


def _scene_and_claims(i: int):
    scene = sample_scene(random.Random(f"h:{i}"), SceneConfig(min_objects=3, text_prob=0.5))
    return scene, caption_claims(scene, random.Random(f"c:{i}"))


def _key(claim):
    return claim.kind, claim.template, claim.value


@pytest.mark.parametrize("i", range(20))
def test_a_template_caption_parses_back_to_exactly_its_claims_with_no_errors(i):
    scene, claims = _scene_and_claims(i)
    parsed = parse_caption(caption_text(claims))
    assert parsed.unparsed == () and list(map(_key, parsed.claims)) == list(map(_key, claims))
    report = caption_errors([scene], [caption_text(claims)])
    assert report.kinds[-1].kind == "all" and report.kinds[-1].claims == len(claims)
    assert all(row.wrong == 0 for row in report.kinds)


def _rewrite(claims, kind, slot, wrong):
    """The caption with the first ``kind`` claim's ``slot`` re-filled by ``wrong(old value)``."""
    at = next(i for i, c in enumerate(claims) if c.kind == kind)
    c = claims[at]
    bad = make_claim(c.kind, c.template, {**c.value, slot: wrong(c.value[slot])}, c.objects)
    return caption_text([*claims[:at], bad, *claims[at + 1 :]])


def test_a_wrong_count_is_caught_as_a_count_error():
    scene, claims = _scene_and_claims(0)
    caption = _rewrite(claims, "count", "n", lambda n: n + 1)
    assert NUMBERS[len(scene.objects) + 1] in caption.split()
    rows = {row.kind: row for row in caption_errors([scene], [caption]).kinds}
    assert rows["count"].wrong == 1 and rows["all"].wrong == 1 and rows["all"].claims == len(claims)


def test_a_wrong_relation_is_caught_as_an_error_of_its_kind():
    scene, claims = next(
        (s, c) for s, c in map(_scene_and_claims, range(50)) if any(x.kind == "relation" for x in c)
    )
    opposite = {
        "to the left of": "to the right of",
        "to the right of": "to the left of",
        "above": "below",
        "below": "above",
    }
    caption = _rewrite(claims, "relation", "rel", opposite.__getitem__)
    report = caption_errors([scene], [caption])
    assert {row.kind: row.wrong for row in report.kinds if row.wrong} == {"relation": 1, "all": 1}
    relation = next(row for row in report.kinds if row.kind == "relation")
    assert relation.rate == 1 / relation.claims and relation.ci[0] < relation.rate < relation.ci[1]


def test_text_as_the_world_vlm_decodes_it_parses_and_depth_phrases_decide_the_kind():
    scene, claims = next(
        (s, c) for s, c in map(_scene_and_claims, range(50)) if any(x.kind == "text" for x in c)
    )
    tokenizer = build_tokenizer([caption_text(claims)])
    said = tokenizer.decode(tokenizer(caption_text(claims))["input_ids"], skip_special_tokens=True)
    assert said.islower() and ' " hotel " ' in said  # what generate_vlm returns: punctuation split off
    assert list(map(_key, parse_caption(said).claims)) == list(map(_key, claims))
    (claim,) = parse_caption("in the image , the red circle is behind the blue star .").claims
    assert RELATIONS["behind"][0] == claim.kind == "depth"
    assert claim.template == "In the image, the {a} is {rel} the {b}." and claim.value["a.colour"] == "red"


def test_unreadable_or_cut_off_sentences_are_unparsed_not_wrong():
    parsed = parse_caption(
        'i count two circles . the word " stop " is written on the sign . the circle is purple and'
    )
    assert [c.kind for c in parsed.claims] == ["count", "text"] and parsed.claims[1].value["text"] == "STOP"
    assert parsed.unparsed == ("the circle is purple and",)
    with pytest.raises(ValueError, match="got 1 scenes but 2 captions"):
        caption_errors([_scene_and_claims(0)[0]], ["", ""])


def test_word_labels_of_a_true_caption_are_all_good_and_its_words_are_the_tokenizers():
    scene, claims = _scene_and_claims(3)
    words, labels = caption_word_labels(scene, caption_text(claims))
    tokenizer = build_tokenizer([caption_text(claims)])
    said = tokenizer.decode(tokenizer(caption_text(claims))["input_ids"], skip_special_tokens=True)
    assert words == said.split() and all(labels)
    assert caption_word_labels(scene, said) == (words, labels)


def _blamed(scene, caption):
    words, labels = caption_word_labels(scene, caption)
    return [w for w, good in zip(words, labels, strict=True) if not good]


def test_word_labels_blame_the_false_word_alone_and_unknown_sentences_give_none():
    scene, claims = _scene_and_claims(0)
    caption = _rewrite(claims, "count", "n", lambda n: n + 1)
    assert _blamed(scene, caption) == [NUMBERS[len(scene.objects) + 1]]
    scene, claims = next(
        (s, c)
        for s, c in map(_scene_and_claims, range(100))
        if [x.value["rel"] for x in c if x.kind == "relation"][:1] == ["to the left of"]
    )
    assert _blamed(scene, _rewrite(claims, "relation", "rel", lambda r: "to the right of")) == ["right"]
    assert caption_word_labels(scene, caption_text(claims) + " the circle is purple and") is None
