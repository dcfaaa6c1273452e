"""Tiny randomly initialised models of every architecture steering must handle, with ready inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import torch
from PIL import Image
from transformers import (
    AutoModelForCausalLM,
    AutoModelForImageTextToText,
    AutoProcessor,
    Gemma3TextConfig,
    GemmaConfig,
    LlamaConfig,
    MllamaConfig,
    MllamaForConditionalGeneration,
    Qwen2VLConfig,
    Qwen2VLForConditionalGeneration,
)

from modgap.models.tiny import tiny_vlm_path

TEXT = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=2, vocab_size=100)
TEXT["num_key_value_heads"] = 1
SPECIAL = dict(pad_token_id=0, bos_token_id=1, eos_token_id=2)


@dataclass
class Case:
    name: str
    model: Any
    inputs: dict[str, torch.Tensor]
    tokenizer: Any = None


def _text_case(name: str, config: Any) -> Case:
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config).eval()
    ids = torch.tensor([[0, 0, 1, 5, 9, 12, 7], [1, 4, 8, 15, 3, 22, 6]])  # left-padded row first
    return Case(name, model, {"input_ids": ids, "attention_mask": (ids != 0).long()})


def _vlm_case(arch: str) -> Case:
    path = tiny_vlm_path(arch)
    model = AutoModelForImageTextToText.from_pretrained(path).eval()
    processor = AutoProcessor.from_pretrained(path)
    messages = [
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": t}]}]
        for t in ("hi", "what is it?")
    ]
    texts = [processor.apply_chat_template(m, add_generation_prompt=True) for m in messages]
    images = [Image.new("RGB", (32, 32), c) for c in ("red", "blue")]
    processor.tokenizer.padding_side = "left"
    inputs = processor(images=images, text=texts, padding=True, return_tensors="pt")
    return Case(arch, model, dict(inputs), processor.tokenizer)


def _mllama_case() -> Case:
    vision = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_global_layers=1, attention_heads=2
    )
    vision |= dict(image_size=32, patch_size=8, vision_output_dim=64, intermediate_layers_indices=[0])
    vision |= dict(max_num_tiles=1, supported_aspect_ratios=[[1, 1]])
    text = {**TEXT, **SPECIAL, "cross_attention_layers": [0]}
    torch.manual_seed(0)
    model = MllamaForConditionalGeneration(
        MllamaConfig(vision_config=vision, text_config=text, image_token_index=99)
    )
    ids = torch.tensor([[1, 99, 5, 9, 12, 7], [1, 99, 8, 15, 3, 22]])
    return Case("mllama", model.eval(), {"input_ids": ids, "attention_mask": torch.ones_like(ids)})


def _qwen2_vl_case() -> Case:
    vision = dict(depth=1, embed_dim=32, hidden_size=32, num_heads=2, mlp_ratio=2, patch_size=8)
    vision |= dict(spatial_merge_size=2, temporal_patch_size=2)
    text = {**TEXT, **SPECIAL}
    text["rope_parameters"] = {"rope_type": "default", "mrope_section": [2, 3, 3]}
    config = Qwen2VLConfig(
        vision_config=vision,
        text_config=text,
        image_token_id=97,
        video_token_id=96,
        vision_start_token_id=95,
        vision_end_token_id=94,
    )
    torch.manual_seed(0)
    model = Qwen2VLForConditionalGeneration(config).eval()
    ids = torch.tensor([[1, 5, 95, 97, 97, 97, 97, 94, 8], [1, 6, 95, 97, 97, 97, 97, 94, 9]])
    inputs = {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "pixel_values": torch.randn(32, 3 * 2 * 8 * 8, generator=torch.Generator().manual_seed(0)),
        "image_grid_thw": torch.tensor([[1, 4, 4], [1, 4, 4]]),
        "mm_token_type_ids": (ids == 97).long(),
    }
    return Case("qwen2_vl", model, inputs)


BUILDERS = {
    "llama": lambda: _text_case("llama", LlamaConfig(**TEXT, **SPECIAL)),
    "gemma": lambda: _text_case("gemma", GemmaConfig(**TEXT, **SPECIAL, head_dim=16)),
    "gemma3": lambda: _text_case("gemma3", Gemma3TextConfig(**TEXT, **SPECIAL, head_dim=16)),
    "llava": lambda: _vlm_case("llava"),
    "paligemma": lambda: _vlm_case("paligemma"),
    "idefics3": lambda: _vlm_case("idefics3"),
    "qwen2_vl": _qwen2_vl_case,
    "mllama": _mllama_case,
}
VLMS = ("llava", "paligemma", "idefics3", "qwen2_vl", "mllama")


@pytest.fixture(scope="session", params=list(BUILDERS))
def case(request) -> Case:
    return BUILDERS[request.param]()
