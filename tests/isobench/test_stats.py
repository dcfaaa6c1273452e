import math
import random
from statistics import mean

import pytest

from modgap.isobench import Accuracy, Outcome, analyse, compare_paired, mcnemar_p, wilson_ci
from modgap.isobench.stats import picks_form
from modgap.isobench.task import TASKS


def results(task: str, rep: str, right: list[int], n: int, strategy: str = "direct", domain: str = "math"):
    """``n`` instances ``task-0``.. of which those in ``right`` are correct (choices: even/odd/neither)."""
    return [
        Outcome(
            f"{task}-{i}", task, domain, rep, strategy, i in right, "even", None, ("even", "odd", "neither")
        )
        for i in range(n)
    ]


def one(rows, **match):
    (hit,) = [r for r in rows if all(getattr(r, k) == v for k, v in match.items())]
    return hit


def test_wilson_ci_is_the_hand_computed_score_interval():
    z, k, n = 1.959963984540054, 8, 10
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = wilson_ci(k, n)
    assert low == pytest.approx(centre - half, abs=1e-9) and high == pytest.approx(centre + half, abs=1e-9)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert all(math.isnan(x) for x in wilson_ci(0, 0))


@pytest.mark.parametrize(
    ("b", "c", "p"), [(4, 1, 0.375), (1, 4, 0.375), (5, 0, 0.0625), (0, 0, 1.0), (3, 3, 1.0)]
)
def test_mcnemar_exact_two_sided(b, c, p):
    assert mcnemar_p(b, c) == pytest.approx(p)


def test_paired_comparison_counts_discordant_pairs_and_is_seeded():
    text = [1] * 8 + [0] * 2  # instances 0-7 right
    image = [0] * 4 + [1] * 5 + [0]  # instances 4-8 right: text alone wins 0-3, image alone wins 8
    d = compare_paired(text, image, n_boot=500, seed=3)
    assert (d.n, d.wins, d.losses) == (10, 4, 1)
    assert d.diff == pytest.approx(0.3)
    assert d.p == pytest.approx(0.375)
    assert -1 <= d.ci[0] < 0.3 < d.ci[1] <= 1
    many_text, many_image = text * 7, image[3:] + image[:3]  # 70 pairs: the interval moves with the seed
    many_image = many_image * 7
    cis = [compare_paired(many_text, many_image, n_boot=200, seed=s).ci for s in (0, 0, 1, 2)]
    assert cis[0] == cis[1] and len(set(cis)) > 2
    assert all(math.isnan(x) for x in compare_paired([1], [0]).ci)  # one instance: nothing to resample
    with pytest.raises(ValueError, match="length"):
        compare_paired([1, 0], [1])


def test_accuracy_excludes_errors_and_scores_unparsed_as_wrong():
    rs = [
        Outcome("a", "math_parity", "math", "latex", "direct", True, "even"),
        Outcome(
            "b", "math_parity", "math", "latex", "direct", True, None
        ),  # unparsed: wrong whatever it says
        Outcome("c", "math_parity", "math", "latex", "direct", False, None, "RateLimitError: slow down"),
        Outcome("d", "math_parity", "math", "latex", "direct", False, "odd"),
    ]
    acc = Accuracy.of(rs)
    assert (acc.correct, acc.n, acc.errors, acc.unparsed) == (1, 3, 1, 1)
    assert acc.value == pytest.approx(1 / 3)
    assert math.isnan(Accuracy.of(rs[2:3]).value)


@pytest.fixture(scope="module")
def analysis():
    rs = (
        results("math_parity", "latex", list(range(8)), 10)
        + results("math_parity", "code", [0, 1, 2, 3, 4, 9], 10)
        + results("math_parity", "image", [4, 5, 6, 7, 8], 10)
        + results("math_parity", "image", [0, 1, 2, 4, 5, 6, 7], 10, strategy="eta")
        + results("math_parity", "image+latex+code", [0, 1, 2, 3, 4, 5], 10, strategy="isocb")
        + results("math_convexity", "latex", [0, 1], 4)
        + results("math_convexity", "code", [0, 1, 2], 4)
        + results("math_convexity", "image", [3], 4)
        + results("graph_maxflow", "edges", [0], 2, domain="graph")
        + results("graph_maxflow", "adjacency", [1], 2, domain="graph")
        + results("graph_maxflow", "image", [], 2, domain="graph")
        # an error is not an answer: it drops out of the accuracy and out of the pairs
        + [
            Outcome(
                "math_parity-10", "math_parity", "math", "image", "direct", False, None, "Timeout", ("a", "b")
            )
        ]
    )
    return analyse(rs, n_boot=300, seed=0)


