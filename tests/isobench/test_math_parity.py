"""math_parity: the solver on known functions, config errors, text forms and 1,000 verified instances."""

import random
import re

import pytest
import sympy as sp

from modgap.isobench import create_task
from modgap.isobench.suite import _candidate
from modgap.isobench.tasks._functions import X, parse
from modgap.isobench.tasks.math_parity import MathParityTask

solve = MathParityTask.solve


@pytest.mark.parametrize(
    ("expression", "answer"),
    [
        ("x*sin(x)", "even"),  # odd times odd
        ("cos(sin(x)) + Abs(x)", "even"),
        ("1/(x**2 + 1) - 0.5*x**2", "even"),
        ("log(x**2 + 0.5) * exp(-0.3*x**2)", "even"),
        ("x*exp(-x**2)", "odd"),
        ("sin(x)*cos(x)", "odd"),
        ("2.5*x**3*(x**2 + 0.3)", "odd"),
        ("x*Abs(x) - atan(0.7*x)", "odd"),
        ("x**3 + 1", "neither"),
        ("Abs(x) + x", "neither"),
        ("exp(0.4*x)", "neither"),
        ("sin(x + 0.5)", "neither"),
        ("exp(-(x - 0.01)**2)", "neither"),  # nearly even, but not
    ],
)
def test_solve_known_functions(expression, answer):
    assert solve({"expression": expression}) == answer


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_terms", 0), ("max_terms", 6), ("places", 0), ("places", 4), ("half_width", 0.5)],
)
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        create_task("math_parity", **{field: value})


def test_unknown_target_is_an_error():
    with pytest.raises(ValueError, match="no class 'both'"):
        create_task("math_parity").sample(random.Random(0), "both")


def test_text_forms_state_the_same_function():
    task = create_task("math_parity")
    inst = _candidate(task, seed=0, index=4, attempt=0)
    assert task.render_text(inst, "latex").startswith("f(x) = ")
    scope: dict = {}
    exec(task.render_text(inst, "code"), scope)  # the snippet runs and defines f
    assert sp.simplify(scope["f"].subs(scope["x"], X) - parse(inst.fields["expression"])) == 0


def test_instances_use_decimal_coefficients_and_several_terms():
    task = create_task("math_parity")
    insts = [_candidate(task, seed=3, index=i, attempt=0) for i in range(30)]
    assert all(re.search(r"\d\.\d", x.fields["expression"]) for x in insts)
    assert all(len(sp.Add.make_args(parse(x.fields["expression"]))) >= 2 for x in insts)


def _check(n: int) -> None:
    task = create_task("math_parity")
    for i in range(n):
        inst = _candidate(task, seed=0, index=i, attempt=0)
        assert solve(inst.fields) == inst.answer == task.classes[i % 3], inst


def test_100_instances_are_verified():
    _check(100)


@pytest.mark.slow
def test_1000_instances_are_verified():
    _check(1000)
