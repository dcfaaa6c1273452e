"""What each IsoBench task's answers look like in prose: choice words, counts, values, letters, moves.

A reader finds the answers a span of text names (``read``) and what to say when a whole response
names none (``fallback``); :mod:`modgap.isobench.parsing` decides which spans to read, in what order.
Mentions carry whether they are negated ("not even") or only considered ("check whether it is even").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import chess

from modgap.isobench.tasks._choices import LETTERS
from modgap.isobench.wording import NOISE, PHRASES, SIDES, WEAK

__all__ = ["LABEL", "FREE_FORM", "ChoiceReader", "Parsed", "Reader", "distinct", "plain"]


@dataclass(frozen=True)
class Parsed:
    """The extracted answer, the rule that found it and, when it is ``None``, why."""

    answer: str | None
    method: str
    reason: str | None = None


# --- shared patterns -------------------------------------------------------------------------------
_STOP = r"(?:but|so|and|yet|thus|hence|therefore|rather|instead|however|while|whereas|because|since)"
_NEG_BEFORE = re.compile(
    rf"(?:\b(?:not|no|never|neither|nor|cannot)|n[’']t)(?:\s+(?!{_STOP}\b)[\w’'-]+){{0,3}}\s+$|\bnon-?$"
    r"|\bnone\s+of\b[^.;:!?]{0,60}$",
    re.I,
)
_NEG_AFTER = re.compile(
    r"\s*(?:(?:is|are|was|does|do|would|will)(?:\s+not\b|n[’']t)|(?:is|are)\s+(?:incorrect|wrong|absent|missing)\b"
    r"|fails\b|[:=-]\s*no\b|\W{0,3}[✗✘❌])",
    re.I,
)
_MOOT = re.compile(
    r"(?:\b(?:whether|if)\b(?:\s+[\w’'-]+){0,3}|\b(?:threat(?:en(?:s|ing)?)?(?:\s+of)?|intending|followed\s+by)"
    r"|\bfor\s+(?:[\w’'-]+\s+){1,3}to\s+be)\s+$",
    re.I,
)
_DEFINED = re.compile(r"\b(?:a|an)\s+$", re.I)
_DEFINED_AFTER = re.compile(
    r"\s+(?:function|graph|curve|shape)s?(?:\s*,[^,.]*,)?\s+(?:would|will|should|must|always|means|curves?)\b",
    re.I,
)
_MOOT_AFTER = re.compile(r"\s+or\s+not\b", re.I)
"""Around a mention that is only considered, not asserted: "check whether it is even", "threatening Re2+",
"connected or not", "for the graphs to be isomorphic", "a convex function would curve upwards"."""
LABEL = r"(?:final\s+answer|answer|verdict|best\s+move|winner)"
_LATEX = (
    (re.compile(r"\\(?:text|mathrm|textbf|mathbf|operatorname|mathit)\s*"), ""),
    (re.compile(r"\\(?:Omega|ohm)\b"), "Ω"),
    (re.compile(r"\\(?:rightarrow|Rightarrow|implies|to)\b"), "→"),
    (re.compile(r"\\[,;:! ]|~|\\q?quad\b"), " "),
    (re.compile(r"\\[()\[\]]|\$|[{}]|\*\*|__|`"), ""),
    (re.compile(r"(?<=[A-Za-z])_(?=\d)"), ""),
    (re.compile(r"^[ \t]*(?:#+|>|[-*+•])[ \t]+", re.M), ""),
)
_CHARS = str.maketrans("₀₁₂₃₄₅₆₇₈₉–—−Ω", "0123456789---Ω")


def plain(text: str) -> str:
    """Text without LaTeX and markdown markup, with subscripts and dashes made ASCII."""
    text = text.translate(_CHARS)
    for pattern, repl in _LATEX:
        text = pattern.sub(repl, text)
    return text


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


# --- mentions: where a text names an answer, and whether it is negated ------------------------------
@dataclass(frozen=True)
class _Mention:
    value: str
    token: str
    negated: bool
    strong: bool


_Finder = tuple[re.Pattern[str], Callable[[re.Match[str]], str | None], bool]
"""A pattern, what a match means (``None``: nothing) and whether it is a strong (verdict) mention."""


def _mentions(text: str, finders: Sequence[_Finder], before: bool = True) -> list[_Mention]:
    """Non-overlapping mentions in reading order; of overlapping ones the earliest, then longest wins.

    ``before=False`` reads only negations after a mention ("Qxf7+ fails"): before a move, "no defence
    to Qg3#" does not negate it.
    """
    hits = sorted(
        (m.start(), -m.end(), value, strong)
        for pattern, convert, strong in finders
        for m in pattern.finditer(text)
        if (value := convert(m)) is not None
    )
    out: list[_Mention] = []
    end = -1
    for start, neg_end, value, strong in hits:
        if start >= end:
            end = -neg_end
            if (
                _MOOT.search(text, max(0, start - 60), start)
                or _MOOT_AFTER.match(text, end)
                or _DEFINED.search(text, max(0, start - 4), start)
                and _DEFINED_AFTER.match(text, end)
            ):
                continue
            negated = bool(
                before and _NEG_BEFORE.search(text, max(0, start - 60), start) or _NEG_AFTER.match(text, end)
            )
            out.append(_Mention(value, text[start:end], negated, strong))
    return out


def distinct(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


# --- choice tasks ----------------------------------------------------------------------------------
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_INT = re.compile(rf"(?<![\w.-])(\d+|single|{'|'.join(_WORDS)})(?!\w|\.\d)", re.I)
_NOUN = r"(?:breakpoints?|break[\s-]?points?|kinks?|corners?|rings?|atoms?|hydrogens?|donors?)"
_COUNT_AFTER = re.compile(rf"\s+(?:[\w()’'-]+\s+){{0,2}}{_NOUN}\b", re.I)
_COUNT_BEFORE = re.compile(
    rf"(?:\b(?:is|are|equals|be)|\btotal(?:\s+of)?|(?:{_NOUN}|total|count|number)\s*[=:])\s*"
    r"(?:exactly\s+|only\s+)?(?:\d+(?:\s*[-+*×]\s*\d+)+\s*=\s*)?$",  # "is 5 - 1 = " counts the 4 after it
    re.I,
)
_QUANTITY = re.compile(r"(\d+(?:\.\d+)?|\.\d+) ?(Ω|V|A|W)")
_UNITS = {"o": "Ω", "ω": "Ω", "v": "V", "a": "A", "w": "W"}
_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s*(m|k|milli|kilo)?(Ω|[Oo]hms?|V|[Vv]olts?|A|[Aa]mps?|[Aa]mperes?|W|[Ww]atts?))?(?![A-Za-z\d])"
)
_LETTER_ALONE = re.compile(r"^\W*\(?([A-F])\)?\W*$")
_LETTER_MARKED = re.compile(r"\(([A-F])\)|\b(?i:option|choice)\s*\(?([A-F])\b(?![’'])")
_LETTER_START = re.compile(
    r"^[\s(\[]*([A-F])(?:[)\]:,]|\s+[-–—]\s|\s+(?=(?:is|because|since|as|would|should|which|it|or|and)\b))"
)  # "B is correct", not the article in "A ruler is a solid"
_LETTER_OR = re.compile(r"\b(?:or|and)\s+\(?([A-F])\b")


def _close(said: str, value: float, choice: float) -> bool:
    """A number matches an option if equal within 0.5 % or equal at the precision it was given to."""
    if abs(value - choice) <= 0.005 * abs(choice):
        return True
    digits = len(said.replace(".", "").lstrip("0"))
    return digits >= 2 and float(f"{choice:.{digits}g}") == value


class ChoiceReader:
    """Mentions of a fixed set of choices: their words, task phrases, letters (A-D) and values."""

    sentences = True

    def __init__(self, task: str, choices: Sequence[str], lettered: bool, any_count: bool = False):
        self.choices = list(choices)
        self.any_count = any_count
        """Read every count the text states, not only the choices (what a forced choice rounds)."""
        self.weak = task in WEAK
        self.sides = SIDES.get(task, frozenset())
        noise = NOISE.get(task)
        self.noise = re.compile(noise, re.I) if noise else None
        self.finders = {explicit: self._finders(task, lettered, explicit) for explicit in (True, False)}

    def _finders(self, task: str, lettered: bool, explicit: bool) -> list[_Finder]:
        finders: list[_Finder] = []
        words = [c for c in self.choices if not _QUANTITY.fullmatch(c) and not c.isdigit()]
        for choice in words:
            head, _, rest = choice.partition(" (")
            lead = re.match(r"(\w+)[;,] ", choice)  # "neither; their concentrations are the same"
            aliases = sorted(
                {choice, head, *(a.strip() for a in rest.rstrip(")").split(" or ") if rest)}
                | ({lead.group(1)} if lead else set()),
                key=len,
            )
            body = "|".join(re.escape(a) for a in reversed(aliases))
            strict = "" if explicit or choice.lower() not in ("yes", "no") else r"(?![ \t]+(?-i:[a-z]))"
            plural = "(?:e?s)?" if lettered else ""
            pattern = re.compile(rf"(?<!\w)(?:{body}){plural}(?!\w){strict}", re.I)
            finders.append((pattern, lambda m, c=choice: c, not self.weak))
        for choice, phrases in PHRASES.get(task, {}).items():
            if choice in self.choices:
                pattern = re.compile(rf"(?<![\w/])(?:{'|'.join(phrases)})(?![\w/])", re.I)
                finders.append((pattern, lambda m, c=choice: c, True))
        if any(c.isdigit() for c in self.choices):
            finders.append((_INT, lambda m: self._count(m, explicit), True))
        if any(_QUANTITY.fullmatch(c) for c in self.choices):
            finders.append((_NUMBER, lambda m: self._quantity(m, explicit), True))
        if lettered:
            letters = [_LETTER_ALONE, _LETTER_MARKED] + ([_LETTER_START, _LETTER_OR] if explicit else [])
            finders += [(p, self._letter, True) for p in letters]
        return finders

    def _letter(self, m: re.Match[str]) -> str | None:
        letter = m.group(m.lastindex or 0)
        if re.search(rf"\b(?!answer|option|choice)(?i:{letter})\w+\s*\($", m.string[: m.start() + 1]):
            return None  # the abbreviation of the word before it: "Amperes (A)", "Coulombs (C)"
        index = LETTERS.index(letter)
        named = [c for c in self.choices if re.search(rf"(?<!\w){letter}(?!\w)", c)]
        if named and named != self.choices[index : index + 1]:
            return None  # "A" of "Solution B / neither / Solution A": the first option or Solution A?
        return self.choices[index] if index < len(self.choices) else None

    def _count(self, m: re.Match[str], explicit: bool) -> str | None:
        word = m.group(1).lower()
        value = "1" if word == "single" else str(_WORDS.index(word)) if word in _WORDS else str(int(word))
        text, alone = (
            m.string,
            not m.string[: m.start()].strip(" *([") and not m.string[m.end() :].strip(" .*)]"),
        )
        context = _COUNT_AFTER.match(text, m.end()) or _COUNT_BEFORE.search(text, 0, m.start())
        said = value in self.choices or self.any_count
        return value if said and (explicit or alone or context) else None

    def _quantity(self, m: re.Match[str], explicit: bool) -> str | None:
        said, prefix, unit = m.groups()
        if unit is None and not explicit:
            return None
        value = float(said) * {"m": 1e-3, "milli": 1e-3, "k": 1e3, "kilo": 1e3}.get(prefix or "", 1.0)
        close = [
            (abs(value - float(q.group(1))), c)
            for c in self.choices
            if (q := _QUANTITY.fullmatch(c))
            and (unit is None or _UNITS[unit[0].lower()] == q.group(2))
            and _close(said, value, float(q.group(1)))
        ]
        return min(close)[1] if close else None

    def read(self, text: str, explicit: bool) -> list[str]:
        if self.noise:
            text = self.noise.sub(_blank, text)
        found = _mentions(text, self.finders[explicit])
        if self.weak and any(m.strong for m in found):
            found = [m for m in found if m.strong]
        elif not explicit and len(text.split()) > 3:  # in prose, "White" alone is a side, not a verdict
            found = [m for m in found if m.strong or m.value.lower() not in self.sides]
        values = []
        for m in found:
            if not m.negated:
                values.append(m.value)
            elif len(self.choices) == 2:  # "not convex" in a convex/concave task means concave
                values.append(self.choices[1 - self.choices.index(m.value)])
        return distinct(values)

    def fallback(self, text: str) -> Parsed:
        return Parsed(None, "none", "no choice mentioned")


# --- free-form tasks -------------------------------------------------------------------------------
_FLOW = re.compile(
    r"(?:max(?:imum|imal)?(?:\s+amount\s+of)?[\s-]*flow|total\s+flow|flow\s+value|\btotal(?=\s*[:=]))\b"
    r"(?:\s*[:=]|[^.\n]{0,80}?(?:\bis\b|=|\bequals\b|\bof\b))\s*(?:about\s+|exactly\s+)?(\d+)(?!\w|\.\d)",
    re.I,
)
_SUM_TAIL = re.compile(r"(?:\s*\([^()\n]*\))?(?:\s*[-+*×]\s*\d+(?:\s*\([^()\n]*\))?)+\s*=\s*(\d+)")
"""The total a sum ends in: "= 5 (from 0->3) + 6 (from 0->1->3) = 11"."""
_WHOLE = re.compile(r"(?<![\w.])(\d+)(?:\.0+)?(?!\w|\.\d)")


class _FlowReader:
    """graph_maxflow: the integer after "maximum flow is", in an answer span, or the last one written."""

    sentences = True

    def read(self, text: str, explicit: bool) -> list[str]:
        flows = list(_FLOW.finditer(text))
        if flows:
            tail = _SUM_TAIL.match(text, flows[-1].end())
            return [str(int((tail or flows[-1]).group(1)))]
        numbers = [str(int(n)) for n in _WHOLE.findall(text)]
        stripped = text.strip(" \t*.:()")
        if not explicit:
            return numbers if stripped.isdigit() else []
        tail = _SUM_TAIL.search(text)
        if re.match(r"\d", stripped) or tail:
            return [str(int(tail.group(1)))] if tail else numbers[:1]
        return distinct(numbers)

    def fallback(self, text: str) -> Parsed:
        numbers = _WHOLE.findall(text)
        if numbers:
            return Parsed(str(int(numbers[-1])), "number")
        return Parsed(None, "none", "no integer in the response")


_MOVE = re.compile(
    r"(?<![\w/-])(?:[O0]-[O0](?:-[O0])?|[KQRBN]?[a-h]?[1-8]?[x:-]?[a-h][1-8](?:=?[QRBNqrbn])?)[+#]?(?![\w-])"
)
_UCI = re.compile(r"[a-h][1-8][a-h][1-8][qrbn]?")
_MOVE_NUMBER = re.compile(r"\b(\d+)\.+\s*$")
_PUSH = re.compile(r"\b(?:push(?:es|ing)?|plays?|playing|pawn(?:\s+to)?)\s+$", re.I)


class _MoveReader:
    """chess_puzzle: legal moves (SAN or UCI) given a FEN, else UCI-shaped moves; answers in UCI."""

    sentences = False

    def __init__(self, fen: str | None):
        self.board = chess.Board(fen) if fen else None
        pattern = _MOVE if self.board else re.compile(rf"(?<!\w){_UCI.pattern}(?!\w)", re.I)
        self.finders = {e: [(pattern, lambda m, e=e: self._move(m, e), True)] for e in (True, False)}

    def _move(self, m: re.Match[str], explicit: bool) -> str | None:
        token = m.group().rstrip("+#")
        number = _MOVE_NUMBER.search(m.string, 0, m.start())
        line = m.string[m.string.rfind("\n", 0, m.start()) + 1 : m.start()]
        if number and int(number.group(1)) > 1 and re.search(rf"\b{int(number.group(1)) - 1}\.", line):
            return None  # a later move of a line ("1. Rh8+ Kg7 2. Rh7#"): the answer is the first
        if self.board is None:
            return token.lower()
        pushed = number or m.group() != token or _PUSH.search(m.string, 0, m.start())
        if not explicit and re.fullmatch(r"[a-h][1-8]", token) and not pushed:
            return None  # a bare square in prose is a square, not a pawn move
        try:  # python-chess reads SAN leniently: "Rh8#", "Rf8-h8", "f8h8", "e7e8=Q", "O-O" all parse
            return self.board.parse_san(token.replace("0", "O")).uci()
        except ValueError:  # illegal, ambiguous or not a move
            return None

    def moves(self, text: str, explicit: bool) -> list[_Mention]:
        return [m for m in _mentions(text, self.finders[explicit], before=False) if not m.negated]

    def read(self, text: str, explicit: bool) -> list[str]:
        return [m.value for m in self.moves(text, explicit)[:1]]

    def fallback(self, text: str) -> Parsed:
        moves = self.moves(text, False)
        if not moves:
            return Parsed(None, "none", "no legal move mentioned" if self.board else "no UCI move mentioned")
        uci = self.board is None or _UCI.fullmatch(moves[-1].token.lower().rstrip("+#"))
        return Parsed(moves[-1].value, "chess_uci" if uci else "chess_san")


Reader = ChoiceReader | _FlowReader | _MoveReader
FREE_FORM: dict[str, Callable[[Mapping[str, Any]], Reader]] = {
    "graph_maxflow": lambda fields: _FlowReader(),
    "chess_puzzle": lambda fields: _MoveReader(fields.get("fen")),
}
