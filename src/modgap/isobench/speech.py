"""The audio representation: each problem read aloud, as a listener could follow it, by espeak-ng.

Speech needs a spoken form before a voice: TTS reads ``\\log{\\left(x^{2}\\right)}`` or a FEN as noise.
:func:`spoken_text` builds it from the instance's public fields, one speaker per task (a table):
formulas through a sympy printer that reads them like a teacher ("0.43 times the natural log of x
squared plus 0.66, ..."), chess positions as pieces on squares via python-chess, and the tasks' own
prose forms (graph stories, molecule and circuit descriptions) with symbols and units turned into words.
Numbers stay digits: espeak-ng reads "0.43" as "zero point four three" and "42" as "forty-two".
:func:`synthesize` runs ``espeak-ng --stdout`` (a Debian package, ``apt-get install espeak-ng``), whose
output is deterministic, so the same problem always gives the same WAV bytes.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import wave
from collections.abc import Callable
from functools import partial

import chess
import sympy as sp
from sympy.printing.str import StrPrinter

from modgap.isobench.task import TASKS, Instance, create_task
from modgap.isobench.tasks._functions import parse
from modgap.isobench.tasks._graphs import join_names

__all__ = ["SAMPLE_RATE", "SpokenPrinter", "spoken_text", "synthesize", "render_audio", "phonemes"]

SAMPLE_RATE = 22050
"""Frames per second of espeak-ng's WAV output (16-bit mono) with its own voices (mbrola ones differ)."""

_INSTALL_HINT = "espeak-ng is not installed; install it with `apt-get install espeak-ng` (Debian/Ubuntu)"

_FUNCTIONS = {
    "sin": "sine of",
    "cos": "cosine of",
    "tan": "tangent of",
    "atan": "arctangent of",
    "sinh": "hyperbolic sine of",
    "cosh": "hyperbolic cosine of",
    "tanh": "hyperbolic tangent of",
    "log": "the natural log of",
    "exp": "e to the power of",
    "Abs": "the absolute value of",
}
"""How a teacher names each function before its argument; others read as "<name> of"."""

_POWERS = {2: "squared", 3: "cubed"}


def _paused(words: str) -> str:
    """``words`` followed by one comma: the pause that closes a group or an argument."""
    return words if words.endswith(",") else f"{words},"


def _signed(magnitude: str, negative: bool) -> str:
    return f"minus {magnitude}" if negative else magnitude


def _simple(e: sp.Basic) -> bool:
    """Whether ``e`` is heard as one unit ("x", "0.5 x squared"), so it needs no pause after it."""
    if e.is_Atom:
        return True
    if e.is_Pow:
        return e.base.is_Symbol and e.exp.is_Integer and e.exp > 0
    return e.is_Mul and all(_simple(a) for a in e.args)


