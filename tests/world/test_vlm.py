"""The world VLM: a real Llava built from config, trained briefly, saved, loaded by the Auto classes."""

import asyncio
import json
import random

import pytest
import torch
from PIL import Image, ImageDraw
from safetensors.torch import load_file
from transformers import AutoModelForImageTextToText, AutoProcessor

from modgap.models import ChatRequest, GenerationParams, HFBackend, Message
from modgap.world.vlm import (
    Example,
    VLMConfig,
    VLMTrainArgs,
    answer_labels,
    build_tokenizer,
    build_vlm,
    evaluate_vlm,
    sincos_2d,
    train_vlm,
    turn_mean_loss,
)

COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (230, 200, 40)}
SMALL = VLMConfig(vision_layers=1, text_layers=1, vision_dim=64, text_dim=64)


def _square(i: int) -> Example:
    rng = random.Random(i)
    colour, (x, y) = rng.choice(list(COLOURS)), (rng.randint(5, 40), rng.randint(5, 40))
    image = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(image).rectangle([x, y, x + 18, y + 18], fill=COLOURS[colour])
    return Example(image, "what colour is the square ?", colour, "colour")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    train, held_out = [_square(i) for i in range(300)], [_square(10_000 + i) for i in range(64)]
    tokenizer = build_tokenizer([f"{e.question} {e.answer}" for e in train])
    model, processor = build_vlm(tokenizer, SMALL)
    before = evaluate_vlm(model, processor, held_out)
    out = tmp_path_factory.mktemp("vlm")
    args = VLMTrainArgs(minutes=2, max_steps=120, batch_size=16, warmup_steps=20, eval_every=60, lr=2e-3)
    after = train_vlm(model, processor, train, held_out, args, out=out)
    return out, held_out, before, after


def test_a_short_run_learns_colour_from_pixels(trained):
    out, held_out, before, after = trained
    assert before["colour"] < 0.5 and after["colour"] >= 0.9
    model, processor = AutoModelForImageTextToText.from_pretrained(out), AutoProcessor.from_pretrained(out)
    options = tuple(COLOURS)
    ranked = [Example(e.image, e.question, e.answer, "ranked", options) for e in held_out]
    assert evaluate_vlm(model, processor, ranked)["ranked"] >= 0.9  # the likeliest option is the right one
    history = (out / "history.jsonl").read_text().splitlines()
    assert len(history) == 3  # two evaluations and the final one


def test_the_checkpoint_loads_with_auto_classes_and_answers_through_the_chat_backend(trained):
    out, held_out, _, after = trained
    model = AutoModelForImageTextToText.from_pretrained(out)
    processor = AutoProcessor.from_pretrained(out)
    assert type(model).__name__ == "LlavaForConditionalGeneration"
    assert evaluate_vlm(model, processor, held_out) == after
    backend = HFBackend(out, name="world-vlm", device="cpu")
    e = held_out[0]
    request = ChatRequest((Message.make("user", e.image, e.question),), GenerationParams(max_tokens=3))
    assert asyncio.run(backend.generate(request)).text.split()[0] == e.answer


def test_labels_cover_every_answer_and_its_end_token_and_nothing_else():
    # 0 pad, 5 user, 6 assistant, 3 end: "<pad> <user> q q <asst> a </s> <user> q <asst> b b </s>"
    ids = torch.tensor([[0, 5, 9, 9, 6, 7, 3, 5, 9, 6, 8, 8, 3]])
    kept = answer_labels(ids, assistant_id=6, end_id=3)[0].tolist()
    assert kept == [-100] * 5 + [7, 3] + [-100] * 3 + [8, 8, 3]


def test_every_answer_weighs_the_same_in_the_loss_whatever_its_length():
    labels = torch.tensor([[-100, 1, -100, -100, 2, 2, 2, -100]])  # one-token answer, three-token one
    turns = torch.tensor([[0, 1, 1, 1, 2, 2, 2, 2]])
    logits = torch.zeros(1, 8, 4)
    logits[0, 0, 1] = 5.0  # the one-token answer is confidently right, the long one uniform
    right, uniform = -torch.log_softmax(logits[0, 0], 0)[1], torch.log(torch.tensor(4.0))
    assert torch.allclose(turn_mean_loss(logits, labels, turns), (right + uniform) / 2)


