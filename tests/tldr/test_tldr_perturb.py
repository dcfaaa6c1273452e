"""Rule-based and LLM perturbers: real edits on free text, labels equal to the edited words, determinism."""

import asyncio
import random
import re

import pytest

from modgap.models.mock import MockBackend
from modgap.tldr.example import TLDRExample
from modgap.tldr.perturb import PERTURBERS, make_perturbations, perturb_caption
from modgap.tldr.perturb_llm import LLMPerturber
from modgap.world import PERTURBATIONS

# type -> (gold caption, perturbed caption with Random(0), the bad words)
SEED0 = {
    "spatial_relation": (
        "The lamp stands behind the sofa.",
        "The lamp stands in front of the sofa.",
        ["in", "front", "of"],
    ),
    "visual_attribute": ("A wooden chair.", "A paper chair.", ["paper"]),
    "attribute_binding": ("A red car and a blue bus.", "A blue car and a red bus.", ["blue", "red"]),
    "object_identification": ("An apple lies on the table.", "An apple lies on the lamp.", ["lamp"]),
    "counting": ("There is one dog on the grass.", "There are two dogs on the grass.", ["two"]),
    "small_object": ("A woman holds a cup.", "A woman holds a button.", ["button"]),
    "text_ocr": ('A sign reads "EXIT".', 'A sign reads "EXIZ".', ["EXIZ"]),
    "counterfactual": ("The door is not open.", "The door is open.", ["open"]),
}
FREE_TEXT = [
    "A red car is parked to the left of a large wooden house.",
    "Two dogs and one cat sit on a blue sofa next to a small table.",
    'A sign reading "OPEN" hangs above the door of the Cafe. The man is not smiling.',
    "Three children play with 2 balls under a tall tree, near a green bench.",
    "A plate with an apple and a banana is on the kitchen table. A knife lies beside it.",
    "The image shows a black cat inside a cardboard box.",
    "A small white dog chases a large black cat across a red carpet.",
]


def words(text, spans):
    return [text[s:e] for s, e in spans]


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_each_type_makes_its_edit_and_labels_the_edited_words(kind):
    gold, expected, bad = SEED0[kind]
    text, spans = PERTURBERS[kind](gold, random.Random(0))
    assert text == expected
    assert words(text, spans) == bad


def test_small_object_can_insert_a_whole_false_sentence():
    text, spans = perturb_caption("A woman holds a cup.", "small_object", random.Random(1))
    assert text == "A small spoon sits in the corner. A woman holds a cup."
    assert words(text, spans) == ["A", "small", "spoon", "sits", "in", "the", "corner", "."]


def test_counterfactual_can_insert_a_negation_or_a_denial():
    results = {
        perturb_caption("A dog is on the grass.", "counterfactual", random.Random(s))[0] for s in range(12)
    }
    assert "A dog is not on the grass." in results
    assert "There is no dog in the image. A dog is on the grass." in results


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_none_when_the_caption_offers_nothing(kind):
    caption = "" if kind == "small_object" else "hello world, a sunny day with a single red kite"
    if kind in ("visual_attribute", "object_identification", "counterfactual", "counting"):
        caption = "hello world"
    assert perturb_caption(caption, kind, random.Random(0)) is None


def test_number_words_used_as_pronouns_are_not_counted():
    assert perturb_caption("One can see one of the dogs.", "counting", random.Random(0)) is None


def changed_region(gold, text):
    """Characters of ``text`` outside its common prefix and suffix with ``gold``, widened by one word on
    each side (where an insertion sits among repeated words is a choice, a deletion blames the next word)."""
    n = min(len(gold), len(text))
    p = next((i for i in range(n) if gold[i] != text[i]), n)
    s = next((i for i in range(n - p) if gold[-1 - i] != text[-1 - i]), n - p)
    before = [m.start() for m in re.finditer(r"\S+", text) if m.start() < p]
    after = [m.end() for m in re.finditer(r"\S+", text) if m.end() > len(text) - s]
    return (before[-2] if len(before) > 1 else 0), (after[1] if len(after) > 1 else len(text))


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_bad_spans_lie_inside_the_edit_on_free_text(kind):
    made = 0
    for caption in FREE_TEXT:
        for seed in range(10):
            result = perturb_caption(caption, kind, random.Random(seed))
            if result is None:
                continue
            text, spans = result
            made += 1
            assert text != caption and spans
            TLDRExample("x.png", text, spans, kind)  # spans are valid
            start, end = changed_region(caption, text)
            assert all(start <= s and e <= end for s, e in spans), (caption, text, spans)
    assert made >= 5


