"""IsoBench generation speed: ms per instance per task (sample + every text form + the image), the extra
cost of each derived modality (text image, audio, video), then a whole suite.

    python benchmarks/isobench_generate.py                    # per-task costs on 1 core, then the
                                                               # ten-task suite at IsoBench's size (1,887)
    python benchmarks/isobench_generate.py --all-modalities   # ... and that suite with all five modalities
    python benchmarks/isobench_generate.py --n 5              # quicker per-task costs

Targets on a 2-core machine: the image-only suite ≤ 3 minutes, with all five modalities ≤ 10 minutes.
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
from modgap.isobench.task import AUDIO, IMAGE, MEDIA, VIDEO

EXTRA = MEDIA[1:]
"""The derived modalities, each timed as its extra cost over the image alone."""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=50, help="instances per task for the per-task rates")
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--all-modalities", action="store_true", help="also time the suite with every modality")
    a = p.parse_args()
    console = Console()

    table = Table(title=f"per task, 1 process, {a.n} instances each: ms per instance")
    for col in ("task", "image (+ text)", *EXTRA, "KiB image / audio / video"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for name in TASKS:
        row, sizes = [], {}
        for modalities in [(IMAGE,), *((IMAGE, m) for m in EXTRA)]:
            start = time.perf_counter()
            made = list(generate([name], a.n, a.seed, workers=1, modalities=modalities))
            row.append(1000 * (time.perf_counter() - start) / a.n)
            sizes[modalities[-1]] = sum(_size(r, files, modalities[-1]) for r, files in made) / a.n / 1024
        base = row[0]
        table.add_row(
            name,
            f"{base:.0f}",
            *(f"+{extra - base:.0f}" for extra in row[1:]),
            f"{sizes[IMAGE]:.0f} / {sizes[AUDIO]:.0f} / {sizes[VIDEO]:.0f}",
        )
    console.print(table)

    for modalities in [(IMAGE,), MEDIA] if a.all_modalities else [(IMAGE,)]:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            records = generate(list(TASKS), ISOBENCH_SIZES, a.seed, workers=a.workers, modalities=modalities)
            count = write_suite(records, Path(tmp), {})
            dt = time.perf_counter() - start
        target = 180 if modalities == (IMAGE,) else 600
        console.print(
            f"IsoBench-size suite with {', '.join(modalities)}: {count:,} instances in {dt:.1f} s "
            f"with {a.workers} worker(s) = {count / dt:.1f} instances/s (target: ≤ {target} s)"
        )


def _size(record, files: dict[str, bytes], modality: str) -> int:
    """Bytes of one modality's files (video: the MP4 and its frames)."""
    path = record.path(modality)
    return sum(len(b) for p, b in files.items() if p == path or p.startswith(path.removesuffix(".mp4") + "/"))


if __name__ == "__main__":
    main()
