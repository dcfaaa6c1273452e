"""The token reward model: encoding, per-token logits and loss, naive mode, LoRA placement, save/load."""

import json

import pytest
import torch
from peft import LoraConfig
from PIL import Image

from modgap.models.loading import load_pretrained
from modgap.models.tiny import tiny_vlm_path
from modgap.tldr.example import TLDRExample, token_labels
from modgap.tldr.model import (
    HEAD,
    IGNORE,
    REWARD_CONFIG,
    TokenRewardModel,
    caption_tokens,
    encode,
    lora_targets,
    response_labels,
)


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    Image.new("RGB", (40, 40), "red").save(folder / "red.png")
    Image.new("RGB", (40, 40), "blue").save(folder / "blue.png")
    return [
        TLDRExample(str(folder / "red.png"), "A red circle."),
        TLDRExample(str(folder / "blue.png"), "A green square is left of a circle.", ((2, 7),), "attr"),
    ]


@pytest.fixture(scope="module")
def llava():
    return TokenRewardModel(tiny_vlm_path("llava"))


@pytest.mark.parametrize("arch", ["llava", "paligemma", "idefics3"])
def test_encode_labels_only_caption_tokens(arch, examples):
    model = TokenRewardModel(tiny_vlm_path(arch))
    batch = encode(model.processor, examples)
    assert "labels" in batch and batch["input_ids"].shape == batch["labels"].shape
    for row, ex in enumerate(examples):
        ids, offsets = caption_tokens(model.processor, ex.caption)
        labelled = batch["labels"][row] != IGNORE
        assert labelled.sum() == len(ids)
        assert batch["input_ids"][row][labelled].tolist() == ids
        assert batch["labels"][row][labelled].tolist() == token_labels(offsets, ex.bad_spans)
        # right padding: the caption is the end of the real tokens
        last = int(batch["attention_mask"][row].sum())
        assert labelled.nonzero().max().item() == last - 1
    assert ex.caption[2:7] == "green" and batch["labels"][1].eq(0).sum() == 1


@pytest.mark.parametrize("arch", ["llava", "paligemma", "idefics3"])
def test_caption_tokens_see_only_the_past(arch, examples):
    model = TokenRewardModel(tiny_vlm_path(arch)).eval()
    a = examples[1]
    b = TLDRExample(a.image, a.caption.replace("circle", "star"))
    with torch.no_grad():
        la, lb = (model(**encode(model.processor, [ex])).logits[0] for ex in (a, b))
    ids, offsets = caption_tokens(model.processor, a.caption)
    k = next(i for i, (_, end) in enumerate(offsets) if end > a.caption.index("circle"))
    edit = la.shape[0] - len(ids) + k  # position of the first edited caption token
    assert torch.allclose(la[:edit], lb[:edit], atol=1e-6)
    assert not torch.allclose(la[edit], lb[edit])


def test_batch_equals_single_rows(llava, examples):
    with torch.no_grad():
        both = llava(**encode(llava.processor, examples)).logits
        for row, ex in enumerate(examples):
            alone = llava(**encode(llava.processor, [ex])).logits[0]
            assert torch.allclose(both[row, : alone.shape[0]], alone, atol=1e-5)


def test_forward_logits_and_masked_loss(llava, examples):
    batch = encode(llava.processor, examples)
    out = llava(**batch)
    assert out.logits.shape == batch["input_ids"].shape
    mask = batch["labels"] != IGNORE
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        out.logits[mask], batch["labels"][mask].float()
    )
    assert torch.allclose(out.loss, expected)
    assert llava(**{k: v for k, v in batch.items() if k != "labels"}).loss is None


def test_lm_head_is_not_run(llava, examples):
    calls = []
    head = llava.backbone.get_base_model().get_output_embeddings()
    handle = head.register_forward_hook(lambda *a: calls.append(1))
    try:
        llava(**encode(llava.processor, examples))
    finally:
        handle.remove()
    assert calls == []


def test_response_labels():
    labels = torch.tensor([[IGNORE, 1, 1, 1, IGNORE], [IGNORE, IGNORE, 1, 0, 1], [IGNORE] * 5])
    assert response_labels(labels).tolist() == [
        [IGNORE, IGNORE, IGNORE, 1, IGNORE],
        [IGNORE, IGNORE, IGNORE, IGNORE, 0],
        [IGNORE] * 5,
    ]


