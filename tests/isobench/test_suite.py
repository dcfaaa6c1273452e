import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from modgap.cli import app
from modgap.isobench import TASKS, create_task, generate, load_suite, write_suite

TWO = ["graph_connectivity", "physics"]


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_suites_whatever_the_worker_count(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_suite(generate(TWO, 6, seed=3, workers=1), a, {"seed": 3})
    write_suite(generate(TWO, 6, seed=3, workers=2), b, {"seed": 3})
    files = _files(a)
    assert files == _files(b)
    assert sum(str(p).endswith(".png") for p in files) == 12
    c = tmp_path / "c"
    write_suite(generate(TWO, 6, seed=4, workers=1), c, {"seed": 4})
    assert _files(c) != files


def test_suite_is_balanced_unique_and_loads_back(tmp_path):
    n = 24
    count = write_suite(generate(TWO, n, seed=0, workers=1), tmp_path, {})
    records = load_suite(tmp_path)
    assert count == len(records) == 2 * n
    for name in TWO:
        task = create_task(name)
        mine = [r.instance for r in records if r.instance.task == name]
        shares = Counter(task.answer_class(i) for i in mine)
        assert set(shares) == set(task.classes) and len(set(shares.values())) == 1
        assert len({task.dedup_key(i) for i in mine}) == n
    first = records[0]
    assert (tmp_path / first.image).is_file()
    assert set(first.text) == set(TASKS[first.instance.task].text_representations)


def test_per_task_counts_and_bad_requests(tmp_path):
    records = list(generate(TWO, {"graph_connectivity": 2, "physics": 3}, seed=0, workers=1))
    assert Counter(r.instance.task for r, _ in records) == {"graph_connectivity": 2, "physics": 3}
    with pytest.raises(ValueError, match="unknown task"):
        list(generate("nope", 2))
    with pytest.raises(ValueError, match=">= 1"):
        list(generate(TWO, 0))


def test_broken_suite_line_names_file_and_line(tmp_path):
    write_suite(generate(["physics"], 2, seed=0, workers=1), tmp_path, {})
    path = tmp_path / "instances.jsonl"
    path.write_text(path.read_text() + "{not json\n")
    with pytest.raises(ValueError, match="instances.jsonl:3"):
        load_suite(tmp_path)
    with pytest.raises(FileNotFoundError, match="bench generate"):
        load_suite(tmp_path / "missing")


def test_cli_generate_gallery_and_export(tmp_path):
    runner = CliRunner()
    suite = tmp_path / "suite"
    result = runner.invoke(app, ["bench", "generate", "--tasks", "math_parity,chemistry", "--n", "3",
                                 "--out", str(suite), "--workers", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((suite / "config.json").read_text())["tasks"] == ["math_parity", "chemistry"]
    assert len(load_suite(suite)) == 6
    result = runner.invoke(app, ["bench", "gallery", str(suite), "--out", str(tmp_path / "g.html")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "g.html").read_text()
    assert all(r.instance.id in html for r in load_suite(suite))
    result = runner.invoke(app, ["bench", "export", str(suite), "--out", str(tmp_path / "s.parquet")])
    assert result.exit_code == 0 and (tmp_path / "s.parquet").stat().st_size > 0
    result = runner.invoke(app, ["bench", "generate", "--tasks", "chess", "--out", str(suite)])
    assert result.exit_code == 2 and "unknown task" in result.output
