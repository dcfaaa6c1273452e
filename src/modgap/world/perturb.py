"""Minimal perturbations of true captions with word labels derived from the scene (TLDR's training data).

A perturbation re-fills one slot of one claim (or inserts one claim) so that the claim becomes false. Its
labels do not come from the edit: :func:`word_labels` asks the scene which words of each false claim are
wrong. The suspects are the slots of any reference that does not pick out exactly one object, else the
slots carrying what the claim asserts (the number, the attribute, the relation, the word). Among them,
the cheapest single-slot repairs that make the claim true name the bad words, so "to the right of" against
a true "to the left of" blames only "right"; with no such repair every suspect word is bad (an absent
object). :func:`perturb` keeps an edit only if the scene blames words inside the changed slot alone, which
is what makes the scene-derived labels equal the edit's word diff (checked by the tests).
"""

from __future__ import annotations

import itertools
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from modgap.world.language import (
    ATTRIBUTES,
    NUMBERS,
    REFS,
    RELATIONS,
    TEMPLATES,
    Claim,
    check_claim,
    make_claim,
    resolve,
)
from modgap.world.scene import COLOURS, SHAPES, SIGN, SIZES, WORDS, Scene

__all__ = ["PERTURBATIONS", "Perturbed", "perturb", "word_labels"]

PERTURBATIONS = (
    "spatial_relation",
    "visual_attribute",
    "attribute_binding",
    "object_identification",
    "counting",
    "small_object",
    "text_ocr",
    "counterfactual",
)
"""TLDR's hallucination types, one generator each."""
OPPOSITE = {
    "to the left of": "to the right of",
    "to the right of": "to the left of",
    "above": "below",
    "below": "above",
    "in front of": "behind",
    "behind": "in front of",
}
PREDICATES: dict[str, tuple[str, ...]] = {
    "count": ("n",),
    "object": ("a",),
    "attribute": ATTRIBUTES,
    "relation": ("rel",),
    "depth": ("rel",),
    "distance": ("a", "b"),
    "text": ("text",),
}
"""Claim kind -> the slots (or whole references) that carry what it asserts, suspected once refs resolve."""
DOMAINS: dict[str, tuple[Any, ...]] = {
    "size": tuple(SIZES),
    "colour": tuple(COLOURS),
    "shape": (*SHAPES, SIGN),
    "n": tuple(range(len(NUMBERS))),
    "text": WORDS,
}
"""Slot name (after the reference prefix) -> every value it can hold, for repairs; ``rel`` depends on kind."""
OCR_EDITS = 3
"""One-letter misspellings tried per text claim, besides the other words of the vocabulary."""


