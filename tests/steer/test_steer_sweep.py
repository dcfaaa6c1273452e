import json

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from modgap.cli import app
from modgap.models.loading import load_pretrained
from modgap.models.scoring import MCQuestion, _encode, rank_options
from modgap.models.tiny import tiny_vlm_path
from modgap.steer import SteeringVector, record_layers, steer
from modgap.steer.sweep import accuracy, sweep


@pytest.fixture(scope="module")
def llava():
    return load_pretrained(tiny_vlm_path("llava"), device="cpu")


def _questions(n: int = 12) -> list[MCQuestion]:
    colours = ("red", "blue", "green")
    return [
        MCQuestion(
            f"What colour is it? ({i})",
            colours,
            colours[i % 3],
            Image.new("RGB", (32, 32), colours[i % 3]),
            "colour",
        )
        for i in range(n)
    ]


def _mean_logprob(model, processor, q: MCQuestion, option: str) -> float:
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": q.question}]}]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    batch = processor(images=[q.image], text=[prompt + option], return_tensors="pt", add_special_tokens=False)
    n = len(processor.tokenizer(option, add_special_tokens=False)["input_ids"])
    with torch.no_grad():
        logp = torch.log_softmax(model(**batch).logits[0, :-1].float(), -1)
    ids = batch["input_ids"][0, 1:]
    return float(logp[-n:].gather(-1, ids[-n:, None]).mean())


def test_batched_left_padded_ranking_equals_scoring_each_option_alone(llava):
    questions = _questions(6)
    picks = rank_options(llava.model, llava.processor, questions, batch_size=5)
    for q, pick in zip(questions, picks, strict=True):
        alone = {o: _mean_logprob(llava.model, llava.processor, q, o) for o in q.choices}
        assert pick == max(alone, key=alone.get)


def test_scored_answer_tokens_are_steered_only_with_decode_and_alpha_zero_changes_nothing(llava):
    model, processor = llava.model, llava.processor
    d = model.config.text_config.hidden_size
    v = SteeringVector({1: torch.linspace(-2, 2, d)}, "meanshift", "spatial")
    batch, answer = _encode(processor, [(_questions(1)[0], "red")])
    outs = {}
    for name, specs in {
        "plain": [],
        "prompt": [v.spec(1, 1.0)],
        "decode": [v.spec(1, 1.0, decode=True)],
    }.items():
        with torch.no_grad(), steer(model, specs, processor) as s, record_layers(model, [1]) as seen:
            s.score_answers(answer)
            model(**batch)
        outs[name] = seen[1]
    assert torch.equal(outs["prompt"][answer], outs["plain"][answer])
    assert not torch.equal(outs["prompt"][~answer], outs["plain"][~answer])
    torch.testing.assert_close(
        outs["decode"][answer] - outs["plain"][answer], v.directions[1].expand(int(answer.sum()), -1)
    )
    questions = _questions(6)
    base = accuracy(model, processor, questions)
    assert np.array_equal(base, accuracy(model, processor, questions, v, 1, 0.0, "both"))


def test_sweep_picks_on_dev_reports_test_and_resumes_without_redoing_points(llava, tmp_path):
    d = llava.model.config.text_config.hidden_size
    v = SteeringVector({0: torch.linspace(-1, 1, d), 1: torch.linspace(1, -1, d)}, "meanshift", "spatial")
    questions = _questions(12)
    result = sweep(
        llava.model, llava.processor, v, questions, [0, 1], [0.0, 4.0], ["image", "both"], out=tmp_path
    )
    assert len(result.grid) == 8 and result.n_dev == result.n_test == 6
    assert result.best.accuracy == max(p.accuracy for p in result.grid)
    zero = [p for p in result.grid if p.alpha == 0.0]
    assert all(p.accuracy == result.base_dev for p in zero)  # α = 0 is the unsteered model
    assert result.gain == pytest.approx(result.steered_test - result.base_test)
    assert result.gain_ci[0] <= result.gain <= result.gain_ci[1]
    lines = (tmp_path / "grid.jsonl").read_text().splitlines()
    again = sweep(
        llava.model, llava.processor, v, questions, [0, 1], [0.0, 4.0], ["image", "both"], out=tmp_path
    )
    assert (tmp_path / "grid.jsonl").read_text().splitlines() == lines and again.best == result.best


def test_cli_extract_apply_and_sweep(tmp_path):
    runner = CliRunner()
    path = tiny_vlm_path("llava")
    concepts = tmp_path / "c.jsonl"
    concepts.write_text(
        "".join(
            json.dumps({"text": f"The cup is **{w}** the box {i}."}) + "\n"
            for i, w in enumerate(["under", "above", "behind", "beside"] * 3)
        )
    )
    vec = tmp_path / "vec"
    result = runner.invoke(
        app,
        [
            "steer",
            "extract",
            "--model",
            f"hf:{path}",
            "--concept",
            str(concepts),
            "--out",
            str(vec),
            "--device",
            "cpu",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "AUROC" in result.output and (tmp_path / "vec.safetensors").is_file()
    assert json.loads((tmp_path / "vec.json").read_text())["method"] == "meanshift"

    image = tmp_path / "red.png"
    Image.new("RGB", (32, 32), "red").save(image)
    args = ["steer", "apply", "--model", f"hf:{path}", "--vector", str(vec), "--layer", "1", "--alpha", "8"]
    result = runner.invoke(
        app, [*args, "--prompt", "What is it?", "--image", str(image), "--max-tokens", "4", "--device", "cpu"]
    )
    assert result.exit_code == 0, result.output
    assert "unsteered" in result.output and "steered L1 α=8 (both)" in result.output

    data = tmp_path / "q.jsonl"
    data.write_text(
        "".join(
            json.dumps(
                {
                    "question": f"Colour? {i}",
                    "choices": ["red", "blue"],
                    "answer": "red",
                    "image": "red.png",
                    "kind": "colour",
                }
            )
            + "\n"
            for i in range(8)
        )
    )
    out = tmp_path / "sweep"
    args = [
        "steer",
        "sweep",
        "--model",
        f"hf:{path}",
        "--vector",
        str(vec),
        "--data",
        str(data),
        "--layers",
        "0-1",
    ]
    result = runner.invoke(
        app, [*args, "--alphas", "-2,2", "--positions", "image,text", "--out", str(out), "--device", "cpu"]
    )
    assert result.exit_code == 0, result.output
    assert "gain [95% CI]" in result.output and (out / "heatmap.png").is_file()
    assert "| custom | colour |" in (out / "summary.md").read_text()
    assert len((out / "grid.jsonl").read_text().splitlines()) == 8
    result = runner.invoke(app, [*args, "--alphas", "-3,3", "--out", str(out), "--device", "cpu"])
    assert result.exit_code == 2 and "another config" in result.output
    result = runner.invoke(
        app,
        [
            "steer",
            "sweep",
            "--vector",
            str(vec),
            "--data",
            str(tmp_path / "none.jsonl"),
            "--out",
            str(tmp_path / "s2"),
        ],
    )
    assert result.exit_code == 2 and "none.jsonl" in result.output
