"""τ-merge of a reward model's LoRA into its backbone."""

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForImageTextToText, AutoProcessor

from modgap.models.tiny import tiny_vlm_path
from modgap.tldr.merge import MERGE_CONFIG, merge
from modgap.tldr.model import TokenRewardModel

TARGET = "model.language_model.layers.0.self_attn.q_proj.weight"


@pytest.fixture(scope="module")
def reward_dir(tmp_path_factory):
    model = TokenRewardModel(tiny_vlm_path("llava"), seed=1)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():  # a non-zero update, as after training
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5, generator=generator)
    return model.save(tmp_path_factory.mktemp("rm") / "rm")


def weights(path):
    return {k: v.clone() for k, v in AutoModelForImageTextToText.from_pretrained(path).state_dict().items()}


@pytest.fixture(scope="module")
def backbone():
    return weights(tiny_vlm_path("llava"))


@pytest.fixture(scope="module")
def full(reward_dir):
    base = AutoModelForImageTextToText.from_pretrained(tiny_vlm_path("llava"))
    return {
        k: v.clone()
        for k, v in PeftModel.from_pretrained(base, reward_dir).merge_and_unload().state_dict().items()
    }


@pytest.fixture(scope="module")
def merged(reward_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("merged")
    return {tau: merge(reward_dir, tau, root / str(tau)) for tau in (0.0, 0.5, 1.0)}


def test_tau_zero_is_the_backbone(merged, backbone):
    w = weights(merged[0.0])
    assert w.keys() == backbone.keys()
    assert all(torch.equal(w[k], backbone[k]) for k in w)


def test_tau_one_is_the_full_merge(merged, full, backbone):
    w = weights(merged[1.0])
    assert w.keys() == full.keys()
    assert all(torch.allclose(w[k], full[k], atol=1e-6) for k in w)
    assert not torch.allclose(w[TARGET], backbone[TARGET])


def test_tau_half_is_halfway(merged, full, backbone):
    w = weights(merged[0.5])
    assert torch.allclose(w[TARGET], (backbone[TARGET] + full[TARGET]) / 2, atol=1e-6)
    assert not torch.allclose(w[TARGET], backbone[TARGET])


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0])
def test_lm_head_and_vision_unchanged_and_loadable(merged, backbone, tau):
    w = weights(merged[tau])
    assert torch.equal(w["lm_head.weight"], backbone["lm_head.weight"])
    assert all(torch.equal(w[k], backbone[k]) for k in w if "vision_tower" in k)
    assert not any("lora" in k or k.startswith("head.") for k in w)
    assert AutoProcessor.from_pretrained(merged[tau]).tokenizer is not None
    assert (merged[tau] / MERGE_CONFIG).is_file()
    assert any(p.suffix == ".safetensors" for p in merged[tau].iterdir())


def test_merge_refuses_bad_tau(reward_dir, tmp_path):
    for tau in (-0.1, float("nan")):
        with pytest.raises(ValueError, match="tau"):
            merge(reward_dir, tau, tmp_path / "x")
