"""Read a model's free-form IsoBench response as an answer: one of the choices, an integer or a move.

Rules run in order of how explicitly a response commits: the last ``\\boxed{}``, the last answer line
("Answer: X", "the answer is X"), bold spans near the end, the final line, then the last sentence that
names exactly one choice (reasoning names every choice on the way, so earlier sentences are only read
when later ones are ambiguous). Negated mentions ("not even", "isn't connected") do not count, or in a
two-choice task count for the other choice. A span that names two choices gives ``None`` with a reason;
nothing ever defaults to the first choice. :func:`judge_answer` asks a model about what the rules leave.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from modgap.isobench.nearest import nearest_choice, nearest_number
from modgap.isobench.readers import FREE_FORM, LABEL, ChoiceReader, Parsed, Reader, plain
from modgap.isobench.task import TASKS
from modgap.isobench.tasks._choices import LetteredChoiceTask
from modgap.models.chat import ChatRequest, GenerationParams, Message

if TYPE_CHECKING:
    from modgap.models.backend import ChatBackend

__all__ = ["PARSE_MODES", "Parsed", "explain_answer", "explain_modes", "parse_answer", "judge_answer"]

PARSE_MODES = ("strict", "nearest")
"""How a reply the rules cannot read is taken: left unanswered, or read as the nearest choice."""


# --- answer spans ----------------------------------------------------------------------------------
_CONCLUSION = re.compile(
    r"\b(?:therefore|thus|hence|so|consequently|which means|this means|meaning|we conclude|in conclusion"
    r"|overall)\b|[→⇒∴]|=>| = |^\W*(?:since|because|as|given that)\b(?:[^,(\n]|\([^)\n]*\))*,",
    re.I,
)
_INDECISION = re.compile(
    r"\beither\b.*\bor\b|\b(?:can(?:no|[’'])t|impossible to) (?:be )?(?:determine|tell|decide|say)"
    r"|\bnot sure\b|\bunsure\b|\bunclear\b|\b(?:may|might|could|perhaps|possibly)\b",
    re.I,
)
_ANSWER_LINES = (
    re.compile(  # the lookaheads only make the scan faster
        rf"(?=[afvbw])(?<!\w){LABEL}(?:\s*\([^)\n]*\))?\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?(?P<span>[^\n]*)",
        re.I,
    ),
    re.compile(
        r"(?=[tmfc])\b(?:the|my|final|correct)\s+(?:(?:correct|final|best|right|winning|key)\s+)?"
        r"(?:answer|option|choice|move|winner(?:\s+of\s+(?:the|this)\s+game)?)"
        r"\s+(?:is|would\s+be|will\s+be|should\s+be)\s*:?(?P<span>[^\n]*)",
        re.I,
    ),
    re.compile(rf"^[#>*_ \t]*(?:the\s+)?{LABEL}[*_: \t]*\n\s*(?P<span>[^\n]+)", re.I | re.M),
)
_SPAN_END = re.compile(
    r"(?<!\d)\.(?!\d)|[!?;]|\n|,?\s+(?:because|since|as|due to|given that|but|while|whereas|which|though)\b",
    re.I,
)
"""Where an answer line's answer ends: at the sentence's end or where its justification starts."""
_HEADING = re.compile(r"^\W*(?:\w+\W+){0,2}?\w+\s*:\s+(?=\S)")
"""A short heading ("Solution B: 6 particles in 35 mL", "Conclusion: ..."): a label, no conclusion."""
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ENUMERATOR = re.compile(r"^[ \t]*\(?\d{1,2}[.)](?=[ \t]+\S)", re.M)
"""A list item's number ("4.  Around x = 9, ..."), which is no answer."""
_HYPOTHETICAL = re.compile(r"\s*(?:would|could|might)\b", re.I)
_BOLD = re.compile(r"\*\*(?!\s)([^*\n]+?)\*\*|__([^_\n]+?)__")


# --- the rules -------------------------------------------------------------------------------------
def _check_task(task_name: str) -> None:
    if task_name not in TASKS:
        raise ValueError(f"unknown task {task_name!r}; choose from {', '.join(sorted(TASKS))}")


