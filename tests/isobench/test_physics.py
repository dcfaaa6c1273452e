"""The physics task: nodal analysis agrees with series/parallel reduction; options, words and drawing fit."""

import itertools
import random
from collections import Counter

import pytest

from modgap.isobench import Instance, create_task, solve
from modgap.isobench.suite import _candidate
from modgap.isobench.tasks import _circuits as circuits
from modgap.isobench.tasks import physics

# 12 V across R1 (4 Ω) in series with R2 (6 Ω) || R3 (12 Ω): Req = 8 Ω, I = 1.5 A, 6 V across R2 and R3.
NETLIST = "* test\nV1 1 0 12\nR1 1 2 4\nR2 2 0 6\nR3 2 0 12\n.end"


@pytest.mark.parametrize(
    ("question", "choices", "answer"),
    [
        (
            "What is the equivalent resistance of the circuit connected to the battery V1?",
            ["4 Ω", "8 Ω", "22 Ω"],
            "8 Ω",
        ),
        ("What is the current through the battery V1?", ["0.545 A", "1.5 A", "3 A"], "1.5 A"),
        ("What is the total power delivered by the battery V1?", ["6.55 W", "18 W", "36 W"], "18 W"),
        ("What is the voltage across R2?", ["3.27 V", "6 V", "12 V"], "6 V"),
        ("What is the current through R3?", ["0.5 A", "1 A", "1.5 A"], "0.5 A"),
        ("What is the power dissipated in R1?", ["6 W", "9 W", "36 W"], "9 W"),
    ],
)
def test_solve_hand_made_circuit(question, choices, answer):
    assert solve("physics", {"netlist": NETLIST, "question": question, "choices": choices}) == answer


def test_solve_rejects_unknown_questions():
    with pytest.raises(ValueError, match="unknown physics question"):
        solve("physics", {"netlist": NETLIST, "question": "What colour is R1?", "choices": ["red"]})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"questions": ("capacitance",)}, "questions"),
        ({"questions": ()}, "questions"),
        ({"min_resistors": 1}, "min_resistors=1"),
        ({"min_resistors": 5, "max_resistors": 3}, "min_resistors=5"),
        ({"max_resistors": 9}, "min_resistors"),
        ({"n_choices": 7}, "n_choices"),
    ],
)
def test_bad_config_raises(overrides, message):
    with pytest.raises(ValueError, match=message):
        create_task("physics", **overrides)


def test_netlist_round_trips_to_the_same_tree():
    rng = random.Random(0)
    for _ in range(500):
        n = rng.randint(2, 6)
        tree = circuits.random_tree(rng, n, rng.choice("sp"), itertools.count())
        ohms = [rng.choice(physics.OHMS) for _ in range(n)]
        assert circuits.parse_tree(circuits.netlist(tree, ohms, 9)) == (tree, ohms, 9)


def test_hand_made_circuit_in_words_and_netlist():
    task = create_task("physics")
    inst = Instance("physics", {"netlist": NETLIST, "question": "Q?", "choices": []}, "", [])
    words = task.render_text(inst, "description")
    assert words == (
        "A 12 V battery V1 is connected across this network: "
        "R1 (4 Ω) in series with [R2 (6 Ω) in parallel with R3 (12 Ω)]."
    )
    assert task.render_text(inst, "netlist").splitlines()[1:4] == ["* test", "V1 1 0 12", "R1 1 2 4"]


def test_mistakes_include_the_classic_slips():
    tree = ("s", (0, ("p", (1, 2))))
    ohms = [4, 6, 12]
    wrong = physics._mistakes("resistance", tree, ohms, 12, 0)
    assert 22 in wrong  # everything in series
    assert 2 in wrong  # everything in parallel (1/(1/4 + 1/6 + 1/12))
    assert 10 in wrong and 16 in wrong  # R3 or R2 forgotten
    assert physics._quantity("voltage", tree, ohms, 12, 1) == 6


def test_options_are_sorted_distinct_and_physically_possible():
    task = create_task("physics")
    for i in range(200):
        inst = _candidate(task, seed=4, index=i, attempt=0)
        values = [float(c.split()[0]) for c in inst.choices]
        assert values == sorted(values) and len(set(inst.choices)) == 4
        assert all(b > 1.04 * a for a, b in itertools.pairwise(values)), inst.choices
        assert {c.split()[1] for c in inst.choices} == {physics.UNITS[inst.meta["kind"]]}
        if inst.meta["kind"] == "voltage":
            assert values[-1] <= float(inst.fields["netlist"].splitlines()[1].split()[3])


def test_balanced_classes_and_kinds():
    task = create_task("physics")
    insts = [_candidate(task, seed=0, index=i, attempt=0) for i in range(240)]
    assert Counter(task.answer_class(x) for x in insts) == {c: 60 for c in "ABCD"}
    assert set(Counter(x.meta["kind"] for x in insts)) == set(physics.QUESTIONS)
    assert set(Counter(x.meta["resistors"] for x in insts)) == {2, 3, 4, 5, 6}


def test_schematic_size_and_scale():
    task = create_task("physics")
    for i in range(8):
        image = task.render_image(_candidate(task, seed=2, index=i, attempt=0))
        assert image.mode == "RGB" and min(image.size) >= 300 and max(image.size) <= 600


def test_other_option_counts():
    task = create_task("physics", n_choices=6, questions=["voltage"], max_resistors=4)
    for i in range(12):
        inst = _candidate(task, seed=1, index=i, attempt=0)
        assert len(inst.choices) == 6 and task.answer_class(inst) == "ABCDEF"[i % 6]
        assert task.solve(inst.fields) == inst.answer


def test_solver_agrees_on_many_instances():
    task = create_task("physics")
    for i in range(1000):
        inst = _candidate(task, seed=0, index=i, attempt=0)
        assert task.solve(inst.fields) == inst.answer, inst
        assert task.answer_class(inst) == task.classes[i % len(task.classes)], inst
