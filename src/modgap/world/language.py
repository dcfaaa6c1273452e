"""Dense captions as lists of checkable claims, each knowing which of its words carry its content.

A :class:`Claim` is a template filled with slot values. Its ``value`` maps slot names to what they say
(``"a.colour": "red"``, ``"rel": "to the left of"``, ``"n": 2`` …), its ``words`` are the rendered template,
and ``slots`` maps each slot name to the word span ``[start, end)`` that says it. The truth of a claim
comes only from its ``value`` and the scene (:func:`check_claim`), never from how it was generated, so a
perturber can re-fill one slot with :func:`make_claim`, confirm the result is false with
:func:`check_claim`, and label the words in that slot's span bad and every other word good.

Object references (``{a}``, ``{b}``, ``{x}``) expand to sub-slots ``a.size``, ``a.colour``, ``a.shape``
(those present in ``value``); a definite reference must pick out exactly one object of the scene.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modgap.world.scene import (
    Object,
    Scene,
    above,
    below,
    closer_to,
    closer_to_camera,
    count,
    left_of,
    right_of,
)

__all__ = [
    "ATTRIBUTES",
    "NUMBERS",
    "RELATIONS",
    "TEMPLATES",
    "Claim",
    "make_claim",
    "check_claim",
    "describe",
    "resolve",
    "phrase",
    "caption_claims",
    "caption_text",
]

ATTRIBUTES = ("size", "colour", "shape")
"""Attributes of a reference, in the order they are spoken ("the large red circle")."""
NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight")
REFS = ("a", "b", "x")
RELATIONS: dict[str, tuple[str, Callable[[Object, Object], bool]]] = {
    "to the left of": ("relation", left_of),
    "to the right of": ("relation", right_of),
    "above": ("relation", above),
    "below": ("relation", below),
    "in front of": ("depth", closer_to_camera),
    "behind": ("depth", lambda a, b: closer_to_camera(b, a)),
}
"""Relation phrase -> (claim kind, the scene helper that decides it)."""

TEMPLATES: dict[str, tuple[str, ...]] = {
    "count": ("The image shows {n} {noun}.", "I count {n} {noun}.", "In total the scene holds {n} {noun}."),
    "object": ("There is {a:indef}.", "The image contains {a:indef}.", "One can see {a:indef}."),
    "attribute": ("The {a} is {colour}.", "The colour of the {a} is {colour}.", "The {a} is {size}."),
    "relation": ("The {a} is {rel} the {b}.", "In the image, the {a} is {rel} the {b}."),
    "depth": ("The {a} is {rel} the {b}.", "Seen from the camera, the {a} is {rel} the {b}."),
    "distance": (
        "The {a} is closer to the {x} than the {b} is.",
        "The {x} is nearer to the {a} than to the {b}.",
    ),
    "text": ("The {a} reads {text}.", "The word {text} is written on the {a}."),
}
"""Claim kind -> templates; a template is usable when ``value`` has every slot it names."""
_SLOT = re.compile(r"^(\W*)\{(\w+)(:indef)?\}(\W*)$")


@dataclass(frozen=True)
class Claim:
    """One checkable statement of a caption (see the module docstring)."""

    kind: str
    template: str
    value: dict[str, Any]
    objects: tuple[int, ...]
    """Ids of the objects the claim is about (what the generator meant; truth comes from ``value``)."""
    words: tuple[str, ...]
    slots: dict[str, tuple[int, int]]

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "template": self.template,
            "value": self.value,
            "objects": list(self.objects),
            "words": list(self.words),
            "slots": {k: list(v) for k, v in self.slots.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Claim:
        return make_claim(d["kind"], d["template"], d["value"], tuple(d["objects"]))


def _expand(key: str, value: dict[str, Any]) -> list[tuple[str, str | None]]:
    """A placeholder's words, each with the slot it belongs to (None for grammar words)."""
    if key in REFS:
        return [(value[f"{key}.{a}"], f"{key}.{a}") for a in ATTRIBUTES if f"{key}.{a}" in value]
    if key == "n":
        return [(NUMBERS[value["n"]], "n")]
    if key == "noun":
        plural = value["n"] != 1
        words = [(value["colour"], "colour")] if "colour" in value else []
        if "shape" in value:
            return [*words, (value["shape"] + ("s" if plural else ""), "shape")]
        return [*words, ("objects" if plural else "object", None)]
    if key == "text":
        return [(f'"{value["text"]}"', "text")]
    return [(w, key) for w in str(value[key]).split()]


def make_claim(kind: str, template: str, value: dict[str, Any], objects: tuple[int, ...] = ()) -> Claim:
    """Fill ``template`` with ``value``: the words and the span of every slot."""
    words: list[str] = []
    slots: dict[str, list[int]] = {}
    for token in template.split():
        m = _SLOT.match(token)
        if not m:
            words.append(token)
            continue
        prefix, key, indef, suffix = m.groups()
        parts = _expand(key, value)
        if indef:
            parts = [("an" if parts[0][0][0] in "aeiou" else "a", None), *parts]
        for i, (word, slot) in enumerate(parts):
            if slot is not None:
                slots.setdefault(slot, [len(words), len(words)])[1] = len(words) + 1
            words.append((prefix if i == 0 else "") + word + (suffix if i == len(parts) - 1 else ""))
    return Claim(
        kind, template, dict(value), tuple(objects), tuple(words), {k: (s, e) for k, (s, e) in slots.items()}
    )


def resolve(scene: Scene, description: dict[str, Any]) -> list[int]:
    """Ids of the objects matching every attribute in ``description`` (other keys are ignored)."""
    wanted = {a: description[a] for a in ATTRIBUTES if a in description}
    return [i for i, o in enumerate(scene.objects) if all(getattr(o, a) == v for a, v in wanted.items())]


