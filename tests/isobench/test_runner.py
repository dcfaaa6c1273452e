"""The runner: jobs, records, resume after failures and crashes, faults over HTTP, secrets, one writer
per run folder, the damaged response cache and `bench run`'s exit status."""

import base64
import hashlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from typer.testing import CliRunner

from modgap.cli import app
from modgap.isobench import TASKS, load_suite
from modgap.isobench.prompts import lettered
from modgap.isobench.results import RESULTS, read_results
from modgap.isobench.runner import first_per_task, plan_jobs, run_bench
from modgap.isobench.suite import generate, write_suite
from modgap.isobench.tasks._choices import LETTERS
from modgap.models import BackgroundServer, ChatRequest, ImagePart, ResponseCache
from modgap.models.mock import MockBackend, mock_app, refusing_server
from modgap.models.openai_backend import OpenAIBackend
from modgap.models.retry import RetryPolicy
from modgap.models.spec import parse_spec

SECRET = "sk-modgap-test-3b9f2c71d0e4"


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    folder = tmp_path_factory.mktemp("suite")
    write_suite(generate(["math_parity", "physics", "chess_puzzle"], 2, seed=0, workers=1), folder, {})
    return folder


def _oracle(suite):
    """Replies 'Answer: <right answer>' by recognising the instance's text form or image in the prompt,
    and transcribes an image perfectly into its first text form when asked to."""
    answers, transcripts = {}, {}
    for r in load_suite(suite):
        inst = r.instance
        answer = LETTERS[inst.choices.index(inst.answer)] if lettered(inst.task) else inst.answer
        for text in r.text.values():
            answers[text] = answer
        digest = hashlib.sha256((suite / r.image).read_bytes()).hexdigest()
        answers[digest], transcripts[digest] = answer, r.text[TASKS[inst.task].text_representations[0]]

    def reply(request: ChatRequest) -> str:
        prompt = request.messages[-1].text
        for part in request.messages[-1].parts:
            if isinstance(part, ImagePart) and part.digest() in answers:
                digest = part.digest()
                return transcripts[digest] if "Transcribe" in prompt else f"Answer: {answers[digest]}"
        found = {a for text, a in answers.items() if text in prompt}
        return f"Let me think.\nAnswer: {found.pop()}" if len(found) == 1 else "a transcription"

    return reply


def test_jobs_cover_each_representation_and_strategy_once(suite):
    records = load_suite(suite)
    jobs = plan_jobs(records, ["text", "image"], ["direct", "cot", "eta", "isocb", "isosp"])
    keys = [j.key for j in jobs]
    assert len(keys) == len(set(keys))
    forms = sum(len(r.text) for r in records)
    assert len(jobs) == 2 * (forms + len(records)) + 3 * len(records)
    parity = next(r for r in records if r.instance.task == "math_parity")
    assert {j.representation for j in jobs if j.record is parity and j.strategy == "isocb"} == {
        "image+latex+code"
    }
    only_code = plan_jobs([parity], ["code"], ["direct"])
    assert [j.representation for j in only_code] == ["code"]
    with pytest.raises(ValueError, match="unknown strategies"):
        plan_jobs(records, ["text"], ["direct", "fewshot"])


def test_an_oracle_scores_every_job_and_each_record_is_complete(suite, tmp_path):
    backend = MockBackend(_oracle(suite))
    summary = run_bench(backend, suite, tmp_path, ["text", "image"], ["direct", "cot", "isocb", "eta"])
    records = read_results(tmp_path / RESULTS)[0]
    assert len(records) == len(summary.records) == len(tmp_path.joinpath(RESULTS).read_text().splitlines())
    assert all(r["correct"] for r in records.values()), [r for r in records.values() if not r["correct"]]
    eta = [r for r in records.values() if r["strategy"] == "eta"]
    assert eta and all(len(r["steps"]) == 2 and r["steps"][-1] == r["response"] for r in eta)
    record = next(iter(records.values()))
    assert set(record) >= {"key", "prompt_hash", "response", "parsed", "correct", "error", "latency_s"}
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model"] == "mock" and config["strategies"] == ["direct", "cot", "isocb", "eta"]


