"""Length generalisation: train on operands of up to L digits, test on L, 1.5L, 2L and 3L digits.

abacus vs fone+abacus vs digit tokens (FoNE paper: FoNE + Abacus generalises to longer operands than
Abacus alone). Every method trains on the same problems — operand lengths uniform in 1..L, the Abacus
paper's recipe — with the same time budget, and is then scored on operands of exactly each test length.

How each method meets numbers longer than in training:
  abacus, fone+abacus  digits least significant first, each with the embedding of its place in its
                       number. The place table covers the longest test answer, and training shifts
                       every number's places by a random k in [0, K] (the Abacus paper's random offset;
                       --offset K, default the longest test length), so the places a longer number
                       uses at test time were trained; without the shift they would stay random.
  digit                Llama rotary positions only: nothing ties a digit to its place (the baseline).
  fone                 not here: a [NUM] token carries a fixed number of digit periods, so it cannot
                       hold a number longer than its configuration.
Answers are generated as long as the test problems need, not capped at the training length.

    python benchmarks/fone_length_generalisation.py --quick   # <= 20 min on a 2-core CPU
    python benchmarks/fone_length_generalisation.py           # the full budget (use a GPU)

Results go to --out (resumable): results.jsonl, accuracy_vs_length.csv and accuracy_vs_length.png.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from modgap.fone.arithmetic import ArithmeticTask, make_splits, sample_problems
from modgap.fone.methods import ModelSpec
from modgap.fone.sweep import add_run_options, budgeted_args, plot_lines, sweep
from modgap.fone.train import TrainArgs, TrainResult, evaluate

QUICK = {"minutes": 4.0, "train_size": 20_000, "test_size": 300, "size": "2x128"}
FULL = {"minutes": 20.0, "train_size": 200_000, "test_size": 2_000, "size": "2x128"}
SEQUENCE_METHODS = ("abacus", "fone+abacus", "digit", "subword")
COLUMNS = ("method", "length", "trained", "n", "exact_match", "digit_accuracy")


def score_lengths(result: TrainResult, args: TrainArgs, lengths: Sequence[int], n: int) -> dict:
    """Exact match and digit accuracy on ``n`` problems whose operands have exactly each length."""
    splits = make_splits(args.task, args.train_size, args.val_size, args.test_size, seed=args.seed)
    seen = {(p.a_scaled, p.b_scaled) for p in splits.train}
    by_length = {}
    for length in lengths:
        task = ArithmeticTask(args.spec.op, length, args.spec.frac_digits, lengths="exact")
        by_length[str(length)] = evaluate(result.model, sample_problems(task, n, f"{args.seed}:test", seen))
    return {"by_length": by_length}


def length_rows(rows: Sequence[dict], train_length: int) -> list[dict]:
    """One row per (method, test length), from the sweep's rows."""
    return [
        {"method": r["method"], "length": int(k), "trained": int(k) <= train_length, **v}
        for r in rows
        for k, v in r["by_length"].items()
    ]


def main(argv: Sequence[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="4 min per method, 300 test problems per length")
    p.add_argument("--methods", default="abacus,fone+abacus,digit")
    p.add_argument("--train-length", type=int, default=10, help="L: training operands have 1..L digits")
    p.add_argument("--test-lengths", help="comma-separated (default: L, 1.5L, 2L, 3L)")
    p.add_argument("--offset", type=int, help="K, the largest random Abacus place shift in training")
    p.add_argument("--size", help="model size (default 2x128)")
    p.add_argument("--train-size", type=int, help="overrides the plan's")
    p.add_argument("--test-size", type=int, help="problems per test length, overrides the plan's")
    add_run_options(p)
    a = p.parse_args(argv)
    plan = dict(QUICK if a.quick else FULL)
    plan.update({k: v for k, v in vars(a).items() if k in plan and v is not None})
    L = a.train_length
    lengths = sorted(
        {int(x) for x in a.test_lengths.split(",")} if a.test_lengths else {L, round(1.5 * L), 2 * L, 3 * L}
    )
    offset = max(lengths) if a.offset is None else a.offset
    methods = a.methods.split(",")
    if bad := [m for m in methods if m not in SEQUENCE_METHODS]:
        p.error(
            f"{bad}: only digit-sequence methods can read numbers longer than in training "
            f"({', '.join(SEQUENCE_METHODS)})"
        )
    out = a.out or Path("runs/bench/fone_length_generalisation" + ("_quick" if a.quick else ""))
    spec = ModelSpec(op="add", int_digits=L, abacus_offset=offset)
    base = budgeted_args(a, plan, spec, lengths="uniform", test_size=min(1_000, plan["test_size"]))
    rows = sweep(
        base,
        methods,
        [plan["size"]],
        [plan["train_size"]],
        out,
        on_run=lambda r, cached: print(
            f"{r['method']:>12}: "
            + "  ".join(f"{k} digits {100 * v['exact_match']:.1f}%" for k, v in r["by_length"].items())
            + (" (cached)" if cached else f" ({r['seconds']:.0f}s)")
        ),
        extra=lambda result, args: score_lengths(result, args, lengths, plan["test_size"]),
    )
    long = length_rows(rows, L)
    with (out / "accuracy_vs_length.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(long)
    plot_lines(
        {
            f"trained on 1–{L} digits, K = {offset}": {
                m: [(r["length"], r["exact_match"]) for r in long if r["method"] == m] for m in methods
            }
        },
        out / "accuracy_vs_length.png",
        "operand digits",
    )

    table = Table(
        title=f"addition, trained on 1–{L}-digit operands ({plan['train_size']:,} problems, "
        f"{plan['minutes']} min per method, {plan['size']}): exact match on {plan['test_size']:,} "
        "problems per length"
    )
    table.add_column("operand digits", justify="right")
    for m in methods:
        table.add_column(m, justify="right")
    acc = {(r["method"], r["length"]): r for r in long}
    for length in lengths:
        label = f"{length}" + (" (trained)" if length <= L else f" ({length / L:.3g}L)")
        cells = (acc.get((m, length)) for m in methods)  # a run resumed from an older grid may lack one
        table.add_row(label, *(f"{100 * c['exact_match']:.1f}%" if c else "—" for c in cells))
    console = Console()
    console.print(table)
    console.print(f"results in {out}/ (accuracy_vs_length.csv, accuracy_vs_length.png)")
    return long


if __name__ == "__main__":
    main()
