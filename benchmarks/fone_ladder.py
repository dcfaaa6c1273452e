"""Parameter efficiency: the paper's size ladder (1x64 … 4x256) × addition, subtraction, multiplication.

For each operation, every (method, model size) trains on the same problems with the same wall-clock
budget and is scored on the same held-out problems (paper: FoNE is more accurate at every size, and
"the conclusions are similar" for subtraction and multiplication). Operands default to the paper's
6-digit decimals (3 integer + 3 fractional digits) for every operation.

    python benchmarks/fone_ladder.py --quick   # <= 20 min on a 2-core CPU (small data, short runs)
    python benchmarks/fone_ladder.py           # the full budget (use a GPU)

Results go to --out (resumable: one sweep folder per operation, add/ sub/ mul/), plus results.csv and
ladder.png (exact match vs parameters, one panel per operation).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from modgap.fone.arithmetic import OPS
from modgap.fone.methods import SIZES, ModelSpec
from modgap.fone.sweep import add_run_options, budgeted_args, plot_lines, sweep, write_csv

QUICK = {"minutes": 0.5, "train_size": 6_400, "test_size": 1_000}
FULL = {"minutes": 10.0, "train_size": 51_200, "test_size": 10_000}


def main(argv: Sequence[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="30 s per run, 6,400 problems, 1,000 test")
    p.add_argument("--sizes", default=",".join(SIZES))
    p.add_argument("--ops", default="add,sub,mul")
    p.add_argument("--methods", default="fone,digit")
    p.add_argument("--int-digits", type=int, default=3)
    p.add_argument("--frac-digits", type=int, default=3)
    p.add_argument("--train-size", type=int, help="overrides the plan's")
    p.add_argument("--test-size", type=int, help="overrides the plan's")
    add_run_options(p)
    a = p.parse_args(argv)
    plan = dict(QUICK if a.quick else FULL)
    plan.update({k: v for k, v in vars(a).items() if k in plan and v is not None})
    sizes, ops, methods = a.sizes.split(","), a.ops.split(","), a.methods.split(",")
    if bad := [x for x in sizes if x not in SIZES] + [x for x in ops if x not in OPS]:
        p.error(f"unknown size or op {bad}; sizes: {', '.join(SIZES)}; ops: {', '.join(OPS)}")
    digits = f"{a.int_digits}.{a.frac_digits}" if a.frac_digits else str(a.int_digits)
    out = a.out or Path("runs/bench/fone_ladder" + ("_quick" if a.quick else ""))
    base = budgeted_args(a, plan, ModelSpec(int_digits=a.int_digits, frac_digits=a.frac_digits))
    rows = []
    for op in ops:
        rows += [
            {**r, "op": op}
            for r in sweep(
                replace(base, spec=replace(base.spec, op=op)),
                methods,
                sizes,
                [plan["train_size"]],
                out / op,
                on_run=lambda r, cached, op=op: print(
                    f"{op} {r['size']:>6} {r['method']:>6}: exact {100 * r['exact_match']:.2f}%"
                    + (" (cached)" if cached else f" ({r['seconds']:.0f}s)")
                ),
            )
        ]
    write_csv(rows, out / "results.csv")
    plot_lines(
        {
            f"{op}: {digits}-digit operands": {
                m: [(r["parameters"], r["exact_match"]) for r in rows if (r["op"], r["method"]) == (op, m)]
                for m in methods
            }
            for op in ops
        },
        out / "ladder.png",
        "parameters",
        xscale="log",
    )

    table = Table(
        title=f"{digits}-digit operands, {plan['train_size']:,} training problems, "
        f"{plan['minutes']} min per run: test exact match ({plan['test_size']:,} problems)"
    )
    table.add_column("size", justify="right")
    for op in ops:
        for m in methods:
            table.add_column(f"{op} {m}", justify="right")
    by = {(r["op"], r["method"], r["size"]): r for r in rows}
    for size in sizes:
        table.add_row(size, *(f"{100 * by[op, m, size]['exact_match']:.1f}%" for op in ops for m in methods))
    console = Console()
    console.print(table)
    console.print(f"results in {out}/ (results.csv, ladder.png; one sweep folder per operation)")
    return rows


if __name__ == "__main__":
    main()
