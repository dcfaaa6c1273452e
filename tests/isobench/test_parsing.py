"""Answer parsing: agreement with a careful reader on realistic responses, then each rule on its own."""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict
from pathlib import Path

import chess
import pytest

from modgap.isobench import TASKS, Parsed, explain_answer, judge_answer, parse_answer
from modgap.models.chat import ChatRequest, ChatResponse

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "parse_cases.jsonl").read_text().splitlines()
]
PARITY = ["even", "odd", "neither"]
YES_NO = ["yes", "no"]
OHMS = ["6 Ω", "9 Ω", "24 Ω", "32 Ω"]
COUNTS = ["1", "2", "3", "4"]
MATE_IN_1 = "5R2/4rp1k/1p4pp/p4p1P/8/P4K2/1B6/8 w - - 0 71"  # Rh8# (f8h8), from a generated instance


def _parse(case: dict) -> str | None:
    return parse_answer(case["task"], case["response"], case["choices"], case.get("fields"))


def _naive(case: dict) -> str | None:
    """The baseline: whatever answer is mentioned last in the text, no rules at all."""
    text = case["response"]
    if case["task"] == "graph_maxflow":
        numbers = re.findall(r"\d+", text)
        return numbers[-1] if numbers else None
    if case["task"] == "chess_puzzle":
        board, last = chess.Board(case["fields"]["fen"]), None
        for token in re.findall(r"[\w=+#-]+", text):
            for parse in (board.parse_san, board.parse_uci):
                try:
                    last = parse(token).uci()
                    break
                except ValueError:
                    pass
        return last
    hits = [
        (m.start(), choice)
        for choice in case["choices"]
        for m in re.finditer(rf"(?<!\w){re.escape(choice)}(?!\w)", text, re.I)
    ]
    return max(hits)[1] if hits else None


def _agreement(parse) -> tuple[float, dict[str, float]]:
    per_task: dict[str, list[bool]] = defaultdict(list)
    for case in CASES:
        per_task[case["task"]].append(parse(case) == case["expected"])
    overall = sum(sum(v) for v in per_task.values()) / len(CASES)
    return overall, {task: sum(v) / len(v) for task, v in sorted(per_task.items())}


def test_cases_are_well_formed():
    assert len(CASES) >= 120
    assert {c["task"] for c in CASES} == set(TASKS)
    for case in CASES:
        assert case["task"] in TASKS and case["response"] is not None and case["note"]
        if case["task"] == "chess_puzzle":
            board = chess.Board(case["fields"]["fen"])
            assert case["expected"] is None or chess.Move.from_uci(case["expected"]) in board.legal_moves
        elif case["task"] == "graph_maxflow":
            assert case["expected"] is None or case["expected"].isdigit()
        else:
            assert case["expected"] is None or case["expected"] in case["choices"]
    assert sum(c["expected"] is None for c in CASES) >= 15  # responses that commit to nothing


def test_agreement_with_a_careful_reader_beats_the_naive_baseline():
    ours, ours_per_task = _agreement(_parse)
    naive, naive_per_task = _agreement(_naive)
    print(
        f"\nagreement on {len(CASES)} responses: parser {ours:.1%}, naive last-mention baseline {naive:.1%}"
    )
    for task in ours_per_task:
        print(f"  {task:20s} parser {ours_per_task[task]:6.1%}   naive {naive_per_task[task]:6.1%}")
    assert ours >= 0.95
    assert ours - naive >= 0.10


# --- the rules, one at a time ---------------------------------------------------------------------


def test_last_boxed_wins_over_everything_else():
    text = (
        "First guess \\boxed{even}. On reflection it is odd.\n\n**Answer: odd**\n\n$\\boxed{\\text{neither}}$"
    )
    assert explain_answer("math_parity", text, PARITY) == Parsed("neither", "boxed")


@pytest.mark.parametrize(
    "text",
    [
        "Reasoning about even functions...\nAnswer: odd",
        "Reasoning about even functions...\n**Answer:** odd",
        "Reasoning about even functions...\nFinal answer: odd. Even would need f(-x) = f(x).",
        "So the answer is odd, since even would need symmetry.",
        "The correct answer is: odd",
        "### Final Answer\nodd",
    ],
)
def test_answer_lines(text):
    assert explain_answer("math_parity", text, PARITY) == Parsed("odd", "answer_line")


def test_last_answer_line_wins():
    text = "Answer: even\nWait, I made a sign error.\nAnswer: odd"
    assert parse_answer("math_parity", text, PARITY) == "odd"


