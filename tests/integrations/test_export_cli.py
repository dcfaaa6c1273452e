"""`modgap bench export --format …`: each format from the command line; bad input is one line, exit 2."""

import pytest
from typer.testing import CliRunner

from modgap.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("parquet", {"README.md", "math_parity.parquet", "graph_maxflow.parquet", "chess_puzzle.parquet"}),
        ("vlmevalkit", {"ModgapIsoBench.tsv", "ModgapIsoBench_OPEN.tsv"}),
        ("lmms-eval", {"utils.py", "answers.json", "_default_template_yaml", "modgap_isobench_direct.yaml"}),
    ],
)
def test_each_format_writes_its_files(tiny_suite, tmp_path, fmt, expected):
    result = runner.invoke(
        app, ["bench", "export", str(tiny_suite), "--out", str(tmp_path / fmt), "--format", fmt]
    )
    assert result.exit_code == 0, result.output
    assert expected <= {p.name for p in (tmp_path / fmt).iterdir()} and result.output.startswith("wrote ")


def test_an_unknown_format_is_one_line_and_exit_2(tiny_suite, tmp_path):
    result = runner.invoke(
        app, ["bench", "export", str(tiny_suite), "--out", str(tmp_path), "--format", "csv"]
    )
    assert result.exit_code == 2
    assert (
        result.output.strip() == "error: --format: unknown 'csv'; choose from parquet, lmms-eval, vlmevalkit"
    )


def test_a_foreign_readme_stops_the_export_with_one_line(tiny_suite, tmp_path):
    (tmp_path / "README.md").write_text("mine\n")
    result = runner.invoke(app, ["bench", "export", str(tiny_suite), "--out", str(tmp_path / "x.parquet")])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "README.md exists and was not written by modgap" in result.output
