"""Every prompt IsoBench sends, in one place: per-task questions, representation intros, strategies.

A strategy turns one (instance, representation) into a short *plan* of chat calls. Most plans are
one call; ``eta`` and ``isosp`` are two, the second built from the first one's reply. Prompts list
the answer choices and ask for a final ``Answer: …`` line, which :func:`parse_answer` reads first.

- ``direct``: the problem in one representation, answer only.
- ``cot``: the same, thinking step by step first.
- ``eta`` (Extract-Then-Answer): transcribe the image (or text image, audio, video) into the task's first
  text form, then answer from that transcription alone.
- ``isocb`` (IsoCombination): instruction, definition, the image and every text form, output format.
- ``isosp`` (IsoScratchPad): describe the image (or audio, video), then answer from the description alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import chess
from PIL import Image

from modgap.isobench.task import AUDIO, IMAGE, MEDIA, TASKS, TEXT_IMAGE, VIDEO, Instance
from modgap.isobench.tasks._choices import LETTERS, LetteredChoiceTask
from modgap.models import ChatRequest, GenerationParams, Message
from modgap.models.chat import Part

__all__ = ["STRATEGIES", "TaskPrompt", "TASK_PROMPTS", "Plan", "plan", "question", "answer_format"]

STRATEGIES = ("direct", "cot", "eta", "isocb", "isosp")
TWO_STEP = ("eta", "isosp")
"""Strategies that start from a non-text representation (image, text image, audio or video), turn it
into text, then answer from that text alone."""


@dataclass(frozen=True)
class TaskPrompt:
    subject: str
    """What the representations show, e.g. "a function f(x)"."""
    question: str
    """Asked of every representation; science tasks take theirs from ``fields["question"]``."""
    definition: str = ""
    """The concept the question tests, stated for IsoCombination."""


TASK_PROMPTS: dict[str, TaskPrompt] = {
    "math_parity": TaskPrompt(
        "a function f(x)",
        "Is f even, odd, or neither?",
        "f is even if f(-x) = f(x) for every x, and odd if f(-x) = -f(x) for every x.",
    ),
    "math_convexity": TaskPrompt(
        "a function f(x) on an open domain",
        "Is f convex or concave on its domain?",
        "f is convex where f''(x) >= 0 and concave where f''(x) <= 0.",
    ),
    "math_breakpoint": TaskPrompt(
        "a continuous piecewise-linear function f(x)",
        "How many breakpoints does f have?",
        "A breakpoint is a point where the slope of f changes.",
    ),
    "graph_connectivity": TaskPrompt(
        "an undirected graph with two query nodes",
        "Is there a path between the two query nodes?",
        "Two nodes are connected if a sequence of edges leads from one to the other.",
    ),
    "graph_maxflow": TaskPrompt(
        "a directed flow network with edge capacities, a source and a sink",
        "What is the maximum flow from the source to the sink?",
        "A flow respects every edge's capacity and conserves flow at every node but the source and sink.",
    ),
    "graph_isomorphism": TaskPrompt(
        "two undirected graphs, G1 and G2",
        "Are G1 and G2 isomorphic?",
        "Two graphs are isomorphic if relabelling the nodes of one gives exactly the edges of the other.",
    ),
    "chess_winner": TaskPrompt(
        "a finished chess game",
        "How did the game end: did white win, did black win, or was it a draw?",
        "A game ends in a win by checkmate, or in a draw by stalemate or insufficient material.",
    ),
    "chess_puzzle": TaskPrompt(
        "a chess position",
        "{side} to move has a forced checkmate (in one or two moves). What is the first move?",
        "A forced mate is a sequence of moves that checkmates the opponent whatever they reply.",
    ),
    "chemistry": TaskPrompt("a molecule", "", "Hydrogen atoms attached to carbon are usually not drawn."),
    "physics": TaskPrompt("a DC resistor circuit", "", "Series resistances add; parallel conductances add."),
}

_FORMS = {
    "latex": "in LaTeX",
    "code": "as Python (sympy) code",
    "adjacency": "as an adjacency matrix",
    "edges": "as an edge list",
    "story": "as a story",
    "pgn": "as the game's moves in PGN",
    "fen": "as a FEN string",
    "ascii": "as an ASCII board diagram",
    "smiles": "as a SMILES string",
    "description": "in words",
    "netlist": "as a SPICE netlist",
    IMAGE: "in the image",
    TEXT_IMAGE: "as an image of its text",
    AUDIO: "spoken in the audio",
    VIDEO: "in the video",
}
_SOURCES = {IMAGE: "the image", TEXT_IMAGE: "the image", AUDIO: "the audio", VIDEO: "the video"}


def question(instance: Instance) -> str:
    if "question" in instance.fields:
        return instance.fields["question"]
    text = TASK_PROMPTS[instance.task].question
    if "{side}" in text:
        side = "White" if chess.Board(instance.fields["fen"]).turn == chess.WHITE else "Black"
        text = text.format(side=side)
    return text


def lettered(task: str) -> bool:
    return issubclass(TASKS[task], LetteredChoiceTask)


def answer_format(instance: Instance) -> str:
    """The options (lettered for multiple-choice science questions) and the final-line format."""
    if lettered(instance.task):
        options = "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(instance.choices))
        letters = ", ".join(LETTERS[: len(instance.choices)])
        return f"Options:\n{options}\nEnd with a final line 'Answer: X', where X is one of {letters}."
    if instance.choices:
        return f"End with a final line 'Answer: X', where X is one of: {', '.join(instance.choices)}."
    if instance.task == "chess_puzzle":
        return "End with a final line 'Answer: MOVE', the move in SAN (e.g. Qh7#) or UCI (e.g. h5h7)."
    return "End with a final line 'Answer: N', where N is an integer."


@dataclass(frozen=True)
class Plan:
    """One prompt to send now, and (for two-step strategies) how to build the next from its reply."""

    request: ChatRequest
    then: Callable[[str], Plan] | None = None


Shown = str | Image.Image | Path | Part
"""What a representation puts in a prompt: its text, or a media part (image, audio, video)."""


def _ask(params: GenerationParams, *content: Shown) -> ChatRequest:
    return ChatRequest((Message.make("user", *content),), params)


def _tail(instance: Instance, strategy: str) -> str:
    how = "Think step by step, then give your answer." if strategy == "cot" else "Answer directly."
    return f"\n\nQuestion: {question(instance)}\n{how}\n{answer_format(instance)}"


def plan(
    instance: Instance,
    text: dict[str, str],
    media: dict[str, Shown],
    representation: str,
    strategy: str,
    params: GenerationParams,
) -> Plan:
    """The calls that show ``instance`` as ``representation`` under ``strategy``.

    ``text`` holds the instance's text forms (the ones isocb combines; eta transcribes into the first),
    ``media`` its non-text representations (an image path or part, an audio or video part). ``eta`` and
    ``isosp`` start from the medium ``representation`` names; ``isocb`` always combines the image.
    """
    subject, definition = TASK_PROMPTS[instance.task].subject, TASK_PROMPTS[instance.task].definition
    if strategy in ("direct", "cot"):
        shown = text[representation] if representation in text else media[representation]
        intro = f"Below is {subject}, given {_FORMS[representation]}.\n\n"
        return Plan(_ask(params, intro, shown, _tail(instance, strategy)))
    if strategy == "isocb":
        head = f"Below is {subject}, given in several equivalent ways.\n{definition}"
        forms = "".join(f"\n\nThe same, {_FORMS[r]}:\n{t}" for r, t in text.items())
        return Plan(
            _ask(params, f"{head}\n\nAs an image:\n", media[IMAGE], forms + _tail(instance, "direct"))
        )
    if strategy in TWO_STEP:
        if representation not in MEDIA:
            raise ValueError(f"{strategy} starts from an image, audio or video, not from {representation!r}")
        if strategy == "eta":
            target = _FORMS[next(iter(text))]
            ask, given = f"Transcribe it exactly {target}; output only the transcription.", f"given {target}"
        else:
            ask = f"Describe everything in it needed to answer, without answering: {question(instance)}"
            given = f"described from {_SOURCES[representation]}"

        def answer(reply: str) -> Plan:
            return Plan(_ask(params, f"Below is {subject}, {given}.\n\n{reply}" + _tail(instance, "direct")))

        source = _SOURCES[representation]
        return Plan(
            _ask(params, f"{source.capitalize()} presents {subject}. {ask}", media[representation]), answer
        )
    raise ValueError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
