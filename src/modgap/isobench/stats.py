"""The numbers of an IsoBench report: accuracy with Wilson intervals, modality gaps, strategy comparisons.

Everything here is a pure function of a model's :class:`Outcome` records. Records with an ``error``
are not answers (the model never replied): they are counted, never scored. An unparseable reply is
an answer, and a wrong one.

A comparison (text vs image, or a strategy vs image-direct) is *paired*: it uses only the instances
that have an answer on both sides, so a crash on one side cannot move the gap. Its interval is a
percentile bootstrap over those instances and its p-value McNemar's exact test; every bootstrap starts
from ``default_rng(seed)``, so any single number can be reproduced on its own.

The headline gap sets one text form per task against the image. Picking the form that scored best on
the very answers it is then compared on would bias the gap upwards (the winner's curse: under no real
difference the best of several noisy accuracies still beats the image), so the form is either fixed
before any answer is seen (``first``, the default, as in the IsoBench paper) or picked on a seeded half
of the instances and reported on the other half (``best-split``); see :data:`TEXT_FORMS`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from modgap.isobench.prompts import STRATEGIES
from modgap.isobench.task import IMAGE, MEDIA, TASKS

__all__ = [
    "DOMAINS",
    "Accuracy",
    "AccuracyRow",
    "Analysis",
    "Comparison",
    "Outcome",
    "Paired",
    "TEXT_FORMS",
    "analyse",
    "compare_paired",
    "mcnemar_p",
    "picks_form",
    "representation_kind",
    "text_form_definition",
    "wilson_ci",
]

DOMAINS = ("math", "graph", "chess", "science")
BASELINE = ("direct", IMAGE)
"""What every image-side strategy is compared with: the image asked directly."""
KINDS = ("text", *MEDIA, "image+text")
OMNI_STRATEGIES = ("direct", "eta", "isosp")
"""The Omni×R table's variants of each non-text modality, each compared with the headline text form."""
TEXT_FORMS = ("first", "best-split")
"""How the headline gap picks each task's text form: ``first`` registered (among those answered), or
``best-split``: the most accurate on one half of the instances, the gap reported on the other half."""
_NEEDS_PAIRS = "the modality gap needs text and image records of the same instances"

NAN_CI = (math.nan, math.nan)


@dataclass(frozen=True)
class Outcome:
    """One ``results.jsonl`` record, reduced to what the report needs."""

    instance_id: str
    task: str
    domain: str
    representation: str
    strategy: str
    correct: bool
    parsed: str | None = None
    error: str | None = None
    choices: tuple[str, ...] = ()

    @property
    def answered(self) -> bool:
        return self.error is None

    @property
    def right(self) -> bool:
        """Scored correct: an answer that parsed and matched (an unparsed reply is wrong)."""
        return self.answered and self.parsed is not None and self.correct


def wilson_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k of n (NaNs for n = 0): honest near 0 and 1, unlike the normal one."""
    if n == 0:
        return NAN_CI
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def mcnemar_p(b: int, c: int) -> float:
    """McNemar's exact two-sided p from the discordant counts (1.0 when there are none)."""
    return 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, 0.5).pvalue)


@dataclass(frozen=True)
class Accuracy:
    """``correct`` of ``n`` answers, plus the records that were not answers or did not parse."""

    correct: int
    n: int
    errors: int = 0
    unparsed: int = 0

    @property
    def value(self) -> float:
        return self.correct / self.n if self.n else math.nan

    @property
    def ci(self) -> tuple[float, float]:
        return wilson_ci(self.correct, self.n)

    @classmethod
    def of(cls, outcomes: Iterable[Outcome]) -> Accuracy:
        """Count errors apart (not answers) and score unparsed answers as wrong."""
        outcomes = list(outcomes)
        answers = [r for r in outcomes if r.answered]
        return cls(
            correct=sum(r.right for r in answers),
            n=len(answers),
            errors=len(outcomes) - len(answers),
            unparsed=sum(r.parsed is None for r in answers),
        )


