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
    ("expression", "answer"),
    [
        # IsoBench's rational functions: the parity of the numerator over an even denominator
        ("-2*x**5/(2*x**8 - 4*x**6 + 12*x**4 + 4*x**2 + 11.16)", "odd"),
        ("(-4*x**6 - 3*x**5 + 4*x**4 - 1.35)/(5*x**10 + 6*x**6 + 3*x**2 + 2.43)", "neither"),
        ("(8*x**8 - 17.98)/(16*x**10 + 2.62)", "even"),
        ("x**5*(6.0 - 8.0*x**2)/(10.0*x**10 + 6.0*x**8 - 2.0*x**4 + 11.04)", "odd"),
        ("1/(x - 1) + 1/(x + 1)", "odd"),  # = 2x / (x^2 - 1), poles at +-1
        ("1/(x - 1)", "neither"),
        # Max / Min / Piecewise
        ("Max(x, -x)", "even"),  # |x|
        ("Max(x, 0) - Max(-x, 0)", "odd"),  # x
        ("Max(x, 0)", "neither"),
        ("Min(x**2, 1)", "even"),
        ("Piecewise((x**3, Abs(x) < 5), (x, True))", "odd"),
        ("Piecewise((x**2, Abs(x) < 5), (x, True))", "neither"),  # f(6) = 6, f(-6) = -6, f(+-1) = 1
        # natural domains: a function defined for x > 0 only is neither
        ("log(x)", "neither"),
        ("sqrt(x) + x**2", "neither"),
        ("log(x**2)", "even"),
        ("sqrt(4 - x**2)", "even"),
        ("exp(x) - exp(-x)", "odd"),
    ],
)
def test_solve_rational_non_smooth_and_domain_cases(expression, answer):
    assert solve({"expression": expression}) == answer


def test_generated_functions_include_isobench_rational_family():
    task = create_task("math_parity")
    insts = [_candidate(task, seed=0, index=i, attempt=0) for i in range(30)]
    rational = [x for x in insts if parse(x.fields["expression"]).is_rational_function(X)]
    assert {x.answer for x in rational} == {"even", "odd", "neither"}


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
    # terms of numerator and denominator: never a single textbook term like x**2 or 1/x
    terms = [sum(len(sp.Add.make_args(part)) for part in sp.fraction(parse(x.fields["expression"])))
             for x in insts]  # fmt: skip
    assert min(terms) >= 3, terms


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
