"""Exact match vs training-set size for fone, digit and subword tokens on 6-digit decimal addition.

Reproduces the direction of the FoNE paper's data-efficiency figure (paper: FoNE reaches 99% with
6,400 examples where digit tokens need 409,600). Every run gets the same per-run time budget and is
scored on the same held-out test set; the table ends with the smallest training size at which each
method reaches the threshold, and the ratio to FoNE's.

    python benchmarks/fone_data_efficiency.py --quick      # <= 20 min on a 2-core CPU
    python benchmarks/fone_data_efficiency.py              # the full ladder (hours on CPU; use a GPU)

Results go to --out (resumable: rerunning skips finished runs).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from modgap.fone.methods import ModelSpec
from modgap.fone.sweep import sweep
from modgap.fone.train import TrainArgs

QUICK = {"train_sizes": [800, 3200, 12800], "minutes": 1.5, "test_size": 2000}
FULL = {"train_sizes": [400, 1600, 6400, 25600, 102400, 409600], "minutes": 10.0, "test_size": 10000}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="three training sizes, 1.5 min per run")
    p.add_argument("--methods", default="fone,digit,subword")
    p.add_argument("--int-digits", type=int, default=3)
    p.add_argument("--frac-digits", type=int, default=3)
    p.add_argument("--threshold", type=float, default=0.99)
    p.add_argument("--train-sizes", help="comma-separated, overrides the plan's ladder")
    p.add_argument("--minutes", type=float, help="per-run budget, overrides the plan's")
    p.add_argument("--test-size", type=int, help="overrides the plan's")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    plan = dict(QUICK if a.quick else FULL)
    if a.train_sizes:
        plan["train_sizes"] = [int(x) for x in a.train_sizes.split(",")]
    plan.update({k: v for k, v in (("minutes", a.minutes), ("test_size", a.test_size)) if v is not None})
    out = a.out or Path("runs/bench/fone_data_efficiency" + ("_quick" if a.quick else ""))
    base = TrainArgs(
        spec=ModelSpec(int_digits=a.int_digits, frac_digits=a.frac_digits),
        minutes=plan["minutes"],
        epochs=10_000,
        test_size=plan["test_size"],
        seed=a.seed,
        batch_size=a.batch_size,
    )
    methods = a.methods.split(",")
    rows = sweep(
        base,
        methods,
        ["2x128"],
        plan["train_sizes"],
        out=out,
        on_run=lambda r, cached: print(
            f"{r['method']:>8} {r['train_size']:>7,}: "
            f"{100 * r['exact_match']:.2f}%" + (" (cached)" if cached else "")
        ),
    )

    table = Table(
        title=f"{a.int_digits}.{a.frac_digits}-digit decimal addition: test exact match "
        f"({plan['test_size']:,} problems, {plan['minutes']} min per run)"
    )
    table.add_column("train examples", justify="right")
    for m in methods:
        table.add_column(m, justify="right")
    acc = {(r["method"], r["train_size"]): r["exact_match"] for r in rows}
    for n in plan["train_sizes"]:
        table.add_row(f"{n:,}", *(f"{100 * acc[m, n]:.2f}%" for m in methods))
    first = {m: next((n for n in plan["train_sizes"] if acc[m, n] >= a.threshold), None) for m in methods}
    table.add_row(
        f"first ≥ {100 * a.threshold:.0f}%", *(f"{first[m]:,}" if first[m] else "never" for m in methods)
    )
    console = Console()
    console.print(table)
    for m in methods[1:]:
        if first[m] and first["fone"]:
            console.print(f"{m} needs {first[m] / first['fone']:.0f}× fone's data to reach {a.threshold:.0%}")
        elif first["fone"]:
            console.print(
                f"{m} did not reach {a.threshold:.0%} with up to {plan['train_sizes'][-1]:,} examples; "
                f"fone did with {first['fone']:,}"
            )
    console.print(f"results and plots in {out}/")


if __name__ == "__main__":
    main()