def test_bold_near_the_end_but_not_labels_or_early_bold():
    text = "**Even check:** f(-x) != f(x).\nMore.\nMore.\nMore work.\nThe function is **odd**, I think."
    assert explain_answer("math_parity", text, PARITY) == Parsed("odd", "bold")
    early = "The word **even** appears here.\nline\nline\nline\nSo it is odd."
    assert explain_answer("math_parity", early, PARITY) == Parsed("odd", "final_line")


def test_final_line_then_last_committing_sentence():
    assert explain_answer("math_parity", "Checking even and odd...\nodd", PARITY) == Parsed(
        "odd", "final_line"
    )
    text = "So f is odd. Note that an odd times an even function is odd, and even times even is even."
    assert explain_answer("math_parity", text, PARITY) == Parsed("odd", "sentence")


def test_conclusion_clause_decides_a_sentence_naming_several_choices():
    text = "Since f(-x) = -f(x) rather than f(x), the function is odd."
    assert parse_answer("math_parity", text, PARITY) == "odd"
    text = "The sine is odd and the cosine is even, so the sum is neither"
    assert parse_answer("math_parity", text, PARITY) == "neither"


@pytest.mark.parametrize(
    ("task", "choices", "text", "expected"),
    [
        ("math_parity", PARITY, "The function is not even.", None),
        ("math_parity", PARITY, "It isn't odd; it is even.", "even"),
        ("math_parity", PARITY, "The function is neither even nor odd.", "neither"),
        ("math_parity", PARITY, "Even though it has x^3, the function is odd.", "odd"),
        ("math_convexity", ["convex", "concave"], "The function is not convex.", "concave"),
        ("math_convexity", ["convex", "concave"], "It is neither convex nor concave.", None),
        ("math_convexity", ["convex", "concave"], "The curve is concave up.", "convex"),
        ("graph_connectivity", YES_NO, "Node 3 is not connected to node 9.", "no"),
        ("graph_connectivity", YES_NO, "They aren't connected.", "no"),
        ("graph_connectivity", YES_NO, "There is no direct edge, but they are connected.", "yes"),
        ("graph_connectivity", YES_NO, "There is no path from 2 to 11.", "no"),
        ("graph_isomorphism", YES_NO, "G and H are non-isomorphic.", "no"),
        ("graph_isomorphism", YES_NO, "The degrees differ, so they cannot be isomorphic.", "no"),
        ("chess_winner", ["white", "black", "draw"], "Black's king is trapped, so White wins.", "white"),
        ("chess_winner", ["white", "black", "draw"], "White resigned. 0-1", "black"),
    ],
)
def test_negations_and_task_phrases(task, choices, text, expected):
    assert parse_answer(task, text, choices) == expected


@pytest.mark.parametrize("task", [t for t in TASKS if t not in ("graph_maxflow", "chess_puzzle")])
def test_never_defaults_to_the_first_choice(task):
    choices = {
        "math_parity": PARITY,
        "math_convexity": ["convex", "concave"],
        "chess_winner": ["white", "black", "draw"],
    }
    parsed = explain_answer(task, "I don't know.", choices.get(task, YES_NO if "graph" in task else COUNTS))
    assert parsed.answer is None and parsed.method == "none" and parsed.reason
    assert explain_answer(task, "   ", ["a", "b"]) == Parsed(None, "none", "empty response")


def test_a_span_naming_two_choices_is_ambiguous():
    parsed = explain_answer("math_parity", "Answer: even or odd", PARITY)
    assert parsed.answer is None and parsed.method == "answer_line"
    assert "'even'" in parsed.reason and "'odd'" in parsed.reason
    hedge = explain_answer("math_parity", "It could be even or it could be odd.", PARITY)
    assert hedge.answer is None and hedge.reason.startswith("uncommitted")


def test_answers_are_the_choices_as_given():
    assert parse_answer("chess_winner", "WHITE WINS", ["White", "Black", "Draw"]) == "White"
    assert parse_answer("math_parity", "\\boxed{ODD}", ["Even", "Odd", "Neither"]) == "Odd"


def test_unknown_task_and_missing_choices():
    with pytest.raises(ValueError, match="unknown task 'parity'.*math_parity"):
        parse_answer("parity", "odd", PARITY)
    with pytest.raises(ValueError, match="multiple-choice"):
        parse_answer("math_parity", "odd", [])


def test_numbers_and_number_words_for_counts():
    assert parse_answer("math_breakpoint", "There are two breakpoints.", COUNTS) == "2"
    assert parse_answer("math_breakpoint", "\\boxed{3}", COUNTS) == "3"
    assert parse_answer("math_breakpoint", "It changes slope at x = 2.6 and x = 4.", COUNTS) is None


