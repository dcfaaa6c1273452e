"""The forced-choice reading: the option a reply means when it states none of them word for word.

The official IsoBench evaluator has an LLM pick one option for every reply, so a reply that
paraphrases an option ("Potassium bromide is an ionic compound" for "a compound") still counts. This
module does that without a model. It reads the same spans as the strict rules (boxed, answer lines,
bold, final line, then sentences from the last) and takes the first span that points to one option:

* ``nearest_phrase``: a task's loose phrases ("there is no winner yet" is a draw in chess);
* ``nearest_direction``: "from X to Y" against options that are two ends of a transfer
  ("the surroundings . . . each vial", "to the right than to the left");
* ``nearest_comparison``: "the force in Pair 1 is weaker than in Pair 2" against options about one of
  two named things ("greater in Pair 2", "Solution A"; a bare name is the one with more);
* ``nearest_overlap``: the words the span shares with each option. Words are stemmed, synonyms merged
  ("equal" is "same"), each weighs by how few options hold it (a word of every option weighs
  nothing), and a negated word ("is not balanced") counts against the options that assert it.

When no span points to one option and the optional offline sentence model is installed (see
:mod:`modgap.isobench.embed`), ``nearest_embedding`` takes the option most similar to the answer span
and the last sentences; otherwise such a reply stays ``None``. :func:`nearest_number` rounds a stated
number to the nearest numeric option.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from modgap.isobench import embed
from modgap.isobench.readers import Parsed
from modgap.isobench.wording import LOOSE

__all__ = ["nearest_choice", "nearest_number", "option_scores"]

_STOP_WORDS = """
a an the of in on at to for from by with and or but as is are was were be been being it its this that
these those there their they them he she his her we our you your i my me which what who whom whose
has have had do does did will would should could can may might must shall so than then thus hence
therefore because since if into onto about over under each both also very just only such when
where
"""
_STOP = frozenset(_STOP_WORDS.split())
_NEGATORS = frozenset({"not", "no", "never", "neither", "nor", "cannot", "without", "none"})
_CLAUSE_END = re.compile(r"[,.;:!?()]|\b(?:but|and|or|while|whereas|however|so|because|since)\b", re.I)
_TOKEN = re.compile(r"[A-Za-z]+(?:n[’']t)?|\d+(?:\.\d+)?")
_SUFFIXES = ("ations", "ation", "ities", "ity", "ary", "ies", "ing", "ed", "es", "s", "ly", "al")
_MORE = ("more", "greater", "stronger", "larger", "bigger", "higher")
_LESS = ("less", "smaller", "weaker", "lower", "fewer", "lesser")
_SYNONYMS = {"equal": "same", "identical": "same", "towards": "toward"}
_SYNONYMS |= {w: "more" for w in _MORE} | {w: "less" for w in _LESS}

_COMPARE = re.compile(rf"\b(?:(?P<more>{'|'.join(_MORE)})|{'|'.join(_LESS)})\b", re.I)
_THAN = re.compile(r"\b(?:than|compared (?:to|with)|relative to|versus)\b", re.I)
_NAMED = re.compile(r"\b([A-Za-z]+) ([A-Z]|\d)\b")
"""A thing named by a letter or a digit: "Pair 1", "Solution A", "sample B"."""
_FROM_TO = re.compile(r"\bfrom\s+(?P<src>[^,.;:()]{1,60}?)\s+to(?:wards?)?\s+(?P<dst>[^,.;:()]{1,60})", re.I)
_SHORT_TO = re.compile(r"\W*(?P<src>[^,.;:()]{1,40}?)\s+to\s+(?P<dst>[^,.;:()]{1,40}?)\W*", re.I)
"""An answer span that is just "grill to salmon"."""
_EXPLICIT = ("boxed", "answer_line", "bold")


def _stem(word: str) -> str:
    """A crude English stem, the same for a word's inflections ("balanced", "balance"; "elements",
    "elementary"); single capital letters (option names such as "Solution A") stay as they are."""
    if len(word) == 1 and word.isupper():
        return word
    word = word.lower()
    word = _SYNONYMS.get(word, word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]  # "repell(ed)" -> "repel"
    return word.removesuffix("e") if len(word) > 4 else word


def _is_article(text: str, m: re.Match[str]) -> bool:
    return m.group() == "A" and not text[: m.start()].strip() and bool(re.match(r"\s+[a-z]", text[m.end() :]))


def _terms(text: str, keep: frozenset[str] = frozenset()) -> dict[str, int]:
    """Content-word stems with their polarity (+1, or -1 within three words after a negation).

    ``keep`` are negations that name options themselves ("no", "neither"): they count as words. A
    capital A starting a clause before a lower-case word is the article.
    """
    terms: dict[str, int] = {}
    for clause in _CLAUSE_END.split(text):
        negated_for = 0
        for m in _TOKEN.finditer(clause or ""):
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


def _stems(text: str) -> set[str]:
    return set(_terms(text))


class _Options:
    """What a set of options offers to be matched on: words, two named things, two ends of a transfer."""

    def __init__(self, choices: Sequence[str]):
        self.choices = list(choices)
        leads = (_TOKEN.match(c.strip()) for c in choices)  # "No, it is not balanced.": "no" names it
        self.keep = frozenset(m.group().lower() for m in leads if m) & _NEGATORS
        self.terms = [_terms(c, self.keep) for c in choices]
        self.ends = [self._ends(c) for c in choices]
        self.pair = self._pair()

    # --- words ---
    def scores(self, text: str) -> list[float]:
        """Shared stems weighed by how few options hold them, signed by agreement in polarity."""
        said = _terms(text, self.keep)
        if self.pair and (self.pair[4] or self._both_named(text)):
            # "Pair 2" alone is no claim when the options compare the pairs, nor is "Pair 1 ... Pair 2"
            said = {stem: p for stem, p in said.items() if stem not in self.pair[1]}
        scores = []
        for terms in self.terms:
            score = 0.0
            for stem, polarity in said.items():
                if stem in terms:
                    holders = sum(t.get(stem) == terms[stem] for t in self.terms)
                    score += math.log((len(self.terms) + 0.5) / holders) * polarity * terms[stem]
            scores.append(score)
        return scores

    # --- two named things ---
    def _pair(self) -> tuple[str, tuple[str, str], list[str | None], set[str], bool] | None:
        """(noun, its two labels, the label each option says has more, topic stems, whether options
        use comparatives) if the options are about two named things: "The magnetic force is smaller in
        Pair 1." says Pair 2 has more, "Solution A" that A has more."""
        named = {(m.group(1).lower(), m.group(2)) for c in self.choices for m in _NAMED.finditer(c)}
        if len(named) != 2 or len({noun for noun, _ in named}) != 1:
            return None
        noun = next(iter(named))[0]
        labels = tuple(sorted(label for _, label in named))
        more = []
        for choice in self.choices:
            said = [label for label in labels if re.search(rf"\b{noun} {label}\b", choice, re.I)]
            less = (m := _COMPARE.search(choice)) is not None and m.group("more") is None
            more.append(None if len(said) != 1 else _other(labels, said[0]) if less else said[0])
        topic = set().union(*self.terms) - {_stem(noun), *labels, "more", "less"}
        return noun, labels, more, topic, any(_COMPARE.search(c) for c in self.choices)

    def compare(self, text: str) -> int | None:
        """The option whose named thing the text says has more (or the other one less), if one."""
        if self.pair is None:
            return None
        noun, labels, more, topic, _ = self.pair
        mentions = [
            (m.start(), m.group(1)) for m in re.finditer(rf"\b(?i:{noun})s? ({'|'.join(labels)})\b", text)
        ]
        claims = set()
        for clause in re.finditer(r"[^,;:]+", text):
            for c in _COMPARE.finditer(text, clause.start(), clause.end()):
                than = _THAN.search(text, c.end(), clause.end())
                bound = than.start() if than else clause.end()
                inside = [label for at, label in mentions if c.end() <= at < bound]
                before = [label for at, label in mentions if clause.start() <= at < c.start()]
                after = [label for at, label in mentions if than and than.end() <= at < clause.end()]
                subject = inside[0] if inside else before[-1] if before else None
                if subject is None and after:
                    subject = _other(labels, after[0])
                if subject is None or after[:1] == [subject] or not topic & self._about(c, clause.group()):
                    continue
                claims.add(subject if c.group("more") else _other(labels, subject))
        if len(claims) != 1:
            return None
        claim = claims.pop()
        hits = [i for i, m in enumerate(more) if m == claim]
        return hits[0] if len(hits) == 1 else None

    @staticmethod
    def _about(comparative: re.Match[str], clause: str) -> set[str]:
        """What a comparative is about: the word it qualifies ("a greater distance"), else its clause
        ("the force in Pair 1 is greater")."""
        word = re.match(r"\s+([A-Za-z]+)", comparative.string[comparative.end() :])
        if word and word.group(1).lower() not in _STOP:
            return {_stem(word.group(1))}
        return _stems(clause)

    def _both_named(self, text: str) -> bool:
        if self.pair is None:
            return False
        noun, labels = self.pair[:2]
        return len(set(re.findall(rf"\b(?i:{noun})s? ({'|'.join(labels)})\b", text))) == 2

    # --- two ends of a transfer ---
    @staticmethod
    def _ends(choice: str) -> tuple[set[str], set[str]] | None:
        if " . . . " in choice:  # ScienceQA's "transferred from () to ()" blanks
            src, dst = choice.split(" . . . ", 1)
            return _stems(src), _stems(dst)
        if m := re.fullmatch(r"to (?:the )?(.+?) than to (?:the )?(.+?)\.?", choice, re.I):
            return _stems(m.group(2)), _stems(m.group(1))
        return None

    def direction(self, text: str, explicit: bool) -> int | None:
        """The option whose two ends "from X to Y" in the text names (either end may be unnamed)."""
        if None in self.ends:
            return None
        moves = [*_FROM_TO.finditer(text)] or ([m] if explicit and (m := _SHORT_TO.fullmatch(text)) else [])
        picks = set()
        for m in moves:
            src, dst = _stems(m.group("src")), _stems(m.group("dst"))
            scores = [len(src & a) + len(dst & b) - len(src & b) - len(dst & a) for a, b in self.ends]
            if (best := _best(scores)) is not None:
                picks.add(best)
        return picks.pop() if len(picks) == 1 else None


