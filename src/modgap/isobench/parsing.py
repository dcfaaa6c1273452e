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
from typing import TYPE_CHECKING, Any

from modgap.isobench.readers import FREE_FORM, LABEL, ChoiceReader, Parsed, Reader, plain
from modgap.isobench.task import TASKS
from modgap.isobench.tasks._choices import LetteredChoiceTask
from modgap.models.chat import ChatRequest, GenerationParams, Message

if TYPE_CHECKING:
    from modgap.models.backend import ChatBackend

__all__ = ["Parsed", "explain_answer", "parse_answer", "judge_answer"]


# --- answer spans ----------------------------------------------------------------------------------
_CONCLUSION = re.compile(
    r"\b(?:therefore|thus|hence|so|consequently|which means|this means|meaning|we conclude|in conclusion"
    r"|overall)\b|[→⇒∴]|=>| = ",
    re.I,
)
_INDECISION = re.compile(
    r"\beither\b.*\bor\b|\b(?:can(?:no|[’'])t|impossible to) (?:be )?(?:determine|tell|decide|say)"
    r"|\bnot sure\b|\bunsure\b|\bunclear\b|\b(?:may|might|could|perhaps|possibly)\b",
    re.I,
)
_ANSWER_LINES = (
    re.compile(
        rf"(?<!\w){LABEL}(?:\s*\([^)\n]*\))?\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?(?P<span>[^\n]*)", re.I
    ),
    re.compile(
        r"\b(?:the|my|final|correct)\s+(?:(?:correct|final|best|right|winning|key)\s+)?(?:answer|option|choice|move)"
        r"\s+(?:is|would\s+be|will\s+be|should\s+be)\s*:?(?P<span>[^\n]*)",
        re.I,
    ),
    re.compile(rf"^[#>*_ \t]*{LABEL}[*_: \t]*\n\s*(?P<span>[^\n]+)", re.I | re.M),
)
_SPAN_END = re.compile(
    r"(?<!\d)\.(?!\d)|[!?;]|\n|,?\s+(?:because|since|as|due to|given|but|while|whereas|which|though)\b",
    re.I,
)
"""Where an answer line's answer ends: at the sentence's end or where its justification starts."""
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
    return ChoiceReader(task_name, choices, issubclass(TASKS[task_name], LetteredChoiceTask))


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
    """Bold spans in the last three non-empty lines, except labels ("**Step 2:**") and questions."""
    starts = [m.start() for m in re.finditer(r"^.*\S.*$", text, re.M)]
    cutoff = starts[-3] if len(starts) >= 3 else 0
    spans = [m.group(1) or m.group(2) for m in _BOLD.finditer(text) if m.start() >= cutoff]
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


def explain_answer(
    task_name: str, response_text: str, choices: Sequence[str], fields: Mapping[str, Any] | None = None
) -> Parsed:
    """The answer a careful reader would take from the response, with the rule that found it.

    ``choices`` are the instance's (empty for graph_maxflow and chess_puzzle); ``fields`` matter only
    for chess_puzzle, whose ``fen`` lets SAN moves be read and illegal moves be rejected.
    """
    reader = _reader(task_name, choices, fields or {})
    if not response_text.strip():
        return Parsed(None, "none", "empty response")
    explicit = (("boxed", _boxed(response_text)), ("answer_line", _answer_lines(response_text)))
    for method, spans in (*explicit, ("bold", _bold_near_end(response_text))):
        for span in reversed(spans):
            found = _decide(reader, plain(span), True)
            if len(found) == 1:
                return Parsed(found[0], method)
            if found:
                return Parsed(None, method, f"ambiguous: the {method} {span.strip()!r} names {_names(found)}")
    text = plain(response_text)
    if not reader.sentences:
        return reader.fallback(text)
    lines = [line for line in text.splitlines() if line.strip()]
    sentences = [s for s in re.split(r"\n+|(?<=[.!?])\s+", text) if s.strip()]
    ambiguous: str | None = None
    for method, chunk in (
        *(("final_line", x) for x in lines[-1:]),
        *(("sentence", x) for x in sentences[::-1]),
    ):
        if chunk.rstrip(" *)").endswith("?") or re.fullmatch(r"\s*\(.*\s.*\)[.\s]*", chunk):
            continue  # a question or an aside in parentheses commits to nothing
        found = _decide(reader, chunk, False)
        if len(found) == 1:
            return Parsed(found[0], method)
        if found and _INDECISION.search(chunk):
            return Parsed(None, method, f"uncommitted: hedges between {_names(found)} in {chunk.strip()!r}")
        if found and ambiguous is None:
            ambiguous = f"ambiguous: the last conclusion {chunk.strip()!r} mentions both {_names(found)}"
    return Parsed(None, "none", ambiguous) if ambiguous else reader.fallback(text)


def parse_answer(
    task_name: str, response_text: str, choices: Sequence[str], fields: Mapping[str, Any] | None = None
) -> str | None:
    """The extracted answer alone (see :func:`explain_answer`): a choice, an integer, a UCI move or None."""
    return explain_answer(task_name, response_text, choices, fields).answer


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
