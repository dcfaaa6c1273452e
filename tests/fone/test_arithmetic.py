from decimal import Decimal

import pytest

from modgap.fone.arithmetic import ArithmeticTask, make_splits, sample_problems


def test_answers_are_exact_and_operands_ordered_as_in_the_paper():
    for p in sample_problems(ArithmeticTask("add", 6, 0), 200, seed=1):
        assert p.a <= p.b and p.answer == p.a + p.b
    for p in sample_problems(ArithmeticTask("sub", 3, 2), 200, seed=1):
        assert p.a >= p.b and p.answer == p.a - p.b >= 0
    for p in sample_problems(ArithmeticTask("mul", 2, 1), 200, seed=1):
        assert p.a <= p.b and p.answer == p.a * p.b


def test_decimal_text_keeps_fixed_places():
    p = sample_problems(ArithmeticTask("add", 3, 2), 1, seed=0)[0]
    a, b = p.text.rstrip("=").split("+")
    assert len(a.split(".")[1]) == len(b.split(".")[1]) == len(p.answer_text.split(".")[1]) == 2
    assert Decimal(a) + Decimal(b) == Decimal(p.answer_text)


def test_splits_are_disjoint_unique_seeded_and_nested():
    task = ArithmeticTask("add", 3, 0)
    s = make_splits(task, train=500, val=100, test=200, seed=7)
    pairs = [(p.a, p.b) for p in s.train + s.val + s.test]
    assert len(pairs) == len(set(pairs)) == 800
    assert make_splits(task, 500, 100, 200, seed=7) == s
    assert make_splits(task, 500, 100, 200, seed=8).train != s.train
    bigger = make_splits(task, 700, 100, 200, seed=7)
    assert bigger.train[:500] == s.train and bigger.test == s.test


def test_bad_tasks_and_impossible_requests_are_rejected():
    with pytest.raises(ValueError, match="unknown op 'div'"):
        ArithmeticTask("div")
    with pytest.raises(ValueError, match="int_digits >= 1"):
        ArithmeticTask("add", 0)
    with pytest.raises(ValueError, match="at most"):
        sample_problems(ArithmeticTask("add", 1, 0), 1000, seed=0)


def test_answer_digits_cover_the_largest_answer():
    assert ArithmeticTask("add", 6, 0).answer_digits == (7, 0)
    assert ArithmeticTask("sub", 6, 3).answer_digits == (6, 3)
    assert ArithmeticTask("mul", 3, 1).answer_digits == (6, 2)


def test_default_operand_stream_is_the_one_earlier_results_were_drawn_from():
    drawn = [(p.a_scaled, p.b_scaled) for p in sample_problems(ArithmeticTask("add", 6, 0), 3, seed=0)]
    assert drawn == [(287800, 381564), (102839, 672371), (28473, 736124)]
    assert ArithmeticTask("add", 6, 0).name == "add6"


def test_uniform_lengths_cover_every_length_and_exact_lengths_only_one():
    def lengths(task):
        return {len(str(x)) for p in sample_problems(task, 300, seed=0) for x in (p.a, p.b)}

    assert lengths(ArithmeticTask("add", 5, 0, lengths="uniform")) == {1, 2, 3, 4, 5}
    assert lengths(ArithmeticTask("add", 12, 0, lengths="exact")) == {12}
    assert lengths(ArithmeticTask("add", 5, 0)) <= {1, 2, 3, 4, 5}
    exact = sample_problems(ArithmeticTask("sub", 4, 2, lengths="exact"), 50, seed=0)
    assert all(Decimal("1000") <= x < Decimal("10000") for p in exact for x in (p.a, p.b))
    assert ArithmeticTask("add", 10, 0, lengths="uniform").name == "add10-uniform"


def test_unknown_lengths_and_too_many_exact_problems_are_rejected():
    with pytest.raises(ValueError, match="unknown lengths 'long'"):
        ArithmeticTask("add", 3, lengths="long")
    two_digits = ArithmeticTask("add", 2, 0, lengths="exact")  # 90 operands: 90·91/2 pairs, half drawable
    assert len(sample_problems(two_digits, 2047, seed=0)) == 2047
    with pytest.raises(ValueError, match="at most 2047 "):
        sample_problems(two_digits, 2048, seed=0)
