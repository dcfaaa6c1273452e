import json
import shutil
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from modgap.cli import app
from modgap.models.tiny import tiny_vlm_path

runner = CliRunner()
CAPTIONS = [
    "A red ball is left of the box.",
    "Two green cats sleep on the mat.",
    "The blue car is above the tree.",
]


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_data_train_score_rate_correct_merge_on_a_tiny_llava(tmp_path):
    for i, colour in enumerate(("red", "green", "blue")):
        Image.new("RGB", (32, 32), colour).save(tmp_path / f"{i}.png")
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "".join(json.dumps({"image": f"{i}.png", "caption": c}) + "\n" for i, c in enumerate(CAPTIONS))
    )
    data, reward, llava = tmp_path / "data.jsonl", tmp_path / "reward", f"hf:{tiny_vlm_path('llava')}"

    out = _ok(
        ["tldr", "data", "--pairs", str(pairs), "--out", str(data), "--types", "spatial_relation,counting"]
    )
    assert "none 3" in out and "spatial_relation 3" in out and "counting 1" in out
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    assert {r["caption"] for r in rows if r["type"] == "counting"} == {"One green cat sleep on the mat."}

    _ok(
        [
            "tldr",
            "train",
            "--backbone",
            llava,
            "--data",
            str(data),
            "--eval",
            str(data),
            "--out",
            str(reward),
            "--batch-size",
            "4",
        ]
    )
    assert (reward / "head.safetensors").is_file() and (reward / "adapter_model.safetensors").is_file()

    out = _ok(
        [
            "tldr",
            "score",
            "--reward",
            str(reward),
            "--data",
            str(data),
            "--out",
            str(tmp_path / "score"),
            "--device",
            "cpu",
        ]
    )
    assert "tldr score" not in out and "metrics, scores and highlights.html" in out
    metrics = json.loads((tmp_path / "score" / "metrics.json").read_text())
    assert set(metrics) == {"all", "none", "spatial_relation", "counting"}
    assert metrics["all"]["responses"] == len(rows) and 0 <= metrics["all"]["token_acc"] <= 1
    assert (tmp_path / "score" / "highlights.html").read_text().count("P(good) = ") > 30

    rate = tmp_path / "rate"
    out = _ok(
        [
            "tldr",
            "rate",
            "--reward",
            str(reward),
            "--captioner",
            llava,
            "--images",
            str(pairs),
            "--out",
            str(rate),
            "--max-tokens",
            "8",
            "--device",
            "cpu",
        ]
    )
    assert "hallucination rates" in out
    assert json.loads((rate / "rates.json").read_text())["responses"] <= 3

    out = _ok(
        [
            "tldr",
            "correct",
            "--reward",
            str(reward),
            "--captioner",
            llava,
            "--data",
            str(pairs),
            "--out",
            str(tmp_path / "fix"),
            "--device",
            "cpu",
        ]
    )
    assert "│ guided │" in out and "│ naive  │" in out
    fixed = [json.loads(line) for line in (tmp_path / "fix" / "corrected.jsonl").read_text().splitlines()]
    assert [r["caption"] for r in fixed] == CAPTIONS

    merged = tmp_path / "merged"
    _ok(["tldr", "merge", "--reward", str(reward), "--tau", "0.5", "--out", str(merged)])
    assert (merged / "config.json").is_file() and (merged / "model.safetensors").is_file()


def test_bad_inputs_are_named(tmp_path):
    result = runner.invoke(app, ["tldr", "data", "--out", str(tmp_path / "d.jsonl")])
    assert result.exit_code == 2 and "exactly one of --world and --pairs" in result.output
    result = runner.invoke(
        app, ["tldr", "data", "--pairs", "x.jsonl", "--types", "colourful", "--out", "d.jsonl"]
    )
    assert result.exit_code == 2 and "colourful" in result.output
    result = runner.invoke(
        app, ["tldr", "data", "--pairs", "x.jsonl", "--captioner", "hf:x", "--out", "d.jsonl"]
    )
    assert result.exit_code == 2 and "--captioner captions world scenes; give --world too" in result.output
    result = runner.invoke(
        app, ["tldr", "merge", "--reward", str(tmp_path), "--tau", "-1", "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 2
    shutil.rmtree(tmp_path, ignore_errors=True)
    assert not Path(tmp_path).exists()
