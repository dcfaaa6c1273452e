"""Every prompt modgap sends for an instance, as plain data a dataset column (or another eval tool) holds.

One dict per (representation, strategy) the runner would run on the record (:func:`plan_jobs` with every
text form, every medium the suite has, and every strategy), built by :func:`job_plan`, so it is exactly
the runner's prompt:

* ``representation``, ``strategy``: as in the runner's records (``image+latex+code`` for isocb);
* ``segments`` and ``media``: the user message is ``segments[0]``, then the medium ``media[0]`` (a
  representation name: ``image``, ``text_image``, ``audio`` or ``video``, whose bytes are in that column
  of the export), then ``segments[1]``, … — always ``len(media) + 1`` segments, adjacent text parts joined;
* ``followup``: for eta and isosp, ``[before, after]``: the second call is the text
  ``before + first_reply + after``; empty for one-call strategies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modgap.isobench.prompts import STRATEGIES
from modgap.isobench.runner import job_plan, plan_jobs
from modgap.isobench.suite import Record
from modgap.isobench.task import AUDIO, IMAGE, MEDIA, TASKS, TEXT_IMAGE, VIDEO
from modgap.models import GenerationParams
from modgap.models.chat import AudioPart, ChatRequest, ImagePart, Part, TextPart, VideoPart

__all__ = ["prompt_rows", "request_parts", "join_prompt"]

_REPLY = "\x00modgap-reply\x00"
"""Stands in for the first call's reply while the second prompt is split around it."""


def _medium(part: Part, record: Record, suite_dir: Path) -> str:
    """Which of the record's representations a media part shows (by its file in the suite)."""
    if isinstance(part, AudioPart):
        return AUDIO
    if isinstance(part, VideoPart):
        return VIDEO
    assert isinstance(part, ImagePart)
    shown = Path(part.image)
    for rep in (IMAGE, TEXT_IMAGE):
        if (rep == IMAGE or rep in record.media) and shown == suite_dir / record.path(rep):
            return rep
    raise AssertionError(f"image part {shown} is none of {record.instance.id}'s images")


def request_parts(request: ChatRequest, record: Record, suite_dir: Path) -> tuple[list[str], list[str]]:
    """``(segments, media)`` of a one-message request (see the module doc)."""
    assert len(request.messages) == 1, "modgap's prompts are one user message"
    segments, media = [""], []
    for part in request.messages[0].parts:
        if isinstance(part, TextPart):
            segments[-1] += part.text
        else:
            media.append(_medium(part, record, suite_dir))
            segments.append("")
    return segments, media


def join_prompt(segments: list[str], media: list[str], placeholder: str = "<{}>") -> str:
    """The prompt as one string with ``placeholder.format(medium)`` where each medium goes."""
    out = segments[0]
    for medium, text in zip(media, segments[1:], strict=True):
        out += placeholder.format(medium) + text
    return out


def prompt_rows(
    record: Record, suite_dir: str | Path, strategies: tuple[str, ...] = STRATEGIES
) -> list[dict[str, Any]]:
    """The record's prompts, one dict per (representation, strategy), in the runner's job order.

    None for an instance of a task not in the registry (modgap has no prompt for it).
    """
    if record.instance.task not in TASKS:
        return []
    suite_dir = Path(suite_dir)
    reps = ["text", IMAGE, *(m for m in MEDIA if m in record.media)]
    rows = []
    for job in plan_jobs([record], reps, strategies):
        step = job_plan(job, suite_dir, GenerationParams())
        segments, media = request_parts(step.request, record, suite_dir)
        followup: list[str] = []
        if step.then is not None:
            second, shown = request_parts(step.then(_REPLY).request, record, suite_dir)
            assert not shown and second[0].count(_REPLY) == 1, "the second call is text around the reply"
            followup = second[0].split(_REPLY)
        rows.append(
            {
                "representation": job.representation,
                "strategy": job.strategy,
                "segments": segments,
                "media": media,
                "followup": followup,
            }
        )
    return rows
