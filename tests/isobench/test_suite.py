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


FIELDS = {"image": "images/x.png", "audio": "audio/x.wav", "video": "video/x.mp4"}
"""Each file field of a suite record, with a path inside the suite for it."""


def _suite_naming(folder, field: str, value: str):
    """A one-instance suite whose ``field`` (image, or media audio/video) is ``value``."""
    write_suite(generate(["physics"], 1, seed=0, workers=1), folder, {})
    (record,) = [json.loads(line) for line in (folder / "instances.jsonl").read_text().splitlines()]
    if field == "image":
        record["image"] = value
    else:
        record["media"], record["frames"] = {field: value}, []
    (folder / "instances.jsonl").write_text(json.dumps(record) + "\n")
    return folder


def _command(name: str, suite, tmp_path, field: str) -> list[str]:
    if name == "run":
        model = "openai:m@http://127.0.0.1:9/v1"  # never reached
        return ["bench", "run", "--model", model, "--suite", str(suite), "--out", str(tmp_path / "run"),
                "--reps", field, "--no-cache"]  # fmt: skip
    out = tmp_path / ("out.parquet" if name == "export" else "gallery.html")
    return ["bench", name, str(suite), "--out", str(out)]


@pytest.mark.parametrize("escape", ["../../etc/passwd", "/etc/passwd", "symlink"])
@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize("command", ["run", "export", "gallery"])
def test_a_file_path_leaving_the_suite_is_refused_before_anything_is_read(tmp_path, command, field, escape):
    (tmp_path / "outside").write_text("root:x:0:0:root:/root:/bin/bash\n")
    suite = tmp_path / "suite"
    value = "evil.png" if escape == "symlink" else escape
    _suite_naming(suite, field, value)
    if escape == "symlink":
        (suite / "evil.png").symlink_to(tmp_path / "outside")
    result = CliRunner().invoke(app, _command(command, suite, tmp_path, field))
    assert result.exit_code == 2, result.output
    name = "image" if field == "image" else f"media.{field}"
    assert "instances.jsonl:1: not a record of a suite" in result.output
    assert f"({name} {value!r} is not a path inside {suite})" in " ".join(result.output.split())
    assert not (tmp_path / "out.parquet").exists() and not (tmp_path / "gallery.html").exists()


@pytest.mark.parametrize(
    "command, field",
    [("run", "image"), ("run", "audio"), ("run", "video"), ("export", "image"), ("export", "audio"),
     ("export", "video"), ("gallery", "image")],
)  # fmt: skip
def test_a_file_that_is_not_what_its_field_says_is_refused(tmp_path, command, field):
    suite = _suite_naming(tmp_path / "suite", field, FIELDS[field])
    (suite / FIELDS[field]).parent.mkdir(parents=True, exist_ok=True)
    (suite / FIELDS[field]).write_text("root:x:0:0:root:/root:/bin/bash\n")
    result = CliRunner().invoke(app, _command(command, suite, tmp_path, field))
    assert result.exit_code == 2, result.output
    kind = {"image": "an image", "audio": "a WAV file", "video": "an MP4 file"}[field]
    assert f"{FIELDS[field]} ({field} of instance" in result.output and f"is not {kind}" in result.output