class Flaky(MockBackend):
    """Fails every request of some instances (as an API outage would), with the key in the message."""

    def __init__(self, reply, failing: set[str]):
        super().__init__(reply)
        self.failing = failing

    async def generate(self, request):
        if any(text in request.messages[-1].text for text in self.failing):
            raise RuntimeError(f"upstream said: invalid key {SECRET}")
        return await super().generate(request)


def test_failures_are_recorded_without_secrets_and_a_resume_retries_only_them(suite, tmp_path):
    records = load_suite(suite)
    failing = {records[0].text["latex"]}
    reply = _oracle(suite)
    first = run_bench(Flaky(reply, failing), suite, tmp_path, ["text"], ["direct"], secrets=[SECRET])
    assert first.errors == 1
    error = next(r for r in read_results(tmp_path / RESULTS)[0].values() if r["error"])
    assert "RuntimeError" in error["error"] and "***" in error["error"] and not error["correct"]
    assert SECRET not in (tmp_path / RESULTS).read_text()

    with (tmp_path / RESULTS).open("a") as f:  # a crash in the middle of an append
        f.write('{"key": "torn')
    backend = MockBackend(reply)
    second = run_bench(backend, suite, tmp_path, ["text"], ["direct"])
    assert len(second.records) == 1 and second.skipped == len(first.records) - 1
    lines = (tmp_path / RESULTS).read_text().splitlines()
    assert len(lines) == len({json.loads(line)["key"] for line in lines}) == len(first.records)
    assert all(json.loads(line)["error"] is None for line in lines)

    again = run_bench(backend, suite, tmp_path, ["text"], ["direct"])
    assert again.records == [] and len(backend.requests) == 1


def test_resuming_with_another_model_is_refused(suite, tmp_path):
    run_bench(MockBackend(name="a"), suite, tmp_path, ["code"], ["direct"])
    with pytest.raises(ValueError, match="different model"):
        run_bench(MockBackend(name="b"), suite, tmp_path, ["code"], ["direct"])
    fresh = run_bench(MockBackend(name="b"), suite, tmp_path, ["code"], ["direct"], resume=False)
    assert len(read_results(tmp_path / RESULTS)[0]) == len(fresh.records)


def test_a_text_only_model_is_refused_image_jobs_up_front(suite, tmp_path):
    backend = MockBackend()
    backend.accepts = set()
    with pytest.raises(ValueError, match="text-only"):
        run_bench(backend, suite, tmp_path, ["text", "image"], ["direct"])


def test_every_job_completes_once_through_429s_500s_timeouts_and_dropped_connections(suite, tmp_path):
    faults = {"429": 0.15, "500": 0.15, "slow": 0.1, "drop": 0.1}
    app = mock_app(_oracle(suite), faults=faults, seed=1, slow_s=1.5)
    with BackgroundServer(app) as url:
        policy = RetryPolicy(max_attempts=10, base_delay=0.01, max_delay=0.1)
        backend = OpenAIBackend(parse_spec(f"openai:mock@{url}"), concurrency=8, timeout=0.5, retry=policy)
        summary = run_bench(backend, suite, tmp_path, ["text"], ["direct", "cot"], concurrency=8)
    lines = (tmp_path / RESULTS).read_text().splitlines()
    assert len(lines) == len({json.loads(line)["key"] for line in lines}) == len(summary.records)
    assert summary.errors == 0 and all(r["correct"] for r in summary.records)
    assert all(app.counts[k] > 0 for k in faults), app.counts


