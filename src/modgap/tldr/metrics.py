"""TLDR's evaluation: how well per-token P(good) scores find hallucinated tokens, sentences and captions.

A token is predicted bad when P(good) < ``threshold`` (0.5). Coarser units inherit the worst token: a
sentence (or a whole caption, the *response*) is bad if any of its tokens is, both for the gold labels
and for the predictions, which is how the paper turns a token model into a sentence/response judge.
mAP(neg) is the average precision of finding bad tokens by 1 - P(good), mAP(pos) of finding good tokens by
P(good); both pool every token of a group (it is NaN when the group has no token of that class).

Tokens are given by character offsets into the caption, so any tokenizer works; a token belongs to the
first sentence of :func:`sentence_spans` it overlaps (whitespace-only tokens belong to none).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from modgap.tldr.example import TLDRExample, token_labels
from modgap.tldr.labels import sentence_spans

__all__ = ["THRESHOLD", "Scored", "Metrics", "Rates", "sentence_spans", "evaluate", "hallucination_rates"]

THRESHOLD = 0.5
ALL = "all"
"""The key of the metrics over every example in :func:`evaluate`'s result."""


@dataclass(frozen=True)
class Scored:
    """One example with its tokens' character offsets and each token's predicted P(good)."""

    example: TLDRExample
    offsets: tuple[tuple[int, int], ...]
    p_good: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.offsets) != len(self.p_good):
            raise ValueError(
                f"{self.example.id}: {len(self.offsets)} token offsets but {len(self.p_good)} scores"
            )
        if any(not 0 <= p <= 1 for p in self.p_good):
            raise ValueError(f"{self.example.id}: P(good) scores must lie in [0, 1]")

    def flagged(self, threshold: float = THRESHOLD) -> int:
        """How many tokens the scorer calls bad: what self-correction tries to bring down."""
        return sum(p < threshold for p in self.p_good)

    def guessed(self, rng: random.Random) -> Scored:
        """The same tokens with uniform random P(good): the chance baseline of every metric."""
        return Scored(self.example, self.offsets, tuple(rng.random() for _ in self.p_good))

    def oracle(self) -> Scored:
        """The same tokens scored by their gold labels: a perfect scorer, e.g. for true hallucination
        rates next to predicted ones."""
        return Scored(self.example, self.offsets, tuple(map(float, self.labels)))

    @property
    def labels(self) -> list[int]:
        """Gold token labels: 1 = good, 0 = bad."""
        return token_labels(self.offsets, self.example.bad_spans)

    def sentences(self) -> list[list[int]]:
        """Token indices of each sentence of the caption that has tokens."""
        spans = sentence_spans(self.example.caption)
        groups: list[list[int]] = [[] for _ in spans]
        for k, (start, end) in enumerate(self.offsets):
            i = next((i for i, (s, e) in enumerate(spans) if start < e and end > s), None)
            if i is not None and end > start:
                groups[i].append(k)
        return [g for g in groups if g]


@dataclass(frozen=True)
class Metrics:
    responses: int
    tokens: int
    token_acc: float
    sentence_acc: float
    response_acc: float
    map_neg: float
    map_pos: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Rates:
    """Shares of tokens, sentences and responses predicted bad (no gold labels needed)."""

    token: float
    sentence: float
    response: float
    tokens: int
    sentences: int
    responses: int


def _ap(truth: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(truth, score)) if truth.any() else math.nan


def _ratio(hits: int, n: int) -> float:
    return hits / n if n else math.nan


def _metrics(scored: Sequence[Scored], threshold: float) -> Metrics:
    labels = np.array([y for s in scored for y in s.labels], dtype=int)
    p = np.array([q for s in scored for q in s.p_good], dtype=float)
    sentences_right = sentences = responses_right = 0
    for s in scored:
        gold, pred = s.labels, [q >= threshold for q in s.p_good]
        for group in s.sentences():
            sentences += 1
            sentences_right += all(gold[k] for k in group) == all(pred[k] for k in group)
        responses_right += all(gold) == all(pred)
    return Metrics(
        responses=len(scored),
        tokens=len(labels),
        token_acc=_ratio(int(((p >= threshold) == (labels == 1)).sum()), len(labels)),
        sentence_acc=_ratio(sentences_right, sentences),
        response_acc=_ratio(responses_right, len(scored)),
        map_neg=_ap(labels == 0, 1 - p),
        map_pos=_ap(labels == 1, p),
    )


def evaluate(scored: Sequence[Scored], threshold: float = THRESHOLD) -> dict[str, Metrics]:
    """Metrics over all examples (key ``all``) and per perturbation type (``none`` = gold captions)."""
    if not scored:
        raise ValueError("evaluate needs at least one scored example")
    types = sorted({s.example.type for s in scored})
    out = {ALL: _metrics(scored, threshold)}
    out.update({t: _metrics([s for s in scored if s.example.type == t], threshold) for t in types})
    return out


def hallucination_rates(scored: Sequence[Scored], threshold: float = THRESHOLD) -> Rates:
    """How much of a model's output the token scorer flags: bad tokens / tokens, bad sentences /
    sentences and bad responses / responses, from the predictions alone (for captions with no gold)."""
    tokens = bad_tokens = sentences = bad_sentences = bad_responses = 0
    for s in scored:
        bad = [q < threshold for q in s.p_good]
        tokens += len(bad)
        bad_tokens += sum(bad)
        groups = s.sentences()
        sentences += len(groups)
        bad_sentences += sum(any(bad[k] for k in g) for g in groups)
        bad_responses += any(bad)
    return Rates(
        _ratio(bad_tokens, tokens),
        _ratio(bad_sentences, sentences),
        _ratio(bad_responses, len(scored)),
        tokens,
        sentences,
        len(scored),
    )