@dataclass(frozen=True)
class Perturbed:
    """A caption with one claim changed (or inserted) and per-word truth: True = good, False = bad."""

    type: str
    claims: tuple[Claim, ...]
    index: int
    """Which claim was changed or inserted."""
    words: tuple[str, ...]
    labels: tuple[bool, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def to_dict(self) -> dict[str, Any]:
        """What a world file keeps: the hallucinated caption and its word truth (claims are rebuilt)."""
        return {
            "type": self.type,
            "index": self.index,
            "words": list(self.words),
            "labels": list(self.labels),
        }


def _domain(kind: str, slot: str) -> tuple[Any, ...]:
    name = slot.rpartition(".")[2]
    if name == "rel":
        return tuple(r for r, (k, _) in RELATIONS.items() if k == kind)
    return DOMAINS[name]


def _slots(claim: Claim, keys: Sequence[str]) -> list[str]:
    """The claim's slots named in ``keys``, either exactly or as a reference (``a`` -> ``a.colour`` ...)."""
    return [s for s in claim.slots if s.partition(".")[0] in keys]


def _reference(value: dict[str, Any], key: str) -> dict[str, Any]:
    return {a: value[f"{key}.{a}"] for a in ATTRIBUTES if f"{key}.{a}" in value}


def _suspects(scene: Scene, claim: Claim) -> list[str]:
    """Slots of references that do not pick out one object, else the slots carrying the assertion."""
    refs = [r for r in REFS if _reference(claim.value, r)]
    broken = [r for r in refs if len(resolve(scene, _reference(claim.value, r))) != 1]
    return _slots(claim, broken or PREDICATES[claim.kind])


def _diff(old: Claim, new: Claim, slot: str) -> set[int]:
    """Positions of ``old``'s words in ``slot`` that ``new`` says differently (all of them if the lengths
    differ, e.g. "behind" vs "in front of")."""
    (s, e), (ns, ne) = old.slots[slot], new.slots[slot]
    if e - s != ne - ns:
        return set(range(s, e))
    return {s + k for k in range(e - s) if old.words[s + k] != new.words[ns + k]}


def _bad_words(scene: Scene, claim: Claim) -> set[int]:
    """Positions of the claim's words that the scene contradicts (see the module docstring)."""
    if check_claim(scene, claim):
        return set()
    suspects = _suspects(scene, claim)
    fixes = []
    for slot in suspects:
        for alt in _domain(claim.kind, slot):
            if alt != claim.value[slot]:
                fixed = make_claim(claim.kind, claim.template, {**claim.value, slot: alt}, claim.objects)
                if check_claim(scene, fixed):
                    fixes.append(_diff(claim, fixed, slot))
    if not fixes:
        return {k for s in suspects for k in range(*claim.slots[s])}
    least = min(map(len, fixes))
    return set().union(*(f for f in fixes if len(f) == least))


def word_labels(scene: Scene, claims: Sequence[Claim]) -> list[bool]:
    """Per caption word, is it true of the scene? Grammar words and every word of a true claim are good."""
    labels: list[bool] = []
    for claim in claims:
        bad = _bad_words(scene, claim)
        labels += [k not in bad for k in range(len(claim.words))]
    return labels


Edit = tuple[int, str, list[Any]]
"""Claim index, slot, and the new values to try in order."""


def _shuffled(values: Sequence[Any], rng: random.Random) -> list[Any]:
    out = list(values)
    rng.shuffle(out)
    return out


def _others(claim: Claim, slot: str, rng: random.Random, prefer: Sequence[Any] = ()) -> list[Any]:
    """Plain values of the slot other than its own: ``prefer`` first, each group in random order."""
    pool = [v for v in DOMAINS[slot.rpartition(".")[2]] if v not in (claim.value[slot], SIGN)]
    first = [v for v in pool if v in prefer]
    return _shuffled(first, rng) + _shuffled([v for v in pool if v not in first], rng)


def _relation(scene: Scene, claims: Sequence[Claim], rng: random.Random) -> list[Edit]:
    return [
        (i, "rel", [OPPOSITE[c.value["rel"]]])
        for i, c in enumerate(claims)
        if c.kind in ("relation", "depth")
    ]


def _attribute(scene: Scene, claims: Sequence[Claim], rng: random.Random) -> list[Edit]:
    return [
        (i, s, _others(c, s, rng))
        for i, c in enumerate(claims)
        if c.kind == "attribute"
        for s in ("colour", "size")
        if s in c.value
    ]


def _binding(scene: Scene, claims: Sequence[Claim], rng: random.Random) -> list[Edit]:
    """A colour worn by another object of the scene."""
    edits = []
    for i, c in enumerate(claims):
        slot = {"attribute": "colour", "object": "a.colour"}.get(c.kind, "")
        if slot in c.value:
            worn = {o.colour for j, o in enumerate(scene.objects) if j not in c.objects}
            edits.append((i, slot, _shuffled(sorted(worn - {c.value[slot]}), rng)))
    return edits


def _identity(scene: Scene, claims: Sequence[Claim], rng: random.Random) -> list[Edit]:
    """A reference's shape, preferring shapes absent from the scene."""
    absent = set(SHAPES) - {o.shape for o in scene.objects}
    return [
        (i, f"{r}.shape", _others(c, f"{r}.shape", rng, prefer=sorted(absent)))
        for i, c in enumerate(claims)
        if c.kind != "count"
        for r in REFS
        if f"{r}.shape" in c.value
    ]


def _counting(scene: Scene, claims: Sequence[Claim], rng: random.Random) -> list[Edit]:
    return [
        (i, "n", _shuffled([n for n in (c.value["n"] - 1, c.value["n"] + 1) if 0 <= n < len(NUMBERS)], rng))
        for i, c in enumerate(claims)
        if c.kind == "count"
    ]


def _small(scene: Scene, claims: Sequence[Claim], rng: random.Random) -> list[Edit]:
    """The shape or colour in an object or attribute claim about a small object."""
    return [
        (i, s, _others(c, s, rng))
        for i, c in enumerate(claims)
        if c.kind in ("object", "attribute") and scene.objects[c.objects[0]].size == "small"
        for s in ("a.shape", "a.colour", "colour")
        if s in c.value
    ]


def _ocr(scene: Scene, claims: Sequence[Claim], rng: random.Random) -> list[Edit]:
    """Another sign word or a one-letter misspelling."""
    edits = []
    for i, c in enumerate(claims):
        if c.kind == "text":
            w = c.value["text"]
            typos = {w[:k] + ch + w[k + 1 :] for k in range(len(w)) for ch in string.ascii_uppercase} - {w}
            words = [x for x in WORDS if x != w] + rng.sample(sorted(typos), OCR_EDITS)
            edits.append((i, "text", _shuffled(words, rng)))
    return edits


EDITS: dict[str, Callable[[Scene, Sequence[Claim], random.Random], list[Edit]]] = {
    "spatial_relation": _relation,
    "visual_attribute": _attribute,
    "attribute_binding": _binding,
    "object_identification": _identity,
    "counting": _counting,
    "small_object": _small,
    "text_ocr": _ocr,
}
"""Perturbation type -> its candidate edits (``counterfactual`` inserts a claim instead)."""


def _result(kind: str, scene: Scene, claims: tuple[Claim, ...], index: int) -> Perturbed:
    words = tuple(w for c in claims for w in c.words)
    return Perturbed(kind, claims, index, words, tuple(word_labels(scene, claims)))


def _counterfactual(scene: Scene, claims: tuple[Claim, ...], rng: random.Random) -> Perturbed | None:
    """Insert "There is a <size> <colour> <shape>." sharing at most one attribute with every object, so no
    one-word fix makes it true and all its attribute words are bad."""
    absent = [
        d
        for d in itertools.product(SIZES, COLOURS, SHAPES)
        if all(sum(getattr(o, a) == x for a, x in zip(ATTRIBUTES, d, strict=True)) < 2 for o in scene.objects)
    ]
    if not absent:
        return None
    value = dict(zip((f"a.{a}" for a in ATTRIBUTES), rng.choice(absent), strict=True))
    index = rng.randint(0, len(claims))
    new = make_claim("object", rng.choice(TEMPLATES["object"]), value)
    return _result("counterfactual", scene, (*claims[:index], new, *claims[index:]), index)


def perturb(scene: Scene, claims: Sequence[Claim], kind: str, rng: random.Random) -> Perturbed | None:
    """The caption with one minimal hallucination of type ``kind``, or None if it offers no claim for it."""
    if kind not in PERTURBATIONS:
        raise ValueError(f"unknown perturbation {kind!r}; choose from {', '.join(PERTURBATIONS)}")
    claims = tuple(claims)
    if kind == "counterfactual":
        return _counterfactual(scene, claims, rng)
    edits = EDITS[kind](scene, claims, rng)
    rng.shuffle(edits)
    for i, slot, values in edits:
        old = claims[i]
        for value in values:
            new = make_claim(old.kind, old.template, {**old.value, slot: value}, old.objects)
            bad = _bad_words(scene, new)
            start, end = new.slots[slot]
            if bad and all(start <= k < end for k in bad):
                return _result(kind, scene, (*claims[:i], new, *claims[i + 1 :]), i)
    return None
