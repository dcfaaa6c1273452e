"""The IsoBench runner: every (instance, representation, strategy) of a suite through one model.

A run folder holds ``config.json`` (written first, no secrets) and ``results.jsonl``, one record per
key ``instance_id|representation|strategy``, appended and flushed as each finishes, so a crash loses
at most the calls in flight. A run holds the folder's lock (:mod:`modgap.lock`) from before it writes
``config.json`` to its end, so a second runner on the folder stops at once instead of racing it.
Resuming (the default) drops a torn last line and earlier failures, rewrites the file atomically
with the finished records only, and runs what is missing: a run killed at any point (a resume
included) and restarted ends with exactly one record per key.

Every media file a job shows is checked before the first request (inside the suite folder, decoding
as its kind), and every record and ``config.json`` go through :func:`modgap.secrets.redact_values`.

Record fields: key, instance_id, task, domain, representation, strategy, model, answer, choices,
response (the final reply), steps (every reply, for two-call strategies), parsed, parse_method,
parse_reason, correct (under the run's ``parse`` mode), parsed_strict, correct_strict, parsed_nearest,
correct_nearest (the reply read under each mode, whichever the run uses), error, latency_s,
prompt_tokens, completion_tokens, prompt_hash, time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from modgap import __version__
from modgap.isobench import embed
from modgap.isobench.parsing import PARSE_MODES, Parsed, explain_modes, judge_answer
from modgap.isobench.prompts import STRATEGIES, TWO_STEP, Plan, plan
from modgap.isobench.results import CONFIG, RESULTS, read_results
from modgap.isobench.suite import Record, load_suite, read_frames, read_media
from modgap.isobench.task import AUDIO, IMAGE, MEDIA, TASKS, TEXT_IMAGE, VIDEO, Task
from modgap.lock import hold
from modgap.models import ChatBackend, ChatRequest, GenerationParams
from modgap.models.chat import AudioPart, ImagePart, Part, VideoPart
from modgap.secrets import redact_values

_KIND = {IMAGE: "image", TEXT_IMAGE: "image", AUDIO: "audio", VIDEO: "video"}
"""What a model must read for each modality (a text image is an image)."""

__all__ = ["Job", "job_plan", "plan_jobs", "run_jobs", "run_bench", "prepare_run", "RunSummary"]

REPRODUCIBLE = ("model", "suite", "params")
"""Config entries a resumed run must share with the one it continues."""


@dataclass(frozen=True)
class Job:
    record: Record
    representation: str
    """A text form, ``image``, or ``image+<form>+…`` for IsoCombination."""
    strategy: str

    @property
    def key(self) -> str:
        return f"{self.record.instance.id}|{self.representation}|{self.strategy}"


def plan_jobs(records: Iterable[Record], reps: Sequence[str], strategies: Sequence[str]) -> list[Job]:
    """The jobs for ``reps`` (text form names, ``text`` = every text form, and the modalities image,
    text_image, audio, video) and ``strategies``; a text form a task lacks is skipped for that task.

    eta and isosp run on each chosen modality (the image when none is chosen); isocb once per instance.
    """
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; choose from {', '.join(STRATEGIES)}")
    records = list(records)
    tasks = sorted({r.instance.task for r in records} - set(TASKS))
    if tasks:
        raise ValueError(f"unknown task(s) {tasks} in the suite; the runner knows {', '.join(TASKS)}")
    modalities = [m for m in MEDIA if m in reps]
    jobs = []
    for record in records:
        forms = [r for r in _forms(record) if r in reps or "text" in reps]
        for strategy in strategies:
            if strategy in TWO_STEP:
                jobs += [Job(record, m, strategy) for m in modalities or [IMAGE]]
            elif strategy == "isocb":
                jobs.append(Job(record, "+".join([IMAGE, *(forms or _forms(record))]), strategy))
            else:
                jobs += [Job(record, rep, strategy) for rep in [*forms, *modalities]]
    return jobs


def _media(record: Record, suite_dir: Path, representations: Iterable[str]) -> dict[str, Part]:
    """The parts a job shows: images (and text images) as images, audio as WAV, video as frames + MP4."""
    parts: dict[str, Part] = {}
    for rep in (r for r in representations if r in MEDIA):
        path = suite_dir / record.path(rep)
        if rep == AUDIO:
            parts[rep] = AudioPart(path)
        elif rep == VIDEO:
            parts[rep] = VideoPart(tuple(ImagePart(suite_dir / f) for f in record.frames), path)
        else:
            parts[rep] = ImagePart(path)
    return parts


def _forms(record: Record) -> list[str]:
    """The record's text forms in the task's own order (its first is the canonical one eta targets)."""
    return [r for r in TASKS[record.instance.task].text_representations if r in record.text]


def job_plan(job: Job, suite_dir: Path, params: GenerationParams) -> Plan:
    """The first call of ``job`` (and how to build the next), exactly as the runner sends it.

    The one place that picks a job's text forms and media, so eval-tool integrations
    (:mod:`modgap.integrations`) send the same prompts as :func:`run_bench`.
    """
    record = job.record
    forms = job.representation.split("+")[1:] if job.strategy == "isocb" else _forms(record)
    text = {r: record.text[r] for r in forms}
    media = _media(record, suite_dir, job.representation.split("+"))
    return plan(record.instance, text, media, job.representation, job.strategy, params)


def first_per_task(records: Iterable[Record], limit: int | None) -> list[Record]:
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    seen: dict[str, int] = {}
    kept = []
    for r in records:
        seen[r.instance.task] = seen.get(r.instance.task, 0) + 1
        if limit is None or seen[r.instance.task] <= limit:
            kept.append(r)
    return kept


def prepare_run(out: Path, config: dict[str, Any], resume: bool = True) -> set[str]:
    """Write ``config.json``; keep the finished records (compacted) and return their keys.

    Call it holding the folder's lock (:func:`modgap.lock.hold`): it rewrites ``results.jsonl``.
    """
    out.mkdir(parents=True, exist_ok=True)
    config = json.loads(json.dumps(redact_values(config)))  # as it will read back (tuples become lists)
    results, config_file = out / RESULTS, out / CONFIG
    if resume and config_file.is_file():
        old = json.loads(config_file.read_text())
        changed = [k for k in REPRODUCIBLE if old.get(k) != config.get(k)]
        if changed and results.is_file():
            raise ValueError(
                f"{out} holds a run with a different {', '.join(changed)} "
                f"({', '.join(f'{k}={old.get(k)!r}' for k in changed)}); use another --out or --no-resume"
            )
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    done = {k: r for k, r in read_results(results)[0].items() if r.get("error") is None} if resume else {}
    tmp = results.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in done.values()))
    tmp.replace(results)
    return set(done)


@dataclass
class RunSummary:
    skipped: int = 0
    """Jobs already finished by an earlier run."""
    records: list[dict[str, Any]] = field(default_factory=list)
    """The records this run wrote."""

    @property
    def errors(self) -> int:
        return sum(r["error"] is not None for r in self.records)

    def accuracy(self) -> list[tuple[str, str, str, int, float]]:
        """(task, strategy, representation, answered, accuracy) over this run's answered records."""
        groups: dict[tuple[str, str, str], list[bool]] = {}
        for r in self.records:
            if r["error"] is None:
                groups.setdefault((r["task"], r["strategy"], r["representation"]), []).append(r["correct"])
        return [(*k, len(v), sum(v) / len(v)) for k, v in sorted(groups.items())]

    def parse_counts(self) -> dict[str, tuple[int, int]]:
        """(answered, correct) over this run's records under each parse mode."""
        done = [r for r in self.records if r["error"] is None]
        return {
            mode: (
                sum(r[f"parsed_{mode}"] is not None for r in done),
                sum(r[f"correct_{mode}"] for r in done),
            )
            for mode in PARSE_MODES
        }


