import json

from typer.testing import CliRunner

from modgap import __version__
from modgap.cli import app

runner = CliRunner()


def test_version_and_one_group_per_area():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    help_text = runner.invoke(app, ["--help"]).output
    for group in ("fone", "bench", "world", "steer", "tldr", "demo"):
        assert group in help_text


def test_fone_encode_prints_the_vector_and_its_exact_decoding():
    result = runner.invoke(app, ["fone", "encode", "3.14159"])
    assert result.exit_code == 0, result.output
    assert "decodes to: 3.14159" in result.output
    assert "int_digits=1" in result.output and "frac_digits=5" in result.output


def test_fone_encode_bad_input_is_a_clear_error():
    result = runner.invoke(app, ["fone", "encode", "12.5", "--frac-digits", "0"])
    assert result.exit_code == 2
    assert "more than frac_digits=0" in result.output


def test_fone_train_then_eval_round_trip(tmp_path):
    out = tmp_path / "run"
    args = f"fone train --out {out} --digits 2 --size 1x64 --train-size 400 --val-size 50 --test-size 100"
    args += " --epochs 2 --batch-size 100 --minutes 1"
    result = runner.invoke(app, args.split())
    assert result.exit_code == 0, result.output
    assert {"config.json", "model.safetensors", "metrics.json", "history.jsonl"} <= {
        p.name for p in out.iterdir()
    }
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["train_size"] == 400 and 0 <= saved["exact_match"] <= 1
    result = runner.invoke(app, ["fone", "eval", "--checkpoint", str(out), "--n", "50", "--seed", "0"])
    assert result.exit_code == 0, result.output
    assert '"n": 50' in result.output


def test_fone_eval_of_a_missing_checkpoint_names_the_file(tmp_path):
    result = runner.invoke(app, ["fone", "eval", "--checkpoint", str(tmp_path)])
    assert result.exit_code == 2
    assert "config.json not found" in result.output


def test_fone_train_rejects_unknown_method():
    result = runner.invoke(app, ["fone", "train", "--method", "roman"])
    assert result.exit_code == 2 and "unknown method 'roman'" in result.output


def test_demo_rejects_unknown_parts():
    result = runner.invoke(app, ["demo", "--only", "fone,nope"])
    assert result.exit_code == 2 and "nope" in result.output


def test_fone_sweep_writes_csv_and_plots(tmp_path):
    args = f"fone sweep --out {tmp_path} --methods fone,xval --sizes 1x64 --train-sizes 100 --digits 2"
    args += " --epochs 1 --test-size 30 --minutes 1"
    result = runner.invoke(app, args.split())
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "results.csv").read_text().splitlines()
    assert len(rows) == 3 and rows[0].startswith("task,method,size,parameters")
    assert (tmp_path / "accuracy_vs_data.png").stat().st_size > 0


def test_demo_ends_with_a_summary_of_each_part_headline_and_artefacts(tmp_path):
    result = runner.invoke(app, ["demo", "--only", "bench", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    summary = result.output[result.output.index("modgap demo: 1 part(s)") :]
    assert "│ bench │ 80 verified" in summary  # the headline cell (rich wraps the rest of it)
    assert (tmp_path / "suite" / "gallery.html").is_file()
