"""IsoBench acceptance check: per task, a seeded suite of N instances (default 1,000), generated the real
way (all representations + images), must have solve == answer on every instance, class shares within
±5% of uniform, and zero duplicates.

    python benchmarks/isobench_verify.py            # 1,000 per task (~5 min on 2 cores)
    python benchmarks/isobench_verify.py --n 200
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter

from rich.console import Console
from rich.table import Table

from modgap.isobench import TASKS, create_task, generate, solve


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=os.cpu_count())
    a = p.parse_args()
    table = Table(title=f"{a.n} instances per task, seed {a.seed}")
    for col in ("task", "solve agrees", "class shares (min–max)", "duplicates", "seconds"):
        table.add_column(col, justify="left" if col == "task" else "right")
    ok = True
    for name in TASKS:
        task = create_task(name)
        start = time.perf_counter()
        records = [r for r, _ in generate([name], a.n, a.seed, workers=a.workers)]
        seconds = time.perf_counter() - start
        agree = sum(solve(name, r.instance.fields) == r.instance.answer for r in records)
        shares = Counter(task.answer_class(r.instance) for r in records)
        lo, hi = (x / a.n for x in (min(shares.values()), max(shares.values())))
        dups = len(records) - len({task.dedup_key(r.instance) for r in records})
        uniform = 1 / len(task.classes)
        good = agree == a.n and len(shares) == len(task.classes) and hi - uniform <= 0.05 >= uniform - lo
        ok &= good and dups == 0
        table.add_row(
            name, f"{agree}/{a.n}", f"{lo:.1%}–{hi:.1%} (k={len(task.classes)})", str(dups), f"{seconds:.0f}"
        )
    Console().print(table)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
