"""world concepts: at least 20 sentences per set, one anchor each, inside its sentence, same every call."""

import pytest

from modgap.world import CONCEPTS, concept_sentences


@pytest.mark.parametrize("concept", CONCEPTS)
def test_sets_are_large_with_anchors_inside(concept):
    sentences = concept_sentences(concept)
    assert len(sentences) >= 20 and len({s.sentence for s in sentences}) == len(sentences)
    for s in sentences:
        assert 0 <= s.anchor_start < s.anchor_end <= len(s.sentence) and "*" not in s.sentence
        assert s.anchor.strip() == s.anchor and s.anchor.lower() in s.sentence.lower()
    assert concept_sentences(concept) == sentences


def test_the_four_sets_and_unknown_concept():
    assert set(CONCEPTS) == {"spatial", "counting", "attribute", "entity"}
    assert concept_sentences("spatial")[0].anchor == "beneath"
    with pytest.raises(ValueError, match="spatial"):
        concept_sentences("colour")