def test_lettered_choices_by_letter_or_value():
    assert parse_answer("physics", "Answer: B) 9 Ω", OHMS) == "9 Ω"
    assert parse_answer("physics", "**B**", OHMS) == "9 Ω"
    assert parse_answer("physics", "Option C is right.", OHMS) == "24 Ω"
    for said in ("9 ohms", "9Ω", "9.0 Ω", "R = 9\\,\\Omega", "about 9.00 ohm"):
        assert parse_answer("physics", f"The equivalent resistance is {said}.", OHMS) == "9 Ω", said
    assert parse_answer("physics", "The current is 9 A.", OHMS) is None  # the wrong unit names no option
    assert parse_answer("physics", "P = 188 mW", ["0.0616 W", "0.0938 W", "0.188 W", "0.214 W"]) == "0.188 W"
    # letters map by position, so B is the second option even when the options are numbers
    assert parse_answer("chemistry", "B", COUNTS) == "2"
    assert parse_answer("chemistry", "3", COUNTS) == "3"
    assert parse_answer("chemistry", "Answer: B) 3", COUNTS) is None  # letter and value disagree
    formulas = ["C4H9NO3", "C4H9NO4", "C4H8NO3", "C4H9O3"]
    assert parse_answer("chemistry", "The formula is C₄H₉NO₄.", formulas) == "C4H9NO4"
    groups = ["carboxylic acid", "alkene (non-aromatic C=C)", "sulfonamide", "ketone"]
    assert parse_answer("chemistry", "It has no ketone, but it has an alkene.", groups) == groups[1]


def test_maxflow_integers():
    assert explain_answer("graph_maxflow", "The maximum flow from 2 to 1 is 4.", []) == Parsed(
        "4", "final_line"
    )
    assert parse_answer("graph_maxflow", "Answer: 3 + 2 + 4 = 9", []) == "9"
    assert explain_answer("graph_maxflow", "Paths carry 3 and 2, total 5", []) == Parsed("5", "number")
    assert explain_answer("graph_maxflow", "No idea.", []).answer is None


def test_chess_san_and_uci_to_legal_uci():
    fen = {"fen": MATE_IN_1}
    assert explain_answer("chess_puzzle", "1. Rh8# is mate.", [], fen) == Parsed("f8h8", "chess_san")
    assert explain_answer("chess_puzzle", "f8h8", [], fen) == Parsed("f8h8", "chess_uci")
    assert explain_answer("chess_puzzle", "Answer: Rh8#", [], fen) == Parsed("f8h8", "answer_line")
    assert parse_answer("chess_puzzle", "hxg6+ fails. Rh8# wins.", [], fen) == "f8h8"
    assert (
        parse_answer("chess_puzzle", "Answer: 1. Rxf7+ Kg8 2. Rf8#", [], fen) == "f8f7"
    )  # a line's first move
    castle = {"fen": "r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1"}
    assert parse_answer("chess_puzzle", "Answer: O-O", [], castle) == "e1g1"
    promote = {"fen": "8/4P1k1/8/8/8/8/8/4K3 w - - 0 1"}
    assert parse_answer("chess_puzzle", "e8=Q+ wins", [], promote) == "e7e8q"


def test_chess_illegal_moves_are_rejected():
    fen = {"fen": MATE_IN_1}
    parsed = explain_answer("chess_puzzle", "Qh7# is mate.", [], fen)  # White has no queen
    assert parsed.answer is None and "legal" in parsed.reason
    assert parse_answer("chess_puzzle", "Answer: Rh8#, not Kg1", [], fen) == "f8h8"
    assert parse_answer("chess_puzzle", "Rh8# or maybe e2e4", [], fen) == "f8h8"  # e2e4 is illegal here


def test_chess_without_fen_reads_uci_only():
    assert explain_answer("chess_puzzle", "Best: E7E8Q", []) == Parsed("e7e8q", "chess_uci")
    assert parse_answer("chess_puzzle", "Rh8#", []) is None


# --- the judge fallback ---------------------------------------------------------------------------


class FakeJudge:
    """Replies with a fixed text and keeps the requests it was sent."""

    name = "fake-judge"

    def __init__(self, reply: str):
        self.reply, self.requests = reply, []

    async def generate(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        return ChatResponse(self.reply)


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        ("odd", "odd"),
        (" Odd.\n", "odd"),
        ('"neither"', "neither"),
        ("none", None),
        ("It is odd, I think", None),
    ],
)
def test_judge_reply_is_read_strictly(reply, answer):
    judge = FakeJudge(reply)
    parsed = asyncio.run(judge_answer(judge, "math_parity", "f(-x) = -f(x), hmm", PARITY))
    assert parsed.answer == answer and parsed.method == "judge"
    assert answer is not None or parsed.reason
    (request,) = judge.requests
    prompt = request.messages[0].text
    assert request.params.max_tokens == 16 and "f(-x) = -f(x), hmm" in prompt
    assert all(f'"{c}"' in prompt for c in PARITY) and "none" in prompt