def test_accuracy_rows_by_task_domain_and_kind(analysis):
    acc = analysis.accuracy
    parity_image = one(
        acc, scope="task", name="math_parity", strategy="direct", representation="image"
    ).accuracy
    assert (parity_image.correct, parity_image.n, parity_image.errors) == (5, 10, 1)
    latex = one(acc, scope="domain", name="math", strategy="direct", representation="latex").accuracy
    assert (latex.correct, latex.n) == (10, 14)
    text = one(acc, scope="all", name="all", strategy="direct", representation="text").accuracy
    assert (text.correct, text.n) == (8 + 6 + 2 + 3 + 1 + 1, 32)
    # display order: math before graph, tasks in registry order within a domain, text forms as registered
    order = [(r.scope, r.name) for r in acc]
    assert order.index(("task", "math_convexity")) < order.index(("task", "math_parity"))
    assert order.index(("task", "math_parity")) < order.index(("task", "graph_maxflow"))
    reps = [r.representation for r in acc if r.name == "math_parity" and r.strategy == "direct"]
    assert reps == ["latex", "code", "image"]


def test_headline_gap_uses_each_tasks_first_text_form_and_every_form_has_its_own_gap(analysis):
    gaps = analysis.comparisons
    parity = one(gaps, scope="task", name="math_parity", comparison="modality", representation="first")
    assert parity.chosen == "latex"
    assert (parity.this.value, parity.base.value) == (0.8, 0.5)
    assert parity.paired.diff == pytest.approx(0.3)
    assert (parity.paired.wins, parity.paired.losses, parity.paired.p) == (4, 1, pytest.approx(0.375))
    assert parity.paired.ci[0] <= 0.3 <= parity.paired.ci[1]
    code = one(gaps, scope="task", name="math_parity", comparison="modality", representation="code")
    assert code.paired.diff == pytest.approx(0.1)
    # math: latex for both tasks, though convexity's code did better (3/4 vs 2/4): parity's latex (8/10)
    # and convexity's latex (2/4) pooled against the image (5/10 + 1/4)
    math_gap = one(gaps, scope="domain", name="math", comparison="modality", representation="first")
    assert math_gap.chosen == "math_convexity:latex, math_parity:latex"
    assert (math_gap.this.correct, math_gap.base.correct, math_gap.paired.n) == (10, 6, 14)
    assert math_gap.paired.diff == pytest.approx(4 / 14)
    assert one(gaps, scope="task", name="graph_maxflow", representation="first").chosen == "adjacency"
    assert [g.name for g in analysis.gaps("all")] == ["all"]
    assert analysis.no_gap is None


def test_image_side_strategies_against_image_direct(analysis):
    eta, isocb = [c for c in analysis.comparisons if c.scope == "task" and c.comparison == "strategy"]
    assert (eta.strategy, eta.representation, eta.baseline) == ("eta", "image", ("direct", "image"))
    assert eta.paired.diff == pytest.approx(0.2)
    assert (eta.paired.wins, eta.paired.losses) == (3, 1)  # eta alone: 0, 1, 2; direct alone: 8
    assert (isocb.strategy, isocb.representation) == ("isocb", "image+latex+code")
    assert isocb.paired.diff == pytest.approx(0.1)
    assert (isocb.paired.wins, isocb.paired.losses) == (4, 3)  # isocb alone: 0-3; direct alone: 6-8
    combo = one(analysis.accuracy, scope="all", strategy="isocb").accuracy
    assert (combo.correct, combo.n) == (6, 10)
    assert one(analysis.accuracy, scope="all", strategy="isocb").representation == "image+text"
    assert not [c for c in analysis.comparisons if c.comparison == "modality" and c.strategy != "direct"]


