"""`modgap world eval`: any model (local, served or API) on the world's held-out questions, per kind.

Questions are asked as the world VLM was trained to read them (the image, then the question and its
options); a reply counts when it starts with the right option, or names it and no other option.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scipy.stats import binomtest

from modgap.files import read_checked
from modgap.models import ChatBackend, ChatRequest, GenerationParams, ImagePart, Message
from modgap.world.dataset import load_world, split_held_out
from modgap.world.questions import Question

__all__ = ["KindScore", "ask", "reads_as", "evaluate_model"]


@dataclass(frozen=True)
class KindScore:
    kind: str
    correct: int
    n: int
    chance: float

    @property
    def accuracy(self) -> float:
        return self.correct / self.n

    @property
    def ci(self) -> tuple[float, float]:
        """Wilson 95% interval."""
        low, high = binomtest(self.correct, self.n).proportion_ci(method="wilson")
        return low, high


def ask(image: Path, question: Question, max_tokens: int = 8) -> ChatRequest:
    text = f"{question.question} options : {' , '.join(question.choices)}"
    return ChatRequest(
        (Message.make("user", ImagePart(image), text),), GenerationParams(max_tokens=max_tokens)
    )


def reads_as(reply: str, choices: Sequence[str]) -> str | None:
    """The option a reply gives: the one it starts with, else the only one it names; None otherwise."""
    said = " ".join(reply.lower().replace(".", " ").replace(",", " ").split())
    starts = [c for c in choices if said.startswith(c.lower())]
    if starts:
        return max(starts, key=len)
    named = [c for c in choices if f" {c.lower()} " in f" {said} "]
    return named[0] if len(named) == 1 else None


async def _score(
    backend: ChatBackend, world: Path, pairs: list[tuple[str, Question]], concurrency: int
) -> list[bool]:
    gate = asyncio.Semaphore(concurrency)

    async def one(image: str, q: Question) -> bool:
        async with gate:
            reply = (await backend.generate(ask(world / image, q))).text
        return reads_as(reply, q.choices) == q.answer

    try:
        return list(await asyncio.gather(*(one(image, q) for image, q in pairs)))
    finally:
        if (close := getattr(backend, "aclose", None)) is not None:
            await close()


def evaluate_model(
    backend: ChatBackend, world: str | Path, held_out: int = 1000, concurrency: int = 16
) -> list[KindScore]:
    """Accuracy per question kind on the last ``held_out`` scenes (those the world VLM never saw)."""
    world = Path(world)
    _, records = split_held_out(load_world(world), held_out, world)
    pairs = [(r.image, q) for r in records for q in r.questions]
    if not pairs:
        raise ValueError(f"{world} has no questions to ask")
    for r in records:  # before the first request: only the world's images may leave the machine
        read_checked(world, r.image, "image", f"image of scene {r.id}")
    right = asyncio.run(_score(backend, world, pairs, concurrency))
    kinds: dict[str, list[tuple[bool, float]]] = {}
    for (_, q), ok in zip(pairs, right, strict=True):
        kinds.setdefault(q.topic, []).append((ok, 1 / len(q.choices)))
    return [
        KindScore(kind, sum(ok for ok, _ in v), len(v), sum(c for _, c in v) / len(v))
        for kind, v in sorted(kinds.items())
    ]