def test_judge_needs_a_known_task_with_choices():
    with pytest.raises(ValueError, match="unknown task"):
        asyncio.run(judge_answer(FakeJudge("odd"), "nope", "odd", PARITY))
    with pytest.raises(ValueError, match="has none"):
        asyncio.run(judge_answer(FakeJudge("4"), "graph_maxflow", "4", []))


# --- rules for real replies (long reasoning, free-text options) -------------------------------------
SIDES = ["white", "black", "draw"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Based on the PGN, **Black** is the winner because they delivered checkmate.", "black"),
        ("After 31... Nxg3+ the attack is decisive. Black wins.", "black"),
        ("White has no legal moves to escape the check, resulting in mate.", "black"),
        (
            "Therefore, the Black King is under attack and has no legal moves to escape, so it is checkmate.",
            "white",
        ),
        (
            "Black's King is in an inescapable position of attack, which is the definition of checkmate.",
            "white",
        ),
        ("**Winner:**\n\n**White** wins the game.", "white"),
        (
            "**Conclusion:** White has a queen against Black's lone king.\n\nTherefore, **White wins**.",
            "white",
        ),
        ("White's queen delivers checkmate to the black king.", "white"),
        ("Black has no way to avoid checkmate on the next move.", "white"),
        ("The position strongly favors White.", "white"),
        ("Black has no legal moves but is not in check: stalemate.", "draw"),
        ("The game ends in a draw by threefold repetition.", "draw"),
        ("Neither king can break through. This is a dead draw.", "draw"),
        ("In the final position Black's king is safe on g8 and White's rook is active.", None),
        ("If Black moves the king to g8, then Qg8# is checkmate.", None),
        ("The game is still ongoing, so there is no winner yet.", None),
    ],
)
def test_chess_winner_statements(text, expected):
    assert parse_answer("chess_winner", text, SIDES) == expected


@pytest.mark.parametrize(
    ("task", "choices", "text", "expected"),
    [
        (
            "math_breakpoint",
            ["2", "3"],
            "Breakpoints:\n1. At x = -7.5\n2. At x = 2.5\n3. At x = 12.5\n4. At x = 15",
            None,
        ),
        ("math_parity", PARITY, "Since f(-x) = -f(x) (see (1), (2)), the function is odd.", "odd"),
        ("math_parity", PARITY, "So f is odd, I think.\n\\boxed{\\text{symmetric about the origin}}", None),
        (
            "math_convexity",
            ["convex", "concave"],
            "A convex function would curve upwards. This one is concave.",
            "concave",
        ),
        ("graph_connectivity", YES_NO, "This forms a connected component {1, 5, 8}.", None),
        ("graph_connectivity", YES_NO, "None of the query nodes are connected.", "no"),
        ("graph_isomorphism", YES_NO, "I found an isomorphism: f = {0: 1, 1: 0}.", "yes"),
        ("graph_connectivity", YES_NO, "Answer: False", "no"),
        (
            "graph_isomorphism",
            YES_NO,
            "For two graphs to be isomorphic, they need equal degree sequences.",
            None,
        ),
        ("graph_maxflow", [], "The maximum flow from node 0 to node 2 in the given network is **6**.", "6"),
        (
            "graph_maxflow",
            [],
            "**Total Flow = 5 (from 0->3) + 6 (from 0->1->3) + 4 (from 0->2->3) = 15.**",
            "15",
        ),
        ("graph_maxflow", [], "The maximum amount of flow that can be sent from 0 to 3 is 10.", "10"),
    ],
)
def test_rules_found_on_real_replies(task, choices, text, expected):
    assert parse_answer(task, text, choices) == expected


def test_free_text_options_of_the_original_isobench():
    states = ["a liquid", "a solid", "a gas"]
    assert parse_answer("physics", "A ruler is a **solid**.", states) == "a solid"  # "A" is no letter
    assert parse_answer("physics", "The current is 9 Amperes (A).", ["9", "6", "3"]) == "9"  # (A) is a unit
    solutions = ["Solution B", "neither; their concentrations are the same", "Solution A"]
    assert (
        parse_answer("chemistry", "Neither solution has a higher concentration.", solutions) == solutions[1]
    )
    assert parse_answer("chemistry", "\\boxed{A}", solutions) is None  # the first option, or Solution A?
    assert parse_answer("chemistry", "\\boxed{A}", ["Solution A", "Solution B"]) == "Solution A"
    listing = "Solution A: 6 particles in 35 mL.\nSolution B: 6 particles in 35 mL."
    assert parse_answer("chemistry", listing, solutions) is None
