"""Tiny randomly initialised VLMs of real architectures, saved as ordinary HF checkpoints.

Tests (and the local chat backend) need real ``AutoModelForImageTextToText`` / ``AutoProcessor``
folders without the Hub: each one here is built offline from a tiny config, the SmolLM2 tokenizer
(plus the special tokens its processor needs) and a ChatML template that puts the arch's image
placeholder where the image goes. Forward passes take milliseconds; a folder is a few MB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoTokenizer,
    Idefics3Config,
    Idefics3ForConditionalGeneration,
    Idefics3ImageProcessorPil,
    Idefics3Processor,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaImageProcessorPil,
    LlavaProcessor,
    PaliGemmaConfig,
    PaliGemmaForConditionalGeneration,
    PaliGemmaProcessor,
    PreTrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    ProcessorMixin,
    Qwen2VLConfig,
    Qwen2VLForConditionalGeneration,
    Qwen2VLImageProcessorPil,
    Qwen2VLProcessor,
    Qwen2VLVideoProcessor,
    SiglipImageProcessorPil,
)

from modgap.models.loading import build_once, cache_dir, smollm2_path

__all__ = ["ARCHITECTURES", "build_tiny_vlm", "tiny_vlm_path"]

IMAGE_SIZE = 32
"""Pixels per side of every processed image."""
PATCH_SIZE = 8
NUM_PATCHES = (IMAGE_SIZE // PATCH_SIZE) ** 2
SPATIAL_MERGE = 2
"""Idefics3's pixel-shuffle scale factor and Qwen2-VL's spatial merge: both turn 2x2 patches into a token."""

TEXT: dict[str, Any] = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "max_position_embeddings": 512,
    # At HF's usual 0.02 the tied embeddings dominate and greedy decoding just echoes the last
    # prompt token; at 0.2 the output depends on the whole prompt and the image, as tests need.
    "initializer_range": 0.2,
}
VISION: dict[str, Any] = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "image_size": IMAGE_SIZE,
    "patch_size": PATCH_SIZE,
}

_IMAGE = "@IMAGE@"
_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}@IMAGE@{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""ChatML over plain or image+text content; ``@IMAGE@`` becomes the arch's image placeholder."""


def _llava_config(text: dict[str, Any], ids: Callable[[str], int]) -> PreTrainedConfig:
    return LlavaConfig(
        vision_config={"model_type": "clip_vision_model", **VISION},
        text_config={"model_type": "llama", **text},
        image_token_index=ids("<image>"),
        image_seq_length=NUM_PATCHES,
        vision_feature_layer=-1,
    )


def _llava_processor(tokenizer: PreTrainedTokenizerBase, template: str) -> ProcessorMixin:
    images = LlavaImageProcessorPil(
        size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}
    )
    return LlavaProcessor(
        images,
        tokenizer,
        patch_size=PATCH_SIZE,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=template,
    )


def _paligemma_config(text: dict[str, Any], ids: Callable[[str], int]) -> PreTrainedConfig:
    head_dim = text["hidden_size"] // text["num_attention_heads"]
    return PaliGemmaConfig(
        vision_config={"model_type": "siglip_vision_model", **VISION},
        # Gemma's head_dim defaults to 256 whatever the hidden size.
        text_config={"model_type": "gemma", **text, "head_dim": head_dim},
        image_token_index=ids("<image>"),
        vocab_size=text["vocab_size"],
        projection_dim=text["hidden_size"],
        hidden_size=text["hidden_size"],
    )


