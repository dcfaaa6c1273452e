import csv
import json

import pytest
from typer.testing import CliRunner

from modgap.isobench import load_run, write_report
from modgap.isobench.cli import app

CHOICES = ["even", "odd", "neither"]


def record(i: int, rep: str, correct: bool, *, strategy="direct", task="math_parity", **extra) -> dict:
    iid = f"{task}-{i}"
    return {
        "key": f"{iid}|{rep}|{strategy}",
        "instance_id": iid,
        "task": task,
        "domain": "graph" if task.startswith("graph") else "math",
        "representation": rep,
        "strategy": strategy,
        "model": "ignored",
        "answer": "even",
        "choices": CHOICES,
        "response": "even" if correct else "odd",
        "parsed": "even" if correct else "odd",
        "parse_reason": None,
        "correct": correct,
        "error": None,
        "latency_s": 0.1,
        **extra,
    }


def write_run(folder, model: str, records: list[dict], tail: str = "") -> str:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(
        json.dumps({"model": model, "suite": "s", "strategies": [], "reps": []})
    )
    lines = "".join(json.dumps(r) + "\n" for r in records)
    (folder / "results.jsonl").write_text(lines + tail)
    return str(folder)


def parity(latex: int, image: int, n: int = 10) -> list[dict]:
    """math_parity with the first ``latex`` latex answers and the last ``image`` image answers right."""
    return [record(i, "latex", i < latex) for i in range(n)] + [
        record(i, "image", i >= n - image) for i in range(n)
    ]


def test_load_run_last_record_wins_and_skips_a_torn_last_line(tmp_path):
    recs = [record(0, "latex", False), record(1, "latex", True), record(0, "latex", True)]
    run = load_run(write_run(tmp_path / "r", "m", recs, tail='{"key": "math_parity-2|lat'))
    assert run.model == "m" and run.torn_line == 4
    assert [(r.instance_id, r.correct) for r in run.results] == [
        ("math_parity-0", True),
        ("math_parity-1", True),
    ]


def test_load_run_rejects_a_bad_line_in_the_middle(tmp_path):
    folder = write_run(tmp_path / "r", "m", [record(0, "latex", True)], tail="not json\n")
    with (tmp_path / "r" / "results.jsonl").open("a") as f:
        f.write(json.dumps(record(1, "latex", True)) + "\n")
    with pytest.raises(ValueError, match=r"results\.jsonl:2"):
        load_run(folder)
    (tmp_path / "r" / "results.jsonl").write_text(json.dumps({"key": "k"}) + "\n")
    with pytest.raises(ValueError, match=r"results\.jsonl: record 'k' lacks instance_id"):
        load_run(folder)


def test_load_run_names_the_missing_file(tmp_path):
    folder = write_run(tmp_path / "r", "m", [])
    (tmp_path / "r" / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_run(folder)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "config.json").write_text('{"model": "m"}')
    with pytest.raises(FileNotFoundError, match="results.jsonl"):
        load_run(tmp_path / "s")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    a = parity(8, 5) + [
        record(10, "latex", False, error="RateLimitError: slow down"),
        record(11, "latex", False, parsed=None, parse_reason="no answer"),
        record(11, "image", True),
    ]
    b = parity(6, 6) + [record(i, "image", i < 7, strategy="eta") for i in range(10)]
    runs = [write_run(root / "a", "smollm2", a), write_run(root / "b", "openai:gpt-4o", b)]
    out = root / "out"
    return runs, out, write_report(runs, out, n_boot=200, seed=1)


def rows(path) -> list[dict]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_accuracy_csv_puts_both_models_side_by_side(report):
    _, out, _ = report
    acc = rows(out / "accuracy.csv")
    parity_latex = {r["model"]: r for r in acc if (r["scope"], r["representation"]) == ("task", "latex")}
    assert set(parity_latex) == {"smollm2", "openai:gpt-4o"}
    a = parity_latex["smollm2"]  # 8 of 10 right, one wrong (unparsed) answer more, the error left out
    assert (a["correct"], a["n"], a["errors"], a["unparsed"]) == ("8", "11", "1", "1")
    assert float(a["accuracy"]) == pytest.approx(8 / 11, abs=1e-6)
    assert float(parity_latex["openai:gpt-4o"]["accuracy"]) == pytest.approx(0.6)
    assert float(a["chance"]) == pytest.approx(1 / 3, abs=1e-6)


def test_gaps_csv_has_the_paired_gap_its_interval_and_mcnemar(report):
    _, out, _ = report
    gaps = rows(out / "gaps.csv")
    headline = {
        r["model"]: r
        for r in gaps
        if (r["scope"], r["comparison"], r["representation"]) == ("task", "modality", "first")
    }
    # pairs: 0-9 and 11 (10 errored on latex); latex alone right on 0-4, the image alone on 8, 9 and 11
    a = headline["smollm2"]
    assert (a["chosen"], a["n"], a["wins"], a["losses"]) == ("latex", "11", "5", "3")
    assert float(a["gap"]) == pytest.approx(2 / 11, abs=1e-6)  # rounded to 6 places
    assert float(a["p_value"]) == pytest.approx(1 - 70 / 256)  # exact binomial: all but 4 of 8
    assert float(a["gap_ci_low"]) <= float(a["gap"]) <= float(a["gap_ci_high"])
    b = headline["openai:gpt-4o"]
    assert float(b["gap"]) == pytest.approx(0.0) and float(b["p_value"]) == pytest.approx(1.0)
    eta = [r for r in gaps if r["comparison"] == "strategy" and r["scope"] == "task"]
    assert [(r["model"], r["strategy"], float(r["gap"])) for r in eta] == [
        ("openai:gpt-4o", "eta", pytest.approx(0.1))
    ]


