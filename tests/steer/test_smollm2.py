"""Real-model evidence on SmolLM2-135M: the spatial MeanShift vector is a spatial direction."""

import pytest

from modgap.models.loading import load_pretrained
from modgap.steer import extract, layer_report, load_concepts, split
from modgap.steer.effects import NEUTRAL_PROMPTS as PROMPTS
from modgap.steer.effects import word_mass


@pytest.fixture(scope="module")
def smollm2():
    return load_pretrained("smollm2", device="cpu")


@pytest.fixture(scope="module")
def spatial(smollm2):
    train, test = split(load_concepts("spatial"), 0.33, seed=0)
    return extract(smollm2.model, smollm2.tokenizer, train, "meanshift"), test


def test_spatial_meanshift_separates_held_out_anchor_tokens(smollm2, spatial):
    vector, test = spatial
    report = layer_report(smollm2.model, smollm2.tokenizer, vector, test)
    assert len(report) == 30 and vector.extra["sentences"] == 16
    assert max(r.auroc for r in report) >= 0.9
    assert sum(r.auroc >= 0.9 for r in report) >= 20


def test_adding_it_late_shifts_next_token_mass_toward_spatial_words(smollm2, spatial):
    vector, _ = spatial
    words = sorted({s.anchor for s in load_concepts("spatial")})
    model, tok = smollm2.model, smollm2.tokenizer
    base = word_mass(model, tok, PROMPTS, words)
    steered = word_mass(model, tok, PROMPTS, words, [vector.spec(24, 0.5, "text")])
    early = word_mass(model, tok, PROMPTS, words, [vector.spec(3, 1.0, "text")])
    assert steered > 1.04 * base  # measured: +7.5% relative at layer 24, α = 0.5
    assert early < base  # early and strong, it reads as "a spatial word was just said"


def test_cli_apply_and_sweep_run_on_the_default_text_only_model(spatial, tmp_path):
    """SmolLM2's chat template concatenates the content: it must get a string, not a list of parts."""
    import json

    from typer.testing import CliRunner

    from modgap.cli import app

    vector, _ = spatial
    vector.save(tmp_path / "spatial")
    runner = CliRunner()
    args = ["steer", "apply", "--vector", str(tmp_path / "spatial"), "--layer", "24", "--alpha", "0.5"]
    result = runner.invoke(
        app, [*args, "--prompt", "Where is the cat?", "--max-tokens", "4", "--device", "cpu"]
    )
    assert result.exit_code == 0, result.output
    assert "unsteered" in result.output and "steered L24" in result.output

    questions = [
        {"question": f"Is {a} bigger than {b}?", "choices": ["yes", "no"], "answer": "yes" if a > b else "no"}
        for a, b in ((9, 2), (3, 7), (8, 1), (2, 6))
    ]
    data = tmp_path / "questions.jsonl"
    data.write_text("".join(json.dumps(q) + "\n" for q in questions))
    args = ["steer", "sweep", "--vector", str(tmp_path / "spatial"), "--data", str(data), "--device", "cpu"]
    result = runner.invoke(
        app, [*args, "--layers", "24", "--alphas", "1", "--positions", "text", "--out", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "s" / "result.json").read_text())["n_test"] == 2