def test_naive_loss_uses_one_label_per_caption(examples):
    model = TokenRewardModel(tiny_vlm_path("llava"), naive=True)
    batch = encode(model.processor, examples)
    out = model(**batch)
    target = response_labels(batch["labels"])
    assert (target != IGNORE).sum() == 2 and target[target != IGNORE].tolist() == [1, 0]
    mask = target != IGNORE
    expected = torch.nn.functional.binary_cross_entropy_with_logits(out.logits[mask], target[mask].float())
    assert torch.allclose(out.loss, expected)


def test_lora_on_decoder_and_projector_only(llava):
    names = {n for n, _ in llava.backbone.named_modules() if n.endswith("lora_A")}
    assert any("language_model.layers" in n for n in names)
    assert any("multi_modal_projector" in n for n in names)
    assert not any("vision_tower" in n or "lm_head" in n for n in names)
    trainable = {n for n, p in llava.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or n.startswith("head.") for n in trainable)
    assert {"head.weight", "head.bias"} <= trainable


def test_lora_targets_filter_and_errors():
    base = load_pretrained(tiny_vlm_path("llava"), device="cpu").model
    assert len(lora_targets(base)) == 2 * 7 + 2  # 2 layers x (4 attention + 3 MLP) + 2 projector linears
    q = lora_targets(base, ["q_proj"])
    assert q and all(n.endswith("q_proj") and "vision" not in n for n in q)
    with pytest.raises(ValueError, match="no linear layer"):
        lora_targets(base, ["nope"])


def test_custom_peft_config(examples):
    config = LoraConfig(r=2, lora_alpha=4, target_modules=["v_proj"])
    model = TokenRewardModel(tiny_vlm_path("llava"), peft_config=config)
    assert model.lora_config.r == 2
    assert all(n.endswith("v_proj") for n in model.lora_config.target_modules)


def test_same_seed_same_init():
    a, b = (TokenRewardModel(tiny_vlm_path("llava"), seed=3) for _ in range(2))
    c = TokenRewardModel(tiny_vlm_path("llava"), seed=4)
    sa, sb, sc = (dict(m.named_parameters()) for m in (a, b, c))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["head.weight"], sc["head.weight"])


def test_save_load_round_trip(tmp_path, llava, examples):
    with torch.no_grad():  # make the adapter non-trivial first
        for name, p in llava.named_parameters():
            if "lora_B" in name:
                p.add_(0.1)
    out = llava.save(tmp_path / "rm")
    files = {p.name for p in out.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", HEAD, REWARD_CONFIG} <= files
    assert not any(f.endswith((".bin", ".pt", ".pkl")) for f in files)
    config = json.loads((out / REWARD_CONFIG).read_text())
    assert config["backbone"] == str(tiny_vlm_path("llava").resolve()) and config["naive"] is False
    assert config["lora"]["rank"] == 8 and config["prompt"] == llava.prompt
    backbone = load_pretrained(tiny_vlm_path("llava"), device="cpu").model
    assert set(config["lora"]["targets"]) == set(lora_targets(backbone))
    loaded = TokenRewardModel.load(out)
    assert loaded.adapted_modules() == config["lora"]["targets"]
    batch = encode(llava.processor, examples)
    with torch.no_grad():
        assert torch.allclose(llava.eval()(**batch).logits, loaded(**batch).logits, atol=1e-6)


def test_text_only_backbone(tmp_path):
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from modgap.models.loading import smollm2_path

    tok = AutoTokenizer.from_pretrained(smollm2_path())
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
    )
    LlamaForCausalLM(cfg).save_pretrained(tmp_path / "lm")
    tok.save_pretrained(tmp_path / "lm")
    model = TokenRewardModel(tmp_path / "lm")
    ex = TLDRExample("", "A red circle.", ((2, 5),))
    batch = encode(model.processor, [ex])
    out = model(**batch)
    assert (batch["labels"] != IGNORE).sum() == len(caption_tokens(model.processor, ex.caption)[0])
    assert out.loss is not None and torch.isfinite(out.loss)