def test_every_output_is_written_and_mentions_both_models(report):
    _, out, summary = report
    for name in ("report.md", "index.html", "accuracy.csv", "gaps.csv", "report.json"):
        assert (out / name).stat().st_size > 0
    for name in ("domains.png", "gaps.png"):
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "index.html").read_text()
    assert "smollm2" in html and "openai:gpt-4o" in html and "data:image/png;base64," in html
    md = (out / "report.md").read_text()
    assert "| math_parity | direct | latex | 72.7 [43.4, 90.3] (n=11) | 60.0 [31.3, 83.2] (n=10) |" in md
    assert json.loads((out / "report.json").read_text())["version"] == 2
    assert summary.report == out / "report.md"
    assert [row[:2] for row in summary.table.rows] == [["smollm2", "direct"], ["openai:gpt-4o", "direct"]]


def test_same_runs_and_seed_give_identical_files(report, tmp_path):
    runs, out, _ = report
    write_report(runs, tmp_path, n_boot=200, seed=1)
    for name in (
        "report.md",
        "accuracy.csv",
        "gaps.csv",
        "report.json",
        "figures/domains.png",
        "figures/gaps.png",
    ):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_runs_of_one_model_are_told_apart_by_folder(tmp_path):
    runs = [write_run(tmp_path / name, "smollm2", parity(5, 5)) for name in ("monday", "tuesday")]
    summary = write_report(runs, tmp_path / "out", n_boot=50)
    assert [row[0] for row in summary.table.rows] == ["smollm2 (monday)", "smollm2 (tuesday)"]
    with pytest.raises(ValueError, match="told apart"):
        write_report([runs[0], runs[0]], tmp_path / "out2", n_boot=50)


def test_rows_only_one_model_has_keep_the_task_order(tmp_path):
    convexity = [record(i, rep, True, task="math_convexity") for i in range(2) for rep in ("latex", "image")]
    runs = [
        write_run(tmp_path / "a", "a", parity(1, 1, n=2)),
        write_run(tmp_path / "b", "b", convexity + parity(1, 1, n=2)),
    ]
    write_report(runs, tmp_path / "out", n_boot=20)
    md = (tmp_path / "out" / "report.md").read_text()
    by_task = md[md.index("## Accuracy by task") : md.index("## Accuracy by domain")]
    assert by_task.index("| math_convexity | direct | latex | — | 100.0") < by_task.index(
        "| math_parity | direct"
    )


FIRST = (
    "Headline gap: text − image, the text being each task's first registered text form among those answered"
)


def test_the_report_says_how_the_headline_text_form_was_picked(report):
    _, out, summary = report
    md = (out / "report.md").read_text()
    headline, domains = md.index("## Modality gap, all tasks"), md.index("## Text vs image by domain")
    assert headline < md.index("| smollm2 | direct | 72.7 | 54.5 |") < md.index(FIRST) < domains
    blob = json.loads((out / "report.json").read_text())
    assert blob["text_form"] == "first" and blob["headline"].startswith(FIRST)
    assert summary.table.footnote == blob["headline"]
    html = (out / "index.html").read_text()  # after the headline table there too (escaped: task&#39;s)
    assert (
        html.index("<h2>Modality gap, all tasks</h2>")
        < html.index("first registered text form among")
        < html.index("<h2>Text vs image by domain")
    )


def test_a_text_only_run_draws_no_figure_and_the_report_says_why(tmp_path):
    paired = write_run(tmp_path / "paired", "gpt-4o", parity(8, 5))
    text_only = [record(i, rep, i < 5) for i in range(10) for rep in ("latex", "code")]
    text_only = write_run(tmp_path / "text", "smollm2", text_only)
    why = (
        "no image answers in these runs: the modality gap needs text and image records of the same instances."
    )
    out = tmp_path / "out"

    write_report([paired, text_only], out, n_boot=20)  # one model has pairs: figures, and a note
    md = (out / "report.md").read_text()
    assert (out / "figures" / "gaps.png").is_file() and "![gaps](figures/gaps.png)" in md
    assert f"- **smollm2**: {why}" in md and "not drawn" not in md

    summary = write_report([text_only], out, n_boot=20)  # into the same folder: the old figures go
    assert not list((out / "figures").glob("*.png"))
    md, html = (out / "report.md").read_text(), (out / "index.html").read_text()
    cannot = md[md.index("## What these runs cannot compare") :].split("\n## ")[0]
    assert f"- **smollm2**: {why}" in cannot
    assert (
        "- **figures/domains.png, figures/gaps.png**: not drawn, as no model has a text − image gap" in cannot
    )
    assert "![" not in md and "## Modality gap" not in md and "Text vs image" not in md  # no empty frames
    assert f"<li><strong>smollm2</strong>: {why}</li>" in html and "<img" not in html
    assert json.loads((out / "report.json").read_text())["models"][0]["no_gap"] == why[:-1]
    assert summary.table.title == "Accuracy, all tasks (no text and image pairs)"


def test_bench_report_takes_the_text_form_rule(tmp_path):
    run = write_run(tmp_path / "r", "m", parity(8, 5, n=20))
    args = ["report", run, "--out", str(tmp_path / "out"), "--n-boot", "20", "--seed", "3"]
    result = CliRunner().invoke(app, [*args, "--text-form", "best-split"])
    assert result.exit_code == 0, result.output
    assert "most accurate text form on one half of the instances" in " ".join(result.output.split())
    assert json.loads((tmp_path / "out" / "report.json").read_text())["text_form"] == "best-split"
    result = CliRunner().invoke(app, [*args, "--text-form", "best"])
    assert result.exit_code != 0 and "choose one of: first, best-split" in result.output
