import json
import random

import pytest
import torch
import torch.nn.functional as F
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from modgap.fone.hf import FoNECausalLM
from modgap.fone.modules import FourierConfig
from modgap.fone.tokenization import NumberTokenizer
from modgap.models import load_causal_lm

HIDDEN = 64
EOS = "<eos>"


def byte_tokenizer() -> PreTrainedTokenizerFast:
    """A 257-token byte-level tokenizer with no pad token: keeps the tiny model's softmax cheap."""
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    backend = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(alphabet)}, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=EOS)


def tiny_model(cfg: FourierConfig, seed: int = 0) -> FoNECausalLM:
    ntok = NumberTokenizer(byte_tokenizer(), cfg)
    config = LlamaConfig(
        vocab_size=len(ntok) - 1,  # one short: FoNECausalLM must resize for [NUM]
        hidden_size=HIDDEN,
        intermediate_size=2 * HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=64,
        tie_word_embeddings=True,
        pad_token_id=ntok.tokenizer.pad_token_id,
        eos_token_id=ntok.tokenizer.eos_token_id,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return FoNECausalLM(LlamaForCausalLM(config), ntok)


def copy_batch(ntok: NumberTokenizer, numbers: list[int]):
    """'copy 123 -> 123<eos>' with the loss only on the answer (the ' [NUM]' and EOS)."""
    batch = ntok([f"copy {n} -> {n}{EOS}" for n in numbers])
    prompt_len = ntok("copy 1 ->")["input_ids"].shape[1]
    labels = batch["input_ids"].clone()
    labels[:, :prompt_len] = -100
    labels[batch["attention_mask"] == 0] = -100
    return batch, labels


def call(model: FoNECausalLM, batch, **kw):
    keys = ("input_ids", "attention_mask", "num_features", "num_mask")
    return model(**{k: batch[k] for k in keys}, **kw)


@pytest.fixture(scope="module")
def trained():
    """A tiny Llama trained on number copying; returns (model, losses).

    One thread: this model is too small to gain from two, and a second thread makes it crawl
    when other jobs share the CPU.
    """
    model = tiny_model(FourierConfig(int_digits=3, hidden_size=HIDDEN))
    rng = random.Random(0)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3)
    model.train()
    losses = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(500):
            batch, labels = copy_batch(model.tokenizer, [rng.randrange(1000) for _ in range(32)])
            out = call(model, batch, labels=labels, num_targets=batch["num_values"])
            opt.zero_grad()
            out.loss.backward()
            opt.step()
            losses.append(out.loss.item())
    finally:
        torch.set_num_threads(threads)
    return model.eval(), losses


def test_training_lowers_the_loss(trained):
    _, losses = trained
    first, last = sum(losses[:20]) / 20, sum(losses[-20:]) / 20
    assert last < 0.1 * first


def test_generate_copies_unseen_numbers(trained):
    model, _ = trained
    numbers = [7, 42, 123, 999, 500, 318, 64, 0, 5, 77, 808, 120]
    prompts = [f"copy {n} ->" for n in numbers]
    assert model.generate(prompts, max_new_tokens=4) == [f" {n}" for n in numbers]


def test_generate_stops_at_eos_and_left_padding_does_not_change_rows(trained):
    model, _ = trained
    prompts = ["copy 5 ->", "a longer prompt: copy 321 ->"]
    together = model.generate(prompts, max_new_tokens=10)
    assert together == [model.generate([p], max_new_tokens=10)[0] for p in prompts]
    assert together[0] == " 5"  # stopped at EOS long before max_new_tokens


def test_generate_rejects_right_padding(trained):
    model, _ = trained
    batch = model.tokenizer(["copy 5 ->", "copy 5 -> 5 copy 3 ->"], padding_side="right")
    with pytest.raises(ValueError, match="left-padded"):
        model.generate(batch)


def test_save_load_round_trip_gives_identical_logits(trained, tmp_path):
    model, _ = trained
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "fone_config.json").read_text())["int_digits"] == 3
    loaded = FoNECausalLM.from_pretrained(tmp_path)
    assert loaded.tokenizer.num_token_id == model.tokenizer.num_token_id
    batch, _ = copy_batch(model.tokenizer, [12, 345])
    with torch.no_grad():
        a, b = call(model, batch), call(loaded, batch)
    assert torch.equal(a.logits, b.logits)
    assert torch.equal(a.digit_logits, b.digit_logits)
    assert loaded.generate(["copy 654 ->"]) == [" 654"]


