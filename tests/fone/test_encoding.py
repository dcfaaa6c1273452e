import math
from decimal import Decimal

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from modgap.fone import DIGIT_PHASES, decode, digit_targets, encode, encode_many, feature_width, places


@given(st.integers(min_value=-(10**60) + 1, max_value=10**60 - 1))
def test_integers_up_to_60_digits_round_trip_exactly(x):
    assert decode(encode(x, 60, 0), 60, 0) == x


@given(
    st.decimals(min_value=-(10**6) + 1, max_value=10**6 - 1, places=8, allow_nan=False, allow_infinity=False)
)
def test_decimals_with_8_fractional_digits_round_trip_exactly(x):
    assert decode(encode(x, 6, 8), 6, 8) == x


@given(st.integers(min_value=0, max_value=10**60 - 1))
def test_60_digit_integer_keeps_its_last_digit(x):
    # float64 would lose every digit past ~15; the units pair must still see x mod 10 exactly
    v = encode(x, 60, 0)
    angle = 2 * math.pi * (x % 10) / 10
    assert v[0].item() == pytest.approx(math.cos(angle), abs=1e-12)
    assert v[1].item() == pytest.approx(math.sin(angle), abs=1e-12)


def test_zero_is_digit_zero_phase_everywhere_not_zeroed_features():
    v = encode(0, 3, 2)
    assert v.tolist() == [1.0, 0.0] * 5 + [0.0]
    assert decode(v, 3, 2) == Decimal("0.00")
    assert decode(encode(0, 4, 0), 4, 0) == 0


def test_layout_smallest_period_first_and_sign_last():
    # 3.14 with m=1, n=2: periods 0.1 (digit 4), 1 (digit 1), 10 (digit 3)
    v = encode("-3.14", 1, 2)
    assert v.shape == (feature_width(1, 2),) == (7,)
    assert v[-1] == 1.0
    assert v[0].item() == pytest.approx(math.cos(2 * math.pi * 0.04 / 0.1))
    assert v[4].item() == pytest.approx(math.cos(2 * math.pi * 3.14 / 10))
    assert decode(v, 1, 2) == Decimal("-3.14")


def test_inputs_may_be_int_str_decimal_or_float():
    expected = encode(Decimal("12.5"), 2, 1)
    for x in (12.5, "12.5", " 12.50 ", Decimal("12.5")):
        assert torch.equal(encode(x, 2, 1), expected)
    assert decode(encode(0.1, 1, 1), 1, 1) == Decimal("0.1")  # repr, not the binary expansion


def test_decode_returns_int_without_fraction_and_decimal_with():
    assert isinstance(decode(encode(7, 1, 0), 1, 0), int)
    assert isinstance(decode(encode(7, 1, 1), 1, 1), Decimal)


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        ("Infinity", "finite"),
        ("abc", "not a number"),
        (1000, "more than int_digits=3"),
        ("1.234", "more than frac_digits=2"),
        (True, "expected int"),
        (None, "expected int"),
    ],
)
def test_bad_numbers_are_rejected_with_a_clear_message(x, match):
    with pytest.raises((ValueError, TypeError), match=match):
        encode(x, 3, 2)


def test_bad_digit_budgets_and_vectors_are_rejected():
    with pytest.raises(ValueError, match="at least one digit"):
        encode(1, 0, 0)
    with pytest.raises(ValueError, match="has 6 or 7 entries, got 5"):
        decode(torch.zeros(5), 3, 0)
    with pytest.raises(ValueError, match="NaN"):
        decode(torch.full((6,), float("nan")), 3, 0)
    with pytest.raises(ValueError, match="signed=True"):
        encode(-1, 3, 0, signed=False)


def test_unsigned_vectors_have_no_sign_feature_and_still_decode():
    v = encode(42, 2, 0, signed=False)
    assert v.shape == (4,)
    assert decode(v, 2, 0) == 42


def test_encode_many_matches_encode_and_digit_targets_are_places_smallest_first():
    batch = encode_many([5, 123, 999], 3, 0)
    assert torch.equal(batch[1], encode(123, 3, 0))
    assert digit_targets([123, "4.5"], 3, 1).tolist() == [[0, 3, 2, 1], [5, 4, 0, 0]]


def test_digit_phases_are_the_ten_unit_circle_points():
    assert DIGIT_PHASES.shape == (10, 2)
    assert DIGIT_PHASES[0].tolist() == [1.0, 0.0]
    assert torch.allclose(DIGIT_PHASES.norm(dim=1), torch.ones(10, dtype=torch.float64))


def test_places_counts_integer_and_fractional_digits():
    assert places("-3.140") == (1, 3)
    assert places(12345) == (5, 0)
    assert places("0.5") == (1, 1)