def _prompt_hash(request: ChatRequest) -> str:
    blob = json.dumps(request.canonical(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


async def _execute(
    backend: ChatBackend,
    job: Job,
    suite_dir: Path,
    params: GenerationParams,
    task: Task,
    judge: ChatBackend | None,
    parse: str = "strict",
) -> dict[str, Any]:
    inst = job.record.instance
    step = job_plan(job, suite_dir, params)
    out: dict[str, Any] = {
        "key": job.key,
        "instance_id": inst.id,
        "task": inst.task,
        "domain": task.domain,
        "representation": job.representation,
        "strategy": job.strategy,
        "model": backend.name,
        "answer": inst.answer,
        "choices": inst.choices,
        "prompt_hash": _prompt_hash(step.request),
    }
    replies, latency, prompt_tokens, completion_tokens = [], 0.0, 0, 0
    try:
        while True:
            response = await backend.generate(step.request)
            replies.append(response.text)
            latency += response.latency_s
            prompt_tokens += response.usage.prompt_tokens
            completion_tokens += response.usage.completion_tokens
            if step.then is None:
                break
            step = step.then(response.text)
        modes = explain_modes(inst.task, response.text, inst.choices, inst.fields)
        parsed = modes[parse]
        if parsed.answer is None and judge is not None and inst.choices:
            parsed = await judge_answer(judge, inst.task, response.text, inst.choices)
        error = None
    except Exception as e:  # noqa: BLE001 - a failed call is recorded (and retried on resume), not raised
        parsed, error = Parsed(None, "none", "no response"), f"{type(e).__name__}: {e}"
        modes = dict.fromkeys(PARSE_MODES, parsed)
    by_mode: dict[str, Any] = {}
    for mode, read in modes.items():
        by_mode[f"parsed_{mode}"] = read.answer
        by_mode[f"correct_{mode}"] = error is None and task.score(read.answer, inst) == 1.0
    return out | {
        "response": replies[-1] if replies else None,
        "steps": replies,
        "parsed": parsed.answer,
        "parse_method": parsed.method,
        "parse_reason": parsed.reason,
        "correct": error is None and task.score(parsed.answer, inst) == 1.0,
        **by_mode,
        "error": error,
        "latency_s": round(latency, 4),
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


async def run_jobs(
    backend: ChatBackend,
    jobs: Sequence[Job],
    suite_dir: Path,
    results: Path,
    params: GenerationParams,
    concurrency: int = 16,
    judge: ChatBackend | None = None,
    secrets: Sequence[str] = (),
    on_record: Callable[[dict[str, Any]], None] | None = None,
    parse: str = "strict",
) -> list[dict[str, Any]]:
    """Run ``jobs`` with at most ``concurrency`` in flight, appending each record as it finishes.

    ``secrets`` (e.g. the API key) are blanked out of every record, as are credentials
    (:func:`modgap.secrets.redact`), before it is written, returned or passed to ``on_record``.
    ``parse`` (one of :data:`PARSE_MODES`) is how replies are read into each record's ``parsed``.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    tasks = {name: TASKS[name]() for name in {j.record.instance.task for j in jobs}}
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Job) -> dict[str, Any]:
        async with gate:
            task = tasks[job.record.instance.task]
            return await _execute(backend, job, suite_dir, params, task, judge, parse)

    written = []
    try:
        with results.open("a", encoding="utf-8") as f:
            for finished in asyncio.as_completed([one(j) for j in jobs]):
                record = redact_values(await finished, secrets)
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
                f.flush()  # in the OS's hands now: a killed process loses nothing written
                written.append(record)
                if on_record is not None:
                    on_record(record)
    finally:
        for b in (backend, judge):
            if (close := getattr(b, "aclose", None)) is not None:  # HTTP clients end with their loop
                await close()
    return written


def run_bench(
    backend: ChatBackend,
    suite: Path,
    out: Path,
    reps: Sequence[str] = ("text", IMAGE),
    strategies: Sequence[str] = ("direct",),
    params: GenerationParams | None = None,
    concurrency: int = 16,
    resume: bool = True,
    judge: ChatBackend | None = None,
    secrets: Sequence[str] = (),
    limit: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    parse: str = "strict",
) -> RunSummary:
    """Evaluate ``backend`` on the suite folder ``suite`` into the run folder ``out`` (see module doc).

    ``limit`` keeps the first instances of each task (a quick look before a full run); ``parse`` is
    how replies are read: ``strict`` (no guessing) or ``nearest`` (the option the reply is nearest to).
    """
    if parse not in PARSE_MODES:
        raise ValueError(f"unknown parse mode {parse!r}; choose from {', '.join(PARSE_MODES)}")
    params = params or GenerationParams()
    jobs = plan_jobs(first_per_task(load_suite(suite), limit), reps, strategies)
    if not jobs:
        raise ValueError(f"no jobs: the suite's tasks have none of the representations {', '.join(reps)}")
    accepts = getattr(backend, "accepts", None)  # known for local models; an API's is found by asking
    needs = {_KIND[m] for j in jobs for m in j.representation.split("+") if m in _KIND}
    if accepts is not None and needs - accepts:
        raise ValueError(
            f"{backend.name} does not accept {' or '.join(sorted(needs - accepts))} input"
            + (
                " (a text-only model): choose text representations (--reps text) and direct or cot"
                if not accepts
                else ""
            )
        )
    missing = {
        m
        for j in jobs
        for m in j.representation.split("+")
        if m in MEDIA and m != IMAGE and m not in j.record.media
    }
    if missing:
        raise ValueError(f"{suite} has no {', '.join(sorted(missing))}: generate it with --modalities")
    _check_media(suite, jobs)
    config = {
        "version": 1,
        "model": backend.name,
        "suite": str(suite.resolve()),
        "reps": list(reps),
        "strategies": list(strategies),
        "params": asdict(params),
        "concurrency": concurrency,
        "judge": judge.name if judge else None,
        "parse": parse,
        "parse_embedder": embed.MODEL if embed.available() else None,
        "modgap": __version__,
    }
    with hold(out):
        done = prepare_run(out, config, resume)
        todo = [j for j in jobs if j.key not in done]
        if on_start is not None:
            on_start(len(todo))
        written = asyncio.run(
            run_jobs(
                backend, todo, suite, out / RESULTS, params, concurrency, judge, secrets, on_record, parse
            )
        )
    return RunSummary(skipped=len(jobs) - len(todo), records=written)


def _check_media(suite: Path, jobs: Sequence[Job]) -> None:
    """Every media file the jobs show, checked once before any request (see :func:`read_media`)."""
    shown = {
        (job.record.instance.id, rep): job.record
        for job in jobs
        for rep in job.representation.split("+")
        if rep in MEDIA
    }
    for (_, rep), record in shown.items():
        read_media(suite, record, rep)
        if rep == VIDEO:
            read_frames(suite, record)