def _reader(task_name: str, choices: Sequence[str], fields: Mapping[str, Any]) -> Reader:
    _check_task(task_name)
    if task_name in FREE_FORM:
        return FREE_FORM[task_name](fields)
    if not choices:
        raise ValueError(f"{task_name} is a multiple-choice task: pass its choices")
    return _choice_reader(task_name, tuple(choices), issubclass(TASKS[task_name], LetteredChoiceTask))


@lru_cache(maxsize=256)
def _choice_reader(
    task_name: str, choices: tuple[str, ...], lettered: bool, any_count: bool = False
) -> Reader:
    return ChoiceReader(task_name, choices, lettered, any_count)


def _boxed(text: str) -> list[str]:
    spans = []
    for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        spans.append(text[m.end() : i - 1])
    return spans


def _answer_lines(text: str) -> list[str]:
    found = sorted((m.start(), m.group("span")) for p in _ANSWER_LINES for m in p.finditer(text))
    return [_SPAN_END.split(span.strip(), maxsplit=1)[0] for _, span in found]


def _bold_near_end(text: str) -> list[str]:
    """Bold spans in the last three non-empty lines, except labels ("**Step 2:**"), questions and
    hypotheses ("**Neither** would apply if ...")."""
    starts = [m.start() for m in re.finditer(r"^.*\S.*$", text, re.M)]
    cutoff = starts[-3] if len(starts) >= 3 else 0
    spans = [
        m.group(1) or m.group(2)
        for m in _BOLD.finditer(text)
        if m.start() >= cutoff and not _HYPOTHETICAL.match(text, m.end())
    ]
    return [s for s in spans if not s.rstrip().endswith((":", "?"))]


def _names(values: Sequence[str]) -> str:
    return " and ".join(repr(v) for v in values)


def _decide(reader: Reader, text: str, explicit: bool) -> list[str]:
    """The answers a text names; of several, those in its conclusion ("..., so it is odd") if that is one."""
    found = reader.read(text, explicit)
    if len(found) > 1:
        tails = list(_CONCLUSION.finditer(text))
        narrowed = reader.read(text[tails[-1].end() :], explicit) if tails else []
        if len(narrowed) == 1:
            return narrowed
    return found


def _explicit_spans(text: str) -> list[tuple[str, str]]:
    """(rule, span) in the order they are read: boxed, answer lines, bold, each from the last."""
    return [
        *(("boxed", span) for span in reversed(_boxed(text))),
        *(("answer_line", span) for span in reversed(_answer_lines(text))),
        *(("bold", span) for span in reversed(_bold_near_end(text))),
    ]


def _prose(text: str) -> list[tuple[str, str]]:
    """(rule, chunk): the final line, then the sentences from the last, less questions and asides."""
    text = _ENUMERATOR.sub("", text)
    lines = [line for line in text.splitlines() if line.strip()]
    sentences = [s for s in re.split(r"\n+|(?<=[.!?])\s+", text) if s.strip()]
    chunks = [*(("final_line", x) for x in lines[-1:]), *(("sentence", x) for x in sentences[::-1])]
    return [
        (method, chunk)
        for method, chunk in chunks
        if not chunk.rstrip(" *)").endswith("?") and not re.fullmatch(r"\s*\(.*\s.*\)[.\s]*", chunk)
    ]


def _strict(reader: Reader, response_text: str) -> Parsed:
    if not response_text.strip():
        return Parsed(None, "none", "empty response")
    boxed = _boxed(response_text)
    if boxed and not any(reader.read(plain(span), True) for span in boxed):
        return Parsed(None, "boxed", f"the boxed answer {boxed[-1].strip()!r} names no choice")
    for method, span in _explicit_spans(response_text):
        found = _decide(reader, plain(span), True)
        if len(found) == 1:
            return Parsed(found[0], method)
        if found:
            return Parsed(None, method, f"ambiguous: the {method} {span.strip()!r} names {_names(found)}")
    text = plain(response_text)
    ambiguous: str | None = None
    if not reader.sentences:
        return reader.fallback(text)
    for method, chunk in _prose(text):
        found = _decide(reader, _HEADING.sub("", chunk), False)
        if len(found) == 1:
            return Parsed(found[0], method)
        if found and _INDECISION.search(chunk):
            return Parsed(None, method, f"uncommitted: hedges between {_names(found)} in {chunk.strip()!r}")
        if found and ambiguous is None:
            ambiguous = f"ambiguous: the last conclusion {chunk.strip()!r} mentions both {_names(found)}"
    return Parsed(None, "none", ambiguous) if ambiguous else reader.fallback(text)


