"""Number-aware tokenization: every number in a text becomes one ``[NUM]`` token plus its FoNE features.

Wraps any Hugging Face tokenizer. Text between numbers goes through the tokenizer unchanged;
each number becomes the added special token ``[NUM]``, and its value travels beside the ids as
an exact FoNE vector (``num_features``) at that position.

What counts as a number: ``[0-9]+(\\.[0-9]+)?`` (so ``"3."`` keeps its period as text and ``"1,000"`` is
two numbers). With ``cfg.signed`` a ``-`` right before the digits belongs to the number unless it
follows a word character or ``)``, so ``"x = -3"`` holds ``-3`` while ``"5-3"`` holds ``5``, ``-``, ``3``.

Round trip: numbers are values, so :meth:`NumberTokenizer.decode` renders each one canonically
(no leading zeros, no trailing fractional zeros, no exponent: ``"0.50" -> "0.5"``, ``"007" -> "7"``,
``"1,000" -> "1,0"``). Text -> tokens -> text is exact whenever the numbers in the text are canonical.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

import torch
from transformers import BatchEncoding, PreTrainedTokenizerBase

from modgap.fone.encoding import Number, from_scaled_int, to_scaled_int
from modgap.fone.modules import FourierConfig

__all__ = ["NUM_TOKEN", "NumberTokenizer", "render_number"]

NUM_TOKEN = "[NUM]"
"""The one token that stands for any number."""

_UNSIGNED = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SIGNED = re.compile(r"(?:(?<![\w)])-)?[0-9]+(?:\.[0-9]+)?")


def render_number(value: Number) -> str:
    """Canonical text of a number: ``12``, ``0.5``, ``-3.25`` (never ``012``, ``0.50`` or ``1E+2``)."""
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if d == 0:
        return "0"
    return format(d.normalize(), "f")


class NumberTokenizer:
    """Turns texts into ``[NUM]``-bearing ids with aligned FoNE features, and back.

    Adds ``[NUM]`` to ``tokenizer`` (in place, once) so the model's embeddings can be resized to match,
    and lets a tokenizer without a pad token pad with EOS, since batches need one.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, cfg: FourierConfig):
        self.tokenizer = tokenizer
        self.cfg = cfg
        tokenizer.add_special_tokens(
            {"extra_special_tokens": [NUM_TOKEN]}, replace_extra_special_tokens=False
        )
        self.num_token_id: int = tokenizer.convert_tokens_to_ids(NUM_TOKEN)
        self._pattern = _SIGNED if cfg.signed else _UNSIGNED
        if tokenizer.pad_token is None and tokenizer.eos_token is not None:
            tokenizer.pad_token = tokenizer.eos_token

    def __len__(self) -> int:
        return len(self.tokenizer)

    def split(self, text: str) -> tuple[str, list[int | Decimal]]:
        """(text with each number replaced by ``[NUM]``, the numbers' exact values in order)."""
        if NUM_TOKEN in text:
            raise ValueError(f"text already contains the literal {NUM_TOKEN!r}: {text!r}")
        values = [self._value(m.group()) for m in self._pattern.finditer(text)]
        return self._pattern.sub(NUM_TOKEN, text), values

    def _value(self, number: str) -> int | Decimal:
        try:
            n = to_scaled_int(number, self.cfg.int_digits, self.cfg.frac_digits)
        except ValueError as err:
            raise ValueError(
                f"number {number!r} does not fit FourierConfig(int_digits={self.cfg.int_digits}, "
                f"frac_digits={self.cfg.frac_digits}): {err}"
            ) from None
        return from_scaled_int(n, self.cfg.frac_digits)

    def __call__(
        self,
        texts: str | Sequence[str],
        add_special_tokens: bool = True,
        padding_side: str | None = None,
    ) -> BatchEncoding:
        """Batch of padded tensors plus per-row number values.

        Keys: ``input_ids`` and ``attention_mask`` (B, L) as the wrapped tokenizer makes them
        (``padding_side`` defaults to the tokenizer's), ``num_mask`` (B, L) bool at ``[NUM]``
        positions, ``num_features`` (B, L, cfg.width) float32, zero off numbers, and
        ``num_values``: a list per row of the numbers (int, or Decimal when ``frac_digits > 0``).
        """
        if isinstance(texts, str):
            texts = [texts]
        if not texts:
            raise ValueError("texts is empty")
        split = [self.split(t) for t in texts]
        enc = self.tokenizer(
            [s for s, _ in split],
            add_special_tokens=add_special_tokens,
            padding=True,
            padding_side=padding_side,
            return_tensors="pt",
        )
        values = [v for _, v in split]
        num_mask = (enc["input_ids"] == self.num_token_id) & enc["attention_mask"].bool()
        return BatchEncoding(
            {
                "input_ids": enc["input_ids"],
                "attention_mask": enc["attention_mask"],
                "num_mask": num_mask,
                "num_features": self.features(num_mask, values),
                "num_values": values,
            }
        )

    def features(self, num_mask: torch.Tensor, values: Sequence[Sequence[Number]]) -> torch.Tensor:
        """FoNE features (B, L, width) float32 with row b's values placed at its ``num_mask`` positions."""
        counts = num_mask.sum(-1).tolist()
        for row, (count, vals) in enumerate(zip(counts, values, strict=True)):
            if count != len(vals):
                raise ValueError(
                    f"row {row} has {count} {NUM_TOKEN} tokens but {len(vals)} numbers: {vals!r}"
                )
        out = torch.zeros(*num_mask.shape, self.cfg.width, dtype=torch.float32)
        flat = [v for vals in values for v in vals]
        if flat:
            out[num_mask.cpu()] = self.cfg.features(flat).float()
        return out.to(num_mask.device)

    def decode(
        self, ids: torch.Tensor | Sequence[int], values: Sequence[Number], skip_special_tokens: bool = True
    ) -> str:
        """Text of one row of ids, each ``[NUM]`` replaced in order by the canonical text of ``values``."""
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        if skip_special_tokens:
            special = set(self.tokenizer.all_special_ids) - {self.num_token_id}
            ids = [i for i in ids if i not in special]
        n_num = ids.count(self.num_token_id)
        if n_num != len(values):
            raise ValueError(f"ids hold {n_num} {NUM_TOKEN} tokens but {len(values)} values were given")
        text = self.tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        pieces = text.split(NUM_TOKEN)
        if len(pieces) != n_num + 1:  # other tokens spelled out a literal "[NUM]"
            raise ValueError(f"cannot place {n_num} numbers into decoded text {text!r}")
        out = [pieces[0]]
        for value, piece in zip(values, pieces[1:], strict=True):
            out += [render_number(value), piece]
        return "".join(out)
