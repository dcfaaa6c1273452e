"""Adding α·v to a decoder layer's output at image, text or all positions, in forward and generate.

A pre-hook on the whole model reads each call's ``input_ids`` and cache length, so the layer hooks know
which positions are image tokens, text tokens (special, padding and media ids excluded) or newly
decoded ones. Works unchanged with batching, left padding and the KV cache; hooks are removed when the
``with`` block ends, also on an exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from modgap.models.layers import decoder_layers, image_token_id, layer_output, special_token_ids, token_masks

__all__ = ["POSITIONS", "SteerSpec", "Steering", "steer"]

POSITIONS = ("image", "text", "both", "all")
"""Where a vector is added: image tokens, text tokens, both, or every position (specials too)."""


@dataclass(frozen=True)
class SteerSpec:
    """One intervention: add ``alpha * vector`` to the output of decoder layer ``layer``."""

    layer: int
    vector: torch.Tensor
    alpha: float = 1.0
    positions: str = "both"
    decode: bool = False
    """Also steer tokens generated after the prompt (they are text; ``image`` never steers them)."""

    def __post_init__(self) -> None:
        if self.positions not in POSITIONS:
            raise ValueError(f"positions {self.positions!r} is not one of {', '.join(POSITIONS)}")
        if self.vector.ndim != 1:
            raise ValueError(f"a steering vector is 1-D, got shape {tuple(self.vector.shape)}")


class Steering:
    """What the current forward call is: its position masks, and which positions come after the prompt
    (decoded tokens, or answer tokens being scored: see :meth:`score_answers`)."""

    def __init__(self, model: nn.Module, tokenizer: Any | None) -> None:
        self.image_id = image_token_id(model)
        self.special = special_token_ids(model, tokenizer)
        self.masks: dict[str, torch.Tensor] | None = None
        self.decoding = False
        self.answers: torch.Tensor | None = None

    def score_answers(self, mask: torch.Tensor | None) -> None:
        """Treat ``mask``'s positions in the next forward calls as generated, not prompt, tokens: scoring
        an answer in one teacher-forced pass is then steered as generating it would be."""
        self.answers = mask

    def pre_hook(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        cache = kwargs.get("past_key_values", kwargs.get("cache"))  # transformers 5.2x renamed it `cache`
        self.decoding = cache is not None and hasattr(cache, "get_seq_length") and cache.get_seq_length() > 0
        self.masks = None if ids is None else token_masks(ids, self.image_id, self.special)

    def mask(self, spec: SteerSpec, shape: torch.Size) -> torch.Tensor | None:
        """Positions ``spec`` steers in this call, as a (batch, seq) bool mask; None for every position."""
        after = self.decoding or self.answers is not None
        if spec.positions == "all" and (spec.decode or not after):
            return None
        if self.masks is None:
            raise ValueError(
                f"positions={spec.positions!r} needs input_ids to find image/text tokens; this call passed "
                "inputs_embeds only (use positions='all')"
            )
        if self.masks["text"].shape != shape[:2]:
            raise ValueError(
                f"layer {spec.layer} sees {tuple(shape[:2])} positions but input_ids has "
                f"{tuple(self.masks['text'].shape)}; this architecture changes the sequence inside the model "
                "and needs positions='all'"
            )
        device = self.masks["text"].device
        later = torch.ones(shape[:2], dtype=torch.bool, device=device) if self.decoding else self.answers
        if later is None:
            return self.masks[spec.positions]
        later = later.to(device)
        prompt = torch.ones_like(later) if spec.positions == "all" else self.masks[spec.positions]
        chosen = prompt & ~later
        if spec.decode and spec.positions != "image":
            chosen |= later & (self.masks["text"] | (spec.positions == "all"))
        return chosen


def _layer_hook(specs: Sequence[SteerSpec], where: Steering):
    def hook(module: nn.Module, args: tuple, output: torch.Tensor | tuple) -> torch.Tensor | tuple:
        hidden = layer_output(output)
        for spec in specs:
            delta = (spec.alpha * spec.vector).to(hidden.dtype).to(hidden.device)
            mask = where.mask(spec, hidden.shape)
            hidden = (
                hidden + delta
                if mask is None
                else torch.where(mask.to(hidden.device)[..., None], hidden + delta, hidden)
            )
        return hidden if isinstance(output, torch.Tensor) else (hidden, *output[1:])

    return hook


@contextmanager
def steer(
    model: nn.Module, specs: SteerSpec | Sequence[SteerSpec], tokenizer: Any | None = None
) -> Iterator[Steering]:
    """Steer every forward pass (and ``generate``) of ``model`` inside the block.

    ``tokenizer`` (or a processor's tokenizer) adds its special ids to those excluded from ``text``.
    """
    specs = [specs] if isinstance(specs, SteerSpec) else list(specs)
    layers = decoder_layers(model)
    for spec in specs:
        if not -len(layers) <= spec.layer < len(layers):
            raise ValueError(
                f"layer {spec.layer} out of range: {type(model).__name__} has {len(layers)} layers"
            )
    where = Steering(model, getattr(tokenizer, "tokenizer", tokenizer))
    handles = [model.register_forward_pre_hook(where.pre_hook, with_kwargs=True)]
    by_layer: dict[int, list[SteerSpec]] = {}
    for spec in specs:
        by_layer.setdefault(spec.layer % len(layers), []).append(spec)
    try:
        for index, group in by_layer.items():
            handles.append(layers[index].register_forward_hook(_layer_hook(group, where)))
        yield where
    finally:
        for handle in handles:
            handle.remove()
