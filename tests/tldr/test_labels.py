"""Alignment labels: a hand-made example per TLDR type, the rule's edge cases, agreement with the world."""

import pytest

from modgap.tldr.labels import (
    agreement_with_world,
    agrees,
    align_labels,
    sentence_spans,
    units,
    word_labels_from_spans,
)
from modgap.world import PERTURBATIONS, generate_world


def bad_words(text, spans):
    return [text[s:e] for s, e in spans]


CASES = {
    "spatial_relation": (
        "The cat is to the left of the dog.",
        "The cat is to the right of the dog.",
        [(18, 23)],
    ),
    "visual_attribute": ("A red car is parked.", "A blue car is parked.", [(2, 6)]),
    "attribute_binding": (
        "A red cube and a blue ball.",
        "A blue cube and a red ball.",
        [(2, 6), (18, 21)],
    ),
    # a/an agree with the noun, so only the noun is blamed
    "object_identification": (
        "There is an apple on the table.",
        "There is a banana on the table.",
        [(11, 17)],
    ),
    # is/are and dog/dogs agree with the number: only the number is wrong
    "counting": ("There is one dog on the grass.", "There are two dogs on the grass.", [(10, 13)]),
    # an inserted sentence is bad as a whole, its full stop included, not the full stop before it
    "small_object": (
        "A man reads. He smiles.",
        "A man reads. A small key sits in the corner. He smiles.",
        [(13, 14), (15, 20), (21, 24), (25, 29), (30, 32), (33, 36), (37, 43), (43, 44)],
    ),
    "text_ocr": ('The sign says "STOP".', 'The sign says "STQP".', [(15, 19)]),
    "counterfactual": ("The door is open.", "The door is not open.", [(12, 15)]),
}


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_one_hand_made_example_per_type(kind):
    gold, perturbed, expected = CASES[kind]
    assert list(align_labels(gold, perturbed)) == expected


def test_hand_made_examples_blame_the_edited_words():
    words = {k: bad_words(p, align_labels(g, p)) for k, (g, p, _) in CASES.items()}
    assert words["spatial_relation"] == ["right"]
    assert words["attribute_binding"] == ["blue", "red"]
    assert words["counting"] == ["two"]
    assert words["small_object"] == ["A", "small", "key", "sits", "in", "the", "corner", "."]
    assert words["text_ocr"] == ["STQP"]


def test_multi_word_replacement_blames_every_new_word():
    gold, new = "The ball is behind the box.", "The ball is in front of the box."
    assert bad_words(new, align_labels(gold, new)) == ["in", "front", "of"]


def test_deletion_blames_the_next_word_else_the_previous():
    assert bad_words(
        "The man is smiling.", align_labels("The man is not smiling.", "The man is smiling.")
    ) == ["smiling"]
    assert bad_words("A red car", align_labels("A red car parked", "A red car")) == ["car"]


def test_identical_and_empty_texts_have_no_bad_span():
    assert align_labels("A dog.", "A dog.") == ()
    assert align_labels("A dog.", "") == ()
    assert bad_words("A dog.", align_labels("", "A dog.")) == ["A", "dog", "."]


def test_insertion_after_a_repeated_sentence_start_covers_the_whole_sentence():
    # difflib could put the run at "triangle[. One can see a blue star]." — it is slid to the sentence
    gold = "One can see a triangle. One can see a circle."
    new = "One can see a triangle. One can see a blue star. One can see a circle."
    assert bad_words(new, align_labels(gold, new)) == ["One", "can", "see", "a", "blue", "star", "."]


def test_agreement_rule():
    assert agrees("a", "an") and agrees("Is", "are") and agrees("dog", "dogs")
    assert agrees("boxes", "box") and agrees("berry", "berries")
    assert not agrees("dog", "cat") and not agrees("one", "two") and not agrees("2", "2s")


def test_units_and_sentences():
    assert [u.text for u in units('It\'s a "well-lit" room, 3.5 m wide.')] == [
        "It's", "a", '"', "well-lit", '"', "room", ",", "3", ".", "5", "m", "wide", ".",
    ]  # fmt: skip
    text = 'A dog ran. It said "hi." Then 3.5 cats sat!  No end'
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "A dog ran.",
        'It said "hi."',
        "Then 3.5 cats sat!",
        "No end",
    ]
    assert sentence_spans("   ") == []


def test_word_labels_from_spans():
    assert word_labels_from_spans("a big dog.", ((2, 5),)) == [True, False, True]


def test_agreement_with_world_on_a_small_world(tmp_path):
    generate_world(24, 0, tmp_path)
    result = agreement_with_world(tmp_path, 5)
    assert set(result) == set(PERTURBATIONS)
    assert all(total == 5 for _, total in result.values())
    # every swap agrees with the scene; an inserted claim is blamed whole by alignment while the scene
    # blames only its attribute words ("There is a" stays true), so counterfactuals never agree exactly
    assert {k: a for k, (a, _) in result.items()} == {
        k: 0 if k == "counterfactual" else 5 for k in PERTURBATIONS
    }
