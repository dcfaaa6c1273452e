"""TLDR metrics on three hand-scored captions, every number worked out by hand."""

import math

import pytest

from modgap.tldr.example import TLDRExample
from modgap.tldr.metrics import Scored, evaluate, hallucination_rates, sentence_spans

# "Two" is bad; tokens: Two| dogs|.| A| cat|.   predicted bad: Two (0.2) and cat (0.4)
A = Scored(
    TLDRExample("a.png", "Two dogs. A cat.", ((0, 3),), "counting", "a"),
    ((0, 3), (3, 8), (8, 9), (9, 11), (11, 15), (15, 16)),
    (0.2, 0.9, 0.8, 0.6, 0.4, 0.9),
)
# gold, all tokens predicted good
B = Scored(
    TLDRExample("b.png", "A red ball.", (), "none", "b"),
    ((0, 1), (1, 5), (5, 10), (10, 11)),
    (0.9, 0.75, 0.95, 0.99),
)
# "Three" is bad but scored 0.7; " cups" is good but scored 0.3
C = Scored(
    TLDRExample("c.png", "Three cups!", ((0, 5),), "counting", "c"),
    ((0, 5), (5, 10), (10, 11)),
    (0.7, 0.3, 0.9),
)


def test_overall_metrics():
    m = evaluate([A, B, C])["all"]
    assert (m.responses, m.tokens) == (3, 13)
    assert m.token_acc == pytest.approx(10 / 13)  # A 5/6 (cat wrong), B 4/4, C 1/3
    assert m.sentence_acc == pytest.approx(3 / 4)  # "A cat." is good but predicted bad
    assert m.response_acc == 1.0
    # 1-P ranking: 0.8 bad, 0.7, 0.6, 0.4, 0.3 bad -> 1/2 * 1 + 1/2 * 2/5
    assert m.map_neg == pytest.approx(0.7)
    # P ranking: 8 good tokens, then the bad 0.7, then good 0.6, 0.4, 0.3, then the bad 0.2
    assert m.map_pos == pytest.approx(8 / 11 + (9 / 10 + 10 / 11 + 11 / 12) / 11)


def test_per_type_metrics():
    result = evaluate([A, B, C])
    assert set(result) == {"all", "counting", "none"}
    counting, gold = result["counting"], result["none"]
    assert (counting.responses, counting.tokens) == (2, 9)
    assert counting.token_acc == pytest.approx(6 / 9)
    assert counting.sentence_acc == pytest.approx(2 / 3)
    assert counting.response_acc == 1.0 and counting.map_neg == pytest.approx(0.7)
    assert gold.token_acc == gold.sentence_acc == gold.response_acc == gold.map_pos == 1.0
    assert math.isnan(gold.map_neg)  # no bad token to find
    assert gold.to_dict()["tokens"] == 4


def test_threshold_moves_predictions():
    m = evaluate([A, B, C], threshold=0.25)["all"]  # only "Two" (0.2) is flagged now
    assert m.token_acc == pytest.approx(12 / 13)  # cat and cups right now, Three still missed
    assert m.response_acc == pytest.approx(2 / 3)  # C is bad but nothing is flagged


def test_hallucination_rates_from_predictions_alone():
    rates = hallucination_rates([A, B, C])
    assert (rates.token, rates.sentence, rates.response) == pytest.approx((3 / 13, 3 / 4, 2 / 3))
    assert (rates.tokens, rates.sentences, rates.responses) == (13, 4, 3)
    truth = hallucination_rates(
        [s.oracle() for s in (A, B, C)]
    )  # bad: Two, Three; "Two dogs.", "Three cups!"
    assert (truth.token, truth.sentence, truth.response) == pytest.approx((2 / 13, 2 / 4, 2 / 3))
    assert evaluate([A.oracle(), C.oracle()])["all"].token_acc == 1.0


def test_sentences_group_tokens_and_skip_whitespace():
    text = "Hi there.  Bye!"
    scored = Scored(
        TLDRExample("x.png", text), ((0, 2), (2, 8), (8, 9), (9, 11), (11, 14), (14, 15), (15, 15)), (1,) * 7
    )
    assert [text[s:e] for s, e in sentence_spans(text)] == ["Hi there.", "Bye!"]
    assert scored.sentences() == [[0, 1, 2], [4, 5]]  # "  " and the empty end token belong to none


def test_bad_inputs():
    ex = TLDRExample("x.png", "A dog.")
    with pytest.raises(ValueError, match="2 token offsets but 1 scores"):
        Scored(ex, ((0, 1), (1, 5)), (0.5,))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Scored(ex, ((0, 1),), (1.5,))
    with pytest.raises(ValueError, match="at least one"):
        evaluate([])


def test_flagged_counts_tokens_below_threshold_and_guessed_keeps_offsets():
    import random

    from modgap.tldr.example import TLDRExample
    from modgap.tldr.metrics import Scored

    s = Scored(TLDRExample("x.png", "a b c"), ((0, 1), (2, 3), (4, 5)), (0.1, 0.6, 0.49))
    assert s.flagged() == 2 and s.flagged(0.05) == 0
    g = s.guessed(random.Random(0))
    rng = random.Random(0)
    assert g.offsets == s.offsets and g.p_good == tuple(rng.random() for _ in range(3))