def _nearest(
    task_name: str, response_text: str, choices: Sequence[str], reader: Reader, strict: Parsed
) -> Parsed:
    if not choices or strict.answer in choices:
        return strict
    if all(_NUMBER.fullmatch(c) for c in choices):
        stated = strict
        if isinstance(reader, ChoiceReader):  # a count that is no option: "5 breakpoints" of 2 or 3
            lettered = issubclass(TASKS[task_name], LetteredChoiceTask)
            stated = _strict(_choice_reader(task_name, tuple(choices), lettered, True), response_text)
        if stated.answer is not None and _NUMBER.fullmatch(stated.answer):
            return nearest_number(stated.answer, choices)
    chunks = [(m, plain(span)) for m, span in _explicit_spans(response_text)]
    return nearest_choice(task_name, [*chunks, *_prose(plain(response_text))], choices, strict)


def explain_answer(
    task_name: str,
    response_text: str,
    choices: Sequence[str],
    fields: Mapping[str, Any] | None = None,
    fallback: str = "strict",
) -> Parsed:
    """The answer a careful reader would take from the response, with the rule that found it.

    ``choices`` are the instance's (empty for graph_maxflow and chess_puzzle); ``fields`` matter only
    for chess_puzzle, whose ``fen`` lets SAN moves be read and illegal moves be rejected.
    ``fallback`` is what happens when the rules find no choice: ``"strict"`` keeps ``None``;
    ``"nearest"`` takes the choice the reply's wording is nearest to, as the official IsoBench evaluator
    (an LLM that must pick an option) does (see :mod:`modgap.isobench.nearest`).
    """
    if fallback not in PARSE_MODES:
        raise ValueError(f"unknown fallback {fallback!r}; choose from {', '.join(PARSE_MODES)}")
    reader = _reader(task_name, choices, fields or {})
    strict = _strict(reader, response_text)
    return strict if fallback == "strict" else _nearest(task_name, response_text, choices, reader, strict)


def explain_modes(
    task_name: str, response_text: str, choices: Sequence[str], fields: Mapping[str, Any] | None = None
) -> dict[str, Parsed]:
    """The reading under each of :data:`PARSE_MODES`, the strict rules run once."""
    reader = _reader(task_name, choices, fields or {})
    strict = _strict(reader, response_text)
    return {"strict": strict, "nearest": _nearest(task_name, response_text, choices, reader, strict)}


def parse_answer(
    task_name: str,
    response_text: str,
    choices: Sequence[str],
    fields: Mapping[str, Any] | None = None,
    fallback: str = "strict",
) -> str | None:
    """The extracted answer alone (see :func:`explain_answer`): a choice, an integer, a UCI move or None."""
    return explain_answer(task_name, response_text, choices, fields, fallback).answer


_JUDGE_PROMPT = """Below is a model's response to a {task} question with these choices: {choices}.

<response>
{response}
</response>

Which choice does the response commit to as its final answer? Reply with exactly one of {choices}, \
or with none if it commits to none of them. Reply with the choice only."""


async def judge_answer(
    backend: ChatBackend, task_name: str, response_text: str, choices: Sequence[str]
) -> Parsed:
    """Ask a model which choice the response gives, for responses the rules cannot read.

    The judge's reply is read strictly: it must be one of ``choices`` (case and surrounding quotes or
    a final period aside) or "none", so a rambling judge gives ``None`` rather than a guess.
    """
    _check_task(task_name)
    if not choices:
        raise ValueError(f"the judge picks among choices, and {task_name} has none")
    listed = ", ".join(f'"{c}"' for c in choices)
    prompt = _JUDGE_PROMPT.format(task=task_name, choices=listed, response=response_text)
    request = ChatRequest((Message.make("user", prompt),), GenerationParams(max_tokens=16))
    reply = (await backend.generate(request)).text
    said = reply.strip().strip("\"'`*.").strip().lower()
    match = [c for c in choices if c.lower() == said]
    if match:
        return Parsed(match[0], "judge")
    if said == "none":
        return Parsed(None, "judge", "the judge found no committed answer")
    return Parsed(None, "judge", f"the judge's reply {reply.strip()!r} is not one of the choices")
