"""Physics: DC resistor networks driven by one battery, given as a netlist, in words or as a schematic.

A circuit is a random series-parallel tree of 2-6 resistors with textbook values; the question asks
for the equivalent resistance, the battery's current or power, or the voltage, current or power of
one resistor. The generator evaluates the tree with exact series/parallel rules; :meth:`solve` does
modified nodal analysis on the netlist instead. Distractors are the same quantity under common
mistakes (a series/parallel swap, a forgotten resistor, the full battery voltage on one resistor …),
topped up with plausible multiples; options are sorted and the answer class is the right option's
letter, so a suite balances A/B/C/D exactly.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from PIL import Image

from modgap.isobench.task import Instance, TaskConfig, register_task
from modgap.isobench.tasks import _circuits as circuits
from modgap.isobench.tasks._choices import LETTERS, LetteredChoiceTask, check_choice_config
from modgap.isobench.tasks._circuits import Tree

OHMS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 30, 40, 60)
VOLTS = (3, 5, 6, 9, 10, 12, 15, 18, 20, 24, 30)
QUESTIONS = {
    "resistance": "What is the equivalent resistance of the circuit connected to the battery V1?",
    "battery_current": "What is the current through the battery V1?",
    "battery_power": "What is the total power delivered by the battery V1?",
    "voltage": "What is the voltage across {r}?",
    "current": "What is the current through {r}?",
    "power": "What is the power dissipated in {r}?",
}
UNITS = {
    "resistance": "Ω",
    "battery_current": "A",
    "battery_power": "W",
    "voltage": "V",
    "current": "A",
    "power": "W",
}
_PATTERNS = {
    kind: re.compile(re.escape(q).replace(re.escape("{r}"), r"(R\d+)")) for kind, q in QUESTIONS.items()
}


@dataclass(frozen=True)
class PhysicsConfig(TaskConfig):
    questions: tuple[str, ...] = tuple(QUESTIONS)
    """Question kinds to draw from (keys of ``QUESTIONS``)."""
    min_resistors: int = 2
    """Fewest resistors in a circuit."""
    max_resistors: int = 6
    """Most resistors in a circuit (more would not fit a legible schematic)."""
    n_choices: int = 4
    """Number of answer options (2-6)."""

    def __post_init__(self) -> None:
        check_choice_config(self, QUESTIONS)
        if not 2 <= self.min_resistors <= self.max_resistors <= 6:
            lo, hi = self.min_resistors, self.max_resistors
            raise ValueError(f"need 2 <= min_resistors <= max_resistors <= 6, got min_resistors={lo}, {hi}")


def _req(tree: Tree, ohms: list[int]) -> Fraction:
    if isinstance(tree, int):
        return Fraction(ohms[tree])
    parts = [_req(c, ohms) for c in tree[1]]
    return sum(parts, Fraction(0)) if tree[0] == "s" else 1 / sum(1 / p for p in parts)


def _spread(
    tree: Tree, ohms: list[int], current: Fraction, out: dict[int, tuple[Fraction, Fraction]]
) -> None:
    """Fill ``out[resistor] = (voltage, current)`` given the current through ``tree``."""
    if isinstance(tree, int):
        out[tree] = (current * ohms[tree], current)
        return
    voltage = current * _req(tree, ohms)
    for c in tree[1]:
        _spread(c, ohms, current if tree[0] == "s" else voltage / _req(c, ohms), out)


def _quantity(kind: str, tree: Tree, ohms: list[int], volts: int, k: int) -> Fraction:
    """The asked quantity, by series/parallel reduction (the generator's side)."""
    req = _req(tree, ohms)
    total = volts / req
    if kind in ("resistance", "battery_current", "battery_power"):
        return {"resistance": req, "battery_current": total, "battery_power": volts * total}[kind]
    per: dict[int, tuple[Fraction, Fraction]] = {}
    _spread(tree, ohms, total, per)
    v, i = per[k]
    return {"voltage": v, "current": i, "power": v * i}[kind]


def _swapped(tree: Tree, target: Tree) -> Tree:
    """``tree`` with the combination ``target`` turned from series to parallel or back."""
    if isinstance(tree, int):
        return tree
    kind = ("p" if tree[0] == "s" else "s") if tree is target else tree[0]
    return kind, tuple(_swapped(c, target) for c in tree[1])


def _without(tree: Tree, leaf: int) -> Tree:
    """``tree`` with one resistor forgotten (a combination left with one part becomes that part)."""
    if isinstance(tree, int):
        return tree
    kids = tuple(_without(c, leaf) for c in tree[1] if c != leaf)
    return kids[0] if len(kids) == 1 else (tree[0], kids)


def _internal(tree: Tree) -> list[Tree]:
    return [] if isinstance(tree, int) else [tree, *(n for c in tree[1] for n in _internal(c))]


def _mistakes(kind: str, tree: Tree, ohms: list[int], volts: int, k: int) -> list[Fraction]:
    """The quantity as students get it wrong: swapped combinations, a dropped resistor, formula slips."""
    trees = [_swapped(tree, node) for node in _internal(tree)]
    trees += [_without(tree, j) for j in circuits.leaves(tree) if j != k]
    trees += [("s", tuple(circuits.leaves(tree))), ("p", tuple(circuits.leaves(tree)))]
    out = [_quantity(kind, t, ohms, volts, k) for t in trees]
    r, total = Fraction(ohms[k]), volts / _req(tree, ohms)
    out += {
        "voltage": [Fraction(volts), total * r],
        "current": [volts / r, total],
        "power": [volts * volts / r, total * total * r],
    }.get(kind, [])
    return out


def _fmt(x: float) -> str:
    """Three significant figures, never scientific notation."""
    digits = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"


def _pick_options(
    answer: Fraction, wrong: list[Fraction], pos: int, n: int, cap: float, rng: random.Random
) -> list[float]:
    """Sorted values in (0, cap], >=5 % apart, the answer at index ``pos``; mistakes first, then multiples.

    Fewer than ``n`` values come back when the answer sits too close to ``cap`` for that position.
    """
    rng.shuffle(wrong)
    factors = [0.5, 0.75, 0.8, 2 / 3, 0.6, 0.4, 0.9, 0.25, 1.5, 1.25, 2.0, 4 / 3, 1.2, 2.5, 3.0, 1.1]
    chosen = [float(answer)]
    for x in [float(w) for w in wrong] + [float(answer) * f for f in factors]:
        below = sum(c < chosen[0] for c in chosen[1:])
        side_full = below >= pos if x < chosen[0] else len(chosen) - 1 - below >= n - 1 - pos
        if 0 < x <= cap and not side_full and all(abs(x - c) > 0.05 * max(x, c) for c in chosen):
            chosen.append(x)
        if len(chosen) == n:
            break
    return sorted(chosen)


def _mna(netlist: str) -> tuple[dict[str, tuple[int, int, float]], np.ndarray, float]:
    """Solve the netlist by modified nodal analysis: (elements, node voltages, source current)."""
    elements = circuits.elements(netlist)
    n = 1 + max(max(a, b) for a, b, _ in elements.values())
    sources = [k for k in elements if k.startswith("V")]
    m = np.zeros((n + len(sources), n + len(sources)))
    rhs = np.zeros(n + len(sources))
    for name, (a, b, value) in elements.items():
        if name.startswith("R"):
            for i, j, s in ((a, a, 1), (b, b, 1), (a, b, -1), (b, a, -1)):
                m[i, j] += s / value
    for row, name in enumerate(sources, start=n):
        a, b, value = elements[name]
        m[row, a] = m[a, row] = 1
        m[row, b] = m[b, row] = -1
        rhs[row] = value
    m[0, :] = 0
    m[0, 0] = 1  # ground node 0
    x = np.linalg.solve(m, rhs)
    return elements, x[:n], -x[n]


@register_task("physics")
class PhysicsTask(LetteredChoiceTask):
    """Answer a question about a battery and resistor network given as a netlist, in words or drawn."""

    domain = "science"
    text_representations = ("netlist", "description")
    config_class = PhysicsConfig

    def sample(self, rng: random.Random, target: str) -> Instance:
        cfg = self.config
        while True:
            n = rng.randint(cfg.min_resistors, cfg.max_resistors)
            tree = circuits.random_tree(rng, n, "s" if rng.random() < 0.75 else "p", itertools.count())
            ohms, volts = [rng.choice(OHMS) for _ in range(n)], rng.choice(VOLTS)
            kind, k = rng.choice(cfg.questions), rng.randrange(n)
            answer = _quantity(kind, tree, ohms, volts, k)
            if kind == "voltage" and answer == volts:
                continue  # a resistor straight across the battery: nothing to work out
            cap = volts if kind == "voltage" else math.inf  # no resistor sees more than the battery
            wrong = _mistakes(kind, tree, ohms, volts, k)
            values = _pick_options(answer, wrong, LETTERS.index(target), cfg.n_choices, cap, rng)
            if len(values) < cfg.n_choices:
                continue
            choices = [f"{_fmt(v)} {UNITS[kind]}" for v in values]
            fields = {
                "netlist": circuits.netlist(tree, ohms, volts),
                "question": QUESTIONS[kind].format(r=f"R{k + 1}"),
                "choices": choices,
            }
            meta = {"kind": kind, "resistors": n}
            return Instance(self.name, fields, choices[values.index(float(answer))], choices, meta)

    @staticmethod
    def solve(fields: dict[str, Any]) -> str:
        """Nodal analysis of the netlist, then the option nearest to the asked quantity."""
        found = [(k, m) for k, p in _PATTERNS.items() if (m := p.fullmatch(fields["question"]))]
        if not found:
            raise ValueError(f"unknown physics question {fields['question']!r}")
        kind, named = found[0]
        elements, v, i_source = _mna(fields["netlist"])
        if named.groups():
            a, b, ohms = elements[named.group(1)]
            volts = abs(v[a] - v[b])
            value = {"voltage": volts, "current": volts / ohms, "power": volts * volts / ohms}[kind]
        else:
            emf = elements["V1"][2]
            value = {
                "resistance": emf / i_source,
                "battery_current": i_source,
                "battery_power": emf * i_source,
            }[kind]
        numbers = [float(c.split()[0]) for c in fields["choices"]]
        return fields["choices"][min(range(len(numbers)), key=lambda j: abs(numbers[j] - value))]

    def render_text(self, instance: Instance, representation: str) -> str:
        fields = instance.fields
        if representation == "netlist":
            return f"SPICE netlist (V1's positive terminal is its first node):\n{fields['netlist']}"
        tree, ohms, volts = circuits.parse_tree(fields["netlist"])
        return f"A {volts} V battery V1 is connected across this network: {circuits.words(tree, ohms)}."

    def render_image(self, instance: Instance) -> Image.Image:
        tree, ohms, volts = circuits.parse_tree(instance.fields["netlist"])
        return circuits.schematic(tree, ohms, volts)
