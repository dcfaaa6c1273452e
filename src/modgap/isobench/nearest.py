"""The forced-choice reading: the option a reply means when it states none of them word for word.

The official IsoBench evaluator has an LLM pick one option for every reply, so a reply that
paraphrases an option ("Potassium bromide is an ionic compound" for "a compound") still counts. This
module does that without a model. It reads the same spans as the strict rules (boxed, answer lines,
bold, final line, then sentences from the last) and takes the first that is nearer to one option than
to every other, by

* a task's loose phrases ("there is no winner yet" for a draw in chess), then
* the option words the span shares with each option: words are stemmed, synonyms merged ("equal" is
  "same"), each word weighs by how few options hold it (words of every option weigh nothing), and a
  negated word ("is not balanced") counts against the options that assert it.

The rule that decided is the returned :class:`Parsed`'s method (``nearest_phrase``,
``nearest_overlap``); a reply nearer to no option stays ``None``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from modgap.isobench.readers import Parsed
from modgap.isobench.wording import LOOSE

__all__ = ["nearest_choice", "nearest_number", "option_scores"]

_STOP = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "but",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "we",
        "our",
        "you",
        "your",
        "i",
        "my",
        "me",
        "which",
        "what",
        "who",
        "whom",
        "whose",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "will",
        "would",
        "should",
        "could",
        "can",
        "may",
        "might",
        "must",
        "shall",
        "so",
        "than",
        "then",
        "thus",
        "hence",
        "therefore",
        "because",
        "since",
        "if",
        "into",
        "onto",
        "about",
        "over",
        "under",
        "each",
        "both",
        "also",
        "very",
        "just",
        "only",
        "such",
    }
)
_NEGATORS = frozenset({"not", "no", "never", "neither", "nor", "cannot", "without", "none"})
_CLAUSE_END = re.compile(r"[,.;:!?()]|\b(?:but|and|or|while|whereas|however|so|because|since)\b", re.I)
_TOKEN = re.compile(r"[A-Za-z]+(?:n[’']t)?|\d+(?:\.\d+)?")
_SUFFIXES = ("ations", "ation", "ities", "ity", "ary", "ies", "ing", "ed", "es", "s", "ly", "ic", "al")
_SYNONYMS = {
    "equal": "same",
    "identical": "same",
    "greater": "more",
    "stronger": "more",
    "larger": "more",
    "bigger": "more",
    "higher": "more",
    "smaller": "less",
    "weaker": "less",
    "lower": "less",
    "lesser": "less",
    "fewer": "less",
    "towards": "toward",
}


def _stem(word: str) -> str:
    """A crude English stem, the same for a word's inflections ("balanced", "balance"; "elements",
    "elementary"); single capital letters (option names such as "Solution A") stay as they are."""
    if len(word) == 1 and word.isupper():
        return word
    word = word.lower()
    word = _SYNONYMS.get(word, word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]  # "repell(ed)" -> "repel"
    return word.removesuffix("e") if len(word) > 4 else word


def _terms(text: str, keep: frozenset[str] = frozenset()) -> dict[str, int]:
    """Content-word stems with their polarity (+1, or -1 under a negation) in ``text``.

    ``keep`` are words that name options themselves ("no", "neither"): they count as words, not as
    negations. A capital letter starting a sentence before a lower-case word is the article "A".
    """
    terms: dict[str, int] = {}
    for clause in _CLAUSE_END.split(text):
        if not clause:
            continue
        negated_for = 0
        for m in _TOKEN.finditer(clause):
            word = m.group()
            lower = word.lower()
            if lower not in keep and (lower in _NEGATORS or re.search(r"n[’']t$", lower)):
                negated_for = 3
                continue
            if lower in _STOP or _is_article(clause, m):
                continue
            terms.setdefault(_stem(word), -1 if negated_for else 1)
            negated_for = max(0, negated_for - 1)
    return terms


def _is_article(text: str, m: re.Match[str]) -> bool:
    return m.group() == "A" and not text[: m.start()].strip() and bool(re.match(r"\s+[a-z]", text[m.end() :]))


def option_scores(text: str, choices: Sequence[str]) -> list[float]:
    """How near ``text`` is to each choice: shared stems weighed by rarity among the choices, signed."""
    keep = frozenset(w.lower() for c in choices for w in _TOKEN.findall(c)) & _NEGATORS
    options = [_terms(c, keep) for c in choices]
    said = _terms(text, keep)
    scores = []
    for terms in options:
        score = 0.0
        for stem, polarity in said.items():
            if stem not in terms:
                continue
            same = sum(o.get(stem) == terms[stem] for o in options)
            score += math.log((len(options) + 0.5) / same) * polarity * terms[stem]
        scores.append(score)
    return scores


def _best(scores: Sequence[float]) -> int | None:
    top = max(scores)
    return scores.index(top) if top > 0 and sum(s == top for s in scores) == 1 else None


def nearest_choice(
    task_name: str, chunks: Sequence[tuple[str, str]], choices: Sequence[str], strict: Parsed
) -> Parsed:
    """The choice the first chunk that prefers one choice points to; ``strict`` is the rules' reading.

    ``chunks`` are ``(rule, plain text)`` pairs in the order they are read.
    """
    loose = [
        (re.compile(rf"(?<![\w/])(?:{'|'.join(phrases)})(?![\w/])", re.I), choice)
        for choice, phrases in LOOSE.get(task_name, {}).items()
        if choice in choices
    ]
    for _, chunk in chunks:
        said = {choice for pattern, choice in loose if pattern.search(chunk)}
        if len(said) == 1:
            return Parsed(said.pop(), "nearest_phrase")
        best = _best(option_scores(chunk, choices))
        if best is not None:
            return Parsed(choices[best], "nearest_overlap")
    return Parsed(None, "none", strict.reason or "no choice is nearer than the others")


def nearest_number(said: str, choices: Sequence[str]) -> Parsed:
    """The numeric choice closest to the number a reply states ("4 breakpoints" of 2 or 3 is 3)."""
    gaps = sorted((abs(float(c) - float(said)), c) for c in choices)
    if len(gaps) > 1 and gaps[0][0] == gaps[1][0]:
        return Parsed(None, "none", f"{said} is as near to {gaps[0][1]!r} as to {gaps[1][1]!r}")
    return Parsed(gaps[0][1], "nearest_number")