def _kill_when(cmd: list[str], env: dict[str, str], results, lines: int) -> int:
    """Start ``cmd``, kill -9 it once ``results`` has ``lines`` lines; how many it had then."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while not results.is_file() or len(results.read_text().splitlines()) < lines:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return len(results.read_text().splitlines())


def test_a_killed_run_and_its_killed_resume_end_with_exactly_one_record_per_key(suite, tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "modgap", "bench", "run", "--suite", str(suite), "--out", str(out)]
    cmd += ["--reps", "text", "--strategies", "direct,cot", "--concurrency", "2", "--no-cache"]
    env = {**os.environ, "OPENAI_API_KEY": SECRET}
    with BackgroundServer(mock_app(_oracle(suite), latency=0.3)) as url:
        cmd += ["--model", f"openai:mock@{url}"]
        partial = _kill_when(cmd, env, out / RESULTS, 3)
        resumed = _kill_when(cmd, env, out / RESULTS, partial + 2)  # killed in the middle of its resume
        done = CliRunner().invoke(app, cmd[3:], env=env)  # the same command, in this process
    assert done.exit_code == 0, done.output
    keys = [json.loads(line)["key"] for line in (out / RESULTS).read_text().splitlines()]
    expected = len(plan_jobs(load_suite(suite), ["text"], ["direct", "cot"]))
    assert 3 <= partial < resumed < expected and len(keys) == len(set(keys)) == expected
    written = "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert SECRET not in written


def _bench_run(suite, out, model: str, *options: str, env: dict[str, str] | None = None):
    args = ["bench", "run", "--model", model, "--suite", str(suite), "--out", str(out), *options]
    return CliRunner().invoke(app, args, env=env)


def test_a_second_runner_on_a_busy_run_folder_exits_2_naming_the_holder(suite, tmp_path):
    out, started, tried = tmp_path / "run", threading.Event(), threading.Event()
    oracle, first = _oracle(suite), {}

    def reply(request):  # the first runner's requests wait until the second runner has tried
        assert tried.wait(30)
        return oracle(request)

    def run_first():
        backend = MockBackend(reply)
        first["run"] = run_bench(backend, suite, out, ["text"], ["direct"], on_start=lambda _n: started.set())

    thread = threading.Thread(target=run_first)
    thread.start()
    assert started.wait(30)
    second = _bench_run(suite, out, "openai:other@http://127.0.0.1:9/v1", "--reps", "code", "--no-cache")
    tried.set()
    thread.join()
    assert second.exit_code == 2, second.output
    assert f"error: run folder {out} is in use by PID {os.getpid()}" in second.output
    lines = (out / RESULTS).read_text().splitlines()
    expected = len(plan_jobs(load_suite(suite), ["text"], ["direct"]))
    assert (
        len(lines)
        == len({json.loads(line)["key"] for line in lines})
        == len(first["run"].records)
        == expected
    )
    assert json.loads((out / "config.json").read_text())["model"] == "mock"  # not the second runner's


def test_a_run_whose_records_failed_exits_3_with_one_line_per_distinct_error(suite, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead, out = f"openai:m@http://127.0.0.1:{port}/v1", tmp_path / "run"
    options = ["--reps", "text", "--limit", "1", "--no-cache", "--max-attempts", "1"]
    result = _bench_run(suite, out, dead, *options)
    n = len(plan_jobs(first_per_task(load_suite(suite), 1), ["text"], ["direct"]))
    assert result.exit_code == 3, result.output
    summary = f"\n{n} of {n} records ended in error (1 distinct; rerun the command to retry them):\n"
    assert summary in result.output and "Traceback" not in result.output
    assert re.search(r"\n  API(Connection|Timeout)Error: [^\n]+\n$", result.output)  # as the client names it
    allowed = _bench_run(suite, out, dead, *options, "--allow-errors")
    assert allowed.exit_code == 0 and summary in allowed.output


@pytest.mark.parametrize("userinfo", ["", "user:pw-SECRET456@"])
def test_no_credential_reaches_the_console_the_run_folder_or_the_cache(suite, tmp_path, userinfo):
    key, out, cache = "sk-test-SECRET123", tmp_path / "run", tmp_path / "cache.sqlite"
    options = ["--reps", "text", "--limit", "1", "--cache", str(cache), "--max-attempts", "2"]
    with refusing_server() as host:  # 401 and 500 bodies quoting the Authorization header
        model = f"openai:m@http://{userinfo}{host}/v1"
        result = _bench_run(suite, out, model, *options, env={"OPENAI_API_KEY": key})
    assert result.exit_code == 3, result.output
    assert "Error code: 401 - request refused; you sent Authorization: ***" in result.output
    errors = {r["error"].split(" - ")[0] for r in read_results(out / RESULTS)[0].values()}
    assert errors == {"AuthenticationError: Error code: 401", "InternalServerError: Error code: 500"}
    files = [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    basic = base64.b64encode(b"user:pw-SECRET456").decode()
    for secret in (key, "pw-SECRET456", basic):
        assert not [text for text in [result.stdout, result.stderr, *files] if secret in text], secret
    assert json.loads((out / "config.json").read_text())["model"] == f"openai:m@http://{host}/v1"


@pytest.mark.parametrize("damage", ["truncated", "garbage", "foreign schema", "bad rows"])
def test_a_rerun_over_a_damaged_cache_completes_with_every_record_correct(suite, tmp_path, damage, capsys):
    path = tmp_path / "cache.sqlite"
    with BackgroundServer(mock_app(_oracle(suite))) as url:

        def run(out):
            cache = ResponseCache(path)
            backend = OpenAIBackend(parse_spec(f"openai:mock@{url}"), cache=cache)
            summary = run_bench(backend, suite, out, ["text", "image"], ["direct"])
            cache.close()
            return summary

        run(tmp_path / "first")
        if damage == "truncated":
            with path.open("r+b") as f:
                f.truncate(path.stat().st_size // 3)
        elif damage == "garbage":
            path.write_bytes(os.urandom(20_000))
        else:
            db = sqlite3.connect(path)
            if damage == "bad rows":
                db.execute("UPDATE responses SET response = '{not json'")
            else:
                db.execute("CREATE TABLE runs (id INTEGER)")
            db.commit()
            db.close()
        summary = run(tmp_path / "second")
    assert summary.errors == 0 and all(r["correct"] for r in summary.records)
    assert len(read_results(tmp_path / "second" / RESULTS)[0]) == len(summary.records)
    moved = list(tmp_path.glob("cache.sqlite.corrupt-*[0-9]"))
    assert len(moved) == (damage != "bad rows")
    assert ("moved to" in capsys.readouterr().out) == (damage != "bad rows")


def test_the_parse_mode_decides_parsed_and_records_keep_both_readings(tmp_path):
    suite = tmp_path / "suite"
    write_suite(generate(["math_breakpoint"], 2, seed=0, workers=1), suite, {})
    reply = "Counting the kinks carefully, I find many.\n\\boxed{99}"  # no option: strict leaves it unread
    strict = run_bench(MockBackend(lambda request: reply), suite, tmp_path / "strict", ["text"], ["direct"])
    nearest = run_bench(
        MockBackend(lambda request: reply), suite, tmp_path / "nearest", ["text"], ["direct"], parse="nearest"
    )
    for summary, mode in ((strict, "strict"), (nearest, "nearest")):
        assert json.loads((tmp_path / mode / "config.json").read_text())["parse"] == mode
        for r in summary.records:
            largest = max(r["choices"], key=int)
            assert r["parsed_strict"] is None and r["parsed_nearest"] == largest
            assert r["parsed"] == r[f"parsed_{mode}"] and r["correct"] == r[f"correct_{mode}"]
            assert r["parse_method"] == {"strict": "boxed", "nearest": "nearest_number"}[mode]
        n = len(summary.records)
        assert summary.parse_counts() == {
            "strict": (0, 0),
            "nearest": (n, sum(r["correct_nearest"] for r in summary.records)),
        }
    with pytest.raises(ValueError, match="unknown parse mode 'loose'; choose from strict, nearest"):
        run_bench(
            MockBackend(lambda request: reply), suite, tmp_path / "bad", ["text"], ["direct"], parse="loose"
        )


def test_bench_run_takes_parse_and_prints_both_counts(suite, tmp_path):
    args = ["bench", "run", "--suite", str(suite), "--reps", "text", "--no-cache", "--limit", "1"]
    with BackgroundServer(mock_app(_oracle(suite))) as url:
        args += ["--model", f"openai:mock@{url}", "--out", str(tmp_path / "run")]
        result = CliRunner().invoke(app, [*args, "--parse", "nearest"], env={"OPENAI_API_KEY": SECRET})
        bad = CliRunner().invoke(app, [*args, "--parse", "loose"], env={"OPENAI_API_KEY": SECRET})
    assert result.exit_code == 0, result.output
    assert re.search(
        r"read as: strict (\d+) answered, \1 correct; nearest \1 answered, \1 correct", result.output
    )
    assert bad.exit_code == 2 and "unknown parse mode 'loose'" in bad.output and "Traceback" not in bad.output
