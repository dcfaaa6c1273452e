"""What a vector does to the next token: probability mass on a word set, with and without steering."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from modgap.steer.apply import SteerSpec, steer

__all__ = ["NEUTRAL_PROMPTS", "first_token_ids", "word_mass"]

NEUTRAL_PROMPTS = (
    "The cat sat",
    "She put the keys",
    "The ball is",
    "He parked the car",
    "The lamp is",
    "The bird flew",
)
"""Openings a spatial word could continue but need not: where a spatial vector's effect shows."""


def first_token_ids(tokenizer: Any, words: Sequence[str]) -> list[int]:
    """The first token of each word as it appears mid-sentence (with a leading space), deduplicated."""
    ids = {tokenizer(" " + w, add_special_tokens=False)["input_ids"][0] for w in words}
    return sorted(ids)


@torch.no_grad()
def word_mass(
    model: Any, tokenizer: Any, prompts: Sequence[str], words: Sequence[str], specs: Sequence[SteerSpec] = ()
) -> float:
    """Mean over ``prompts`` of the next-token probability that falls on ``words`` (their first tokens)."""
    ids = torch.tensor(first_token_ids(tokenizer, words))
    device = next(model.parameters()).device
    total = 0.0
    with steer(model, specs, tokenizer):
        for prompt in prompts:
            batch = tokenizer(prompt, return_tensors="pt").to(device)
            probs = torch.softmax(model(**batch).logits[0, -1].float(), -1)
            total += float(probs[ids.to(device)].sum())
    return total / len(prompts)