@dataclass(frozen=True)
class Paired:
    """A paired comparison of two sides on the same instances: ``diff`` = mean(a) - mean(b).

    ``wins`` counts instances only side a got right, ``losses`` those only side b got right.
    """

    n: int
    diff: float
    ci: tuple[float, float]
    wins: int
    losses: int
    p: float


def compare_paired(
    a: Sequence[bool], b: Sequence[bool], n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> Paired:
    """Difference of accuracies with a paired percentile bootstrap CI and McNemar's exact p."""
    if len(a) != len(b):
        raise ValueError(f"paired sides differ in length: {len(a)} vs {len(b)}")
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    wins, losses = int((d > 0).sum()), int((d < 0).sum())
    ci = NAN_CI
    if len(d) >= 2:  # the bootstrap needs two instances to resample
        boot = stats.bootstrap(
            (d,),
            np.mean,
            n_resamples=n_boot,
            batch=250,
            confidence_level=level,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
        ci = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
    diff = float(d.mean()) if len(d) else math.nan
    return Paired(n=len(d), diff=diff, ci=ci, wins=wins, losses=losses, p=mcnemar_p(wins, losses))


def _check_text_form(text_form: str) -> None:
    if text_form not in TEXT_FORMS:
        raise ValueError(f"unknown text form {text_form!r}; choose one of: {', '.join(TEXT_FORMS)}")


def text_form_definition(text_form: str, seed: int = 0) -> str:
    """The sentence that says what the headline gap is under ``text_form`` (ValueError if unknown)."""
    _check_text_form(text_form)
    if text_form == "first":
        return (
            "Headline gap: text − image, the text being each task's first registered text form among those "
            "answered (fixed before any answer is seen, as in the IsoBench paper), on every instance "
            "answered both ways."
        )
    return (
        "Headline gap: text − image, the text being each task's most accurate text form on one half of "
        f"the instances (split by instance-id hash, seed {seed}), the gap measured on the other half only."
    )


def picks_form(task: str, instance_id: str, seed: int) -> bool:
    """Whether the instance is in the half that picks the text form under ``best-split``.

    A hash of seed, task and instance id, so the halves are the same for every model, strategy and
    representation, and the other half (where the gap is measured) is disjoint from it.
    """
    return hashlib.sha256(f"{seed}:{task}:{instance_id}".encode()).digest()[0] < 128


def representation_kind(representation: str) -> str:
    """``text`` for a text form, the modality itself for image/text_image/audio/video, or ``image+text``."""
    if representation in MEDIA:
        return representation
    return "image+text" if IMAGE in representation.split("+") else "text"


def _order(items: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """The distinct ``items`` in ``preferred`` order, unknown ones after them alphabetically."""
    rank = {x: i for i, x in enumerate(preferred)}
    return sorted(set(items), key=lambda x: (rank.get(x, len(rank)), x))


def _representations(reps: Iterable[str], tasks: Sequence[str]) -> list[str]:
    """Display order: the tasks' text forms as registered, the image, then the rest alphabetically."""
    forms = [f for t in tasks for f in (TASKS[t].text_representations if t in TASKS else ())]
    return _order(reps, [*dict.fromkeys(forms), *MEDIA])


@dataclass(frozen=True)
class AccuracyRow:
    """Accuracy of one (scope, name, strategy, representation); ``scope`` is task, domain or all.

    At scope ``all`` the representation is a kind (:func:`representation_kind`), pooled over tasks.
    """

    scope: str
    name: str
    strategy: str
    representation: str
    accuracy: Accuracy


@dataclass(frozen=True)
class Comparison:
    """``strategy``/``representation`` against ``baseline`` on the instances both sides answered.

    ``comparison`` is ``modality`` (a text form vs the image under the same strategy; the headline
    row's ``representation`` is the :data:`TEXT_FORMS` rule, the forms it picked listed in ``chosen``),
    ``omni`` (another modality vs the headline text form) or ``strategy`` (an image-side strategy vs
    image-direct). ``this`` and ``base`` are the two accuracies on the paired instances, so
    ``paired.diff`` is exactly their difference.
    """

    scope: str
    name: str
    comparison: str
    strategy: str
    representation: str
    chosen: str
    baseline: tuple[str, str]
    this: Accuracy
    base: Accuracy
    paired: Paired


@dataclass(frozen=True)
class Analysis:
    """One model's report numbers, each list in display order."""

    accuracy: list[AccuracyRow]
    comparisons: list[Comparison]
    chance: dict[tuple[str, str], tuple[float, int]]
    """(scope, name) -> (mean over instances of 1/len(choices), 0 for free-form; number of instances)."""
    text_form: str = "first"
    """How the headline gap picked each task's text form (one of :data:`TEXT_FORMS`)."""
    no_gap: str | None = None
    """Why there is no text − image gap at all (None when there is one)."""

    def tidy(self) -> dict[str, list[dict[str, Any]]]:
        """Flat rows (proportions 0-1, NaN as None) for CSV and JSON: accuracy, comparisons, chance."""
        keys = ("scope", "name", "strategy", "representation")
        accuracy = [
            {
                **{k: getattr(r, k) for k in keys},
                **_props(r.accuracy),
                "errors": r.accuracy.errors,
                "unparsed": r.accuracy.unparsed,
                "chance": _num(self.chance[(r.scope, r.name)][0]),
            }
            for r in self.accuracy
        ]
        comparisons = [
            {
                "comparison": c.comparison,
                **{k: getattr(c, k) for k in keys},
                "chosen": c.chosen,
                "baseline_strategy": c.baseline[0],
                "baseline_representation": c.baseline[1],
                **_props(c.this),
                **_props(c.base, "baseline_"),
                "gap": _num(c.paired.diff),
                "gap_ci_low": _num(c.paired.ci[0]),
                "gap_ci_high": _num(c.paired.ci[1]),
                "wins": c.paired.wins,
                "losses": c.paired.losses,
                "p_value": _num(c.paired.p),
            }
            for c in self.comparisons
        ]
        chance = [
            {"scope": scope, "name": name, "chance": _num(value), "instances": n}
            for (scope, name), (value, n) in self.chance.items()
        ]
        return {"accuracy": accuracy, "comparisons": comparisons, "chance": chance}

    def gaps(self, *scopes: str) -> list[Comparison]:
        """The headline modality gaps (text form picked by ``text_form`` - image) at the given scopes."""
        return [
            c
            for c in self.comparisons
            if c.comparison == "modality" and c.representation == self.text_form and c.scope in scopes
        ]

    def omni(self, scope: str = "all") -> list[Comparison]:
        """Each non-text modality (and its ETA / scratchpad variants) against the headline text form."""
        return [c for c in self.comparisons if c.comparison == "omni" and c.scope == scope]


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 6)


def _props(a: Accuracy, prefix: str = "") -> dict[str, Any]:
    values = (a.n, a.correct, _num(a.value), _num(a.ci[0]), _num(a.ci[1]))
    return {
        prefix + k: v for k, v in zip(("n", "correct", "accuracy", "ci_low", "ci_high"), values, strict=True)
    }


Cells = Mapping[tuple[str, str, str], list[Outcome]]
"""Outcomes by (task, strategy, representation)."""


def _groups(outcomes: Sequence[Outcome]) -> list[tuple[str, str, list[str]]]:
    """(scope, name, tasks): each task, each domain, then all; tasks by domain, then registry order."""
    domain_of = {r.task: r.domain for r in outcomes}
    domains = _order(domain_of.values(), DOMAINS)
    tasks = sorted(_order(domain_of, list(TASKS)), key=lambda t: domains.index(domain_of[t]))
    return (
        [("task", t, [t]) for t in tasks]
        + [("domain", d, [t for t in tasks if domain_of[t] == d]) for d in domains]
        + [("all", "all", tasks)]
    )


def _chance(outcomes: Iterable[Outcome]) -> tuple[float, int]:
    choices = {(r.task, r.instance_id): r.choices for r in outcomes}
    odds = [1 / len(c) if c else 0.0 for c in choices.values()]
    return (float(np.mean(odds)) if odds else math.nan), len(odds)


Keep = Callable[[Outcome], bool]
"""Which records a side of a comparison may use."""


def _headline_forms(cells: Cells, picks: Keep | None) -> dict[tuple[str, str], str]:
    """(task, strategy) -> the headline text form: the first registered one with answers, or (``picks``
    given) the most accurate on the records ``picks`` keeps (ties: the first registered form)."""
    forms = {}
    for task, strategy in dict.fromkeys(k[:2] for k in cells):
        reps = _representations((rep for t, s, rep in cells if (t, s) == (task, strategy)), [task])
        accuracy = {
            rep: Accuracy.of(r for r in cells[(task, strategy, rep)] if picks is None or picks(r))
            for rep in reps
            if representation_kind(rep) == "text"
        }
        answered = [rep for rep, acc in accuracy.items() if acc.n]
        if answered:
            pick = answered[0] if picks is None else max(answered, key=lambda rep: accuracy[rep].value)
            forms[(task, strategy)] = pick
    return forms


def _side(
    cells: Cells, strategy: str, forms: Mapping[str, str], keep: Keep | None = None
) -> dict[tuple[str, str], bool]:
    """Correctness by (task, instance) of the answers in ``forms`` (task -> representation)."""
    rs = (r for task, rep in forms.items() for r in cells.get((task, strategy, rep), ()))
    return {(r.task, r.instance_id): r.right for r in rs if r.answered and (keep is None or keep(r))}


def _compare(
    head: tuple[str, str, str, str, str, str],
    this: Mapping[tuple[str, str], bool],
    base: Mapping[tuple[str, str], bool],
    baseline: tuple[str, str],
    n_boot: int,
    seed: int,
) -> Comparison:
    keys = sorted(this.keys() & base.keys())
    a, b = [this[k] for k in keys], [base[k] for k in keys]
    return Comparison(
        *head,
        baseline=baseline,
        this=Accuracy(sum(a), len(a)),
        base=Accuracy(sum(b), len(b)),
        paired=compare_paired(a, b, n_boot, seed),
    )


@dataclass(frozen=True)
class _Headline:
    """The headline gap's text side: its rule, the form picked per (task, strategy), and the records
    the gap is measured on (all, or under ``best-split`` the half that did not pick)."""

    rule: str
    forms: Mapping[tuple[str, str], str]
    measured: Keep | None = None

    @classmethod
    def pick(cls, cells: Cells, text_form: str, seed: int) -> _Headline:
        _check_text_form(text_form)
        if text_form == "first":
            return cls(text_form, _headline_forms(cells, None))

        def picks(r: Outcome) -> bool:
            return picks_form(r.task, r.instance_id, seed)

        return cls(text_form, _headline_forms(cells, picks), lambda r: not picks(r))


def _comparisons(
    scope: str,
    name: str,
    tasks: list[str],
    cells: Cells,
    headline: _Headline,
    n_boot: int,
    seed: int,
) -> list[Comparison]:
    """Modality gaps (headline, then each text form), the Omni×R gaps, then image-side strategies;
    only those with at least one instance answered on both sides."""
    reps = _representations((rep for _, _, rep in cells), tasks)
    texts = [rep for rep in reps if representation_kind(rep) == "text"]
    strategies = _order((s for _, s, _ in cells), STRATEGIES)
    out = []
    for strategy in strategies:  # modality gaps: text - image under the same strategy
        image = _side(cells, strategy, dict.fromkeys(tasks, IMAGE))
        chosen = {t: headline.forms[(t, strategy)] for t in tasks if (t, strategy) in headline.forms}
        label = chosen.get(name, "") if scope == "task" else ", ".join(f"{t}:{f}" for t, f in chosen.items())
        sides = [(headline.rule, label, chosen, headline.measured)] if chosen else []
        if scope != "all":  # per form too, on every pair; at scope all that would repeat the domains
            sides += [(rep, rep, dict.fromkeys(tasks, rep), None) for rep in texts]
        for rep, label, forms, keep in sides if image else ():
            head = (scope, name, "modality", strategy, rep, label)
            this = _side(cells, strategy, forms, keep)
            out.append(_compare(head, this, image, (strategy, IMAGE), n_boot, seed))

    text = {t: headline.forms[(t, "direct")] for t in tasks if (t, "direct") in headline.forms}
    base_text = _side(cells, "direct", text, headline.measured)
    for rep in (r for r in MEDIA if r in reps and base_text):  # Omni×R: each modality (and its ETA) vs text
        for strategy in (s for s in OMNI_STRATEGIES if s in strategies):
            this = _side(cells, strategy, dict.fromkeys(tasks, rep))
            if this:
                head = (scope, name, "omni", strategy, rep, rep)
                out.append(_compare(head, this, base_text, ("direct", headline.rule), n_boot, seed))

    base = _side(cells, BASELINE[0], dict.fromkeys(tasks, BASELINE[1]))
    for strategy in strategies if base else ():  # image-side strategies vs image-direct
        for rep in reps:
            this = _side(cells, strategy, dict.fromkeys(tasks, rep))
            if this and (strategy, rep) != BASELINE and representation_kind(rep) in (IMAGE, "image+text"):
                head = (scope, name, "strategy", strategy, rep, rep)
                out.append(_compare(head, this, base, BASELINE, n_boot, seed))
    return [c for c in out if c.paired.n]


def _why_no_gap(outcomes: Sequence[Outcome], comparisons: Sequence[Comparison], rule: str) -> str | None:
    """Why no headline text − image gap could be measured (None when one was)."""
    modality = [c for c in comparisons if c.comparison == "modality"]
    if any(c.representation == rule for c in modality):
        return None
    kinds = {representation_kind(r.representation) for r in outcomes if r.answered}
    if not kinds:
        return (
            "no answers in these runs (every record is an error)" if outcomes else "no records in these runs"
        )
    if IMAGE not in kinds:
        return f"no image answers in these runs: {_NEEDS_PAIRS}"
    if "text" not in kinds:
        return f"no text answers in these runs: {_NEEDS_PAIRS}"
    if not modality:
        return f"no instance has both a text and an image answer under the same strategy: {_NEEDS_PAIRS}"
    return (
        "too few instances for best-split: no task has text answers in the half that picks the form and "
        "text-image pairs in the other half (the text form 'first' needs no split)"
    )


def analyse(
    outcomes: Sequence[Outcome], n_boot: int = 2000, seed: int = 0, text_form: str = "first"
) -> Analysis:
    """Accuracy tables, modality gaps, strategy comparisons and chance for one model's outcomes.

    ``text_form`` (one of :data:`TEXT_FORMS`) says how the headline gap picks each task's text form;
    ``seed`` seeds the bootstraps and, under ``best-split``, the split.
    """
    cells: dict[tuple[str, str, str], list[Outcome]] = {}
    for r in outcomes:
        cells.setdefault((r.task, r.strategy, r.representation), []).append(r)
    headline = _Headline.pick(cells, text_form, seed)
    accuracy, comparisons, chance = [], [], {}
    for scope, name, tasks in _groups(outcomes):
        mine = {k: v for k, v in cells.items() if k[0] in tasks}
        chance[(scope, name)] = _chance(r for rs in mine.values() for r in rs)
        kind = representation_kind if scope == "all" else str
        reps = KINDS if scope == "all" else _representations((rep for _, _, rep in mine), tasks)
        for strategy in _order((s for _, s, _ in mine), STRATEGIES):
            for rep in reps:
                pooled = [r for (_, s, x), rs in mine.items() if s == strategy and kind(x) == rep for r in rs]
                if pooled:
                    accuracy.append(AccuracyRow(scope, name, strategy, rep, Accuracy.of(pooled)))
        comparisons += _comparisons(scope, name, tasks, mine, headline, n_boot, seed)
    no_gap = _why_no_gap(outcomes, comparisons, text_form)
    return Analysis(accuracy, comparisons, chance, text_form, no_gap)
