"""IsoBench generation speed: instances/s per task (sample + every text form + PNG), then a whole suite.

    python benchmarks/isobench_generate.py            # per-task rates on 1 core, then the ten-task
                                                       # suite at IsoBench's size (1,887) on all cores
    python benchmarks/isobench_generate.py --n 20     # quicker per-task rates

The suite row is the issue's target: ≤ 3 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from modgap.isobench import TASKS
from modgap.isobench.suite import ISOBENCH_SIZES, generate, write_suite


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=50, help="instances per task for the per-task rates")
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    console = Console()

    table = Table(title=f"per task, 1 process, {a.n} instances each")
    for col in ("task", "instances/s", "ms/instance", "PNG KiB (mean)"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for name in TASKS:
        start = time.perf_counter()
        pngs = [len(files[r.image]) for r, files in generate([name], a.n, a.seed, workers=1)]
        dt = time.perf_counter() - start
        table.add_row(
            name, f"{a.n / dt:.1f}", f"{1000 * dt / a.n:.0f}", f"{sum(pngs) / len(pngs) / 1024:.0f}"
        )
    console.print(table)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        count = write_suite(generate(list(TASKS), ISOBENCH_SIZES, a.seed, workers=a.workers), Path(tmp), {})
        dt = time.perf_counter() - start
    console.print(
        f"IsoBench-size suite: {count:,} instances (all representations + images) in {dt:.1f} s "
        f"with {a.workers} worker(s) = {count / dt:.1f} instances/s (target: ≤ 180 s)"
    )


if __name__ == "__main__":
    main()
