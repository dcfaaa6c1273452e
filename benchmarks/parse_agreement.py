"""Parser agreement with a reference reading of real replies, per task, in both parse modes.

Reads JSON lines with task, response, choices, reference_parse (e.g. the official IsoBench evaluator's
LLM reading of real model replies), prints per task: strict coverage (share read at all), strict
agreement where it reads, and nearest (forced-choice) agreement over every reply, and writes a CSV.

    python benchmarks/parse_agreement.py ../shared/data/isobench_real_responses_dev.jsonl
    python benchmarks/parse_agreement.py FILE --no-embeddings --csv agreement.csv
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from modgap.console import fail
from modgap.isobench import embed
from modgap.isobench.agreement import agreement, read_rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", type=Path, help="JSON lines: task, response, choices, reference_parse")
    p.add_argument("--csv", type=Path, default=Path("parse_agreement.csv"), help="where the table goes")
    p.add_argument("--no-embeddings", action="store_true", help="word rules only, no sentence model")
    a = p.parse_args()
    if a.no_embeddings:
        embed.available = lambda: False  # the forced-choice reading checks this before each use
    elif embed.available():
        import torch

        torch.set_num_threads(1)  # a few short sentences at a time: one thread is fastest
    try:
        rows = read_rows(a.file.read_text().splitlines(), str(a.file))
    except (OSError, ValueError) as e:
        raise SystemExit(fail(e).exit_code) from None  # one line, exit 2
    start = time.perf_counter()
    table = agreement(rows)
    seconds = time.perf_counter() - start

    model = embed.MODEL if embed.available() else "none"
    out = Table(title=f"{a.file.name}: {len(rows)} replies, sentence model: {model}, {seconds:.1f} s")
    columns = ("task", "n", "strict coverage", "strict agreement", "nearest agreement", "ref ∉ choices")
    for col in columns:
        out.add_column(col, justify="left" if col == "task" else "right")
    for t in table:
        out.add_row(
            t.task,
            str(t.n),
            f"{t.strict_coverage:.1%}",
            f"{t.strict_precision:.1%}",
            f"{t.nearest_agreement:.1%}",
            str(t.ref_outside),
        )
    Console(width=110).print(out)
    with a.csv.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["task", "n", "strict_answered", "strict_agreed", "nearest_agreed", "ref_outside"])
        w.writerows(
            [t.task, t.n, t.strict_answered, t.strict_agreed, t.nearest_agreed, t.ref_outside] for t in table
        )
    print(f"wrote {a.csv}", file=sys.stderr)


if __name__ == "__main__":
    main()
