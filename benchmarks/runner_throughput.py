"""Runner throughput against a local OpenAI-compatible server that takes a fixed 200 ms per request.

    python benchmarks/runner_throughput.py                # 1,600 requests at concurrency 32, 20 sequential
    python benchmarks/runner_throughput.py --requests 640

The ideal at concurrency c is c / latency requests/s (160/s for 32 × 200 ms); the target is ≥ 90% of
it. A run pays a fixed start (connections, first-call imports: about 0.4 s on a 2-core machine), so
the default is a run of realistic size (IsoBench alone is 1,887 instances, several forms each).
The sequential row is one request at a time, as the official IsoBench evaluator does. Both rows go
through the whole runner (prompting, HTTP, parsing, JSONL appends) against the same server, which
runs in its own process so it does not share the runner's interpreter.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
import urllib.request
from pathlib import Path

import uvicorn
from rich.console import Console
from rich.table import Table

from modgap.isobench.runner import run_bench
from modgap.isobench.suite import generate, write_suite
from modgap.models import make_backend
from modgap.models.mock import mock_app
from modgap.models.serve import free_port


def _serve(port: int, latency: float) -> None:
    app = mock_app(lambda _request: "Answer: A", latency=latency)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", backlog=4096)


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/models", timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the mock server at {url} did not start")


def _suite(folder: Path, instances: int) -> Path:
    """Chemistry instances (quick to make), each asked in its two text forms."""
    write_suite(generate(["chemistry"], instances, seed=0, workers=1), folder, {})
    return folder


def _measure(url: str, suite: Path, concurrency: int, out: Path) -> tuple[int, float]:
    backend = make_backend(f"openai:mock@{url}", concurrency=concurrency)
    start = time.perf_counter()
    summary = run_bench(backend, suite, out, ("text",), ("direct",), concurrency=concurrency)
    seconds = time.perf_counter() - start
    if summary.errors:
        raise RuntimeError(f"{summary.errors} requests failed")
    return len(summary.records), seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=1600, help="requests in the concurrent run (even)")
    p.add_argument("--sequential", type=int, default=20, help="requests in the sequential run (even)")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--latency", type=float, default=0.2, help="seconds the server takes per request")
    a = p.parse_args()
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port, a.latency), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait(url)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            rows = [
                (
                    "sequential (official evaluator)",
                    1,
                    *_measure(url, _suite(tmp / "s1", a.sequential // 2), 1, tmp / "r1"),
                ),
                (
                    f"concurrency {a.concurrency}",
                    a.concurrency,
                    *_measure(url, _suite(tmp / "s2", a.requests // 2), a.concurrency, tmp / "r2"),
                ),
            ]
    finally:
        server.terminate()
    table = Table(title=f"runner throughput, server latency {a.latency * 1000:.0f} ms")
    for col in ("mode", "requests", "seconds", "requests/s", "ideal/s", "% of ideal", "speed-up"):
        table.add_column(col, justify="left" if col == "mode" else "right")
    base = rows[0][2] / rows[0][3]
    for mode, c, n, seconds in rows:
        rate, ideal = n / seconds, c / a.latency
        table.add_row(
            mode,
            str(n),
            f"{seconds:.2f}",
            f"{rate:.1f}",
            f"{ideal:.0f}",
            f"{100 * rate / ideal:.1f}%",
            f"{rate / base:.1f}×",
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
