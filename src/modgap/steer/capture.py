"""Hidden states at chosen layers over concept sentences, reduced as they stream past.

Only sums and counts are kept for the means (MeanShift), plus a bounded, seeded reservoir of token
states per class for the probe and for AUROC, plus per-latent sums when an SAE is given; memory does
not grow with the dataset.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from modgap.models.layers import decoder_layers, layer_output
from modgap.steer.concepts import ConceptSentence
from modgap.steer.sae import SAE

__all__ = ["ClassStats", "LayerStats", "anchor_masks", "capture", "record_layers"]


@dataclass
class ClassStats:
    """Running sum and count of one class's token states, and a reservoir sample of them."""

    limit: int
    rng: random.Random
    total: torch.Tensor | None = None
    n: int = 0
    sample: list[torch.Tensor] = field(default_factory=list)
    latent_total: torch.Tensor | None = None
    latent_fires: torch.Tensor | None = None

    def add(self, states: torch.Tensor, latents: torch.Tensor | None = None) -> None:
        states = states.double()
        self.total = states.sum(0) if self.total is None else self.total + states.sum(0)
        for row in states.float():
            self.n += 1
            if len(self.sample) < self.limit:
                self.sample.append(row)
            elif (slot := self.rng.randrange(self.n)) < self.limit:
                self.sample[slot] = row
        if latents is not None:
            fires = (latents > 0).double().sum(0)
            self.latent_total = latents.double().sum(0) + (
                0 if self.latent_total is None else self.latent_total
            )
            self.latent_fires = fires + (0 if self.latent_fires is None else self.latent_fires)

    @property
    def mean(self) -> torch.Tensor:
        if not self.n:
            raise ValueError("no tokens of this class were seen; check the anchors")
        return (self.total / self.n).float()

    def states(self) -> torch.Tensor:
        return torch.stack(self.sample)


@dataclass
class LayerStats:
    """Anchor vs other-token statistics of one layer."""

    anchor: ClassStats
    other: ClassStats


def _bos_prefix(tokenizer: Any) -> str:
    """The BOS text to prepend when the tokenizer has a BOS token but does not add it (SmolLM2)."""
    bos = getattr(tokenizer, "bos_token", None)
    if not bos or tokenizer("a")["input_ids"][:1] == [tokenizer.bos_token_id]:
        return ""
    return bos


def anchor_masks(
    tokenizer: Any, sentences: Sequence[ConceptSentence]
) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    """Tokenise ``sentences``; return the batch, a mask of anchor tokens (any token overlapping the
    anchor's characters, so multi-token anchors count whole) and a mask of the other real tokens.

    The first position of each sequence is neither: it is the attention sink, whose state is an outlier
    of huge norm in most LMs, so it is a BOS token (prepended when the tokenizer does not add one) or
    left out.
    """
    prefix = _bos_prefix(tokenizer)
    batch = tokenizer(
        [prefix + s.sentence for s in sentences],
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
        padding=True,
        return_tensors="pt",
    )
    offsets = batch.pop("offset_mapping") - len(prefix)
    real = (batch["attention_mask"] == 1) & (batch.pop("special_tokens_mask") == 0)
    first = batch["attention_mask"].cumsum(1) == 1
    real &= ~(first & (batch["attention_mask"] == 1))
    starts = torch.tensor([s.anchor_start for s in sentences])[:, None]
    ends = torch.tensor([s.anchor_end for s in sentences])[:, None]
    covers = (offsets[..., 0] < ends) & (offsets[..., 1] > starts) & (offsets[..., 1] > offsets[..., 0])
    anchor = real & covers
    missing = [s.sentence for s, row in zip(sentences, anchor, strict=True) if not row.any()]
    if missing:
        raise ValueError(
            f"no token covers the anchor of {missing[0]!r} (an anchor cannot be the first token)"
        )
    return dict(batch), anchor, real & ~anchor


@contextmanager
def record_layers(model: nn.Module, layers: Sequence[int]) -> Iterator[dict[int, torch.Tensor]]:
    """Inside the block, each forward pass leaves the outputs of ``layers`` in the yielded dict."""
    modules = decoder_layers(model)
    seen: dict[int, torch.Tensor] = {}

    def keep(index: int):
        def hook(module: nn.Module, args: tuple, output: Any) -> None:
            seen[index] = layer_output(output).detach()

        return hook

    handles = [modules[i].register_forward_hook(keep(i)) for i in layers]
    try:
        yield seen
    finally:
        for h in handles:
            h.remove()


@torch.no_grad()
def capture(
    model: nn.Module,
    tokenizer: Any,
    sentences: Sequence[ConceptSentence],
    layers: Sequence[int] | None = None,
    batch_size: int = 16,
    max_samples: int = 4096,
    saes: dict[int, SAE] | None = None,
    seed: int = 0,
    on_batch: Any | None = None,
) -> dict[int, LayerStats]:
    """Stream ``sentences`` (text only) through ``model`` and reduce anchor vs other states per layer."""
    if not sentences:
        raise ValueError("no sentences to capture")
    layers = list(range(len(decoder_layers(model)))) if layers is None else list(layers)
    rng = random.Random(seed)
    stats = {
        ell: LayerStats(
            ClassStats(max_samples, random.Random(rng.random())),
            ClassStats(max_samples, random.Random(rng.random())),
        )
        for ell in layers
    }
    model.eval()
    device = next(model.parameters()).device
    with record_layers(model, layers) as seen:
        for start in range(0, len(sentences), batch_size):
            batch, anchor, other = anchor_masks(tokenizer, sentences[start : start + batch_size])
            model(**{k: v.to(device) for k, v in batch.items()})
            for ell in layers:
                states = seen[ell].float().cpu()
                sae = (saes or {}).get(ell)
                for cls, mask in ((stats[ell].anchor, anchor), (stats[ell].other, other)):
                    chosen = states[mask]
                    cls.add(chosen, None if sae is None else sae.encode(chosen))
            if on_batch:
                on_batch(min(start + batch_size, len(sentences)))
    return stats
