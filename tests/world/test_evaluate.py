"""`modgap world eval`: replies read as options, scored per kind against chance, through any backend."""

import base64
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modgap.cli import app
from modgap.models.mock import MockBackend, refusing_server
from modgap.world import generate_world, load_world
from modgap.world.evaluate import evaluate_model, reads_as


def test_a_reply_counts_when_it_starts_with_or_only_names_an_option():
    choices = ("the red sign", "the star")
    assert reads_as("The star.", choices) == "the star"
    assert reads_as("the red sign is closer", choices) == "the red sign"
    assert reads_as("I think the star", choices) == "the star"
    assert reads_as("between the star and the red sign", choices) is None
    assert reads_as("no idea", choices) is None
    assert reads_as("12", ("1", "2", "12")) == "12"


def test_an_oracle_scores_every_kind_perfectly_and_a_guesser_near_chance(tmp_path):
    generate_world(40, 0, tmp_path)
    records = load_world(tmp_path)
    truth = {(str(tmp_path / r.image), q.question): q.answer for r in records for q in r.questions}

    def oracle(request):
        image, text = request.messages[0].parts[0], request.messages[0].parts[1].text
        return truth[(str(Path(image.image)), text.split(" options : ")[0])]

    scores = evaluate_model(MockBackend(oracle), tmp_path, held_out=20)
    assert {s.kind for s in scores} >= {"count", "left/right", "colour"}
    assert all(s.accuracy == 1.0 for s in scores)
    assert sum(s.n for s in scores) == sum(len(r.questions) for r in records[-20:])
    first = evaluate_model(
        MockBackend(lambda r: r.messages[0].parts[1].text.split(" options : ")[1].split(" , ")[0]),
        tmp_path,
        20,
    )
    spatial = next(s for s in first if s.kind == "left/right")
    assert spatial.chance == 0.5 and spatial.ci[0] <= spatial.accuracy <= spatial.ci[1]


def test_the_cli_prints_a_table_with_intervals(tmp_path):
    generate_world(12, 0, tmp_path / "w")
    result = CliRunner().invoke(
        app,
        ["world", "eval", "--model", "hf:/nonexistent", "--world", str(tmp_path / "w"), "--held-out", "6"],
    )
    assert result.exit_code == 2 and "/nonexistent" in result.output


@pytest.mark.parametrize("userinfo", ["", "user:pw-SECRET456@"])
def test_an_api_error_is_one_redacted_line_and_exit_1_not_a_traceback(tmp_path, userinfo):
    generate_world(4, 0, tmp_path / "w")
    key = "sk-test-SECRET123"
    with refusing_server() as host:  # 401 and 500 bodies quoting the Authorization header
        model = f"openai:m@http://{userinfo}{host}/v1"
        args = ["world", "eval", "--model", model, "--world", str(tmp_path / "w"), "--held-out", "2"]
        result = CliRunner().invoke(app, args, env={"OPENAI_API_KEY": key})
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    (line,) = result.output.splitlines()
    assert line.startswith(
        "error: AuthenticationError: Error code: 401 - request refused; you sent Authorization: ***"
    )
    assert (
        "SECRET" not in result.output and base64.b64encode(b"user:pw-SECRET456").decode() not in result.output
    )


def test_a_world_image_that_is_not_an_image_is_never_sent(tmp_path):
    generate_world(4, 0, tmp_path / "w")
    (tmp_path / "w" / "images" / "000003.png").write_text("root:x:0:0:root:/root:/bin/bash")
    backend = MockBackend()
    with pytest.raises(ValueError, match=r"000003.png \(image of scene 000003\) is not an image"):
        evaluate_model(backend, tmp_path / "w", held_out=2)
    assert backend.requests == []