def test_chance_is_the_mean_of_one_over_the_choices(analysis):
    # an instance counts even if its only record errored (math_parity-10 has two choices)
    assert analysis.chance[("task", "math_parity")] == (pytest.approx((10 / 3 + 1 / 2) / 11), 11)
    assert analysis.chance[("domain", "math")] == (pytest.approx((14 / 3 + 1 / 2) / 15), 15)
    assert analysis.chance[("task", "math_convexity")] == (pytest.approx(1 / 3), 4)
    free = analyse([Outcome("x", "physics", "science", "image", "direct", True, "3")])
    assert free.chance[("task", "physics")] == (0.0, 1)


def null_outcomes(seed: int, n: int = 100, task: str = "graph_connectivity", p: float = 0.6) -> list[Outcome]:
    """No modality gap: each text form and the image right with probability ``p``, independently."""
    rng = random.Random(seed)
    reps = (*TASKS[task].text_representations, "image")
    return [
        Outcome(f"{task}-{i}", task, "graph", rep, "direct", rng.random() < p, "yes", None, ("yes", "no"))
        for i in range(n)
        for rep in reps
    ]


def test_under_no_true_gap_the_headline_is_unbiased_where_the_best_of_forms_was_not():
    forms = TASKS["graph_connectivity"].text_representations  # adjacency, edges, story
    old, new = [], []
    for seed in range(50):
        a = analyse(null_outcomes(seed), n_boot=10, seed=seed)
        per_form = [
            c
            for c in a.comparisons
            if (c.scope, c.comparison) == ("task", "modality") and c.representation in forms
        ]
        # the old headline: the most accurate text form, picked on the very answers it is scored on
        old.append(max(c.this.value for c in per_form) - per_form[0].base.value)
        (headline,) = a.gaps("task")
        assert headline.chosen == "adjacency" and headline.paired.n == 100
        new.append(headline.paired.diff)
    assert mean(old) == pytest.approx(0.0442)  # +4.4 points of gap that is not there
    assert mean(new) == pytest.approx(0.011)  # within its standard error (0.009) of 0
    assert abs(mean(new)) < 0.02 and mean(old) > mean(new) + 0.025


def test_best_split_picks_the_form_on_one_half_and_measures_the_gap_on_the_other():
    ids = [f"math_parity-{i}" for i in range(40)]
    picking = {i for i in ids if picks_form("math_parity", i, seed=7)}
    assert 10 < len(picking) < 30  # a half, give or take

    def side(rep: str, right: set[str]) -> list[Outcome]:
        return [Outcome(i, "math_parity", "math", rep, "direct", i in right, "even") for i in ids]

    # code is right exactly on the picking half, latex on the other: code wins the pick and scores 0
    # where the gap is measured (the image is always wrong), though both forms are right half the time
    rs = side("latex", set(ids) - picking) + side("code", picking) + side("image", set())
    a = analyse(rs, n_boot=50, seed=7, text_form="best-split")
    (headline,) = a.gaps("task")
    assert (headline.representation, headline.chosen) == ("best-split", "code")
    assert headline.paired.n == 40 - len(picking) and headline.paired.diff == 0
    code = one(a.comparisons, scope="task", comparison="modality", representation="code")
    assert code.paired.n == 40 and code.paired.diff == pytest.approx(len(picking) / 40)
    first = one(analyse(rs, n_boot=50).gaps("task"), representation="first")
    assert (first.chosen, first.paired.n) == ("latex", 40)
    lone = side("latex", set(ids))[:1] + side("image", set())[:1]  # one instance cannot be split
    assert "too few instances for best-split" in analyse(lone, n_boot=10, text_form="best-split").no_gap


@pytest.mark.parametrize(
    ("outcomes", "why"),
    [
        (results("math_parity", "latex", [0], 4), "no image answers in these runs: the modality gap needs"),
        (results("math_parity", "image", [0], 4), "no text answers in these runs"),
        (
            results("math_parity", "latex", [0], 2) + results("math_parity", "image", [0], 4)[2:],
            "no instance has both a text and an image answer under the same strategy",
        ),
        (
            [Outcome("a", "math_parity", "math", "image", "direct", False, None, "Timeout")],
            "every record is an error",
        ),
    ],
)
def test_an_analysis_without_a_gap_says_why(outcomes, why):
    a = analyse(outcomes, n_boot=10)
    assert not a.gaps("task", "domain", "all") and why in a.no_gap


def test_an_unknown_text_form_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown text form 'best'; choose one of: first, best-split"):
        analyse(results("math_parity", "latex", [0], 2), text_form="best")
