"""Guided self-correction: the reward model's flagged words, grouped by sentence, go back to the captioner.

The guided prompt names exactly the suspicious words and asks for minimal edits; the naive prompt only
says that errors exist. Both go to any :mod:`modgap.models` backend (API, served or local), with the
image when the captioner takes images. Outcomes are compared per caption as win / tie / loss by any
score where lower is better (flagged tokens by the reward model, wrong claims by a scene's truth).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from modgap.models import ChatBackend, ChatRequest, GenerationParams, Message
from modgap.tldr.labels import sentence_spans

__all__ = ["GUIDED", "NAIVE", "Outcome", "correction_prompt", "correct_captions", "compare"]

T = TypeVar("T")

GUIDED = (
    "Here is a description of an image:\n{caption}\n\n"
    "A checker flagged these words as probably wrong:\n{flags}\n\n"
    "Rewrite the description so that it is true of the image. Change only the flagged words, or drop a "
    "flagged sentence that cannot be fixed; keep every other word exactly as it is. "
    "Reply with the rewritten description only."
)
NAIVE = (
    "Here is a description of an image:\n{caption}\n\n"
    "It may contain errors. Rewrite it so that it is true of the image, with as few edits as possible. "
    "Reply with the rewritten description only."
)


def correction_prompt(caption: str, flagged: Sequence[tuple[int, int]], naive: bool = False) -> str:
    """The guided prompt lists, per sentence, the flagged words in quotes; no flags means nothing to do."""
    if naive:
        return NAIVE.format(caption=caption)
    lines = []
    for start, end in sentence_spans(caption):
        words = [caption[s:e] for s, e in flagged if start <= s < end]
        if words:
            quoted = ", ".join(f'"{w}"' for w in words)
            lines.append(f'- in "{caption[start:end].strip()}": {quoted}')
    return GUIDED.format(caption=caption, flags="\n".join(lines))


def correct_captions(
    backend: ChatBackend,
    images: Sequence[str | Path | None],
    captions: Sequence[str],
    flagged: Sequence[Sequence[tuple[int, int]]],
    naive: bool = False,
    max_tokens: int = 256,
    concurrency: int = 8,
) -> list[str]:
    """One corrected caption per input. A caption with no flagged word is returned unchanged by the
    guided method (nothing to fix); the naive method always asks."""

    async def run() -> list[str]:
        gate = asyncio.Semaphore(concurrency)

        async def one(image: str | Path | None, caption: str, spans: Sequence[tuple[int, int]]) -> str:
            if not naive and not spans:
                return caption
            content = ([image] if image is not None else []) + [correction_prompt(caption, spans, naive)]
            request = ChatRequest((Message.make("user", *content),), GenerationParams(max_tokens=max_tokens))
            async with gate:
                return (await backend.generate(request)).text.strip()

        try:
            return list(await asyncio.gather(*map(one, images, captions, flagged)))
        finally:
            if (close := getattr(backend, "aclose", None)) is not None:
                await close()

    return asyncio.run(run())


@dataclass(frozen=True)
class Outcome:
    win: int
    tie: int
    loss: int

    @property
    def n(self) -> int:
        return self.win + self.tie + self.loss


def compare(before: Sequence[T], after: Sequence[T], errors: Callable[[int, T], float]) -> Outcome:
    """Win when the corrected caption has fewer errors than the original, loss when more.

    ``errors(i, x)`` scores item ``i`` of either list (lower is better): a caption to check, or a count
    already made."""
    counts = [0, 0, 0]
    for i, (old, new) in enumerate(zip(before, after, strict=True)):
        a, b = errors(i, old), errors(i, new)
        counts[0 if b < a else 1 if b == a else 2] += 1
    return Outcome(*counts)
