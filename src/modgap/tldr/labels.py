"""Bad character spans of a perturbed caption, found by aligning it with the gold caption it came from.

Perturbers (rule-based or an LLM) only return new text; the labels come from one alignment rule, so every
source of hallucinated captions is labelled the same way and nothing has to track offsets by hand.

The rule. Both texts are cut into *units*: words (letters/digits, with inner ``'`` or ``-``) and single
punctuation marks. :class:`difflib.SequenceMatcher` (no autojunk) aligns the two unit sequences, and in the
perturbed text

- an *inserted* unit is bad (a whole inserted sentence, its full stop included). Where the same insertion
  could sit at several places (``x. [A b c.] A d.`` vs ``x[. A b c]. A d.``), it is slid to cover whole
  sentences, so an inserted sentence never blames the full stop of the sentence before it;
- a *replaced* unit is bad, except, when the replaced runs have equal length, a unit that only agrees in
  grammar with its counterpart: ``a``/``an``, ``is``/``are``, ``was``/``were``, ``has``/``have``, ``this``/
  ``these``, ``that``/``those``, or the same word up to a plural ending (``dog``/``dogs``, ``box``/``boxes``,
  ``berry``/``berries``), as in "one dog" -> "two dogs" where only "two" is the hallucination;
- a *deleted* run marks the first word after it bad (else the last word before it): the deletion changed
  what that word means ("is not red" -> "is red" blames "red").

Bad spans are one ``(start, end)`` per bad unit, sorted. :func:`agreement_with_world` measures how often
this rule agrees with the scene-derived word labels of :mod:`modgap.world` perturbations.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

__all__ = [
    "AGREEMENT",
    "Unit",
    "units",
    "agrees",
    "align_labels",
    "word_spans",
    "word_labels_from_spans",
    "sentence_spans",
    "agreement_with_world",
]

Span = tuple[int, int]
_UNIT = re.compile(r"\w+(?:['’\-]\w+)*|[^\w\s]")
_SENTENCE = re.compile(r"\S.*?(?:[.!?]+[\"'”’)\]]*(?=\s|\Z)|\Z)", re.S)
AGREEMENT = (
    {"a", "an"},
    {"is", "are"},
    {"was", "were"},
    {"has", "have"},
    {"this", "these"},
    {"that", "those"},
)
"""Word pairs that differ only in grammatical agreement (number, article before a vowel)."""


@dataclass(frozen=True)
class Unit:
    """A word or punctuation mark and its character span."""

    text: str
    start: int
    end: int


def units(text: str) -> list[Unit]:
    """The alignment units of ``text`` (see the module docstring)."""
    return [Unit(m.group(), m.start(), m.end()) for m in _UNIT.finditer(text)]


def word_spans(text: str) -> list[Span]:
    """Spans of the whitespace-separated words of ``text`` (how world captions index their words)."""
    return [m.span() for m in re.finditer(r"\S+", text)]


def sentence_spans(text: str) -> list[Span]:
    """Spans of the sentences of ``text``: a sentence ends at ``.``, ``!`` or ``?`` (with any closing quote
    or bracket) followed by whitespace or the end, so "3.5" and "e.g.," do not split; no surrounding space."""
    spans = []
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.start() + len(m.group().rstrip())
        if end > start:
            spans.append((start, end))
    return spans


def _plural(a: str, b: str) -> bool:
    return b in (a + "s", a + "es") or (a.endswith("y") and b == a[:-1] + "ies")


def agrees(a: str, b: str) -> bool:
    """Do two different words differ only in grammatical agreement (see :data:`AGREEMENT`)?"""
    a, b = a.lower(), b.lower()
    if any(a in pair and b in pair for pair in AGREEMENT):
        return True
    return a.isalpha() and b.isalpha() and (_plural(a, b) or _plural(b, a))


def _is_word(unit: Unit) -> bool:
    return bool(re.match(r"\w", unit.text))


def _after_deletion(new: list[Unit], j: int) -> int | None:
    """The unit blamed for a deletion just before position ``j`` of ``new``."""
    after = [k for k in range(j, len(new)) if _is_word(new[k])]
    before = [k for k in range(j) if _is_word(new[k])]
    return after[0] if after else (before[-1] if before else None)


def _ends_sentence(new: list[Unit], k: int) -> bool:
    return k < 0 or new[k].text in ".!?"


def _slide(new: list[Unit], j1: int, j2: int, left: int, right: int) -> int:
    """Where an inserted run ``new[j1:j2]`` goes among its equivalent placements (it can slide into the
    equal runs around it, ``left``/``right`` units long, where the units repeat): preferably a whole
    sentence, from just after a sentence end to its own full stop; else where difflib put it."""
    shifts = [0]
    for s in range(1, left + 1):
        if new[j1 - s].text != new[j2 - s].text:
            break
        shifts.append(-s)
    for s in range(1, right + 1):
        if new[j1 + s - 1].text != new[j2 + s - 1].text:
            break
        shifts.append(s)
    return max(
        shifts,
        key=lambda s: (_ends_sentence(new, j1 + s - 1) + _ends_sentence(new, j2 + s - 1), -abs(s)),
    )


def align_labels(gold: str, perturbed: str) -> tuple[Span, ...]:
    """Bad character spans of ``perturbed`` relative to ``gold`` (rule in the module docstring)."""
    old, new = units(gold), units(perturbed)
    matcher = SequenceMatcher(None, [u.text for u in old], [u.text for u in new], autojunk=False)
    ops = matcher.get_opcodes()
    bad: set[int] = set()
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "insert":
            left = ops[n - 1][4] - ops[n - 1][3] if n and ops[n - 1][0] == "equal" else 0
            right = ops[n + 1][4] - ops[n + 1][3] if n + 1 < len(ops) and ops[n + 1][0] == "equal" else 0
            s = _slide(new, j1, j2, left, right)
            bad.update(range(j1 + s, j2 + s))
        elif tag == "replace" and i2 - i1 == j2 - j1:
            bad.update(
                j
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                if not agrees(old[i].text, new[j].text)
            )
        elif tag == "replace":
            bad.update(range(j1, j2))
        elif tag == "delete":
            k = _after_deletion(new, j1)
            if k is not None:
                bad.add(k)
    return tuple((new[k].start, new[k].end) for k in sorted(bad))


def word_labels_from_spans(text: str, spans: tuple[Span, ...]) -> list[bool]:
    """Per whitespace word of ``text``: True (good) unless it overlaps a bad span."""
    return [not any(s < e2 and e > s2 for s2, e2 in spans) for s, e in word_spans(text)]


def agreement_with_world(world_dir: str | Path, n_per_type: int) -> dict[str, tuple[int, int]]:
    """Per perturbation type, over its first ``n_per_type`` cases in the world folder: in how many do the
    alignment's word labels (gold caption vs perturbed caption) equal the scene-derived word labels?

    This is the check that the alignment rule labels like the scene would: a disagreement is either a
    word the edit changed that is still true, or a word the scene blames that the edit did not touch
    (e.g. "There is a" in an inserted counterfactual claim, which the scene does not contradict).
    """
    from modgap.world import PERTURBATIONS, load_world

    agree: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for record in load_world(world_dir):
        gold = record.caption
        for p in record.perturbations:
            kind = p["type"]
            if total[kind] >= n_per_type:
                continue
            text = " ".join(p["words"])
            total[kind] += 1
            agree[kind] += word_labels_from_spans(text, align_labels(gold, text)) == list(p["labels"])
        if all(total[k] >= n_per_type for k in PERTURBATIONS):
            break
    return {k: (agree[k], total[k]) for k in PERTURBATIONS if total[k]}
