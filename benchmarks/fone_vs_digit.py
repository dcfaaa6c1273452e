"""FoNE vs digit tokens on n-digit addition: the same training problems and the same wall-clock budget.

FoNE trains until it reaches 100% on the validation set (or --minutes); the digit baseline then gets
exactly the time FoNE took. Both are scored on the same held-out test set.

    python benchmarks/fone_vs_digit.py                 # 6-digit addition, 51,200 problems, 10,000 test
    python benchmarks/fone_vs_digit.py --digits 4 --train-size 12800
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from modgap.fone.methods import ModelSpec
from modgap.fone.sweep import same_budget
from modgap.fone.train import TrainArgs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--digits", type=int, default=6)
    p.add_argument("--train-size", type=int, default=51_200)
    p.add_argument("--test-size", type=int, default=10_000)
    p.add_argument("--size", default="2x128")
    p.add_argument(
        "--minutes", type=float, default=15.0, help="budget for FoNE (the baseline gets FoNE's time)"
    )
    p.add_argument("--baselines", default="digit", help="comma-separated methods given FoNE's time")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    base = TrainArgs(
        spec=ModelSpec(method="fone", size=a.size, op="add", int_digits=a.digits),
        train_size=a.train_size,
        test_size=a.test_size,
        minutes=a.minutes,
        seed=a.seed,
    )
    rows = same_budget(base, a.baselines.split(","))
    table = Table(
        title=f"{a.digits}-digit addition, {a.train_size:,} training problems, {a.test_size:,} test"
    )
    for col in (
        "method",
        "train examples",
        "steps",
        "examples seen",
        "train s",
        "total s",
        "exact match",
        "digit acc.",
    ):
        table.add_column(col, justify="left" if col == "method" else "right")
    for r in rows:
        table.add_row(
            r["method"],
            f"{r['train_size']:,}",
            str(r["steps"]),
            f"{r['examples_seen']:,}",
            f"{r['train_seconds']:.0f}",
            f"{r['seconds']:.0f}",
            f"{100 * r['exact_match']:.2f}%",
            f"{100 * r['digit_accuracy']:.2f}%",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