class SpokenPrinter(StrPrinter):
    """Prints a sympy expression as words read aloud.

    Grouping, which parentheses show on paper, is spoken as "the quantity ..." and a comma (a pause)
    after any compound group or function argument, so "log(x**2 + 0.66) + 2" and "log(x**2 + 0.66 + 2)"
    sound different. Intervals print as conditions on x ("x greater than minus 0.3").
    """

    _default_settings = {**StrPrinter._default_settings, "full_prec": False}

    def _group(self, e: sp.Basic, kinds: tuple[type, ...] = (sp.Add,)) -> str:
        return _paused(f"the quantity {self._print(e)}") if isinstance(e, kinds) else self._print(e)

    def _print_Float(self, expr: sp.Float) -> str:
        digits = super()._print_Float(-expr if expr < 0 else expr)
        return _signed(digits.removesuffix(".0"), expr < 0)

    def _print_Integer(self, expr: sp.Integer) -> str:
        return _signed(str(abs(expr.p)), expr < 0)

    def _print_Rational(self, expr: sp.Rational) -> str:
        return _signed(f"{abs(expr.p)} over {expr.q}", expr < 0)

    def _print_Infinity(self, expr: sp.Basic) -> str:
        return "infinity"

    def _print_NegativeInfinity(self, expr: sp.Basic) -> str:
        return "minus infinity"

    def _print_Exp1(self, expr: sp.Basic) -> str:
        return "e"

    def _print_Pi(self, expr: sp.Basic) -> str:
        return "pi"

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        words = []
        for i, term in enumerate(self._as_ordered_terms(expr, order=order)):
            negative = term.could_extract_minus_sign()
            sign = "minus " if negative else ("plus " if i else "")
            words.append(sign + self._print(-term if negative else term))
        return " ".join(words)

    def _print_Mul(self, expr: sp.Expr) -> str:
        if expr.could_extract_minus_sign():
            return f"minus {self._print(-expr)}"
        num, den = sp.fraction(expr, exact=True)
        if den != 1:
            top = self._print(num) if _simple(num) else _paused(self._print(num))
            return f"{top} divided by {self._group(den, (sp.Add, sp.Mul))}"
        words, previous = [], None
        for factor in expr.as_ordered_factors():
            if previous is not None:  # "0.5 x squared" but "0.5 times sine of x"
                words.append(" " if previous.is_Number and _simple(factor) else " times ")
            words.append(self._group(factor))
            previous = factor
        return "".join(words)

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exponent = expr.args
        if exponent.is_negative:
            return self._print_Mul(expr)
        if exponent == sp.S.Half:
            return _paused(f"the square root of {self._print(base)}")
        spoken = self._group(base, (sp.Add, sp.Mul, sp.Pow, sp.Function))
        if exponent in _POWERS:
            return f"{spoken} {_POWERS[int(exponent)]}"
        return _paused(f"{spoken} to the power of {self._print(exponent)}")

    def _print_Function(self, expr: sp.Function) -> str:
        name = type(expr).__name__
        spoken = " and ".join(self._print(a) for a in expr.args)
        return _paused(f"{_FUNCTIONS.get(name, f'{name} of')} {spoken}")

    def _print_Interval(self, expr: sp.Interval) -> str:
        lo, hi, say = expr.start, expr.end, self._print
        if lo.is_infinite and hi.is_infinite:
            return "all real x"
        if expr.left_open and expr.right_open and lo.is_finite and hi.is_finite:
            return f"x between {say(lo)} and {say(hi)}"
        sides = [
            f"{'greater than' if expr.left_open else 'at least'} {say(lo)}" if lo.is_finite else "",
            f"{'less than' if expr.right_open else 'at most'} {say(hi)}" if hi.is_finite else "",
        ]
        return "x " + " and ".join(filter(None, sides))


_PRINTER = SpokenPrinter()


def _function(instance: Instance) -> str:
    """f of x, piece by piece for a Piecewise, with the stated domain (math tasks)."""
    expr, say = parse(instance.fields["expression"]), _PRINTER.doprint
    if isinstance(expr, sp.Piecewise):
        pieces = expr.as_expr_set_pairs()
        return "; ".join(f"for {say(region)}, f of x equals {say(piece)}" for piece, region in pieces) + "."
    where = ""
    if "domain" in instance.fields:
        lo, hi = instance.fields["domain"]
        where = ", for " + say(sp.Interval.open(-sp.oo if lo is None else lo, sp.oo if hi is None else hi))
    return f"f of x equals {say(expr)}{where}."


_PIECES = (chess.KING, chess.QUEEN, chess.ROOK, chess.BISHOP, chess.KNIGHT, chess.PAWN)


def _position(instance: Instance, intro: str = "") -> str:
    """Pieces grouped by side and type, squares in file order, then castling, en passant and the turn."""
    board = chess.Board(instance.fields["fen"])
    sentences = [intro] if intro else []
    for color in (chess.WHITE, chess.BLACK):
        side = chess.COLOR_NAMES[color].capitalize()
        groups = []
        for piece in _PIECES:
            squares = sorted(chess.square_name(s) for s in board.pieces(piece, color))  # "e4, f3 and h3"
            if squares:
                name = chess.piece_name(piece) + ("s" if len(squares) > 1 else "")
                groups.append(f"{name} on {join_names(squares)}")
        sentences.append(f"{side}: {'; '.join(groups)}.")
        castling = {
            "kingside": board.has_kingside_castling_rights,
            "queenside": board.has_queenside_castling_rights,
        }
        wings = [wing for wing, allowed in castling.items() if allowed(color)]
        if wings:
            sentences.append(f"{side} may still castle {join_names(wings)}.")
    mover = chess.COLOR_NAMES[board.turn].capitalize()
    if board.has_legal_en_passant():
        sentences.append(f"{mover} may capture en passant on {chess.square_name(board.ep_square)}.")
    sentences.append(f"{mover} to move.")
    return " ".join(sentences)


def _prose(representation: str, instance: Instance) -> str:
    """A text form that is already prose: the instance's own copy (official sets) or the task's rendering."""
    if representation in instance.fields:
        return instance.fields[representation]
    return create_task(instance.task).render_text(instance, representation)


