import json

from modgap.fone.methods import ModelSpec
from modgap.fone.sweep import crossing, load_results, refine_crossing, same_budget, sweep
from modgap.fone.train import TrainArgs

BASE = TrainArgs(
    spec=ModelSpec(size="1x64", int_digits=2),
    val_size=20,
    test_size=40,
    epochs=1,
    batch_size=100,
    eval_every=1000,
)


def test_sweep_writes_rows_csv_plots_and_resumes_without_repeating(tmp_path):
    seen = []
    rows = sweep(
        BASE,
        ["fone", "digit"],
        ["1x64"],
        [100, 200],
        out=tmp_path,
        on_run=lambda row, cached: seen.append(cached),
    )
    assert len(rows) == 4 and seen == [False] * 4
    assert {
        "results.jsonl",
        "results.csv",
        "config.json",
        "accuracy_vs_data.png",
        "accuracy_vs_parameters.png",
    } <= {p.name for p in tmp_path.iterdir()}
    assert len((tmp_path / "results.csv").read_text().splitlines()) == 5
    # a restarted sweep, with one grid point added, trains only the new point
    seen.clear()
    rows = sweep(
        BASE,
        ["fone", "digit"],
        ["1x64"],
        [100, 200, 300],
        out=tmp_path,
        on_run=lambda row, cached: seen.append(cached),
    )
    assert seen.count(False) == 2 and len(load_results(tmp_path)) == 6


def test_broken_results_line_is_reported_with_its_place(tmp_path):
    (tmp_path / "results.jsonl").write_text(json.dumps({"a": 1}) + "\n{oops\n")
    try:
        load_results(tmp_path)
    except ValueError as e:
        assert "results.jsonl:2" in str(e)
    else:
        raise AssertionError("expected a ValueError")


def test_same_budget_gives_the_baseline_the_first_runs_time():
    calls = []

    def fake_run(args, method):
        calls.append((method, args.minutes))
        return {"method": method, "train_seconds": 90.0}

    rows = same_budget(BASE, ["digit", "subword"], run=fake_run)
    assert [r["method"] for r in rows] == ["fone", "digit", "subword"]
    assert calls == [("fone", None), ("digit", 1.5), ("subword", 1.5)]


def test_crossing_brackets_the_first_size_that_reaches_the_threshold():
    assert crossing({400: 0.2, 1600: 0.995, 6400: 0.98, 25600: 1.0}, 0.99) == (400, 1600)
    assert crossing({400: 0.999, 1600: 1.0}, 0.99) == (None, 400)
    assert crossing({400: 0.1, 1600: 0.5}, 0.99) == (1600, None)


def test_refine_crossing_bisects_geometrically_until_the_bracket_is_narrow():
    ran = []

    def run(n):
        ran.append(n)
        return 1.0 if n >= 5000 else 0.5

    tried = refine_crossing({400: 0.5, 1600: 0.5, 6400: 1.0, 25600: 1.0}, 0.99, run, steps=10)
    assert ran == [3200, 4500, 5400]  # sqrt(1600·6400), then 4525 and 5367 rounded to hundreds
    assert crossing(tried, 0.99) == (4500, 5400)
    assert refine_crossing({400: 0.5, 1600: 0.5}, 0.99, run, steps=10) == {400: 0.5, 1600: 0.5}
    assert len(refine_crossing({400: 0.5, 6400: 1.0}, 0.99, run, steps=1)) == 3
