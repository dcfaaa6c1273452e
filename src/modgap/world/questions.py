"""CV-Bench-style multiple-choice questions about a scene, each answerable from the scene alone.

Every question keeps in ``value`` the references and the property it asks about, so
:func:`answer_question` re-derives its answer from the scene with the relation helpers; it returns
None when a reference is not unique or a pair is inside a margin, and such questions are never asked.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from modgap.world.language import describe, phrase, resolve
from modgap.world.scene import (
    COLOURS,
    SIZES,
    WORDS,
    Object,
    Scene,
    above,
    closer_to,
    closer_to_camera,
    count,
    left_of,
)

__all__ = ["QUESTION_KINDS", "Question", "answer_question", "scene_questions"]

QUESTION_KINDS = ("count", "spatial", "distance", "depth", "attribute", "ocr")
AXES: dict[str, tuple[tuple[str, str], Callable[[Object, Object], bool]]] = {
    "horizontal": (("left", "right"), left_of),
    "vertical": (("above", "below"), above),
}
"""Axis -> (the two answers, the helper for the first)."""
MAX_COUNT = 8


@dataclass(frozen=True)
class Question:
    """One multiple-choice question; ``answer`` is one of ``choices``."""

    kind: str
    question: str
    choices: tuple[str, ...]
    answer: str
    objects: tuple[int, ...]
    value: dict[str, Any]
    """References (``a``, ``b``, ``x`` as attribute dicts) and the asked property, for the oracle."""

    @property
    def topic(self) -> str:
        """The kind, split where targets differ: attributes into colour/size, spatial into its two axes."""
        if self.kind == "attribute":
            return self.value["attr"]
        if self.kind == "spatial":
            return "/".join(AXES[self.value["axis"]][0])
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "question": self.question,
            "choices": list(self.choices),
            "answer": self.answer,
            "objects": list(self.objects),
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Question:
        return cls(
            d["kind"], d["question"], tuple(d["choices"]), d["answer"], tuple(d["objects"]), d["value"]
        )


def _one(scene: Scene, description: dict[str, Any]) -> Object | None:
    ids = resolve(scene, description)
    return scene.objects[ids[0]] if len(ids) == 1 else None


def _pick(first: bool, second: bool, answers: tuple[str, str]) -> str | None:
    """The answer when exactly one of the two directions holds."""
    return answers[0] if first and not second else answers[1] if second and not first else None


def answer_question(scene: Scene, question: Question) -> str | None:
    """The answer from the scene and ``question.value`` alone; None if the question is ambiguous."""
    v = question.value
    if question.kind == "count":
        return str(count(scene, v.get("colour"), v.get("shape")))
    refs = {k: _one(scene, v[k]) for k in ("a", "b", "x") if k in v}
    if None in refs.values() or len({id(o) for o in refs.values()}) != len(refs):
        return None
    a, b, x = refs.get("a"), refs.get("b"), refs.get("x")
    if question.kind == "spatial":
        answers, holds = AXES[v["axis"]]
        return _pick(holds(a, b), holds(b, a), answers)
    names = (f"the {phrase(v.get('a', {}))}", f"the {phrase(v.get('b', {}))}")
    if question.kind == "distance":
        return _pick(closer_to(x, a, b), closer_to(x, b, a), names)
    if question.kind == "depth":
        return _pick(closer_to_camera(a, b), closer_to_camera(b, a), names)
    if question.kind == "attribute":
        return getattr(a, v["attr"])
    if question.kind == "ocr":
        return a.text
    raise ValueError(f"unknown question kind {question.kind!r}; choose from {', '.join(QUESTION_KINDS)}")


def _options(rng: random.Random, answer: str, pool: tuple[str, ...], k: int = 4) -> tuple[str, ...]:
    """``answer`` plus up to ``k - 1`` other options from ``pool``, shuffled."""
    options = [answer, *rng.sample([p for p in pool if p != answer], min(k - 1, len(pool) - 1))]
    rng.shuffle(options)
    return tuple(options)


def _count_options(rng: random.Random, n: int) -> tuple[str, ...]:
    """``n`` and its three nearest other counts in [0, MAX_COUNT], shuffled."""
    near = sorted((k for k in range(MAX_COUNT + 1) if k != n), key=lambda k: (abs(k - n), rng.random()))[:3]
    options = [str(k) for k in (n, *near)]
    rng.shuffle(options)
    return tuple(options)


def _ask(
    scene: Scene,
    kind: str,
    text: str,
    choices: tuple[str, ...],
    objects: tuple[int, ...],
    value: dict[str, Any],
) -> Question:
    q = Question(kind, text, choices, "", objects, value)
    answer = answer_question(scene, q)
    assert answer in choices, f"generated an ambiguous {kind} question: {text}"
    return Question(kind, text, choices, answer, objects, value)


def _first(per_kind: int, questions: Iterable[Question | None]) -> list[Question]:
    """The first ``per_kind`` questions that can be asked (None: a reference did not pick one object).
    ``questions`` is lazy, so the rng is drawn from only as far as needed."""
    return list(islice((q for q in questions if q), per_kind))


def scene_questions(scene: Scene, rng: random.Random, per_kind: int = 1) -> list[Question]:
    """At most ``per_kind`` questions of each kind the scene allows (spatial: per axis; count: one), each
    about other objects, in kind order. A world asks one; training asks more, so that one image answers
    for several references (and a pair in both orders), and the answer must come from the reference."""
    if per_kind < 1:
        raise ValueError(f"per_kind must be >= 1, got {per_kind}")
    objs, out = scene.objects, []
    n = len(objs)
    attr = rng.choice(("colour", "shape"))
    pick = getattr(rng.choice(objs), attr)
    noun = {"colour": f"{pick} objects", "shape": f"{pick}s"}[attr]
    ids = tuple(i for i, o in enumerate(objs) if getattr(o, attr) == pick)
    out.append(
        _ask(
            scene,
            "count",
            f"How many {noun} are in the image?",
            _count_options(rng, len(ids)),
            ids,
            {attr: pick},
        )
    )
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    rng.shuffle(pairs)

    def spatial(i: int, j: int, axis: str) -> Question | None:
        (first, second), _ = AXES[axis]
        a, b = describe(scene, i, rng), describe(scene, j, rng)
        if not (a and b):
            return None
        text = f"Where is the {phrase(a)} relative to the {phrase(b)}: {first} or {second}?"
        return _ask(scene, "spatial", text, (first, second), (i, j), {"a": a, "b": b, "axis": axis})

    for axis, (_, holds) in AXES.items():
        decided = (p for p in pairs if holds(objs[p[0]], objs[p[1]]) or holds(objs[p[1]], objs[p[0]]))
        out += _first(per_kind, (spatial(i, j, axis) for i, j in decided))
    triples = [(i, j, x) for i, j in pairs for x in range(n) if x not in (i, j)]
    rng.shuffle(triples)

    def comparison(kind: str, ids: tuple[int, ...]) -> Question | None:
        refs = {k: describe(scene, m, rng) for k, m in zip("abx", ids, strict=False)}
        if not all(refs.values()):
            return None
        names = (f"the {phrase(refs['a'])}", f"the {phrase(refs['b'])}")
        choices = names if rng.random() < 0.5 else names[::-1]
        target = f"the {phrase(refs['x'])}" if "x" in refs else "the camera"
        text = f"Which is closer to {target}: {choices[0]} or {choices[1]}?"
        return _ask(scene, kind, text, choices, ids, refs)

    comparisons = (
        ("distance", [t for t in triples if closer_to(objs[t[2]], objs[t[0]], objs[t[1]])]),
        ("depth", [p for p in pairs if closer_to_camera(objs[p[0]], objs[p[1]])]),
    )
    for kind, found in comparisons:
        out += _first(per_kind, (comparison(kind, ids) for ids in found))

    def attribute(i: int) -> Question | None:
        asked = rng.choice(("colour", "size"))
        a = describe(scene, i, rng, without=(asked,))
        if not a:
            return None
        pool = tuple(COLOURS) if asked == "colour" else tuple(SIZES)
        choices = _options(rng, getattr(objs[i], asked), pool)
        return _ask(
            scene, "attribute", f"What {asked} is the {phrase(a)}?", choices, (i,), {"a": a, "attr": asked}
        )

    def ocr(i: int) -> Question | None:
        a = describe(scene, i, rng)
        if not a:
            return None
        text = f"What word is written on the {phrase(a)}?"
        return _ask(scene, "ocr", text, _options(rng, objs[i].text, WORDS), (i,), {"a": a})

    out += _first(per_kind, (attribute(i) for i in rng.sample(range(n), n)))
    out += _first(per_kind, (ocr(i) for i, o in enumerate(objs) if o.text))
    return out
