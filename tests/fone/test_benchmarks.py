"""Each FoNE benchmark end to end on a tiny budget: the CSV columns and PNGs it promises, resumable."""

import csv
import importlib.util
from pathlib import Path

import pytest

from modgap.fone import sweep as sweep_module
from modgap.fone.train import TrainResult

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"
TINY = ["--train-size", "100", "--test-size", "10", "--minutes", "0.005", "--device", "cpu"]


def _benchmark(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _csv(path: Path) -> tuple[list[str], list[dict]]:
    with path.open() as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames), list(reader)


def test_large_numbers_scores_every_method_at_every_length_and_resumes(tmp_path, monkeypatch):
    bench = _benchmark("fone_large_numbers")
    args = ["--digits", "3,5", "--methods", "fone,abacus", "--size", "1x64", "--out", str(tmp_path), *TINY]
    rows = bench.main(args)
    header, lines = _csv(tmp_path / "results.csv")
    assert header[:3] == ["digits", "task", "method"] and {"exact_match", "digit_accuracy"} <= set(header)
    assert sorted((r["digits"], r["method"]) for r in lines) == [
        ("3", "abacus"),
        ("3", "fone"),
        ("5", "abacus"),
        ("5", "fone"),
    ]
    assert (tmp_path / "accuracy_vs_digits.png").stat().st_size > 0
    assert (tmp_path / "add5" / "results.jsonl").exists()

    def no_training(*_args, **_kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(sweep_module, "train", no_training)
    assert bench.main(args) == rows
    with pytest.raises(SystemExit):  # 60 digits need FoNE width 122, more than 1x64 has
        bench.main(["--digits", "60", "--size", "1x64", "--out", str(tmp_path / "x")])


def test_length_generalisation_scores_each_test_length_and_plots_them(tmp_path):
    bench = _benchmark("fone_length_generalisation")
    args = [
        "--train-length",
        "2",
        "--test-lengths",
        "2,4",
        "--methods",
        "abacus,fone+abacus",
        "--size",
        "1x64",
    ]
    rows = bench.main([*args, "--out", str(tmp_path), *TINY])
    header, lines = _csv(tmp_path / "accuracy_vs_length.csv")
    assert header == list(bench.COLUMNS)
    assert [(r["method"], r["length"], r["trained"]) for r in lines] == [
        ("abacus", "2", "True"),
        ("abacus", "4", "False"),
        ("fone+abacus", "2", "True"),
        ("fone+abacus", "4", "False"),
    ]
    assert all(r["n"] == 10 for r in rows)
    assert (tmp_path / "accuracy_vs_length.png").stat().st_size > 0
    with pytest.raises(SystemExit):  # a [NUM] token cannot hold a longer number
        bench.main(["--methods", "fone", "--out", str(tmp_path / "x")])


def test_ladder_covers_sizes_and_operations(tmp_path):
    bench = _benchmark("fone_ladder")
    bench.main(
        [
            "--sizes",
            "1x64",
            "--ops",
            "add,mul",
            "--int-digits",
            "2",
            "--frac-digits",
            "0",
            "--out",
            str(tmp_path),
        ]
        + TINY
    )
    header, lines = _csv(tmp_path / "results.csv")
    assert header == list(sweep_module.COLUMNS)
    assert sorted((r["task"], r["method"]) for r in lines) == [
        ("add2", "digit"),
        ("add2", "fone"),
        ("mul2", "digit"),
        ("mul2", "fone"),
    ]
    assert (tmp_path / "ladder.png").stat().st_size > 0


def test_data_efficiency_bisects_each_crossing_and_reports_ratios_with_bounds(tmp_path, monkeypatch):
    needs = {"fone": 1_000, "digit": 20_000, "subword": 10**9}  # examples each method needs for 100%
    trained = []

    def fake_train(args):
        m, n = args.spec.method, args.train_size
        trained.append((m, n))
        metrics = {"method": m, "task": args.task.name, "train_size": n, "parameters": 1, "steps": 1}
        metrics |= {
            "train_seconds": 0,
            "seconds": 0,
            "exact_match": float(n >= needs[m]),
            "digit_accuracy": 1,
        }
        return TrainResult(None, metrics, [])

    monkeypatch.setattr(sweep_module, "train", fake_train)
    bench = _benchmark("fone_data_efficiency")
    found = bench.main(["--train-sizes", "400,1600,6400,25600", "--refine", "2", "--out", str(tmp_path)])
    assert [n for m, n in trained if m == "fone"] == [400, 1600, 6400, 25600, 800, 1100]
    assert [n for m, n in trained if m == "digit"] == [400, 1600, 6400, 25600, 12800, 18100]
    by = {c["method"]: c for c in found}
    assert (by["fone"]["below"], by["fone"]["reached"]) == (800, 1100)
    assert (by["digit"]["below"], by["digit"]["reached"]) == (18100, 25600)
    assert by["digit"]["ratio"] == pytest.approx(25600 / 1100)
    assert (by["digit"]["ratio_low"], by["digit"]["ratio_high"]) == pytest.approx((18100 / 1100, 25600 / 800))
    assert by["subword"]["reached"] is None and by["subword"]["ratio_low"] == pytest.approx(25600 / 1100)
    header, lines = _csv(tmp_path / "crossing.csv")
    assert header[:4] == ["method", "threshold", "below", "reached"] and len(lines) == 3
    _, results = _csv(tmp_path / "results.csv")
    assert len(results) == 3 * 4 + 2 + 2
    assert (tmp_path / "accuracy_vs_data.png").stat().st_size > 0
    assert "more than 23× fone's data" in bench.describe(by["subword"])
