"""An LLM as perturber: one prompt per hallucination type asks any model for a minimal false edit, and
a filter call rejects paraphrases and off-type edits. Labels come from the same word alignment as the
rule-based perturbers (:func:`modgap.tldr.labels.align_labels`), never from the model."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Sequence

from modgap.models.backend import ChatBackend
from modgap.models.chat import ChatRequest, GenerationParams, Message
from modgap.tldr.example import TLDRExample
from modgap.tldr.labels import units
from modgap.tldr.perturb import Result, derived, labelled
from modgap.world.perturb import PERTURBATIONS

__all__ = ["LLMPerturber"]


INSTRUCTIONS = {
    "spatial_relation": "change a spatial relation (left/right, above/below, in front of/behind, on/under)",
    "visual_attribute": "change a colour, size or material of one object",
    "attribute_binding": "swap an attribute between two objects the caption mentions",
    "object_identification": "replace one object with a different but plausible object",
    "counting": "change a number or count",
    "small_object": "add or change a small object that is not in the image",
    "text_ocr": "misspell or change text written in the image",
    "counterfactual": "add a statement that contradicts the caption, or negate a statement",
}
EDIT_PROMPT = """Make ONE minimal edit to this image caption so that it becomes false: {instruction}.
Change as few words as possible, keep every other word identical, and do not paraphrase.
Reply with the edited caption only.

Caption: {caption}"""
CHECK_PROMPT = """Original caption: {caption}
Edited caption: {edited}
Which describes the edit? Reply with one word.
MINIMAL: a minimal edit that makes the caption false this way: {instruction}.
PARAPHRASE: the edited caption means the same as the original.
OTHER: a different kind of change, or more than a minimal edit."""
_PREFIX = re.compile(r"^\s*(?:edited caption|caption)\s*:\s*", re.I)


class LLMPerturber:
    """Hallucinated captions written by a chat model: one edit request per type, then a second request
    asking the model to classify its own edit, which rejects paraphrases and off-type edits (an LLM asked
    for a minimal edit often rewrites more, or changes nothing that matters). Labels come from alignment,
    never from the model. ``rejected`` counts why edits were dropped."""

    def __init__(
        self,
        backend: ChatBackend,
        params: GenerationParams | None = None,
        check: bool = True,
        max_bad_fraction: float = 0.5,
    ):
        if not 0 < max_bad_fraction <= 1:
            raise ValueError(f"max_bad_fraction must be in (0, 1], got {max_bad_fraction}")
        self.backend, self.check, self.max_bad_fraction = backend, check, max_bad_fraction
        self.params = params or GenerationParams(max_tokens=256)
        self.rejected: Counter[str] = Counter()

    async def _ask(self, prompt: str) -> str:
        response = await self.backend.generate(ChatRequest((Message.make("user", prompt),), self.params))
        return response.text.strip()

    def _reject(self, why: str) -> None:
        self.rejected[why] += 1

    async def perturb(self, caption: str, type: str) -> Result | None:
        """The model's hallucination of ``type`` with its bad spans, or None if rejected."""
        if type not in INSTRUCTIONS:
            raise ValueError(f"unknown perturbation {type!r}; choose from {', '.join(PERTURBATIONS)}")
        instruction = INSTRUCTIONS[type]
        edited = _PREFIX.sub(
            "", await self._ask(EDIT_PROMPT.format(instruction=instruction, caption=caption))
        )
        if len(edited) > 1 and edited[0] == edited[-1] == '"' and caption[:1] != '"':
            edited = edited[1:-1].strip()
        made = labelled(caption, edited)
        if made is None:
            return self._reject("unchanged")
        bad_words = sum(any(s < u.end and u.start < e for s, e in made[1]) for u in units(edited))
        if bad_words > self.max_bad_fraction * max(1, len(units(edited))):
            return self._reject("not_minimal")
        if self.check:
            prompt = CHECK_PROMPT.format(caption=caption, edited=edited, instruction=instruction)
            verdict = (re.findall(r"[A-Za-z]+", await self._ask(prompt)) or [""])[0].upper()
            if verdict != "MINIMAL":
                return self._reject(verdict.lower() if verdict in ("PARAPHRASE", "OTHER") else "unclear")
        return made

    def run(
        self, examples: Sequence[TLDRExample], types: Sequence[str] = PERTURBATIONS, concurrency: int = 8
    ) -> list[TLDRExample]:
        """One perturbation per (gold example, type), requests ``concurrency`` at a time, in input order."""
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        jobs = [(ex, t) for ex in examples if not ex.is_bad for t in types]

        async def everything() -> list[Result | None]:
            limit = asyncio.Semaphore(concurrency)

            async def one(ex: TLDRExample, t: str) -> Result | None:
                async with limit:
                    return await self.perturb(ex.caption, t)

            return await asyncio.gather(*(one(ex, t) for ex, t in jobs))

        made = asyncio.run(everything())
        by = f"llm:{self.backend.name}"
        return [derived(ex, *m, t, "", by) for (ex, t), m in zip(jobs, made, strict=True) if m is not None]