_SPEAKERS: dict[str, Callable[[Instance], str]] = {
    "math_parity": _function,
    "math_convexity": _function,
    "math_breakpoint": _function,
    "graph_connectivity": partial(_prose, "story"),
    "graph_maxflow": partial(_prose, "story"),
    "graph_isomorphism": partial(_prose, "story"),
    "chess_winner": partial(_position, intro="The game is over; this is its final position."),
    "chess_puzzle": _position,
    "chemistry": partial(_prose, "description"),
    "physics": partial(_prose, "description"),
}
"""Task -> the problem in words; the story is the listening form of a graph (a matrix read aloud is not)."""

_UNITS = {"Ω": "ohm", "V": "volt", "A": "amp", "W": "watt"}


def _unit(match: re.Match[str]) -> str:
    number, unit = match.groups()
    return f"{number} {_UNITS[unit]}{'' if number == '1' else 's'}"


_SYMBOLS: tuple[tuple[str, str | Callable[[re.Match[str]], str]], ...] = (
    (r"(\d) V battery", r"\1 volt battery"),  # a unit before a noun stays singular
    (r"(\d+(?:\.\d+)?) ?([ΩVAW])(?!\w)", _unit),
    (r"Ω", " ohms"),
    (r"∥", " in parallel with "),
    (r"\[", " a group of "),  # physics nests combinations in brackets
    (r"\]", " , end of group, "),
    (r"[(){}]", " , "),
    (r"×", " times "),
    (r"\*\*|\^", " to the power of "),
    (r"_", " sub "),
    (r"(?<![\w.])[-−](?=\d)", "minus "),
    (r"(?<![\w.])\+(?=\d)", "plus "),
    (r"\\", " "),
)
"""Symbols a voice would skip or misread, in the order they are replaced, and their words."""


def _speakable(text: str) -> str:
    """Symbols as words, each line a sentence (espeak-ng runs lines together), tidy pauses, one paragraph."""
    for pattern, words in _SYMBOLS:
        text = re.sub(pattern, words, text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = " ".join(line if line[-1] in ".:;,?!" else f"{line}." for line in lines)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"(\s*,)+\s*([,.;:?!])", r"\2", text)  # a pause just before a stop is the stop
    return re.sub(r"\s+([,.;:?!])", r"\1", text).strip()


def spoken_text(instance: Instance) -> str:
    """What a listener hears: the problem in words (no question, no answer choices — prompts add those)."""
    speaker = _SPEAKERS.get(instance.task)
    if speaker is None:
        raise ValueError(f"no spoken form for task {instance.task!r}; choose from {', '.join(sorted(TASKS))}")
    return _speakable(speaker(instance))


def _espeak(args: list[str], text: str) -> bytes:
    """espeak-ng's stdout for ``text``, passed on stdin (never parsed as options)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError(_INSTALL_HINT)
    if not text.strip():
        raise ValueError("nothing to say: the text is empty")
    done = subprocess.run([exe, "-b", "1", *args, "--stdin"], input=text.encode(), capture_output=True)
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"espeak-ng {' '.join(args)} failed: {why}")
    return done.stdout


def synthesize(text: str, voice: str = "en-us", words_per_minute: int = 160) -> bytes:
    """WAV bytes (16-bit mono, :data:`SAMPLE_RATE`) of ``text`` read by espeak-ng; same text, same bytes.

    espeak-ng streams a WAV whose header gives placeholder sizes; it is rewritten with the true ones so
    any reader (``wave``, soundfile, browsers) sees the real duration.
    """
    if not 80 <= words_per_minute <= 450:
        raise ValueError(f"words_per_minute must be in 80..450 (espeak-ng's range), got {words_per_minute}")
    raw = _espeak(["--stdout", "-v", voice, "-s", str(words_per_minute)], text)
    with wave.open(io.BytesIO(raw)) as src:
        params, frames = src.getparams(), src.readframes(src.getnframes())
    out = io.BytesIO()
    with wave.open(out, "wb") as dst:
        dst.setparams(params)
        dst.writeframes(frames)
    return out.getvalue()


def render_audio(instance: Instance) -> bytes:
    """The audio representation: :func:`spoken_text` read aloud, as WAV bytes."""
    return synthesize(spoken_text(instance))


def phonemes(text: str, voice: str = "en-us") -> str:
    """espeak-ng's phoneme mnemonics for ``text`` (``-q -x``), one line: what the voice will actually say."""
    return " ".join(_espeak(["-q", "-x", "-v", voice], text).decode().split())
