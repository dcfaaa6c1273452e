"""math_convexity: the solver on known functions and domains, config errors, text forms, 1,000 instances."""

import random

import pytest
import sympy as sp

from modgap.isobench import create_task
from modgap.isobench.suite import _candidate
from modgap.isobench.task import Undecidable
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
    ],
)
def test_solve_finds_functions_that_are_neither(expression, domain):
    assert solve({"expression": expression, "domain": domain}) == "neither"


@pytest.mark.parametrize(
    ("expression", "domain", "answer"),
    [
        # |x|: f'' = 0 off the kink, the slope jumps from -2.23 to +2.23 (a V)
        ("2.23*Abs(x) + 6.64", [None, None], "convex"),
        ("-exp(1.01*x) - 1.68*Abs(x) - 4.8", [None, None], "concave"),  # a Λ on a concave curve
        ("0.5*x**2 + Abs(x - 1)", [None, None], "convex"),  # the kink off 0
        ("x**2 - 3*Abs(x)", [None, None], "neither"),  # f'' = 2 but a Λ at 0: f(0) = 0 > f(+-1.5) = -2.25
        ("Abs(x) - 0.1*x**2", [-1, 1], "neither"),  # a V on a concave curve
        ("Abs(x) - 0.1*x**2", [0, 5], "concave"),  # the kink outside the domain
        # IsoBench's x > 0 makes x^7 convex; on the reals f'' = 48.3 x^5 + ... < 0 for x < -1
        ("1.15*x**7 + exp(0.03*x) + 0.13*Abs(x) + 6.02", [0, None], "convex"),
        ("1.15*x**7 + exp(0.03*x) + 0.13*Abs(x) + 6.02", [None, None], "neither"),
        ("Max(x, -2*x)", [None, None], "convex"),  # slope -2 then 1
        ("Min(x**2, 1)", [None, None], "neither"),  # convex middle, Λ kinks at +-1
        ("Max(x**2, 2*x + 3)", [None, None], "convex"),  # a max of convex functions
        ("Piecewise((x**2, x < 0), (x, True))", [None, None], "convex"),  # slope 0 then 1
        ("Piecewise((-x**2, x < 1), (1 - 2*x, True))", [None, None], "concave"),  # smooth joint at 1
        ("Piecewise((x**2, x < 0), (x + 1, True))", [None, None], "neither"),  # a jump in value
        # natural domains: log x needs x > 0, log(x + 2) x > -2, whatever the stated domain
        ("0.32*log(x) + 7.13", [None, None], "concave"),
        ("-0.49*log(x) + 2.26*Abs(x) + 6.9", [None, None], "convex"),  # |x| = x there: no kink
        ("exp(x) - log(x + 2)", [-5, None], "convex"),
        ("-exp(0.49*x) + 5.48", [None, None], "concave"),
    ],
)
def test_solve_non_smooth_functions_and_natural_domains(expression, domain, answer):
    assert solve({"expression": expression, "domain": domain}) == answer


@pytest.mark.parametrize(
    ("expression", "domain", "reason"),
    [
        ("3*x + 1", [None, None], "affine on"),  # both convex and concave
        ("Abs(x - 1) - Abs(x - 1) + x", [None, None], "affine on"),
        ("1/x", [None, None], "pole at x = 0"),  # two half-lines: not one interval
        ("log(x**2 - 1)", [None, None], r"undefined on \[-1, 1\]"),
        ("Abs(sin(x))", [None, None], "cannot split"),
        ("log(x)", [None, -1], "defined nowhere"),
    ],
)
def test_solve_says_why_it_cannot_decide(expression, domain, reason):
    with pytest.raises(Undecidable, match=reason):
        solve({"expression": expression, "domain": domain})


def test_generated_functions_have_kinks_like_isobench():
    task = create_task("math_convexity")
    insts = [_candidate(task, seed=0, index=i, attempt=0) for i in range(40)]
    with_abs = [x for x in insts if "Abs(x)" in x.fields["expression"]]
    assert 10 <= len(with_abs) <= 30  # about half, as in the original items


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


@pytest.mark.slow
def test_100_instances_are_verified():
    _check(100)


@pytest.mark.slow
def test_1000_instances_are_verified():
    _check(1000)
