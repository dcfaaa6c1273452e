"""math_convexity: the solver on known functions and domains, config errors, text forms, 1,000 instances."""

import random

import pytest
import sympy as sp

from modgap.isobench import create_task
from modgap.isobench.suite import _candidate
from modgap.isobench.tasks._functions import X, parse
from modgap.isobench.tasks.math_convexity import MathConvexityTask

solve = MathConvexityTask.solve


@pytest.mark.parametrize(
    ("expression", "domain", "answer"),
    [
        ("0.5*x**2 - 3*x", [None, None], "convex"),
        ("x**4", [None, None], "convex"),  # f'' vanishes at 0 only: still convex
        ("log(1 + exp(1.3*x))", [None, None], "convex"),
        ("-log(x)", [0, None], "convex"),
        ("log(x - 0.5) + 2*x", [0.5, None], "concave"),
        ("sin(x)", [0.1, 3.0], "concave"),
        ("tan(x)", [0, 1.5], "convex"),
        ("x**3", [0, None], "convex"),
        ("x**3", [None, 0], "concave"),
        ("1/x", [None, 0], "concave"),
        ("exp(-x**2)", [0.8, None], "convex"),  # inflection point at 1/sqrt(2) ~ 0.707
        ("0.4*x**3 - 1.2*x**2", [1.0, None], "convex"),  # inflection point at 1
    ],
)
def test_solve_known_functions(expression, domain, answer):
    assert solve({"expression": expression, "domain": domain}) == answer


@pytest.mark.parametrize(
    ("expression", "domain"),
    [
        ("sin(x)", [None, None]),
        ("x**3", [None, None]),
        ("0.4*x**3 - 1.2*x**2", [0.9, None]),  # just left of the inflection point
        ("exp(-x**2)", [0.7, None]),
        ("x**2 - 0.000001*x**4", [None, None]),  # turns concave only for |x| > 408
        ("3*x + 1", [None, None]),  # linear: both, strictly neither
    ],
)
def test_solve_rejects_functions_that_are_neither(expression, domain):
    with pytest.raises(ValueError, match="neither convex nor concave"):
        solve({"expression": expression, "domain": domain})


@pytest.mark.parametrize(
    ("field", "value"), [("max_terms", 0), ("max_terms", 6), ("places", 0), ("window", 1.0), ("window", 50.0)]
)
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        create_task("math_convexity", **{field: value})


def test_unknown_target_is_an_error():
    with pytest.raises(ValueError, match="no class 'linear'"):
        create_task("math_convexity").sample(random.Random(0), "linear")


def test_text_forms_state_function_and_domain():
    task = create_task("math_convexity")
    inst = task.sample(random.Random(1), "concave")
    inst = type(inst)(inst.task, {**inst.fields, "domain": [0.5, None]}, inst.answer, inst.choices)
    assert task.render_text(inst, "latex").endswith(r"\quad x \in \left(0.5, \infty\right)")
    scope: dict = {}
    exec(task.render_text(inst, "code"), scope)
    assert scope["domain"] == sp.Interval.open(0.5, sp.oo)
    assert sp.simplify(scope["f"].subs(scope["x"], X) - parse(inst.fields["expression"])) == 0
    whole = type(inst)(inst.task, {**inst.fields, "domain": [None, None]}, inst.answer, inst.choices)
    assert task.render_text(whole, "latex").endswith(r"x \in \mathbb{R}")
    assert task.render_text(whole, "code").endswith("domain = Reals")


def test_domains_vary():
    task = create_task("math_convexity")
    kinds = {
        tuple(v is None for v in _candidate(task, seed=4, index=i, attempt=0).fields["domain"])
        for i in range(60)
    }
    assert kinds == {(True, True), (False, True), (True, False), (False, False)}


def _check(n: int) -> None:
    task = create_task("math_convexity")
    for i in range(n):
        inst = _candidate(task, seed=0, index=i, attempt=0)
        assert solve(inst.fields) == inst.answer == task.classes[i % 2], inst


def test_100_instances_are_verified():
    _check(100)


@pytest.mark.slow
def test_1000_instances_are_verified():
    _check(1000)