def test_patch_positions_start_as_distinct_2d_waves():
    waves = sincos_2d(8, 128)
    assert waves.shape == (64, 128)
    assert torch.equal(waves[:8, 64:], waves[:1, 64:].expand(8, 64))  # a row shares its row half
    assert torch.equal(waves[::8, :64], waves[:1, :64].expand(8, 64))  # a column its column half
    assert torch.cdist(waves, waves).add(torch.eye(64)).min() > 0.5
    model, _ = build_vlm(build_tokenizer(["a b"]), SMALL)
    table = model.model.vision_tower.embeddings.position_embedding.weight
    small = sincos_2d(8, 64)  # SMALL's vision_dim, scaled to the patch embeddings' output
    assert torch.allclose(table[1:], small * table[1:].std() / small.std())
    with pytest.raises(ValueError, match="divisible by 4, got 66"):
        sincos_2d(8, 66)


def test_bad_configs_name_the_field():
    with pytest.raises(ValueError, match="multiple of patch_size"):
        VLMConfig(image_size=60, patch_size=8)
    with pytest.raises(ValueError, match="text_dim=100 must be a multiple of heads=3"):
        VLMConfig(text_dim=100, vision_dim=99, heads=3)


class Crash(Exception):
    """Stands in for a run killed right after its step-3 checkpoint."""


def _crash_at_3(step: int, loss: float, scores: dict[str, float]) -> None:
    if step == 3:
        raise Crash


def test_a_run_resumed_from_its_checkpoint_ends_where_a_straight_run_does(tmp_path):
    train, held_out = [_square(i) for i in range(40)], [_square(10_000 + i) for i in range(4)]
    tokenizer = build_tokenizer([f"{e.question} {e.answer}" for e in train])
    args = VLMTrainArgs(minutes=60, max_steps=6, batch_size=8, warmup_steps=2, eval_every=3, lr=2e-3)
    straight, processor = build_vlm(tokenizer, SMALL)
    train_vlm(straight, processor, train, held_out, args, out=tmp_path / "straight")

    run = tmp_path / "run"
    with pytest.raises(Crash):
        train_vlm(build_vlm(tokenizer, SMALL)[0], processor, train, held_out, args, run, on_eval=_crash_at_3)
    state = json.loads((run / "checkpoint" / "trainer_state.json").read_text())
    assert state["step"] == 3 and len(state["order"]) == 40 - 3 * 8 and len(state["history"]) == 1
    moments = load_file(run / "checkpoint" / "optimizer.safetensors")
    steps = {k: v.item() for k, v in moments.items() if k.endswith(".step")}
    assert len(steps) == len(moments) // 3 and set(steps.values()) == {3.0}
    assert "model.vision_tower.embeddings.patch_embedding.weight.exp_avg_sq" in moments
    # A crash between the swap's two renames leaves the last checkpoint as .old and a torn .tmp.
    (run / "checkpoint").rename(run / "checkpoint.old")
    (run / "checkpoint.tmp").mkdir()
    (run / "checkpoint.tmp" / "trainer_state.json").write_text("{")

    resumed, _ = build_vlm(tokenizer, SMALL, seed=1)  # another init: the weights must come from disk
    train_vlm(resumed, processor, train, held_out, args, out=run, resume=True)
    for (name, want), got in zip(straight.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.allclose(want, got, rtol=0, atol=1e-7), name
    lines = [(run / d / "history.jsonl").read_text().splitlines() for d in ("../straight", ".")]
    curves = [[(h["step"], h["loss"]) for h in map(json.loads, rows)] for rows in lines]
    assert curves[0] == curves[1] and [s for s, _ in curves[0]] == [3, 6, 6]
    assert sorted(p.name for p in run.iterdir() if p.name.startswith("checkpoint")) == ["checkpoint"]
    assert json.loads((run / "checkpoint" / "trainer_state.json").read_text())["step"] == 6

    with pytest.raises(ValueError, match="trainer_state.json has batch_size=8, this run 4"):
        smaller = VLMTrainArgs(minutes=60, max_steps=6, batch_size=4, eval_every=3)
        train_vlm(resumed, processor, train, held_out, smaller, out=run, resume=True)
    with pytest.raises(ValueError, match="nothing to resume: .*straight2/checkpoint does not exist"):
        train_vlm(resumed, processor, train, held_out, args, out=tmp_path / "straight2", resume=True)
