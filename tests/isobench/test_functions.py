"""The math tasks' shared helpers: smooth pieces of non-smooth expressions, on natural domains."""

import pytest
import sympy as sp

from modgap.isobench.task import Undecidable
from modgap.isobench.tasks._functions import X, exact, parse, pieces, probes

oo = sp.oo


def _pieces(expression: str, lo=-oo, hi=oo) -> list[tuple]:
    return [(p.lo, p.hi, p.expr) for p in pieces(exact(parse(expression)), lo, hi)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Abs(x - 1) + 2*Abs(x + 3)", [(-oo, -3, -3 * X - 5), (-3, 1, X + 7), (1, oo, 3 * X + 5)]),
        ("Max(x, 2 - x) + Min(x**2, 1)", [(-oo, -1, 3 - X), (-1, 1, X**2 - X + 2), (1, oo, X + 1)]),
        ("Abs(x**2 - 1)", [(-oo, -1, X**2 - 1), (-1, 1, 1 - X**2), (1, oo, X**2 - 1)]),
        # a condition that does not change the formula is no joint
        ("Piecewise((x, x < 0), (x, x < 1), (2*x - 1, True))", [(-oo, 1, X), (1, oo, 2 * X - 1)]),
        # IsoBench's bounded pieces: (-10.36, -6.23], (-6.23, 0.04]; outside them f is undefined
        (
            "Piecewise((44.14*x + 375.09, (x <= -6.23) & (x > -10.36)), "
            "(-31.91*x - 98.86, (x <= 0.04) & (x > -6.23)))",
            [
                (sp.Rational(-259, 25), sp.Rational(-623, 100), exact(parse("44.14*x + 375.09"))),
                (sp.Rational(-623, 100), sp.Rational(1, 25), exact(parse("-31.91*x - 98.86"))),
            ],
        ),
        # natural domains and poles
        ("0.32*log(x) + 7.13", [(0, oo, sp.Rational(8, 25) * sp.log(X) + sp.Rational(713, 100))]),
        ("Abs(x) + 1/x", [(-oo, 0, -X + 1 / X), (0, oo, X + 1 / X)]),
        ("1/(x**2 - 4)", [(-oo, -2, 1 / (X**2 - 4)), (-2, 2, 1 / (X**2 - 4)), (2, oo, 1 / (X**2 - 4))]),
        ("1/(x**2 + 4)", [(-oo, oo, 1 / (X**2 + 4))]),
    ],
)
def test_pieces_split_at_kinks_poles_and_domain_ends(expression, expected):
    assert _pieces(expression) == expected


def test_pieces_stay_inside_the_window():
    assert _pieces("Abs(x) + sqrt(x + 1)", -5, 2) == [
        (-1, 0, -X + sp.sqrt(X + 1)),
        (0, 2, X + sp.sqrt(X + 1)),
    ]
    assert _pieces("log(x)", -3, -1) == []


def test_pieces_of_periodic_kinks_are_undecidable():
    with pytest.raises(Undecidable, match="cannot split Abs"):
        pieces(sp.Abs(sp.sin(X)))


def test_probes_lie_strictly_inside():
    for lo, hi in [(-oo, oo), (2, oo), (-oo, -1), (sp.Rational(1, 3), sp.Rational(1, 2))]:
        points = probes(sp.sympify(lo), sp.sympify(hi))
        assert len(points) >= 3 and all(lo < p < hi for p in points)
