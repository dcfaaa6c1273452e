"""20-, 40- and 60-digit integer addition: FoNE vs digit tokens vs abacus (paper: FoNE ≈ 97% at 60 digits).

For each operand length, every method trains on the same problems with the same wall-clock budget
(a run may stop early once it is 100% right on the validation set) and is scored on the same held-out
problems: exact match and per-digit accuracy over the answer's places.

FoNE keeps one [NUM] token per number at any length: a 60-digit sum has 61 digits, i.e. 61 (cos, sin)
pairs = 122 of the model's dims, so the width must be at least 2·(digits + 1) (2x128 or larger for 60).
digit and abacus spell every digit: a 60-digit problem is 184 tokens, the answer generated token by token.

    python benchmarks/fone_large_numbers.py --quick   # <= 20 min on a 2-core CPU
    python benchmarks/fone_large_numbers.py           # the full budget (use a GPU)

Results go to --out (resumable: one sweep folder per length, add20/ add40/ add60/), plus results.csv
and accuracy_vs_digits.png for all lengths.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from modgap.fone.methods import SIZES, ModelSpec
from modgap.fone.sweep import COLUMNS, add_run_options, budgeted_args, plot_lines, sweep, write_csv

QUICK = {"minutes": 1.5, "train_size": 20_000, "test_size": 500, "size": "2x128"}
FULL = {"minutes": 15.0, "train_size": 200_000, "test_size": 10_000, "size": "4x256"}


def main(argv: Sequence[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="1.5 min per run, 20,000 problems, 500 test")
    p.add_argument("--digits", default="20,40,60", help="comma-separated operand lengths")
    p.add_argument("--methods", default="fone,digit,abacus")
    p.add_argument("--size", help="model size (default 2x128 quick, 4x256 full)")
    p.add_argument("--train-size", type=int, help="overrides the plan's")
    p.add_argument("--test-size", type=int, help="overrides the plan's")
    add_run_options(p)
    a = p.parse_args(argv)
    plan = dict(QUICK if a.quick else FULL)
    plan.update({k: v for k, v in vars(a).items() if k in plan and v is not None})
    digits = [int(x) for x in a.digits.split(",")]
    methods = a.methods.split(",")
    width = SIZES[plan["size"]][1] if plan["size"] in SIZES else 0
    if "fone" in methods and width < 2 * (max(digits) + 1):
        p.error(
            f"fone needs a model width >= {2 * (max(digits) + 1)} for {max(digits)}-digit operands; "
            f"--size {plan['size']} has {width}"
        )
    out = a.out or Path("runs/bench/fone_large_numbers" + ("_quick" if a.quick else ""))
    base = budgeted_args(a, plan, ModelSpec(op="add"))
    rows = []
    for d in digits:
        args = replace(base, spec=replace(base.spec, int_digits=d))
        rows += [
            {**r, "digits": d}
            for r in sweep(
                args,
                methods,
                [plan["size"]],
                [plan["train_size"]],
                out / f"add{d}",
                on_run=lambda r, cached, d=d: print(
                    f"{d} digits {r['method']:>7}: exact {100 * r['exact_match']:.2f}%, "
                    f"digits {100 * r['digit_accuracy']:.2f}%"
                    + (" (cached)" if cached else f" ({r['seconds']:.0f}s)")
                ),
            )
        ]
    write_csv(rows, out / "results.csv", ("digits", *COLUMNS))
    plot_lines(
        {
            title: {m: [(r["digits"], r[metric]) for r in rows if r["method"] == m] for m in methods}
            for title, metric in (("exact match", "exact_match"), ("per-digit accuracy", "digit_accuracy"))
        },
        out / "accuracy_vs_digits.png",
        "operand digits",
        ylabel="test accuracy",
    )

    table = Table(
        title=f"integer addition, {plan['train_size']:,} training problems, {plan['minutes']} min per run, "
        f"{plan['size']}: exact match / per-digit accuracy on {plan['test_size']:,} held-out problems"
    )
    table.add_column("digits", justify="right")
    for m in methods:
        table.add_column(m, justify="right")
    by = {(r["digits"], r["method"]): r for r in rows}
    for d in digits:
        cells = (by[d, m] for m in methods)
        table.add_row(
            str(d), *(f"{100 * r['exact_match']:.2f}% / {100 * r['digit_accuracy']:.2f}%" for r in cells)
        )
    console = Console()
    console.print(table)
    console.print(f"results in {out}/ (results.csv, accuracy_vs_digits.png; one sweep folder per length)")
    return rows


if __name__ == "__main__":
    main()
