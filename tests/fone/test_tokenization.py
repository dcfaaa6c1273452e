from decimal import Decimal

import pytest
import torch
from transformers import AutoTokenizer

from modgap.fone.modules import FourierConfig
from modgap.fone.tokenization import NUM_TOKEN, NumberTokenizer, render_number
from modgap.models import smollm2_path

CFG = FourierConfig(int_digits=7, frac_digits=2, hidden_size=576)


@pytest.fixture
def smol():
    """A fresh real SmolLM2 tokenizer (NumberTokenizer adds [NUM] to it in place)."""
    return AutoTokenizer.from_pretrained(smollm2_path())


@pytest.fixture
def ntok(smol):
    return NumberTokenizer(smol, CFG)


def test_num_token_is_added_once(smol):
    before = len(smol)
    first = NumberTokenizer(smol, CFG)
    second = NumberTokenizer(smol, CFG)
    assert len(smol) == before + 1
    assert first.num_token_id == second.num_token_id == before
    assert smol.convert_ids_to_tokens(first.num_token_id) == NUM_TOKEN


@pytest.mark.parametrize(
    "text",
    [
        "copy 12345.67 -> 12345.67",
        "a 1 b 22 c 333\n4444 and 0.5, 0.05 or 9999999.99!",
        "no numbers here",
        "12 apples cost 3.75€ (x3)",
    ],
)
def test_round_trip_restores_canonical_numbers_exactly(ntok, text):
    batch = ntok(text)
    ids = batch["input_ids"][0]
    assert ntok.decode(ids, batch["num_values"][0]) == text


def test_one_num_token_per_number_with_exact_values(ntok):
    batch = ntok("copy 12345.67 -> 12345.67 and 8")
    ids = batch["input_ids"][0]
    assert batch["num_values"] == [[Decimal("12345.67"), Decimal("12345.67"), Decimal("8")]]
    assert (ids == ntok.num_token_id).sum().item() == 3
    assert torch.equal(batch["num_mask"][0], ids == ntok.num_token_id)
    # digits never reach the base tokenizer
    assert not any(ch.isdigit() for tok in ntok.tokenizer.convert_ids_to_tokens(ids) for ch in tok)


def test_features_sit_at_number_positions_and_are_zero_elsewhere(ntok):
    batch = ntok(["7 plus 0.25", "x 1000000"])
    feats, mask = batch["num_features"], batch["num_mask"]
    assert feats.shape == (*batch["input_ids"].shape, CFG.width)
    assert feats.dtype == torch.float32
    expected = CFG.features([7, Decimal("0.25"), 1000000]).float()
    assert torch.equal(feats[mask], expected)
    assert torch.count_nonzero(feats[~mask]) == 0


@pytest.mark.parametrize("side", ["right", "left"])
def test_padding_side_is_respected(ntok, side):
    ntok.tokenizer.padding_side = side
    batch = ntok(["5", "one two three four 6"])
    short = batch["attention_mask"][0]
    assert short.sum() < short.numel()
    pad_at = 0 if side == "left" else -1
    assert short[pad_at] == 0
    assert batch["num_mask"][0].sum() == 1
    assert not (batch["num_mask"] & ~batch["attention_mask"].bool()).any()
    rows = [ntok.decode(batch["input_ids"][i], batch["num_values"][i]) for i in range(2)]
    assert rows == ["5", "one two three four 6"]


def test_explicit_padding_side_overrides_tokenizer(ntok):
    batch = ntok(["5", "one two three 6"], padding_side="left")
    assert batch["attention_mask"][0, 0] == 0 and batch["attention_mask"][0, -1] == 1


def test_non_canonical_numbers_come_back_canonical(ntok):
    batch = ntok("0.50 and 007 and 1,000 and 2.")
    assert batch["num_values"][0] == [Decimal("0.5"), 7, 1, 0, 2]
    assert ntok.decode(batch["input_ids"][0], batch["num_values"][0]) == "0.5 and 7 and 1,0 and 2."


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (Decimal("-0.00"), "0"),
        (Decimal("12.00"), "12"),
        (Decimal("100"), "100"),
        (0.5, "0.5"),
        (-3, "-3"),
    ],
)
def test_render_number(value, text):
    assert render_number(value) == text


@pytest.mark.parametrize(("text", "number"), [("copy 123456789", "123456789"), ("pi is 3.14159", "3.14159")])
def test_numbers_over_the_digit_budget_are_named(ntok, text, number):
    with pytest.raises(ValueError, match=f"number '{number}' does not fit"):
        ntok(text)


def test_unsigned_keeps_minus_as_text(ntok):
    batch = ntok("x = -3")
    assert batch["num_values"] == [[3]]
    assert ntok.decode(batch["input_ids"][0], [3]) == "x = -3"


def test_signed_minus_belongs_to_the_number_unless_it_is_an_operator(smol):
    signed = NumberTokenizer(smol, FourierConfig(int_digits=3, hidden_size=576, signed=True))
    text = "x = -3, 5-3, (2)-1, -0"
    batch = signed(text)
    assert batch["num_values"] == [[-3, 5, 3, 2, 1, 0]]
    assert batch["num_features"][batch["num_mask"]][0, -1] == 1.0  # sign feature of -3
    assert signed.decode(batch["input_ids"][0], batch["num_values"][0]) == "x = -3, 5-3, (2)-1, 0"


def test_literal_num_token_in_text_is_rejected(ntok):
    with pytest.raises(ValueError, match=r"literal '\[NUM\]'"):
        ntok("a [NUM] b")


def test_decode_checks_value_count(ntok):
    batch = ntok("1 and 2")
    with pytest.raises(ValueError, match="2 \\[NUM\\] tokens but 1 values"):
        ntok.decode(batch["input_ids"][0], [1])


def test_decode_skips_special_tokens_but_not_numbers(ntok):
    eos = ntok.tokenizer.eos_token
    batch = ntok(f"answer 42{eos}")
    assert ntok.decode(batch["input_ids"][0], [42]) == "answer 42"
    assert ntok.decode(batch["input_ids"][0], [42], skip_special_tokens=False) == f"answer 42{eos}"
