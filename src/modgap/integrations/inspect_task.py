"""IsoBench as an inspect_ai task: ``inspect eval modgap/isobench -T suite=DIR --model …``.

:func:`isobench` turns a suite folder into one :class:`~inspect_ai.dataset.Sample` per job of
``modgap bench run`` (same keys ``instance_id|representation|strategy``) whose input is exactly the
runner's first prompt (:func:`modgap.isobench.runner.job_plan`), converted part for part as the
OpenAI backend sends it: a text-only message as one string, otherwise text, image (a file path inside
the suite), audio (WAV) and video (its frames, or the MP4 with ``video_as="video_url"``). The target is
the verified answer; metadata holds task, instance id, representation, strategy, choices and fields.

:func:`modgap_solver` calls ``generate`` once, or twice for eta and isosp: the second prompt is
modgap's own, built from the first reply, in a fresh conversation as the runner sends it.
:func:`modgap_scorer` reads the last reply with :func:`modgap.isobench.parsing.explain_answer` and
scores it with the task's own ``score``, so per-sample correctness equals ``modgap bench run`` on the
same replies. ``fallback`` is passed to the parser when it has that parameter (``strict`` otherwise).

Needs ``pip install 'modgap[inspect]'``. Registered for inspect by the ``inspect_ai`` entry point
``modgap`` (pyproject.toml), so ``modgap/isobench`` resolves once modgap is installed.
"""

from __future__ import annotations

import inspect as pyinspect
from pathlib import Path
from typing import Any

try:
    from inspect_ai import Task, task
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.model import (
        ChatMessageUser,
        Content,
        ContentAudio,
        ContentImage,
        ContentText,
        ContentVideo,
        GenerateConfig,
    )
    from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, grouped, scorer, stderr
    from inspect_ai.solver import Generate, TaskState, solver
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        f"modgap's inspect_ai task needs inspect_ai ({e}); install it with: pip install 'modgap[inspect]'"
    ) from None

from modgap.isobench.parsing import explain_answer
from modgap.isobench.prompts import STRATEGIES
from modgap.isobench.runner import Job, first_per_task, job_plan, plan_jobs
from modgap.isobench.suite import load_suite, resolve_tasks
from modgap.isobench.task import MEDIA, TASKS, Instance
from modgap.models import ChatRequest, GenerationParams
from modgap.models.chat import AudioPart, ImagePart, Part, TextPart
from modgap.models.openai_backend import VIDEO_AS

__all__ = ["isobench", "modgap_solver", "modgap_scorer", "parser_mode", "samples", "to_inspect_messages"]

PARAMS = GenerationParams()
"""modgap's defaults (greedy, 512 tokens), which the task's GenerateConfig repeats."""


def _content(part: Part, video_as: str) -> list[Content]:
    if isinstance(part, TextPart):
        return [ContentText(text=part.text)]
    if isinstance(part, ImagePart):
        image = part.image
        return [ContentImage(image=str(image) if isinstance(image, str | Path) else part.data_url())]
    if isinstance(part, AudioPart):
        audio = part.audio
        shown = str(audio) if isinstance(audio, str | Path) else f"data:audio/wav;base64,{part.base64()}"
        return [ContentAudio(audio=shown, format="wav")]
    if video_as == "video_url":
        mp4 = part.mp4
        return [
            ContentVideo(video=str(mp4) if isinstance(mp4, str | Path) else part.data_url(), format="mp4")
        ]
    return [c for frame in part.frames for c in _content(frame, video_as)]


def to_inspect_messages(request: ChatRequest, video_as: str = "frames") -> list[ChatMessageUser]:
    """A modgap request as inspect messages, part for part as :func:`to_openai_messages` sends it."""
    if video_as not in VIDEO_AS:
        raise ValueError(f"video_as must be one of {', '.join(VIDEO_AS)}, got {video_as!r}")
    out = []
    for m in request.messages:
        if m.role != "user":
            raise ValueError(f"modgap's prompts are user messages, got a {m.role} message")
        if not m.media:
            out.append(ChatMessageUser(content=m.text))
        else:
            out.append(ChatMessageUser(content=[c for p in m.parts for c in _content(p, video_as)]))
    return out


def _names(value: str | list[str] | tuple[str, ...], what: str) -> list[str]:
    names = [v.strip() for v in value.split(",")] if isinstance(value, str) else [str(v) for v in value]
    names = [n for n in names if n]
    if not names:
        raise ValueError(f"{what} is empty")
    return names


def _jobs(suite: Path, reps: list[str], strategy: str, tasks: list[str], per_task: int | None) -> list[Job]:
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy: unknown {strategy!r}; choose from {', '.join(STRATEGIES)}")
    records = [r for r in load_suite(suite) if r.instance.task in tasks]
    jobs = plan_jobs(first_per_task(records, per_task), reps, [strategy])
    if not jobs:
        raise ValueError(
            f"reps: {','.join(reps)} with {strategy} gives no samples from {suite} "
            f"(tasks {','.join(tasks)}); use text forms, text, image, text_image, audio or video"
        )
    missing = sorted(
        {m for j in jobs for m in j.representation.split("+") if m in MEDIA and m != "image"}
        - {m for j in jobs for m in j.record.media}
    )
    if missing:
        raise ValueError(f"{suite} has no {', '.join(missing)}: generate it with --modalities")
    return jobs


