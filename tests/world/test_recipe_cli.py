"""`modgap world generate` and `train-vlm` on a small world: files, checkpoint, per-kind table."""

import json

import pytest
from typer.testing import CliRunner

from modgap.cli import app
from modgap.world import load_world
from modgap.world.recipe import DESCRIBE, chance, dialogue_examples, question_examples

runner = CliRunner()


def test_generate_then_a_short_training_run_through_the_cli(tmp_path):
    world, zoo = tmp_path / "world", tmp_path / "zoo"
    result = runner.invoke(app, ["world", "generate", "--out", str(world), "--n", "60", "--seed", "3"])
    assert result.exit_code == 0, result.output
    records = load_world(world)
    assert len(records) == 60 and json.loads((world / "config.json").read_text())["seed"] == 3

    examples = question_examples(world, records[:5])
    assert len(examples) == sum(len(r.questions) for r in records[:5])
    assert all(" options : " in e.question and e.answer for e in examples)
    odds = chance(records)
    assert odds["left/right"] == odds["above/below"] == 0.5 and odds["colour"] == 0.25
    assert 0 < odds["count"] < 0.5 and "spatial" not in odds and "attribute" not in odds

    dialogues = dialogue_examples(world, records[:5], draws=3, seed=1)
    assert len(dialogues) == 15 and dialogues == dialogue_examples(world, records[:5], draws=3, seed=1)
    for d, r in zip(dialogues[::3], records, strict=False):  # the first draw asks the world's own questions
        asked = sorted(q.split(" options")[0] for q, _ in d.turns)
        assert asked == sorted(q.question for q in r.questions) and DESCRIBE not in dict(d.turns)
    fresh = {q for d in dialogues for q, _ in d.turns} - {q for d in dialogues[::3] for q, _ in d.turns}
    assert len(fresh) > 5  # later draws ask about other objects and pairs
    denser = dialogue_examples(world, records[:5], draws=3, seed=1, per_kind=3)
    assert denser[::3] == dialogues[::3]  # the world's own questions, whatever per_kind
    assert sum(len(d.turns) for d in denser) > 1.3 * sum(len(d.turns) for d in dialogues)
    with pytest.raises(ValueError, match="per_kind=0"):
        dialogue_examples(world, records[:5], per_kind=0)

    args = ["world", "train-vlm", "--world", str(world), "--out", str(zoo), "--minutes", "0.2"]
    result = runner.invoke(app, [*args, "--held-out", "20", "--eval-every", "1000"])
    assert result.exit_code == 0, result.output
    assert "held-out accuracy (20 scenes)" in result.output and "left/right" in result.output
    metrics = json.loads((zoo / "metrics.json").read_text())
    assert metrics["steps"] > 0 and 0 <= metrics["all"] <= 1
    assert (zoo / "model.safetensors").is_file() and (zoo / "chance.json").is_file()
    assert json.loads((zoo / "checkpoint" / "trainer_state.json").read_text())["step"] == metrics["steps"]
    recipe = json.loads((zoo / "recipe.json").read_text())  # the default recipe: grounded, tower pretrained
    assert recipe["grounding"] == 2 and recipe["halves"] == 1 and recipe["freeze_vision"]
    assert recipe["vision_minutes"] == pytest.approx(0.03)

    result = runner.invoke(app, [*args, "--held-out", "20", "--eval-every", "1000", "--resume"])
    assert result.exit_code == 0, result.output  # the time budget was spent: nothing left but the evaluation
    assert json.loads((zoo / "metrics.json").read_text())["steps"] == metrics["steps"]

    args = ["world", "captions", "--model", f"hf:{zoo}", "--world", str(world), "--held-out", "20"]
    result = runner.invoke(app, [*args, "--n", "3", "--max-new-tokens", "12", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "describing 3 held-out scenes" in result.output and "unparsed sentences:" in result.output

    data = tmp_path / "tldr.jsonl"  # TLDR data with the VLM's own captions (this one's are mostly unparsed)
    args = [
        "tldr",
        "data",
        "--world",
        str(world),
        "--stop",
        "3",
        "--captioner",
        f"hf:{zoo}",
        "--out",
        str(data),
    ]
    result = runner.invoke(app, [*args, "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert sum(1 for line in data.read_text().splitlines() if '"none"' in line) == 3

    args = [
        "world",
        "eval",
        "--model",
        f"hf:{zoo}",
        "--world",
        str(world),
        "--held-out",
        "20",
        "--device",
        "cpu",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "95% CI" in result.output and "left/right" in result.output and "50.0%" in result.output  # chance


def test_bad_world_settings_are_clear_errors(tmp_path):
    result = runner.invoke(
        app, ["world", "generate", "--out", str(tmp_path), "--min-objects", "5", "--max-objects", "2"]
    )
    assert result.exit_code == 2 and "max_objects must be in [min_objects, 8], got 2" in result.output
    result = runner.invoke(app, ["world", "train-vlm", "--world", str(tmp_path / "none")])
    assert result.exit_code == 2 and "none" in result.output
    result = runner.invoke(app, ["world", "train-vlm", "--world", str(tmp_path), "--precision", "fp8"])
    assert result.exit_code == 2 and "precision must be one of bf16, no, got 'fp8'" in result.output
    result = runner.invoke(app, ["world", "captions", "--model", "openai:gpt-4o", "--world", str(tmp_path)])
    assert result.exit_code == 2 and "captions need a local world VLM checkpoint" in result.output
    result = runner.invoke(app, ["world", "generate", "--out", str(tmp_path), "--colours", "red,teal"])
    assert result.exit_code == 2 and "colours must be a non-empty subset of red" in result.output


def test_generate_honours_palette_and_shape_subsets(tmp_path):
    args = [
        "world",
        "generate",
        "--out",
        str(tmp_path),
        "--n",
        "20",
        "--colours",
        "red,blue",
        "--shapes",
        "circle",
    ]
    assert runner.invoke(app, [*args, "--text-prob", "0"]).exit_code == 0
    objects = [o for r in load_world(tmp_path) for o in r.scene.objects]
    assert {o.colour for o in objects} == {"red", "blue"} and {o.shape for o in objects} == {"circle"}
