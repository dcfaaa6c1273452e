"""Original IsoBench items written back into the official parquet layout, imported, every label re-derived.

The items come as the original's prompts: 210 of them (30 per decidable task) in
``<repo root>/../shared/data/`` (CI keeps ``shared/`` beside the clone; ``ISOBENCH_ORIGINAL_ITEMS``
points elsewhere), 13 committed in ``data/isobench_original_items_small.jsonl`` so the core runs without
it. ``benchmarks/isobench_original_items.py`` turns them into the official parquet layout.
"""

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
import sympy as sp
from typer.testing import CliRunner

from modgap.cli import app
from modgap.isobench import solve
from modgap.isobench.official import import_isobench
from modgap.isobench.suite import load_suite
from modgap.isobench.tasks._functions import X

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(
    os.environ.get(
        "ISOBENCH_ORIGINAL_ITEMS", ROOT.parent / "shared" / "data" / "isobench_original_items_sample.jsonl"
    )
)
SMALL = Path(__file__).parent / "data" / "isobench_original_items_small.jsonl"
_spec = importlib.util.spec_from_file_location("original", ROOT / "benchmarks" / "isobench_original_items.py")
original = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(original)  # the builder of benchmarks/, so its figures and these tests agree

# What our solvers cannot re-derive on the 210 items: these games stop in a live position (the loser
# resigned or the players agreed a draw), so the result is not in the moves. Nothing else is unverified.
UNDECIDED = {
    f"winner_id-{i}": "stops without mate, stalemate or bare kings"
    for i in (1, 4, 6, 10, 11, 14, 15, 16, 18, 19, 20, 21, 23, 25, 27, 28, 29)
}
# Items whose official label we hold to be wrong: none of the 210. The 30 parity labels were checked by
# hand too (sympy: f(-x) - f(x) and f(-x) + f(x) simplified; every one is a numerator of one parity, or
# mixed, over an even denominator with no real root), and all 30 convexity labels hold on the official
# domain (on all reals, the x > 0 items with x^3, x^5 or x^7 would be neither).
DISPUTED: dict[str, str] = {}


def _import(items: list[dict], tmp_path: Path, workers: int = 1):
    original.write_original_layout(items, tmp_path / "IsoBench")
    imported = import_isobench(tmp_path / "IsoBench", tmp_path / "suite", workers=workers)
    return imported, json.loads((tmp_path / "suite" / "config.json").read_text())


def test_latex_reader_round_trips_the_original_forms():
    cases = [
        (r"2.23 \left|{x}\right| + 6.64", "2.23*Abs(x) + 6.64"),
        (r"\frac{x^{5} \cdot \left(6.0 - 8.0 x^{2}\right)}{10.0 x^{10} + 11.04}",
         "x**5*(6.0 - 8.0*x**2)/(10.0*x**10 + 11.04)"),
        (r"- e^{0.51 x} + 0.54 \log{\left(x \right)} + 15.87", "-exp(0.51*x) + 0.54*log(x) + 15.87"),
        (r"\begin{cases} 2 x & \text{for}\: x \leq 1 \wedge x > 0 \\"
         r"3 - x & \text{for}\: x \leq 2 \wedge x > 1 \end{cases}",
         "Piecewise((2*x, (x <= 1) & (x > 0)), (3 - x, (x <= 2) & (x > 1)))"),
    ]  # fmt: skip
    for latex, code in cases:
        assert str(original.latex_expression(latex)) == code
    with pytest.raises(ValueError, match="misread"):
        original.latex_expression(r"\frac{1}{2} x")  # sympy prints \frac{x}{2}: the items never show this
    with pytest.raises(ValueError, match="cannot read"):
        original.latex_expression(r"\sqrt{x}")  # not in the items' vocabulary


def test_committed_items_import_with_every_decidable_label_re_derived(tmp_path):
    items = original.read_items(SMALL)
    imported, config = _import(items, tmp_path)
    assert imported.count == len(items) == 13
    counts = config["verification"]["counts"]
    assert counts["math_convexity"] == {"items": 4, "agree": 4, "disputed": 0, "unverified": 0}
    assert counts["math_parity"] == {"items": 3, "agree": 3, "disputed": 0, "unverified": 0}
    assert counts["chess_winner"] == {"items": 2, "agree": 1, "disputed": 0, "unverified": 1}
    assert config["verification"]["disputed"] == []
    [resigned] = config["verification"]["unverified"]
    assert resigned["official_id"] == "winner_id-1" and resigned["label"] == "white"
    assert "stops without mate" in resigned["reason"] and "8/8/8/PK6/1P6/k7/8/8 b" in resigned["reason"]
    checks = {
        r.instance.fields["official_id"]: r.instance.meta["check"] for r in load_suite(tmp_path / "suite")
    }
    assert checks["math_convexity-0"] == {"status": "agree", "solver": "convex"}  # 2.23|x| + 6.64
    assert checks["math_convexity-2"] == {"status": "agree", "solver": "convex"}  # x^7 + |x| on x > 0
    assert checks["math_parity-3"] == {"status": "agree", "solver": "neither"}  # a rational function
    assert checks["winner_id-1"]["status"] == "unverified"