def test_unknown_type_is_a_value_error_naming_the_types():
    with pytest.raises(ValueError, match="spatial_relation"):
        perturb_caption("A dog.", "colour", random.Random(0))


GOLD = [TLDRExample("/img/a.png", c, id=f"{i:06d}/none", meta={"k": i}) for i, c in enumerate(FREE_TEXT)]


def test_make_perturbations_is_deterministic_and_labelled():
    out = make_perturbations(GOLD, PERTURBATIONS, seed=3)
    assert out == make_perturbations(GOLD, PERTURBATIONS, seed=3)
    assert out != make_perturbations(GOLD, PERTURBATIONS, seed=4)
    assert len(out) == 36 and {ex.type for ex in out} == set(PERTURBATIONS)
    first = out[0]
    assert first.id == "000000/spatial_relation" and first.image == "/img/a.png"
    assert first.meta == {"k": 0, "source": "000000/none", "gold": FREE_TEXT[0], "perturber": "rules"}
    assert first.caption == "A red car is parked to the right of a large wooden house." and first.is_bad


def test_make_perturbations_several_per_example_are_distinct_and_skip_bad_examples():
    bad = TLDRExample("/img/b.png", "A dog.", ((2, 5),), "object_identification", "x")
    out = make_perturbations([GOLD[1], bad], ["counting"], seed=0, per_example=6)
    assert len({ex.caption for ex in out}) == len(out) >= 2
    assert all(ex.meta["source"] == "000001/none" and ex.id.startswith("000001/counting/") for ex in out)


def scripted(edits, verdicts):
    """A mock model: the edit prompt gets ``edits[type word]``, the check prompt ``verdicts[edited]``."""

    def reply(request):
        prompt = request.messages[-1].text
        if prompt.startswith("Make ONE minimal edit"):
            return next(v for k, v in edits.items() if k in prompt)
        edited = re.search(r"Edited caption: (.*)", prompt).group(1)
        return verdicts[edited]

    return reply


def test_llm_perturber_keeps_minimal_edits_and_rejects_paraphrases():
    edits = {
        "spatial relation": "Edited caption: The cat sits under the table.",
        "colour, size or material": '"A feline sits on the table."',
        "number or count": "The cat sits on the table.",
        "misspell": "Nothing here at all, a completely different sentence.",
    }
    verdicts = {"The cat sits under the table.": "MINIMAL", "A feline sits on the table.": "Paraphrase."}
    backend = MockBackend(scripted(edits, verdicts))
    perturber = LLMPerturber(backend)
    gold = "The cat sits on the table."
    text, spans = asyncio.run(perturber.perturb(gold, "spatial_relation"))
    assert text == "The cat sits under the table." and words(text, spans) == ["under"]
    assert asyncio.run(perturber.perturb(gold, "visual_attribute")) is None
    assert asyncio.run(perturber.perturb(gold, "counting")) is None  # unchanged
    assert asyncio.run(perturber.perturb(gold, "text_ocr")) is None  # rewrote everything
    assert perturber.rejected == {"paraphrase": 1, "unchanged": 1, "not_minimal": 1}
    assert len(backend.requests) == 6  # two for the kept edit and the paraphrase, one for each other
    assert "change a spatial relation" in backend.requests[0].messages[0].text


def test_llm_perturber_run_makes_examples():
    edits = {
        "spatial relation": "The cat sits under the table.",
        "change a number": "Two cats sit on the table.",
    }
    verdicts = {"The cat sits under the table.": "MINIMAL", "Two cats sit on the table.": "OTHER"}
    perturber = LLMPerturber(MockBackend(scripted(edits, verdicts), name="m"))
    gold = TLDRExample("/img/c.png", "The cat sits on the table.", id="7/none")
    out = perturber.run([gold], ["spatial_relation", "counting"], concurrency=2)
    assert [(ex.id, ex.type, ex.caption) for ex in out] == [
        ("7/spatial_relation", "spatial_relation", "The cat sits under the table.")
    ]
    assert out[0].bad_spans == ((13, 18),) and out[0].meta["perturber"] == "llm:m"
    assert perturber.rejected == {"other": 1}


def test_llm_perturber_without_check_asks_once():
    backend = MockBackend(lambda r: "The cat sits under the table.")
    perturber = LLMPerturber(backend, check=False)
    assert asyncio.run(perturber.perturb("The cat sits on the table.", "spatial_relation")) is not None
    assert len(backend.requests) == 1
    with pytest.raises(ValueError, match="unknown perturbation"):
        asyncio.run(perturber.perturb("x", "nope"))