def _ref(value: dict[str, Any], key: str) -> dict[str, Any]:
    return {a: value[f"{key}.{a}"] for a in ATTRIBUTES if f"{key}.{a}" in value}


def describe(
    scene: Scene, i: int, rng: random.Random, without: tuple[str, ...] = ()
) -> dict[str, str] | None:
    """A short description picking out object ``i`` alone (not using ``without``), or None if none does."""
    obj = scene.objects[i]
    options = [("shape",), ("colour", "shape"), ("size", "shape"), ("size", "colour", "shape")]
    unique = [
        d
        for d in ({a: getattr(obj, a) for a in attrs} for attrs in options if not set(attrs) & set(without))
        if resolve(scene, d) == [i]
    ]
    return rng.choice(unique[:2]) if unique else None


def phrase(description: dict[str, Any]) -> str:
    """``{"colour": "red", "shape": "circle"}`` -> ``"red circle"``."""
    return " ".join(description[a] for a in ATTRIBUTES if a in description)


def check_claim(scene: Scene, claim: Claim) -> bool:
    """Is the claim true of the scene? Definite references must match exactly one object."""
    v = claim.value
    if claim.kind == "count":
        return count(scene, v.get("colour"), v.get("shape")) == v["n"]
    if claim.kind == "object":
        return bool(resolve(scene, _ref(v, "a")))
    refs = {}
    for key in REFS:
        if any(k.startswith(f"{key}.") for k in v):
            ids = resolve(scene, _ref(v, key))
            if len(ids) != 1:
                return False
            refs[key] = scene.objects[ids[0]]
    if claim.kind == "attribute":
        return all(getattr(refs["a"], a) == v[a] for a in ATTRIBUTES if a in v)
    if claim.kind in ("relation", "depth"):
        return RELATIONS[v["rel"]][1](refs["a"], refs["b"])
    if claim.kind == "distance":
        return refs["a"] is not refs["b"] and closer_to(refs["x"], refs["a"], refs["b"])
    if claim.kind == "text":
        return refs["a"].text == v["text"]
    raise ValueError(f"unknown claim kind {claim.kind!r}; choose from {', '.join(TEMPLATES)}")


def _usable(template: str, value: dict[str, Any]) -> bool:
    """Does ``value`` fill every placeholder of ``template``?"""
    keys = [m.group(2) for m in map(_SLOT.match, template.split()) if m]
    return all(f"{k}.shape" in value if k in REFS else k == "noun" or k in value for k in keys)


def _fill(rng: random.Random, kind: str, value: dict[str, Any], objects: tuple[int, ...]) -> Claim:
    return make_claim(kind, rng.choice([t for t in TEMPLATES[kind] if _usable(t, value)]), value, objects)


def _flat(key: str, description: dict[str, str]) -> dict[str, str]:
    return {f"{key}.{a}": description[a] for a in ATTRIBUTES if a in description}


def caption_claims(scene: Scene, rng: random.Random, relations: int = 3) -> list[Claim]:
    """A dense caption: the object count, every object, counts, attributes, words on signs, and up to
    ``relations`` spatial relations plus one distance and one depth comparison (all true, none ambiguous)."""
    objs, claims = scene.objects, []
    claims.append(_fill(rng, "count", {"n": len(objs)}, tuple(range(len(objs)))))
    for i, o in enumerate(objs):
        claims.append(_fill(rng, "object", _flat("a", {a: getattr(o, a) for a in ATTRIBUTES}), (i,)))
    for attr in ("colour", "shape"):
        group = sorted({getattr(o, attr) for o in objs})
        pick = rng.choice(group)
        ids = tuple(i for i, o in enumerate(objs) if getattr(o, attr) == pick)
        claims.append(_fill(rng, "count", {"n": len(ids), attr: pick}, ids))
    for i in rng.sample(range(len(objs)), min(2, len(objs))):
        attr = rng.choice(("colour", "size"))
        ref = describe(scene, i, rng, without=(attr,))
        if ref:
            claims.append(_fill(rng, "attribute", {**_flat("a", ref), attr: getattr(objs[i], attr)}, (i,)))
    for i, o in enumerate(objs):
        ref = describe(scene, i, rng) if o.text else None
        if ref:
            claims.append(_fill(rng, "text", {**_flat("a", ref), "text": o.text}, (i,)))
    pairs = [(i, j) for i in range(len(objs)) for j in range(len(objs)) if i != j]
    rng.shuffle(pairs)
    wanted = {"relation": relations, "depth": 1}
    for i, j in pairs:
        true = [r for r, (kind, holds) in RELATIONS.items() if wanted[kind] and holds(objs[i], objs[j])]
        a, b = (describe(scene, i, rng), describe(scene, j, rng)) if true else (None, None)
        if a and b:
            rel = rng.choice(true)
            kind = RELATIONS[rel][0]
            wanted[kind] -= 1
            claims.append(_fill(rng, kind, {**_flat("a", a), "rel": rel, **_flat("b", b)}, (i, j)))
    triples = [(x, i, j) for x in range(len(objs)) for i, j in pairs if x not in (i, j)]
    rng.shuffle(triples)
    for x, i, j in triples:
        if closer_to(objs[x], objs[i], objs[j]):
            refs = [describe(scene, k, rng) for k in (i, j, x)]
            if all(refs):
                value = {
                    k: v for key, ref in zip("abx", refs, strict=True) for k, v in _flat(key, ref).items()
                }
                claims.append(_fill(rng, "distance", value, (i, j, x)))
                break
    return claims


def caption_text(claims: list[Claim]) -> str:
    """The caption: the claims' words joined by spaces (word ``k`` of the caption is found by offsets)."""
    return " ".join(c.text for c in claims)
