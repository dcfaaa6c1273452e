"""How often a model's own captions are wrong, per claim kind, checked against the scene's truth.

The world VLM learns to describe a scene in the caption templates of :mod:`modgap.world.language`, so
its captions are read back by those templates: every sentence that fills one of them becomes a
:class:`~modgap.world.language.Claim` and is checked with :func:`~modgap.world.language.check_claim`
(a definite reference that does not pick out exactly one object is wrong too). Sentences that fill
no template are counted apart as unparsed, never as errors, so the error rates are over claims made.
Text is compared as the word-level tokenizer sees it: lower case, punctuation split off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modgap.world.dataset import WorldRecord, load_world, split_held_out
from modgap.world.language import NUMBERS, RELATIONS, TEMPLATES, Claim, check_claim, make_claim
from modgap.world.perturb import word_labels
from modgap.world.scene import COLOURS, SHAPES, SIGN, SIZES, Scene

__all__ = [
    "CaptionReport",
    "ClaimErrors",
    "ParsedCaption",
    "caption_errors",
    "caption_hallucinations",
    "caption_word_labels",
    "parse_caption",
    "world_captions",
]

_TOKEN = re.compile(r"\w+|[^\w\s]")
_PLACEHOLDER = re.compile(r"\{(\w+)(:indef)?\}")


def _words(text: str) -> str:
    """Lower case, one space between words and punctuation marks: ``'"STOP".'`` -> ``'" stop " .'``."""
    return " ".join(_TOKEN.findall(text.lower()))


def _one_of(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_SHAPE, _COLOUR, _SIZE = _one_of((*SHAPES, SIGN)), _one_of(list(COLOURS)), _one_of(list(SIZES))


def _ref(key: str) -> str:
    """Optional size, optional colour, then the shape (the order :func:`describe` speaks them in)."""
    return rf"(?:(?P<{key}_size>{_SIZE}) )?(?:(?P<{key}_colour>{_COLOUR}) )?(?P<{key}_shape>{_SHAPE})"


_SLOTS = {
    "n": rf"(?P<n>{_one_of(NUMBERS)})",
    "noun": rf"(?:(?P<colour>{_COLOUR}) )?(?:(?P<shape>{_SHAPE})s?|objects?)",
    "colour": rf"(?P<colour>{_COLOUR})",
    "size": rf"(?P<size>{_SIZE})",
    "rel": rf"(?P<rel>{_one_of(list(RELATIONS))})",
    "text": r'" (?P<text>\w+) "',
    **{key: _ref(key) for key in ("a", "b", "x")},
}


def _pattern(template: str) -> re.Pattern[str]:
    """A template as a regex over :func:`_words` text, one named group per slot."""
    parts, at = [], 0
    for m in _PLACEHOLDER.finditer(template):
        parts += [re.escape(_words(template[at : m.start()])), ("(?:an|a) " if m[2] else "") + _SLOTS[m[1]]]
        at = m.end()
    parts.append(re.escape(_words(template[at:])))
    return re.compile(" ".join(p for p in parts if p))


_PATTERNS = [(kind, t, _pattern(t)) for kind, templates in TEMPLATES.items() for t in templates]


@dataclass(frozen=True)
class ParsedCaption:
    claims: tuple[Claim, ...]
    unparsed: tuple[str, ...]
    """Sentences (lower case, punctuation split off) that fill no template, a cut-off last one too."""


def _claim(sentence: str) -> Claim | None:
    for kind, template, pattern in _PATTERNS:
        if m := pattern.fullmatch(sentence):
            value: dict[str, Any] = {k.replace("_", "."): v for k, v in m.groupdict().items() if v}
            if "n" in value:
                value["n"] = NUMBERS.index(value["n"])
            if "text" in value:
                value["text"] = value["text"].upper()  # sign words are upper case (scene.WORDS)
            # "The {a} is {rel} the {b}." is a relation and a depth template: the phrase decides which.
            return make_claim(RELATIONS[value["rel"]][0] if "rel" in value else kind, template, value)
    return None


def parse_caption(text: str) -> ParsedCaption:
    """Read a caption back into claims by the templates of :data:`~modgap.world.language.TEMPLATES`."""
    claims, unparsed = [], []
    for sentence in (s.strip() for s in re.findall(r"[^.]+\.?", _words(text))):
        if claim := _claim(sentence):
            claims.append(claim)
        elif sentence:
            unparsed.append(sentence)
    return ParsedCaption(tuple(claims), tuple(unparsed))


def caption_word_labels(scene: Scene, caption: str) -> tuple[list[str], list[bool]] | None:
    """The caption as words (lower case, punctuation split off) and whether the scene finds each true, by
    the rule of :func:`~modgap.world.perturb.word_labels` (the words a cheapest repair changes, every
    suspect word of an absent object); punctuation is always good. None when a sentence fills no
    template: its truth is unknown, so no label would be honest."""
    parsed = parse_caption(caption)
    if parsed.unparsed:
        return None
    claim_words = [w for c in parsed.claims for w in c.words]
    words: list[str] = []
    labels: list[bool] = []
    for word, good in zip(claim_words, word_labels(scene, parsed.claims), strict=True):
        for token in _TOKEN.findall(word.lower()):
            words.append(token)
            labels.append(good or not token[0].isalnum())
    return words, labels


@dataclass(frozen=True)
class ClaimErrors:
    """How many claims of one kind the captions made, and how many of them are false of the scene."""

    kind: str
    claims: int
    wrong: int

    @property
    def rate(self) -> float:
        return self.wrong / self.claims

    @property
    def ci(self) -> tuple[float, float]:
        """Wilson 95% interval of the error rate."""
        from scipy.stats import binomtest  # imported here: `import modgap.world` stays light

        low, high = binomtest(self.wrong, self.claims).proportion_ci(method="wilson")
        return low, high


@dataclass(frozen=True)
class CaptionReport:
    kinds: tuple[ClaimErrors, ...]
    """One row per claim kind made (in :data:`TEMPLATES` order), then ``all``."""
    captions: int
    unparsed: tuple[str, ...]


def caption_errors(scenes: Sequence[Scene], captions: Sequence[str]) -> CaptionReport:
    """Parse each caption and check its claims against its scene; error counts per claim kind."""
    if len(scenes) != len(captions):
        raise ValueError(f"got {len(scenes)} scenes but {len(captions)} captions; pass one caption per scene")
    wrong: dict[str, list[bool]] = {}
    unparsed: list[str] = []
    for scene, caption in zip(scenes, captions, strict=True):
        parsed = parse_caption(caption)
        unparsed += parsed.unparsed
        for claim in parsed.claims:
            wrong.setdefault(claim.kind, []).append(not check_claim(scene, claim))
    rows = [ClaimErrors(kind, len(wrong[kind]), sum(wrong[kind])) for kind in TEMPLATES if kind in wrong]
    if rows:
        rows.append(ClaimErrors("all", sum(r.claims for r in rows), sum(r.wrong for r in rows)))
    return CaptionReport(tuple(rows), len(captions), tuple(unparsed))


def _checkpoint(model: str) -> str:
    """The path of a ``hf:PATH`` spec: captions need the world VLM itself (it is asked as in training)."""
    from modgap.models import parse_spec

    spec = parse_spec(model)
    if spec.kind != "hf" or spec.path is None:
        raise ValueError(f"captions need a local world VLM checkpoint, --model hf:PATH; got {model!r}")
    return spec.path


def world_captions(
    model: str,
    world: str | Path,
    records: Sequence[WorldRecord],
    device: str = "auto",
    max_new_tokens: int = 180,
    batch_size: int = 32,
    on_batch: Callable[[int], None] | None = None,
) -> list[str]:
    """Greedy captions of ``records`` by a local world VLM (``hf:PATH``), asked
    :data:`~modgap.world.recipe.DESCRIBE` as in training. A dense caption averages ~120 tokens, and a
    cut-off last sentence counts as unparsed: keep ``max_new_tokens`` at least that. ``on_batch`` gets
    the number of captions done so far."""
    from modgap.models import load_pretrained  # torch and transformers: only when captioning
    from modgap.world.recipe import caption_examples
    from modgap.world.vlm import generate_vlm

    loaded = load_pretrained(_checkpoint(model), device)
    examples, captions = caption_examples(Path(world), records), []
    for start in range(0, len(examples), batch_size):
        captions += generate_vlm(
            loaded.model, loaded.processor, examples[start : start + batch_size], max_new_tokens
        )
        if on_batch:
            on_batch(len(captions))
    return captions


def caption_hallucinations(
    model: str,
    world: str | Path,
    held_out: int = 1000,
    n: int = 200,
    device: str = "auto",
    max_new_tokens: int = 180,
    batch_size: int = 32,
    on_batch: Callable[[int], None] | None = None,
) -> CaptionReport:
    """Caption the first ``n`` of the last ``held_out`` scenes with :func:`world_captions` and check
    what the model says."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    _checkpoint(model)  # before reading the world: the clearer error first
    records = split_held_out(load_world(world), held_out, world)[1][:n]
    captions = world_captions(model, world, records, device, max_new_tokens, batch_size, on_batch)
    return caption_errors([r.scene for r in records], captions)
