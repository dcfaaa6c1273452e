"""Training the token reward model with TokenRewardTrainer: weights move, runs repeat, loss falls."""

import json

import pytest
import torch
from PIL import Image

from modgap.models.tiny import tiny_vlm_path
from modgap.tldr.example import TLDRExample
from modgap.tldr.model import REWARD_CONFIG, TokenRewardModel, encode
from modgap.tldr.train import TRAIN_CONFIG, TokenRewardConfig, TokenRewardTrainer, train_reward_model


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """Two images, each with its true caption (all good) and the other colour's caption (colour bad)."""
    folder = tmp_path_factory.mktemp("images")
    out = []
    for colour, other in (("red", "blue"), ("blue", "red")):
        path = str(folder / f"{colour}.png")
        Image.new("RGB", (40, 40), colour).save(path)
        out.append(TLDRExample(path, f"The shape is {colour}."))
        caption = f"The shape is {other}."
        start = caption.index(other)
        out.append(TLDRExample(path, caption, ((start, start + len(other)),), "attr"))
    return out


def config(tmp_path, **kw):
    defaults = dict(
        output_dir=str(tmp_path / "rm"),
        per_device_train_batch_size=4,
        max_steps=8,
        learning_rate=1e-2,
        logging_steps=1,
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
    )
    return TokenRewardConfig(**{**defaults, **kw})


def params(model):
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def test_training_changes_adapter_and_head(tmp_path, examples):
    path = tiny_vlm_path("llava")
    before = params(TokenRewardModel(path, seed=0))
    model = train_reward_model(path, examples, examples, config(tmp_path))
    after = params(model)
    assert before.keys() == after.keys()
    for kind in ("lora_A", "lora_B", "head."):
        names = [n for n in after if kind in n]
        assert names and all(not torch.equal(before[n], after[n]) for n in names), kind
    assert (tmp_path / "rm" / REWARD_CONFIG).is_file()
    saved = json.loads((tmp_path / "rm" / TRAIN_CONFIG).read_text())
    assert saved["max_steps"] == 8 and saved["naive"] is False and saved["save_strategy"] == "no"
    assert not any(p.suffix in (".bin", ".pt", ".pth") for p in (tmp_path / "rm").rglob("*"))
    assert not (tmp_path / "rm" / "checkpoint-8").exists()


def test_same_seed_same_weights(tmp_path, examples):
    path = tiny_vlm_path("llava")
    runs = [
        train_reward_model(path, examples, [], config(tmp_path / str(i), eval_strategy="no")) for i in (0, 1)
    ]
    a, b = (params(m) for m in runs)
    assert torch.equal(a["head.weight"], b["head.weight"]) and torch.equal(a["head.bias"], b["head.bias"])
    assert all(torch.equal(a[n], b[n]) for n in a)


@pytest.mark.parametrize("naive", [False, True])
def test_loss_decreases_on_tiny_overfit_set(tmp_path, examples, naive):
    path = tiny_vlm_path("llava")
    cfg = config(tmp_path, max_steps=30, naive=naive, eval_strategy="no")
    batch = encode(TokenRewardModel(path).processor, examples)
    with torch.no_grad():
        before = TokenRewardModel(path, naive=naive, seed=0).eval()(**batch).loss.item()
    model = train_reward_model(path, examples, [], cfg)
    with torch.no_grad():
        after = model(**batch).loss.item()
    assert model.naive is naive
    assert after < 0.5 * before


def test_eval_each_epoch_logs_loss_and_accuracy(tmp_path, examples):
    cfg = config(tmp_path, max_steps=-1, num_train_epochs=2, per_device_train_batch_size=2)
    trainer = TokenRewardTrainer(
        str(tiny_vlm_path("llava")), cfg, train_dataset=examples, eval_dataset=examples
    )
    trainer.train()
    evals = [h for h in trainer.state.log_history if "eval_loss" in h]
    assert [h["epoch"] for h in evals] == [1.0, 2.0]
    assert all(0 <= h["eval_token_accuracy"] <= 1 for h in evals)
    assert any("token_accuracy" in h and "loss" in h for h in trainer.state.log_history)


@pytest.mark.parametrize("strategy", ["epoch", "steps"])
def test_time_limit_stops_and_evaluates_once(tmp_path, examples, strategy):
    cfg = config(
        tmp_path,
        max_steps=50,
        max_minutes=1e-6,
        eval_strategy=strategy,
        eval_steps=40,
        per_device_train_batch_size=1,
    )
    trainer = TokenRewardTrainer(
        str(tiny_vlm_path("llava")), cfg, train_dataset=examples, eval_dataset=examples
    )
    trainer.train()
    assert trainer.state.global_step == 1
    assert sum("eval_loss" in h for h in trainer.state.log_history) == 1


def test_config_refuses_checkpoints_and_bad_lora(tmp_path):
    with pytest.raises(ValueError, match="pickle"):
        config(tmp_path, save_strategy="steps")
    with pytest.raises(ValueError, match="lora_rank"):
        config(tmp_path, lora_rank=0)
    cfg = config(tmp_path, lora_rank=4, lora_alpha=8, lora_targets=["q_proj"])
    peft = cfg.peft_config()
    assert (peft.r, peft.lora_alpha, set(peft.target_modules)) == (4, 8, {"q_proj"})
    assert cfg.__dataclass_fields__["backbone"].metadata["help"]


def test_trainer_checks_its_inputs(tmp_path, examples):
    with pytest.raises(TypeError, match="TokenRewardConfig"):
        TokenRewardTrainer(str(tiny_vlm_path("llava")), None)
    with pytest.raises(ValueError, match="needs eval examples"):
        train_reward_model(tiny_vlm_path("llava"), examples, [], config(tmp_path))
    cfg = config(tmp_path, eval_strategy="no")
    trainer = TokenRewardTrainer(str(tiny_vlm_path("llava")), cfg, train_dataset=[{"x": 1}])
    with pytest.raises(TypeError, match="TLDRExample"):
        trainer.data_collator([{"x": 1}])