def _other(labels: tuple[str, str], label: str) -> str:
    return labels[1 - labels.index(label)]


def _best(scores: Sequence[float]) -> int | None:
    top = max(scores)
    return scores.index(top) if top > 0 and sum(s == top for s in scores) == 1 else None


def option_scores(text: str, choices: Sequence[str]) -> list[float]:
    """How near ``text`` is to each choice by shared words (see the module doc)."""
    return _Options(choices).scores(text)


def nearest_choice(
    task_name: str, chunks: Sequence[tuple[str, str]], choices: Sequence[str], strict: Parsed
) -> Parsed:
    """The choice the first chunk that points to one choice names; ``strict`` is the rules' reading.

    ``chunks`` are ``(rule, plain text)`` pairs in the order they are read.
    """
    options = _Options(choices)
    loose = [
        (re.compile(rf"(?<![\w/])(?:{'|'.join(phrases)})(?![\w/])", re.I), choice)
        for choice, phrases in LOOSE.get(task_name, {}).items()
        if choice in choices
    ]
    for method, chunk in chunks:
        said = {choice for pattern, choice in loose if pattern.search(chunk)}
        if len(said) == 1:
            return Parsed(said.pop(), "nearest_phrase")
        if (best := options.direction(chunk, method in _EXPLICIT)) is not None:
            return Parsed(choices[best], "nearest_direction")
        if (best := options.compare(chunk)) is not None:
            return Parsed(choices[best], "nearest_comparison")
        if (best := _best(options.scores(chunk))) is not None:
            return Parsed(choices[best], "nearest_overlap")
    if embed.available() and chunks:
        prose = [chunk for method, chunk in chunks if method not in _EXPLICIT]
        said = " ".join([chunks[0][1], *prose[:3]])  # the answer span and the last sentences
        sims = embed.similarities(said, choices)
        return Parsed(choices[sims.index(max(sims))], "nearest_embedding")
    return Parsed(None, "none", strict.reason or "no choice is nearer than the others")


def nearest_number(said: str, choices: Sequence[str]) -> Parsed:
    """The numeric choice closest to the number a reply states ("4 breakpoints" of 2 or 3 is 3)."""
    gaps = sorted((abs(float(c) - float(said)), c) for c in choices)
    if len(gaps) > 1 and gaps[0][0] == gaps[1][0]:
        return Parsed(None, "none", f"{said} is as near to {gaps[0][1]!r} as to {gaps[1][1]!r}")
    return Parsed(gaps[0][1], "nearest_number")