def test_a_wrong_official_label_is_disputed_never_overwritten(tmp_path):
    items = original.read_items(SMALL)
    for item in items:
        if (item["task"], item["sample_index"]) == ("math_convexity", 12):  # -e^{1.01x} - 1.68|x| - 4.8
            item["official_label"] = "convex"
    imported, config = _import(items, tmp_path)
    [dispute] = imported.verification.having("disputed")
    assert (dispute.task, dispute.official_id, dispute.label, dispute.solver) == (
        "math_convexity", "math_convexity-12", "convex", "concave"
    )  # fmt: skip
    assert config["verification"]["disputed"] == [dispute.to_dict()]
    [record] = [r for r in load_suite(tmp_path / "suite") if r.instance.id == dispute.id]
    assert record.instance.answer == "convex"  # the official label stays the answer
    assert record.instance.meta["check"] == {"status": "disputed", "solver": "concave"}


@pytest.fixture(scope="module")
def sample_items() -> list[dict]:
    if not SAMPLE.is_file():
        pytest.skip(f"{SAMPLE} not found: the 210 original items live in shared/data beside the clone")
    return original.read_items(SAMPLE)


def test_210_original_items_agree_with_their_official_labels(sample_items, tmp_path):
    assert len(sample_items) == 210
    imported, config = _import(sample_items, tmp_path, workers=2)
    checks = imported.verification.checks
    assert len(checks) == imported.count == 210
    errors = [c for c in checks if (c.reason or "").startswith("solver error")]
    assert not errors, errors  # a solver that raises is a bug, not an undecidable item
    assert {c.official_id: c.solver for c in checks if c.status == "disputed"} == DISPUTED
    unverified = {c.official_id: c.reason for c in checks if c.status == "unverified"}
    assert unverified.keys() == UNDECIDED.keys()
    assert all(UNDECIDED[i] in reason for i, reason in unverified.items())
    agree = {task: n["agree"] for task, n in config["verification"]["counts"].items()}
    assert agree == {"math_parity": 30, "math_convexity": 30, "math_breakpoint": 30, "graph_connectivity": 30,
                     "graph_maxflow": 30, "graph_isomorphism": 30, "chess_winner": 13}  # fmt: skip


def test_parity_solver_matches_a_direct_sympy_check_on_the_sample(sample_items):
    for item in (i for i in sample_items if i["task"] == "math_parity"):
        latex = re.search(r"\$\$f\(x\) = (.*?)\$\$", item["text_prompt"], re.S)[1]
        f = sp.nsimplify(original.latex_expression(latex), rational=True)
        mirrored = f.subs(X, -X)
        direct = (
            "even"
            if sp.simplify(mirrored - f) == 0
            else "odd"
            if sp.simplify(mirrored + f) == 0
            else "neither"
        )
        assert solve("math_parity", {"expression": str(f)}) == direct == item["official_label"], latex


def test_cli_prints_the_tally_disputes_and_unverified_items(tmp_path):
    items = original.read_items(SMALL)
    for item in items:
        if (item["task"], item["sample_index"]) == ("math_parity", 5):  # -20.62 / (4x^6 - 8x^4 + ...)
            item["official_label"] = "odd"
    original.write_original_layout(items, tmp_path / "IsoBench")
    runner = CliRunner()
    args = ["bench", "import", str(tmp_path / "IsoBench"), "--out", str(tmp_path / "suite"), "--workers", "1"]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = [re.split(r"\s*│\s*", line.strip(" │")) for line in result.output.splitlines() if "│" in line]
    assert ["math_parity", "3", "2", "1", "0"] in rows  # items, agree, disputed, unverified
    assert ["math_parity", "math_parity-5", "odd", "even"] in rows  # the official label, the solver's
    assert rows[-1][:3] == ["chess_winner", "winner_id-1", "white"] and "stops without mate" in rows[-1][3]
    assert "wrote 13 official instances" in result.output
    result = runner.invoke(app, ["bench", "import", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "not found" in result.output and "Traceback" not in result.output
