"""Scoring captions with a reward model, and the words its low scores flag."""

import pytest
import torch
from PIL import Image

from modgap.models.tiny import tiny_vlm_path
from modgap.tldr.example import TLDRExample
from modgap.tldr.metrics import evaluate
from modgap.tldr.model import IGNORE, TokenRewardModel, caption_tokens, encode
from modgap.tldr.score import Scored, flagged_words, score


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    Image.new("RGB", (40, 40), "red").save(folder / "red.png")
    image = str(folder / "red.png")
    return [
        TLDRExample(image, "A red circle."),
        TLDRExample(image, "A blue circle is above a square.", ((2, 6),), "attr"),
        TLDRExample(image, "Two circles.", ((0, 3),), "counting"),
    ]


@pytest.mark.parametrize("naive", [False, True])
def test_score_matches_model_probabilities(examples, naive):
    model = TokenRewardModel(tiny_vlm_path("llava"), naive=naive)
    scored = score(model, None, examples, batch_size=2)
    assert [s.example for s in scored] == examples
    batch = encode(model.processor, examples)
    labels = batch.pop("labels")
    with torch.no_grad():
        p = torch.sigmoid(model(**batch).logits)
    for row, s in enumerate(scored):
        assert list(s.offsets) == caption_tokens(model.processor, s.example.caption)[1]
        expected = p[row, labels[row] != IGNORE]
        if naive:
            expected = expected[-1].expand(len(expected))
        assert torch.allclose(torch.tensor(s.p_good), expected, atol=1e-5)
    if naive:
        assert all(len(set(s.p_good)) == 1 for s in scored)
    one = score(model, model.processor, examples, batch_size=1)
    assert all(
        torch.allclose(torch.tensor(a.p_good), torch.tensor(b.p_good), atol=1e-5)
        for a, b in zip(one, scored, strict=True)
    )


def test_scores_feed_the_metrics(examples):
    model = TokenRewardModel(tiny_vlm_path("llava"))
    metrics = evaluate(score(model, None, examples))
    assert metrics["all"].responses == 3 and 0 <= metrics["all"].token_acc <= 1


def test_score_refuses_bad_batch_size(examples):
    with pytest.raises(ValueError, match="batch_size"):
        score(TokenRewardModel(tiny_vlm_path("llava")), None, examples, batch_size=0)


CAPTION = "A red triangle."
OFFSETS = ((0, 1), (1, 5), (5, 9), (9, 14), (14, 15))  # "A", " red", " tri", "angle", "."


def flags(*bad):
    p = tuple(0.1 if k in bad else 0.9 for k in range(len(OFFSETS)))
    return flagged_words(Scored(TLDRExample("x.png", CAPTION), OFFSETS, p))


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ((), []),
        ((1,), ["red"]),
        ((3,), ["triangle"]),
        ((2, 3), ["triangle"]),
        ((3, 4), ["triangle"]),
        ((4,), ["."]),
        ((0, 1, 2), ["A", "red", "triangle"]),
    ],
)
def test_flagged_words_merge_tokens_per_word(bad, words):
    assert [CAPTION[s:e] for s, e in flags(*bad)] == words


def test_flagged_words_threshold():
    scored = Scored(TLDRExample("x.png", CAPTION), OFFSETS, (0.9, 0.4, 0.9, 0.9, 0.9))
    assert flagged_words(scored, threshold=0.3) == []
    assert flagged_words(scored, threshold=0.5) == [(2, 5)]
