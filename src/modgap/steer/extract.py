"""From a text backbone and a concept set to a :class:`SteeringVector`, and how well it separates.

The MLLM itself is run on text only (no image), so the vector lives in the same residual stream the
image tokens later pass through. Separation is measured on held-out sentences: the AUROC of projecting
their tokens on each layer's direction, anchor tokens against all others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from modgap.steer.capture import capture
from modgap.steer.concepts import ConceptSentence
from modgap.steer.sae import SAE
from modgap.steer.vectors import METHODS, SteeringVector, diffmean, meanshift, probe, sae_vector, separation

__all__ = ["extract", "LayerReport", "layer_report"]


def extract(
    model: nn.Module,
    tokenizer: Any,
    sentences: Sequence[ConceptSentence],
    method: str = "meanshift",
    layers: Sequence[int] | None = None,
    sae: tuple[int, SAE] | None = None,
    negatives: Sequence[ConceptSentence] = (),
    batch_size: int = 16,
    seed: int = 0,
    model_name: str = "",
    on_batch: Callable[[int], None] | None = None,
) -> SteeringVector:
    """A steering vector of ``method`` over ``sentences`` (for ``diffmean``: positives, with ``negatives``).

    ``sae`` is (layer, SAE) and restricts the ``sae`` method to that layer.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    if method == "sae" and sae is None:
        raise ValueError("method 'sae' needs an SAE: pass --sae FILE with --sae-layer N")
    if method == "diffmean" and not negatives:
        raise ValueError("method 'diffmean' needs contrastive pairs (negatives)")
    if method == "sae":
        layers = [sae[0]]
    run = dict(layers=layers, batch_size=batch_size, seed=seed, on_batch=on_batch)
    stats = capture(model, tokenizer, sentences, saes=dict([sae]) if sae else None, **run)
    concept = sentences[0].concept
    extra: dict[str, Any] = {
        "sentences": len(sentences),
        "anchor_tokens": next(iter(stats.values())).anchor.n,
    }
    if method == "meanshift":
        directions = meanshift(stats)
    elif method == "probe":
        directions, accuracy = probe(stats, seed)
        extra["train_accuracy"] = {str(k): round(v, 4) for k, v in accuracy.items()}
    elif method == "sae":
        direction, latents = sae_vector(stats[sae[0]], sae[1])
        directions, extra["latents"] = {sae[0]: direction}, latents
    else:
        directions = diffmean(stats, capture(model, tokenizer, negatives, **run))
    return SteeringVector(directions, method, concept, model_name, extra)


@dataclass(frozen=True)
class LayerReport:
    layer: int
    auroc: float
    norm: float


def layer_report(
    model: nn.Module,
    tokenizer: Any,
    vector: SteeringVector,
    held_out: Sequence[ConceptSentence],
    batch_size: int = 16,
    seed: int = 0,
) -> list[LayerReport]:
    """Per layer: AUROC of held-out anchor tokens vs other tokens projected on the vector, and its norm."""
    stats = capture(
        model, tokenizer, held_out, layers=sorted(vector.directions), batch_size=batch_size, seed=seed
    )
    auroc = separation(stats, vector.directions)
    return [
        LayerReport(ell, auroc[ell], float(torch.linalg.norm(v)))
        for ell, v in sorted(vector.directions.items())
    ]
