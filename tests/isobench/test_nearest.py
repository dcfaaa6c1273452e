"""The forced-choice reading (fallback='nearest'): each rule on short replies, without the sentence model."""

import pytest

from modgap.isobench import PARSE_MODES, Parsed, explain_answer, explain_modes, parse_answer
from modgap.isobench import embed as embed_module
from modgap.isobench.nearest import nearest_number, option_scores

SUBSTANCE = ["an elementary substance", "a compound"]
BALANCED = ["Yes, it is balanced.", "No, it is not balanced."]
SOLUTIONS = ["Solution A", "Solution B", "neither; their concentrations are the same"]
STATES = ["a solid", "a liquid", "a gas"]
FORCE = [
    "The magnitude of the magnetic force is smaller in Pair 1.",
    "The magnitude of the magnetic force is smaller in Pair 2.",
    "The magnitude of the magnetic force is the same in both pairs.",
]
HEAT = ["the surroundings . . . each vial", "each vial . . . the surroundings"]
DIFFUSION = ["to the right than to the left", "to the left than to the right"]


@pytest.fixture(autouse=True)
def no_sentence_model(monkeypatch):
    """The word rules alone: these tests must hold without the optional model package."""
    monkeypatch.setattr(embed_module, "available", lambda: False)


def _nearest(task: str, text: str, choices: list[str]) -> Parsed:
    return explain_answer(task, text, choices, fallback="nearest")


@pytest.mark.parametrize(
    ("task", "text", "choices", "expected"),
    [
        ("chemistry", "Potassium bromide is ionic (an ionic compound).", SUBSTANCE, "a compound"),
        ("chemistry", "Therefore, silver is a solid element.", SUBSTANCE, "an elementary substance"),
        ("chemistry", "So the equation is balanced.", BALANCED, "Yes, it is balanced."),
        (
            "chemistry",
            "The atoms differ, so the equation is not balanced.",
            BALANCED,
            "No, it is not balanced.",
        ),
        ("chemistry", "Final answer: both have equal concentrations.", SOLUTIONS, SOLUTIONS[2]),
        ("physics", "Final answer: a ruler keeps its shape, like any solid object.", STATES, "a solid"),
    ],
)
def test_a_paraphrased_option_is_read_by_its_words(task, text, choices, expected):
    assert parse_answer(task, text, choices) is None  # strict never guesses
    assert _nearest(task, text, choices) == Parsed(expected, "nearest_overlap")


def test_option_words_weigh_by_rarity_and_negation_counts_against():
    scores = option_scores("The equation is not balanced.", BALANCED)
    assert scores[1] > 0 > scores[0]
    assert option_scores("It has the same temperature.", ["sample A", "sample B"]) == [0.0, 0.0]


def test_a_reply_near_no_option_stays_unanswered_and_says_why():
    parsed = _nearest("physics", "Please describe the door to me!", ["wool", "metal"])
    assert parsed.answer is None and parsed.method == "none" and parsed.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The magnetic force in Pair 2 is stronger than the magnetic force in Pair 1.", FORCE[0]),
        ("Thus the magnetic force in Pair 1 is greater than in Pair 2.", FORCE[1]),
        ("The force is weaker in Pair 2 than in Pair 1.", FORCE[1]),
        (
            "The magnets in Pair 2 are closer, so Pair 2 has a stronger magnetic force compared to Pair 1.",
            FORCE[0],
        ),
    ],
)
def test_a_comparison_of_two_named_things_picks_the_option_it_implies(text, expected):
    assert _nearest("physics", text, FORCE) == Parsed(expected, "nearest_comparison")


def test_a_comparison_about_something_else_is_no_answer():
    text = "There is a greater distance between the magnets in Pair 1 than in Pair 2."
    assert _nearest("physics", text, FORCE).answer is None
    bare = _nearest(
        "chemistry", "Solution B has a higher concentration of pink particles than Solution A.", SOLUTIONS
    )
    assert bare.answer == "Solution B"  # a bare name is the one with more (strict reads it, both are named)


@pytest.mark.parametrize(
    ("text", "choices", "expected"),
    [
        ("Thermal energy was transferred from the counter to the vial.", HEAT, HEAT[0]),
        ("The final answer is \\boxed{\\text{vials to their surroundings}}.", HEAT, HEAT[1]),
        ("More solute particles moved across the membrane from left to right.", DIFFUSION, DIFFUSION[0]),
        ("The net movement was from the right side to the left side.", DIFFUSION, DIFFUSION[1]),
    ],
)
def test_from_x_to_y_reads_two_ended_options(text, choices, expected):
    task = "physics" if choices is HEAT else "chemistry"
    assert _nearest(task, text, choices) == Parsed(expected, "nearest_direction")


def test_numbers_round_to_the_nearest_numeric_option():
    assert _nearest("math_breakpoint", "There are 5 breakpoints. \\boxed{5}", ["2", "3"]) == Parsed(
        "3", "nearest_number"
    )
    assert _nearest("graph_maxflow", "The maximum flow is 30.", ["10", "20", "28"]).answer == "28"
    tie = nearest_number("4", ["3", "5"])
    assert tie.answer is None and "as near" in tie.reason


def test_loose_phrases_map_no_winner_to_a_draw_in_chess_only_when_forced():
    text = "The game is still ongoing, so there is no winner yet."
    choices = ["white", "black", "draw"]
    assert explain_modes("chess_winner", text, choices) == {
        "strict": Parsed(None, "none", "no choice mentioned"),
        "nearest": Parsed("draw", "nearest_phrase"),
    }


def test_nearest_keeps_what_strict_reads_and_rejects_unknown_modes():
    text = "Answer: odd"
    assert explain_modes("math_parity", text, ["even", "odd", "neither"]) == dict.fromkeys(
        PARSE_MODES, Parsed("odd", "answer_line")
    )
    with pytest.raises(ValueError, match="unknown fallback 'loose'.*strict, nearest"):
        explain_answer("math_parity", text, ["even", "odd"], fallback="loose")


def test_free_form_tasks_read_the_same_in_both_modes():
    modes = explain_modes("graph_maxflow", "The maximum amount of flow that can be sent is **12**.", [])
    assert modes["strict"] == modes["nearest"] == Parsed("12", "bold")
