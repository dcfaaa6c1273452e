"""`modgap world eval`: replies read as options, scored per kind against chance, through any backend."""

from pathlib import Path

from typer.testing import CliRunner

from modgap.cli import app
from modgap.models.mock import MockBackend
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
        app, ["world", "eval", "--model", "hf:/nonexistent", "--world", str(tmp_path / "w")]
    )
    assert result.exit_code == 2 and "/nonexistent" in result.output
