"""Exact match vs training-set size for fone, digit and subword tokens on 6-digit decimal addition.

Reproduces the direction of the FoNE paper's data-efficiency figure (paper: FoNE reaches 99% with
6,400 examples where digit tokens need 409,600, 64×). Every run gets the same per-run time budget and
is scored on the same held-out test set.

The crossing: after the ladder of training sizes, each method whose ladder brackets the threshold
(a size below it, the next one at or above) gets up to --refine more runs, bisecting the bracket
geometrically (sizes rounded to hundreds) until it is narrower than 1.25×. Reported per method: the
smallest size that reached the threshold and the largest tried below it, or — if nothing reached it —
the largest size tried as a lower bound; then the ratio to FoNE's (with its bounds). Accuracy under a
fixed time budget need not grow with data, so "smallest size that reached it" is what is measured.

    python benchmarks/fone_data_efficiency.py --quick      # <= 20 min on a 2-core CPU
    python benchmarks/fone_data_efficiency.py              # the full ladder (hours on CPU; use a GPU)

Results go to --out (resumable: rerunning skips finished runs): results.jsonl/.csv, crossing.csv,
accuracy_vs_data.png.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from modgap.fone.methods import ModelSpec
from modgap.fone.sweep import (
    add_run_options,
    budgeted_args,
    crossing,
    load_results,
    plot_results,
    refine_crossing,
    run_point,
    sweep,
    write_csv,
)

QUICK = {"train_sizes": [800, 3200, 12800], "minutes": 1.25, "test_size": 2000, "refine": 1}
FULL = {
    "train_sizes": [400, 1600, 6400, 25600, 102400, 409600],
    "minutes": 10.0,
    "test_size": 10000,
    "refine": 3,
}
SIZE = "2x128"


def crossings(accuracy: dict[str, dict[int, float]], threshold: float) -> list[dict]:
    """Per method: where it first reached ``threshold`` and its data ratio to fone, with bounds.

    The crossing lies in (below, reached]; ``ratio`` is reached / fone's reached, ``ratio_low`` and
    ``ratio_high`` the extremes those two brackets allow (a missing bound is left empty). A method that
    never reached it has only ``ratio_low``: its largest size tried over fone's crossing.
    """
    fone_below, fone_reached = crossing(accuracy.get("fone", {}), threshold)
    rows = []
    for method, acc in accuracy.items():
        below, reached = crossing(acc, threshold)
        row = {"method": method, "threshold": threshold, "below": below, "reached": reached}
        row["largest_tried"] = max(acc)
        if fone_reached and reached:
            row["ratio"] = reached / fone_reached
            row["ratio_low"] = below / fone_reached if below else None
            row["ratio_high"] = reached / fone_below if fone_below else None
        elif fone_reached:  # never reached: at least its largest size over fone's
            row["ratio_low"] = max(acc) / fone_reached
        rows.append(row)
    return rows


def describe(c: dict) -> str:
    """One line: how much more data than fone a method needed to reach the threshold (or a bound)."""
    t = f"{c['threshold']:.0%}"
    if c["reached"] is None:
        line = f"{c['method']} did not reach {t} with up to {c['largest_tried']:,} examples"
        return line + (f": more than {c['ratio_low']:.0f}× fone's data" if c.get("ratio_low") else "")
    if c["method"] == "fone" or "ratio" not in c:
        return ""
    low = f"{c['ratio_low']:.1f}" if c.get("ratio_low") else "?"
    high = f"{c['ratio_high']:.1f}" if c.get("ratio_high") else "?"
    return f"{c['method']} needs {c['ratio']:.1f}× fone's data to reach {t} (bracket {low}–{high}×)"


def main(argv: Sequence[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--quick", action="store_true", help="three training sizes, 1.25 min per run, 1 refinement"
    )
    p.add_argument("--methods", default="fone,digit,subword")
    p.add_argument("--int-digits", type=int, default=3)
    p.add_argument("--frac-digits", type=int, default=3)
    p.add_argument("--threshold", type=float, default=0.99)
    p.add_argument("--train-sizes", help="comma-separated, overrides the plan's ladder")
    p.add_argument("--refine", type=int, help="extra runs per method bisecting its crossing (0: ladder only)")
    p.add_argument("--test-size", type=int, help="overrides the plan's")
    add_run_options(p)
    a = p.parse_args(argv)
    plan = dict(QUICK if a.quick else FULL)
    if a.train_sizes:
        plan["train_sizes"] = [int(x) for x in a.train_sizes.split(",")]
    plan.update(
        {k: v for k, v in vars(a).items() if k in ("minutes", "test_size", "refine") and v is not None}
    )
    out = a.out or Path("runs/bench/fone_data_efficiency" + ("_quick" if a.quick else ""))
    base = budgeted_args(a, plan, ModelSpec(int_digits=a.int_digits, frac_digits=a.frac_digits))
    methods = a.methods.split(",")
    digits = f"{a.int_digits}.{a.frac_digits}" if a.frac_digits else str(a.int_digits)

    def report(r: dict, cached: bool) -> None:
        print(
            f"{r['method']:>8} {r['train_size']:>7,}: "
            f"{100 * r['exact_match']:.2f}%" + (" (cached)" if cached else f" ({r['seconds']:.0f}s)")
        )

    sweep(base, methods, [SIZE], plan["train_sizes"], out=out, on_run=report)
    for m in methods:
        ladder = {
            r["train_size"]: r["exact_match"]
            for r in load_results(out)
            if (r["method"], r["size"]) == (m, SIZE)
        }
        refine_crossing(
            ladder,
            a.threshold,
            lambda n, m=m: run_point(base, m, SIZE, n, out, on_run=report)["exact_match"],
            steps=plan["refine"],
        )
    rows = [r for r in load_results(out) if r["method"] in methods and r["size"] == SIZE]
    write_csv(rows, out / "results.csv")
    plot_results(rows, out)
    accuracy = {m: {r["train_size"]: r["exact_match"] for r in rows if r["method"] == m} for m in methods}
    found = crossings(accuracy, a.threshold)
    with (out / "crossing.csv").open("w", newline="") as f:
        cols = [
            "method",
            "threshold",
            "below",
            "reached",
            "largest_tried",
            "ratio",
            "ratio_low",
            "ratio_high",
        ]
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(found)

    table = Table(
        title=f"{digits}-digit addition: test exact match "
        f"({plan['test_size']:,} problems, {plan['minutes']} min per run)"
    )
    table.add_column("train examples", justify="right")
    for m in methods:
        table.add_column(m, justify="right")
    for n in sorted({n for acc in accuracy.values() for n in acc}):
        table.add_row(
            f"{n:,}", *(f"{100 * accuracy[m][n]:.2f}%" if n in accuracy[m] else "—" for m in methods)
        )
    table.add_row(
        f"first ≥ {100 * a.threshold:.0f}%",
        *(f"{c['reached']:,}" if c["reached"] else f"> {c['largest_tried']:,}" for c in found),
    )
    table.add_row(
        "largest below", *(f"{c['below']:,}" if c["below"] and c["reached"] else "—" for c in found)
    )
    console = Console()
    console.print(table)
    for c in found:
        if line := describe(c):
            console.print(line)
    console.print(f"results and plots in {out}/ (results.csv, crossing.csv, accuracy_vs_data.png)")
    return found


if __name__ == "__main__":
    main()
