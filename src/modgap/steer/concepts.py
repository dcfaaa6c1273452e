"""Concept sentence sets for extraction: the built-in ones of the world, or a user's JSONL file.

A user file holds one ``{"concept": "...", "text": "He placed the shoes **beneath** the bed."}`` per
line; contrastive pairs for ``diffmean`` hold ``{"positive": "...", "negative": "..."}``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from modgap.jsonl import read_records
from modgap.world.concepts import (
    CONCEPTS,
    ConceptSentence,
    concept_sentences,
    parse_marked,
    world_concept_sentences,
)

__all__ = ["CONCEPTS", "ConceptSentence", "load_concepts", "load_pairs", "split", "whole"]


def load_concepts(source: str | Path, world: str | Path | None = None, n: int = 48) -> list[ConceptSentence]:
    """A built-in concept by name (``spatial``, ``counting``, ``attribute``, ``entity``) or a JSONL file.

    With ``world`` (a world folder), a built-in concept is written in that world's caption language,
    from its first scenes, for a world VLM whose tokenizer knows only that vocabulary.
    """
    if world is not None and str(source) in CONCEPTS:
        from modgap.world.dataset import load_world

        return world_concept_sentences((c for r in load_world(world) for c in r.claims), str(source), n)
    if str(source) in CONCEPTS:
        return concept_sentences(str(source))
    if not Path(source).is_file():
        raise ValueError(f"{source!r} is neither a built-in concept ({', '.join(CONCEPTS)}) nor a JSONL file")
    return read_records(
        source, "", lambda d: parse_marked(d.get("concept", "custom"), d["text"]), "a concept set"
    )


def whole(concept: str, sentence: str) -> ConceptSentence:
    """``sentence`` with every character its anchor: diffmean averages over whole sentences."""
    return ConceptSentence(concept, sentence, 0, len(sentence))


def load_pairs(path: str | Path) -> tuple[list[ConceptSentence], list[ConceptSentence]]:
    """Positive and negative sentences of a contrastive-pair JSONL file, in file order."""
    pairs = read_records(path, "", lambda d: (str(d["positive"]), str(d["negative"])), "contrastive pairs")
    return [whole("positive", p) for p, _ in pairs], [whole("negative", n) for _, n in pairs]


def split(sentences: Sequence[ConceptSentence], test_fraction: float, seed: int) -> tuple[list, list]:
    """A seeded train/test split, so separation is measured on sentences the vector never saw."""
    order = list(sentences)
    random.Random(seed).shuffle(order)
    cut = len(order) - max(1, round(test_fraction * len(order))) if test_fraction > 0 else len(order)
    return order[:cut], order[cut:]
