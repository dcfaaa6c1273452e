"""math_breakpoint: solver on known functions, continuity of generated ones, config, 1,000 instances."""

import math
import random
from itertools import pairwise

import pytest
import sympy as sp

from modgap.isobench import create_task
from modgap.isobench.suite import _candidate
from modgap.isobench.tasks._functions import X, exact, parse
from modgap.isobench.tasks.math_breakpoint import MathBreakpointTask

solve = MathBreakpointTask.solve


@pytest.mark.parametrize(
    ("expression", "answer"),
    [
        ("Piecewise((-x, x < 0), (x, True))", "1"),  # |x|
        ("Piecewise((x, x < 0), (x, x < 1), (2*x - 1, True))", "1"),  # equal adjacent slopes: no breakpoint
        ("Piecewise((0.5*x, x < -1), (2*x + 1.5, (x >= -1) & (x < 2)), (-0.5*x + 6.5, True))", "2"),
        (
            "Piecewise((1.2*x + 1, x < -2), (-0.3*x - 2, x < 0.5), "
            "(0.7*x - 2.5, x < 3), (-1.6*x + 4.4, True))",
            "3",
        ),
        ("Piecewise((x, x < 0), (x + 1, True))", "0"),  # a jump, but no change of slope
        ("2*x + 1", "0"),
        # IsoBench's form: a bounded domain, whose ends (-10.36, 13.9) are not breakpoints
        (
            "Piecewise((44.14*x + 375.09, (x <= -6.23) & (x > -10.36)), (-31.91*x - 98.86, "
            "(x <= 0.04) & (x > -6.23)), (14.41*x - 100.51, (x <= 13.9) & (x > 0.04)))",
            "2",
        ),
        ("Abs(x - 1) + 2*Abs(x + 3)", "2"),  # slopes -3, 1, 3
        ("Min(x, 1) + Max(x, -1)", "2"),  # slopes 1, 2, 1
        ("Max(x, 2 - x, 0.5*x + 3)", "2"),  # 2 - x until -2/3, 0.5x + 3 until 6, then x
        ("Max(x, 2*x)", "1"),
    ],
)
def test_solve_known_functions(expression, answer):
    assert solve({"expression": expression}) == answer


@pytest.mark.parametrize(
    ("expression", "error"),
    [("Piecewise((x**2, x < 0), (x, True))", "not piecewise linear"), ("Abs(x)*x", "not piecewise linear")],
)
def test_solve_rejects_other_functions(expression, error):
    with pytest.raises(ValueError, match=error):
        solve({"expression": expression})


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"min_breakpoints": 0}, "min_breakpoints"),
        ({"min_breakpoints": 3, "max_breakpoints": 2}, "max_breakpoints"),
        ({"min_gap": 4.0}, "min_gap"),
        ({"max_slope": 0.2}, "max_slope"),
        ({"min_angle": 50.0}, "min_angle"),
    ],
)
def test_bad_config_names_the_field(config, field):
    with pytest.raises(ValueError, match=field):
        create_task("math_breakpoint", **config)


def test_classes_follow_the_config():
    task = create_task("math_breakpoint", min_breakpoints=2, max_breakpoints=3)
    assert task.classes == ["2", "3"]
    assert task.sample(random.Random(0), "3").answer == "3"
    with pytest.raises(ValueError, match="no class '4'"):
        task.sample(random.Random(0), "4")


def test_generated_functions_are_continuous_with_visible_kinks():
    task = create_task("math_breakpoint")
    for i in range(50):
        pw = exact(parse(_candidate(task, seed=1, index=i, attempt=0).fields["expression"]))
        for (left, cond), (right, _) in pairwise(pw.args):
            assert left.subs(X, cond.rhs) == right.subs(X, cond.rhs)  # continuous at the bound
            turn = math.degrees(math.atan(sp.diff(left, X)) - math.atan(sp.diff(right, X)))
            assert abs(turn) >= 15.0  # a visible kink


def test_latex_states_each_range():
    task = create_task("math_breakpoint")
    fields = {
        "expression": "Piecewise((1.8*x - 2.5, x < 3.2), (0.4*x + 1.98, x < 4.0), (4.54 - 0.4*x, True))"
    }
    inst = type(_candidate(task, 0, 0, 0))("math_breakpoint", fields, "2", task.classes)
    assert task.render_text(inst, "latex") == (
        r"f(x) = \begin{cases} 1.8 x - 2.5 & \text{if } x < 3.2 \\ 0.4 x + 1.98 & \text{if } 3.2 \le x < 4.0 "
        r"\\ 4.54 - 0.4 x & \text{if } x \ge 4.0 \end{cases}"
    )
    assert task.render_text(inst, "code").splitlines()[0] == "from sympy import Piecewise, symbols"


def _check(n: int) -> None:
    task = create_task("math_breakpoint")
    for i in range(n):
        inst = _candidate(task, seed=0, index=i, attempt=0)
        assert solve(inst.fields) == inst.answer == task.classes[i % 4], inst


@pytest.mark.slow
def test_100_instances_are_verified():
    _check(100)


@pytest.mark.slow
def test_1000_instances_are_verified():
    _check(1000)
