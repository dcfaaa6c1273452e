"""Where a model's text decoder layers are and which token positions are image, text or special.

Interventions (steering, activation capture) need the same two answers for every architecture: plain
causal LMs keep their layers at ``model.model.layers``, transformers-5 VLMs at
``model.model.language_model.layers`` (Llava, PaliGemma, Qwen2-VL, Mllama) or ``…text_model.layers``
(Idefics3). ``get_decoder()`` resolves all of them; the fallback search covers remote-code models.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

__all__ = ["decoder_layers", "image_token_id", "special_token_ids", "token_masks", "layer_output"]

_VISION = ("vision", "visual", "image", "audio")
"""Module-name parts of encoders whose layers are never the text decoder's."""


def decoder_layers(model: nn.Module) -> nn.ModuleList:
    """The text decoder's layers, in order (index ℓ is what ``hidden_states[ℓ + 1]`` comes out of)."""
    get = getattr(model, "get_decoder", None)
    decoder = get() if callable(get) else None
    if isinstance(getattr(decoder, "layers", None), nn.ModuleList):
        return decoder.layers
    found = [
        (name, m)
        for name, m in model.named_modules()
        if isinstance(m, nn.ModuleList)
        and name.rsplit(".", 1)[-1] in ("layers", "h", "blocks")
        and not any(v in name for v in _VISION)
    ]
    if not found:
        raise ValueError(
            f"cannot find the text decoder layers of {type(model).__name__}: no get_decoder().layers and no "
            "ModuleList named layers/h/blocks outside the vision tower"
        )
    return max(found, key=lambda item: len(item[1]))[1]


def image_token_id(model: nn.Module) -> int | None:
    """The id the processor writes at every image position, or None for text-only models."""
    config = model.config
    for name in ("image_token_id", "image_token_index"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return None


def special_token_ids(model: nn.Module, tokenizer: object | None = None) -> set[int]:
    """Ids that are never "text": the tokenizer's special tokens, the config's media and control ids."""
    ids: set[int] = set(getattr(tokenizer, "all_special_ids", ()) or ())
    configs = [
        model.config,
        getattr(model.config, "text_config", None),
        getattr(model, "generation_config", None),
    ]
    names = ("image_token_id", "image_token_index", "video_token_id", "vision_start_token_id")
    names += ("vision_end_token_id", "bos_token_id", "eos_token_id", "pad_token_id")
    for config in filter(None, configs):
        for name in names:
            value = getattr(config, name, None)
            ids |= set(value) if isinstance(value, Iterable) else {value} if isinstance(value, int) else set()
    return ids


def token_masks(input_ids: torch.Tensor, image_id: int | None, special: set[int]) -> dict[str, torch.Tensor]:
    """Boolean masks over ``input_ids`` for the steering position sets ``image``, ``text`` and ``both``."""
    image = input_ids == image_id if image_id is not None else torch.zeros_like(input_ids, dtype=torch.bool)
    text = ~torch.isin(
        input_ids, torch.tensor(sorted(special), dtype=input_ids.dtype, device=input_ids.device)
    )
    return {"image": image, "text": text & ~image, "both": image | text}


def layer_output(output: torch.Tensor | tuple) -> torch.Tensor:
    """The hidden states a decoder layer returned: a Tensor in transformers 5, the first item of a tuple
    in older versions and some remote-code models."""
    return output if isinstance(output, torch.Tensor) else output[0]