def test_linear_fone_weights_survive_save_load(tmp_path):
    model = tiny_model(FourierConfig(int_digits=3, hidden_size=HIDDEN, projection="linear"), seed=1).eval()
    model.save_pretrained(tmp_path)
    loaded = FoNECausalLM.from_pretrained(tmp_path)
    assert torch.equal(loaded.fone_head.proj.weight, model.fone_head.proj.weight)
    assert torch.equal(loaded.fone_embedding.proj.weight, model.fone_embedding.proj.weight)
    batch, _ = copy_batch(model.tokenizer, [12])
    with torch.no_grad():
        assert torch.equal(call(model, batch).digit_logits, call(loaded, batch).digit_logits)


def test_forward_losses_match_their_definitions():
    model = tiny_model(FourierConfig(int_digits=3, hidden_size=HIDDEN)).eval()
    ntok = model.tokenizer
    assert model.model.get_input_embeddings().num_embeddings == len(ntok)
    batch, labels = copy_batch(ntok, [12, 345])
    with torch.no_grad():
        out = call(model, batch, labels=labels, num_targets=batch["num_values"])
        embeds = model.embed(batch["input_ids"], batch["num_features"], batch["num_mask"])
        hf = model.model(inputs_embeds=embeds, attention_mask=batch["attention_mask"], labels=labels)
    b, length = batch["input_ids"].shape
    assert out.digit_logits.shape == (b, length, 3, 10)
    assert out.sign_logits is None
    torch.testing.assert_close(out.logits, hf.logits)
    torch.testing.assert_close(out.token_loss, hf.loss)
    # only the answer [NUM] is labelled: its digits are predicted one position earlier
    rows, cols = batch["num_mask"].nonzero(as_tuple=True)
    answer = labels[rows, cols] != -100
    assert answer.tolist() == [False, True, False, True]
    predicted = out.digit_logits[rows[answer], cols[answer] - 1]
    digits = torch.tensor([[2, 1, 0], [5, 4, 3]])
    torch.testing.assert_close(out.digit_loss, F.cross_entropy(predicted.flatten(0, 1), digits.flatten()))
    torch.testing.assert_close(out.loss, out.token_loss + out.digit_loss)


def test_num_features_enter_only_at_num_positions():
    model = tiny_model(FourierConfig(int_digits=3, hidden_size=HIDDEN))
    assert model.tokenizer.tokenizer.pad_token == EOS  # it had none; batches pad with EOS
    batch = model.tokenizer(["copy 12 ->"])
    words = model.model.get_input_embeddings()(batch["input_ids"])
    embeds = model.embed(batch["input_ids"], batch["num_features"], batch["num_mask"])
    mask = batch["num_mask"]
    assert torch.equal(embeds[~mask], words[~mask])
    expected = words[mask] + model.fone_embedding(batch["num_features"][mask])
    assert torch.equal(embeds[mask], expected)


def test_mismatched_num_targets_are_rejected():
    model = tiny_model(FourierConfig(int_digits=3, hidden_size=HIDDEN))
    batch, labels = copy_batch(model.tokenizer, [1, 2])
    with pytest.raises(ValueError, match="num_targets has \\[1, 2\\] numbers per row"):
        call(model, batch, labels=labels, num_targets=[[1], [2, 2]])


def test_hidden_size_mismatch_is_rejected():
    model = tiny_model(FourierConfig(int_digits=3, hidden_size=HIDDEN))
    with pytest.raises(ValueError, match="hidden_size=32 but LlamaForCausalLM embeds into 64"):
        FoNECausalLM(
            model.model, NumberTokenizer(byte_tokenizer(), FourierConfig(int_digits=3, hidden_size=32))
        )


def test_wraps_pretrained_smollm2():
    base, tokenizer = load_causal_lm("smollm2")
    vocab = len(tokenizer)
    cfg = FourierConfig(int_digits=5, frac_digits=2, hidden_size=576)
    model = FoNECausalLM(base, NumberTokenizer(tokenizer, cfg))
    assert model.model.get_input_embeddings().num_embeddings == vocab + 1
    assert model.model.get_output_embeddings().weight.shape[0] == vocab + 1
    batch = model.tokenizer(["The sum of 12.5 and 30 is", "Hi"], padding_side="left")
    with torch.no_grad():
        out = call(model, batch)
    b, length = batch["input_ids"].shape
    assert out.logits.shape == (b, length, vocab + 1)
    assert out.digit_logits.shape == (b, length, 7, 10)
    assert torch.isfinite(out.logits).all() and torch.isfinite(out.digit_logits).all()
    texts = model.generate(batch, max_new_tokens=3)
    assert len(texts) == 2 and all(isinstance(t, str) and t for t in texts)