def _paligemma_processor(tokenizer: PreTrainedTokenizerBase, template: str) -> ProcessorMixin:
    images = SiglipImageProcessorPil(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    images.image_seq_length = NUM_PATCHES
    tokenizer.add_special_tokens({"bos_token": "<bos>"})  # PaliGemma's prompt is `<image>...<bos>text\n`
    return PaliGemmaProcessor(images, tokenizer, chat_template=template)


def _idefics3_config(text: dict[str, Any], ids: Callable[[str], int]) -> PreTrainedConfig:
    return Idefics3Config(
        vision_config=dict(VISION),
        text_config={"model_type": "llama", **text},
        image_token_id=ids("<image>"),
        scale_factor=SPATIAL_MERGE,
    )


def _idefics3_processor(tokenizer: PreTrainedTokenizerBase, template: str) -> ProcessorMixin:
    images = Idefics3ImageProcessorPil(
        size={"longest_edge": IMAGE_SIZE},
        max_image_size={"longest_edge": IMAGE_SIZE},
        do_image_splitting=False,
    )
    return Idefics3Processor(
        images, tokenizer, image_seq_len=NUM_PATCHES // SPATIAL_MERGE**2, chat_template=template
    )


def _qwen2_vl_config(text: dict[str, Any], ids: Callable[[str], int]) -> PreTrainedConfig:
    return Qwen2VLConfig(
        vision_config={
            "depth": VISION["num_hidden_layers"],
            "embed_dim": VISION["hidden_size"],
            "hidden_size": text["hidden_size"],
            "num_heads": VISION["num_attention_heads"],
            "mlp_ratio": VISION["intermediate_size"] // VISION["hidden_size"],
            "patch_size": PATCH_SIZE,
            "spatial_merge_size": SPATIAL_MERGE,
            "temporal_patch_size": 2,
        },
        # M-RoPE splits each head's rotary half (head_dim / 2 = 8) over time, height and width.
        text_config={**text, "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3]}},
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
    )


def _qwen2_vl_processor(tokenizer: PreTrainedTokenizerBase, template: str) -> ProcessorMixin:
    # Every image becomes IMAGE_SIZE**2 pixels, i.e. (IMAGE_SIZE / PATCH_SIZE)**2 patches.
    pixels = IMAGE_SIZE * IMAGE_SIZE
    sizes = {
        "size": {"shortest_edge": pixels, "longest_edge": pixels},
        "patch_size": PATCH_SIZE,
        "merge_size": SPATIAL_MERGE,
        "temporal_patch_size": 2,
    }
    # Qwen2VLProcessor insists on a video processor even for images: without torchvision, ImportError.
    videos = Qwen2VLVideoProcessor(**sizes)
    return Qwen2VLProcessor(Qwen2VLImageProcessorPil(**sizes), tokenizer, videos, chat_template=template)


@dataclass(frozen=True)
class _Arch:
    """What differs per architecture; everything else in :func:`build_tiny_vlm` is shared."""

    model: type[PreTrainedModel]
    tokens: tuple[str, ...]
    """Special tokens the processor and model look up, added to the tokenizer first."""
    placeholder: str
    """What the chat template writes where an image goes; the processor expands it."""
    config: Callable[[dict[str, Any], Callable[[str], int]], PreTrainedConfig]
    """(text config kwargs with vocab and special ids, token -> id) -> model config."""
    processor: Callable[[PreTrainedTokenizerBase, str], ProcessorMixin]
    """(tokenizer, chat template) -> processor; may add tokens of its own (PaliGemma's loc/seg, <bos>)."""


_ARCHS: dict[str, _Arch] = {
    "llava": _Arch(LlavaForConditionalGeneration, ("<image>",), "<image>", _llava_config, _llava_processor),
    "paligemma": _Arch(
        PaliGemmaForConditionalGeneration, ("<image>",), "<image>", _paligemma_config, _paligemma_processor
    ),
    "idefics3": _Arch(
        Idefics3ForConditionalGeneration,
        ("<image>", "<fake_token_around_image>", "<global-img>")
        + tuple(f"<row_{i}_col_{j}>" for i in range(1, 7) for j in range(1, 7)),
        "<image>",
        _idefics3_config,
        _idefics3_processor,
    ),
    "qwen2_vl": _Arch(
        Qwen2VLForConditionalGeneration,
        ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"),
        "<|vision_start|><|image_pad|><|vision_end|>",
        _qwen2_vl_config,
        _qwen2_vl_processor,
    ),
}
ARCHITECTURES: tuple[str, ...] = tuple(_ARCHS)


def _arch(arch: str) -> _Arch:
    if arch not in _ARCHS:
        raise ValueError(f"unknown tiny VLM architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    return _ARCHS[arch]


def build_tiny_vlm(arch: str, out: str | Path, seed: int = 0) -> Path:
    """Write a tiny random ``arch`` VLM to ``out``: safetensors, processor, tokenizer and chat template.

    The same seed gives the same weights; the global torch RNG is left as it was. ``qwen2_vl``
    raises ImportError without torchvision, which its processor's (unused) video processor needs.
    """
    spec = _arch(arch)
    tokenizer = AutoTokenizer.from_pretrained(smollm2_path())
    tokenizer.add_special_tokens({"additional_special_tokens": list(spec.tokens)})
    # The processor may add tokens to the tokenizer, so the vocab and ids are read after it is built.
    processor = spec.processor(tokenizer, _CHAT_TEMPLATE.replace(_IMAGE, spec.placeholder))
    special = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    config = spec.config({**TEXT, "vocab_size": len(tokenizer), **special}, tokenizer.convert_tokens_to_ids)
    config.tie_word_embeddings = True
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = spec.model(config)
    model.generation_config.update(**special)
    out = Path(out)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def tiny_vlm_path(arch: str) -> Path:
    """Folder of the tiny ``arch`` VLM under :func:`cache_dir`, built once (atomically) and reused after."""
    _arch(arch)
    return build_once(cache_dir() / "tiny" / arch, lambda folder: build_tiny_vlm(arch, folder))
