import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file
from transformers import AutoModelForImageTextToText, AutoProcessor
from transformers.utils import is_torchvision_available

from modgap.models import smollm2_path, tiny
from modgap.models.tiny import ARCHITECTURES, build_tiny_vlm, tiny_vlm_path

NEEDS_TORCHVISION = {"qwen2_vl"}
ARCHS = [
    pytest.param(
        arch,
        marks=pytest.mark.skipif(
            arch in NEEDS_TORCHVISION and not is_torchvision_available(),
            reason="Qwen2VLProcessor needs torchvision for its video processor",
        ),
    )
    for arch in ARCHITECTURES
]
CLASSES = {
    "llava": ("LlavaForConditionalGeneration", "LlavaProcessor"),
    "paligemma": ("PaliGemmaForConditionalGeneration", "PaliGemmaProcessor"),
    "idefics3": ("Idefics3ForConditionalGeneration", "Idefics3Processor"),
    "qwen2_vl": ("Qwen2VLForConditionalGeneration", "Qwen2VLProcessor"),
}
TOKENS_PER_IMAGE = {"llava": 16, "paligemma": 16, "idefics3": 4, "qwen2_vl": 4}
GENERATE = {
    "add_generation_prompt": True,
    "tokenize": True,
    "return_dict": True,
    "return_tensors": "pt",
    "padding": True,
}


def _conversation(image: Image.Image, text: str) -> list[dict]:
    return [{"role": "user", "content": [{"type": "image", "image": image}, {"type": "text", "text": text}]}]


def _greedy(model, processor, conversations: list) -> tuple[list[list[int]], torch.Tensor]:
    inputs = processor.apply_chat_template(conversations, **GENERATE)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=3, do_sample=False)
    return out[:, inputs["input_ids"].shape[1] :].tolist(), inputs["input_ids"]


@pytest.mark.parametrize("arch", ARCHS)
def test_round_trip_and_left_padded_batch_matches_singles(arch, tmp_path):
    assert build_tiny_vlm(arch, tmp_path) == tmp_path
    processor = AutoProcessor.from_pretrained(tmp_path)
    model = AutoModelForImageTextToText.from_pretrained(tmp_path).eval()
    assert (type(model).__name__, type(processor).__name__) == CLASSES[arch]
    assert model.config.model_type == arch
    assert sum(p.numel() for p in model.parameters()) < 3_000_000
    text = "Ünïcode, 12 + 30 = 42\n"
    assert processor.tokenizer.decode(processor.tokenizer.encode(text, add_special_tokens=False)) == text

    processor.tokenizer.padding_side = "left"
    noise = np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    conversations = [
        _conversation(Image.fromarray(noise), "What is shown?"),
        _conversation(
            Image.new("RGB", (32, 32), (10, 200, 10)), "Describe this picture in a few more words."
        ),
    ]
    batch, input_ids = _greedy(model, processor, conversations)
    image_tokens = (input_ids == model.config.image_token_id).sum(dim=1)
    assert image_tokens.tolist() == [TOKENS_PER_IMAGE[arch]] * 2
    assert (input_ids[0] == processor.tokenizer.pad_token_id).any()  # the short prompt really was padded
    assert batch == [_greedy(model, processor, [c])[0][0] for c in conversations]


@pytest.mark.parametrize("arch", ARCHS)
def test_same_seed_same_weights(arch, tmp_path):
    rng_state = torch.get_rng_state()
    weights = [
        load_file(build_tiny_vlm(arch, tmp_path / str(i), seed) / "model.safetensors")
        for i, seed in enumerate((0, 0, 1))
    ]
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert weights[0].keys() == weights[1].keys() == weights[2].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not all(torch.equal(weights[0][k], weights[2][k]) for k in weights[0])


@pytest.mark.skipif(is_torchvision_available(), reason="only without torchvision")
def test_qwen2_vl_without_torchvision_says_what_is_missing(tmp_path):
    with pytest.raises(ImportError, match="Torchvision"):
        build_tiny_vlm("qwen2_vl", tmp_path)


@pytest.mark.parametrize("make", [build_tiny_vlm, lambda arch, out: tiny_vlm_path(arch)])
def test_unknown_arch_lists_the_known_ones(make, tmp_path):
    with pytest.raises(ValueError, match="llava, paligemma, idefics3, qwen2_vl"):
        make("gpt2", tmp_path)


@pytest.fixture
def tiny_cache(monkeypatch, tmp_path):
    """An empty cache dir that still takes the tokenizer from the real SmolLM2 conversion."""
    tokenizer_source = smollm2_path()
    monkeypatch.setattr(tiny, "smollm2_path", lambda: tokenizer_source)
    monkeypatch.setenv("MODGAP_CACHE", str(tmp_path))
    return tmp_path


def _fail_build(arch, out, seed=0):
    raise AssertionError("must not build again")


def test_tiny_vlm_path_builds_once_then_reuses(monkeypatch, tiny_cache):
    path = tiny_vlm_path("llava")
    assert path == tiny_cache / "tiny" / "llava"
    assert {"config.json", "model.safetensors", "processor_config.json"} <= {p.name for p in path.iterdir()}
    assert [p.name for p in path.parent.iterdir()] == ["llava"]
    monkeypatch.setattr(tiny, "build_tiny_vlm", _fail_build)
    assert tiny_vlm_path("llava") == path


def test_crashed_build_leaves_no_cache(monkeypatch, tiny_cache):
    def crash(arch, out, seed=0):
        (out / "config.json").write_text("{}")
        raise RuntimeError("killed mid-write")

    monkeypatch.setattr(tiny, "build_tiny_vlm", crash)
    with pytest.raises(RuntimeError, match="killed mid-write"):
        tiny_vlm_path("idefics3")
    assert list((tiny_cache / "tiny").iterdir()) == []