def samples(
    suite: str | Path,
    reps: str | list[str] = "all",
    strategy: str = "direct",
    tasks: str | list[str] = "all",
    per_task: int | None = None,
    video_as: str = "frames",
) -> list[Sample]:
    """One inspect Sample per runner job (see the module doc), in the runner's job order."""
    suite = Path(suite).resolve()
    rep_list = ["text", "image"] if reps == "all" else _names(reps, "reps")
    jobs = _jobs(suite, rep_list, strategy, resolve_tasks(tasks), per_task)
    out = []
    for job in jobs:
        inst = job.record.instance
        out.append(
            Sample(
                input=to_inspect_messages(job_plan(job, suite, PARAMS).request, video_as),
                target=inst.answer,
                id=job.key,
                metadata={
                    "task": inst.task,
                    "domain": TASKS[inst.task].domain,
                    "instance_id": inst.id,
                    "representation": job.representation,
                    "strategy": job.strategy,
                    "choices": list(inst.choices),
                    "fields": inst.fields,
                },
            )
        )
    return out


@solver
def modgap_solver(suite: str, video_as: str = "frames"):
    """Generate as ``modgap bench run`` does: once, or twice (fresh conversation) for eta and isosp."""
    suite_dir = Path(suite).resolve()
    records = {r.instance.id: r for r in load_suite(suite_dir)}

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        meta = state.metadata
        job = Job(records[meta["instance_id"]], meta["representation"], meta["strategy"])
        step = job_plan(job, suite_dir, PARAMS)
        steps = []
        while True:
            state = await generate(state)
            steps.append(state.output.completion)
            if step.then is None:
                break
            step = step.then(state.output.completion)
            state.messages = list(to_inspect_messages(step.request, video_as))
        state.metadata["steps"] = steps
        return state

    return solve


def parser_mode(fallback: str) -> dict[str, Any]:
    """The keyword arguments that give the parser's ``fallback`` mode (none when it has no modes)."""
    if "fallback" in pyinspect.signature(explain_answer).parameters:
        return {"fallback": fallback}
    if fallback != "strict":
        raise ValueError(f"fallback: {fallback!r} needs a modgap whose parser has modes; this one is strict")
    return {}


@scorer(metrics=[accuracy(), stderr(), grouped(accuracy(), "representation", all=False)])
def modgap_scorer(fallback: str = "strict"):
    """modgap's parser and the task's own score; ``fallback`` goes to the parser when it supports it."""
    mode = parser_mode(fallback)
    tasks: dict[str, Any] = {}

    async def score(state: TaskState, target: Target) -> Score:
        meta = state.metadata
        name, choices, fields = meta["task"], meta["choices"], meta["fields"]
        reply = state.output.completion
        parsed = explain_answer(name, reply, choices, fields, **mode)
        inst = Instance(task=name, fields=fields, answer=target.text, choices=choices)
        task_ = tasks.setdefault(name, TASKS[name]())
        correct = task_.score(parsed.answer, inst) == 1.0
        return Score(
            value=CORRECT if correct else INCORRECT,
            answer=parsed.answer,
            explanation=f"{parsed.method}" + (f": {parsed.reason}" if parsed.reason else ""),
            metadata={"parse_method": parsed.method, "parse_reason": parsed.reason},
        )

    return score


@task
def isobench(
    suite: str,
    reps: str | list[str] = "all",
    strategy: str = "direct",
    tasks: str | list[str] = "all",
    per_task: int | None = None,
    fallback: str = "strict",
    video_as: str = "frames",
) -> Task:
    """A modgap IsoBench suite (``modgap bench generate``) as an inspect task.

    Args:
        suite: the suite folder (an absolute path is safest: inspect may change directory).
        reps: ``all`` (every text form and the image), or comma-separated text form names, ``text``
            (every text form), ``image``, ``text_image``, ``audio``, ``video``, as ``bench run --reps``.
        strategy: one of direct, cot, eta, isocb, isosp (eta and isosp call the model twice).
        tasks: ``all`` or comma-separated task names.
        per_task: only the first N instances of each task (``bench run --limit``).
        fallback: the parser's mode (``strict``, or ``nearest`` where the parser has it).
        video_as: send a video as its ``frames`` (images) or as one MP4 (``video_url``).
    """
    suite_dir = Path(suite).resolve()
    return Task(
        dataset=MemoryDataset(
            samples(suite_dir, reps, strategy, tasks, per_task, video_as), name=f"isobench:{suite_dir.name}"
        ),
        solver=modgap_solver(str(suite_dir), video_as),
        scorer=modgap_scorer(fallback),
        config=GenerateConfig(max_tokens=PARAMS.max_tokens, temperature=PARAMS.temperature),
        metadata={"suite": str(suite_dir), "strategy": strategy, "fallback": fallback},
    )
