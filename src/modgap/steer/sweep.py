"""Layer × strength × position sweeps over multiple-choice questions: choose on dev, report on test.

Every grid point is one accuracy on the dev split (appended to ``grid.jsonl`` as it is measured, so a
crashed sweep resumes where it stopped). The best point is then scored once on the test split against
the unsteered model and a prompting baseline, with a paired bootstrap 95% interval on the gain.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import bootstrap

from modgap.lock import holding
from modgap.models.scoring import MCQuestion, rank_options
from modgap.steer.apply import steer
from modgap.steer.vectors import SteeringVector

__all__ = ["HINTS", "GridPoint", "SweepResult", "split_questions", "accuracy", "sweep"]

HINTS = {
    "spatial": "Pay attention to spatial relations.",
    "counting": "Pay attention to the number of objects.",
    "attribute": "Pay attention to colours and attributes.",
    "entity": "Pay attention to which objects are present.",
}
"""The prompting baseline per concept: the same nudge, said in words instead of added to the states."""


@dataclass(frozen=True)
class GridPoint:
    layer: int
    alpha: float
    positions: str
    accuracy: float

    @property
    def key(self) -> tuple[int, float, str]:
        return self.layer, self.alpha, self.positions


@dataclass(frozen=True)
class SweepResult:
    grid: list[GridPoint]
    best: GridPoint
    base_dev: float
    base_test: float
    steered_test: float
    prompted_test: float
    gain: float
    gain_ci: tuple[float, float]
    n_dev: int
    n_test: int

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("grid")
        return d


def split_questions(
    questions: Sequence[MCQuestion], dev_fraction: float, seed: int
) -> tuple[list[MCQuestion], list[MCQuestion]]:
    order = list(questions)
    random.Random(seed).shuffle(order)
    cut = round(dev_fraction * len(order))
    if not 0 < cut < len(order):
        raise ValueError(
            f"dev_fraction={dev_fraction} leaves an empty dev or test split of {len(order)} questions"
        )
    return order[:cut], order[cut:]


def _correct(model: Any, processor: Any, questions: Sequence[MCQuestion], **kw: Any) -> np.ndarray:
    picks = rank_options(model, processor, questions, **kw)
    return np.array([p == q.answer for p, q in zip(picks, questions, strict=True)], dtype=float)


def accuracy(
    model: Any,
    processor: Any,
    questions: Sequence[MCQuestion],
    vector: SteeringVector | None = None,
    layer: int = 0,
    alpha: float = 0.0,
    positions: str = "both",
) -> np.ndarray:
    """Per-question correctness (1/0), steered at (layer, alpha, positions) when ``vector`` is given."""
    if vector is None:
        return _correct(model, processor, questions)
    with steer(model, vector.spec(layer, alpha, positions), processor) as steering:
        return _correct(model, processor, questions, before_forward=steering.score_answers)


def _hinted(questions: Sequence[MCQuestion], hint: str) -> list[MCQuestion]:
    return [MCQuestion(f"{hint} {q.question}", q.choices, q.answer, q.image, q.kind) for q in questions]


def _gain_ci(steered: np.ndarray, base: np.ndarray, seed: int) -> tuple[float, float]:
    diff = steered - base
    if np.all(diff == diff[0]):
        return float(diff[0]), float(diff[0])
    ci = bootstrap((diff,), np.mean, confidence_level=0.95, n_resamples=2000, rng=seed).confidence_interval
    return float(ci.low), float(ci.high)


@holding("out", "sweep folder")
def sweep(
    model: Any,
    processor: Any,
    vector: SteeringVector,
    questions: Sequence[MCQuestion],
    layers: Sequence[int],
    alphas: Sequence[float],
    positions: Sequence[str] = ("both",),
    hint: str | None = None,
    dev_fraction: float = 0.5,
    seed: int = 0,
    out: Path | None = None,
    on_point: Callable[[GridPoint], None] | None = None,
) -> SweepResult:
    """Accuracy over the (layer, alpha, positions) grid on dev; the best point, base and hint on test."""
    dev, test = split_questions(questions, dev_fraction, seed)
    done = _load_grid(out / "grid.jsonl") if out else {}
    grid = []
    for layer in layers:
        for alpha in alphas:
            for where in positions:
                point = done.get((layer, float(alpha), where))
                if point is None:
                    acc = accuracy(model, processor, dev, vector, layer, alpha, where).mean()
                    point = GridPoint(layer, float(alpha), where, float(acc))
                    if out:
                        with (out / "grid.jsonl").open("a") as f:
                            f.write(json.dumps(asdict(point)) + "\n")
                grid.append(point)
                if on_point:
                    on_point(point)
    best = max(grid, key=lambda p: (p.accuracy, -abs(p.alpha)))
    base_dev = accuracy(model, processor, dev).mean()
    base = accuracy(model, processor, test)
    steered = accuracy(model, processor, test, vector, best.layer, best.alpha, best.positions)
    prompted = accuracy(model, processor, _hinted(test, hint or HINTS.get(vector.concept, HINTS["spatial"])))
    return SweepResult(
        grid,
        best,
        float(base_dev),
        float(base.mean()),
        float(steered.mean()),
        float(prompted.mean()),
        float((steered - base).mean()),
        _gain_ci(steered, base, seed),
        len(dev),
        len(test),
    )


def _load_grid(path: Path) -> dict[tuple[int, float, str], GridPoint]:
    if not path.is_file():
        return {}
    points = [GridPoint(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    return {p.key: p for p in points}
