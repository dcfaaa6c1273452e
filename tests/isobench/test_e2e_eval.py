"""End to end: `modgap serve` with the real SmolLM2, `modgap bench run` over HTTP, `modgap bench report`."""

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from typer.testing import CliRunner

from modgap.cli import app
from modgap.isobench.suite import generate, write_suite
from modgap.models.serve import free_port


@pytest.fixture(scope="module")
def served_smollm2():
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "modgap",
        "serve",
        "--model",
        "smollm2",
        "--port",
        str(port),
        "--device",
        "cpu",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url + "/models", timeout=1) as r:
                assert json.loads(r.read())["data"][0]["id"] == "smollm2"
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "modgap serve did not come up"
            time.sleep(0.25)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.mark.slow
def test_serve_run_and_report_with_a_real_model(served_smollm2, tmp_path):
    suite, run, report = tmp_path / "suite", tmp_path / "run", tmp_path / "report"
    write_suite(generate(["graph_connectivity", "physics"], 2, seed=0, workers=1), suite, {})
    args = ["bench", "run", "--model", f"openai:smollm2@{served_smollm2}", "--suite", str(suite)]
    args += ["--out", str(run), "--reps", "text", "--max-tokens", "24", "--no-cache", "--concurrency", "4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    assert len(records) == 2 * 3 + 2 * 2  # graph: adjacency, edges, story; physics: netlist, description
    assert all(r["error"] is None and r["response"] and r["completion_tokens"] > 0 for r in records)
    assert all(r["model"] == f"openai:smollm2@{served_smollm2}" for r in records)
    parsed = [r for r in records if r["parsed"] is not None]
    assert parsed and all(r["correct"] == (r["parsed"] == r["answer"]) for r in parsed)

    result = CliRunner().invoke(app, ["bench", "report", str(run), "--out", str(report), "--n-boot", "200"])
    assert result.exit_code == 0, result.output
    rows = (report / "accuracy.csv").read_text().splitlines()
    assert rows[0].startswith("model,") and any("graph_connectivity" in r and "story" in r for r in rows)
    accuracy = sum(r["correct"] for r in records) / len(records)
    assert f"{100 * accuracy:.1f}" in result.output  # the headline pools all text answers
    assert (report / "index.html").read_text().count("openai:smollm2") >= 1
