"""Series-parallel resistor circuits: random trees, netlists (and back), words and schematics.

A circuit is a tree: a leaf is a resistor index, an inner node ``("s"|"p", children)`` a series or
parallel combination. The netlist is the public form; :func:`parse_tree` recovers the tree from it
by series-parallel decomposition, so the description and the schematic always match the netlist.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import TypeAlias

import schemdraw
import schemdraw.elements as elm
from matplotlib.collections import LineCollection
from PIL import Image

from modgap.isobench.drawing import figure, figure_image

Tree: TypeAlias = "int | tuple[str, tuple[Tree, ...]]"
"""A resistor index (leaf) or ("s"|"p", children): series or parallel combination."""


def random_tree(rng: random.Random, n: int, kind: str, leaves: itertools.count) -> Tree:
    """A tree with ``n`` leaves whose root combines in ``kind``; children alternate kind."""
    if n == 1:
        return next(leaves)
    k = 3 if n >= 4 and rng.random() < 0.3 else 2
    cuts = sorted(rng.sample(range(1, n), k - 1))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    child = "p" if kind == "s" else "s"
    return kind, tuple(random_tree(rng, m, child, leaves) for m in sizes)


def leaves(tree: Tree) -> list[int]:
    """Resistor indices, left to right (they are numbered in this order)."""
    return [tree] if isinstance(tree, int) else [x for c in tree[1] for x in leaves(c)]


def netlist(tree: Tree, ohms: list[int], volts: int) -> str:
    """SPICE-like text: ``V1 1 0 volts`` and one ``Rk a b ohms`` line per resistor; node 0 is ground."""
    lines = ["* DC resistor network", f"V1 1 0 {volts}"]
    nodes = itertools.count(2)

    def emit(t: Tree, a: int, b: int) -> None:
        if isinstance(t, int):
            lines.append(f"R{t + 1} {a} {b} {ohms[t]}")
        elif t[0] == "p":
            for c in t[1]:
                emit(c, a, b)
        else:
            ends = [a, *(next(nodes) for _ in t[1][1:]), b]
            for c, x, y in zip(t[1], ends, ends[1:], strict=False):
                emit(c, x, y)

    emit(tree, 1, 0)
    return "\n".join(lines[:2] + sorted(lines[2:], key=lambda s: int(s.split()[0][1:])) + [".end"])


def words(tree: Tree, ohms: list[int], top: bool = True) -> str:
    """Plain English with nested combinations in [brackets]: "R1 (4 Ω) in series with [R2 (6 Ω) in ...]"."""
    if isinstance(tree, int):
        return f"R{tree + 1} ({ohms[tree]} Ω)"
    parts = [words(c, ohms, False) for c in tree[1]]
    how = "series" if tree[0] == "s" else "parallel"
    text = (
        f"{parts[0]} in {how} with {parts[1]}"
        if len(parts) == 2
        else f"{', '.join(parts[:-1])} and {parts[-1]} all in {how}"
    )
    return text if top else f"[{text}]"


LEAF_W, ROW_H, STUB = 3.0, 2.5, 0.75
"""Schematic grid: a resistor slot's width, a parallel branch's height, the bus stub (drawing units)."""


def _size(tree: Tree) -> tuple[float, float]:
    if isinstance(tree, int):
        return LEAF_W, ROW_H
    sizes = [_size(c) for c in tree[1]]
    if tree[0] == "s":
        return sum(w for w, _ in sizes), max(h for _, h in sizes)
    return max(w for w, _ in sizes) + 2 * STUB, sum(h for _, h in sizes)


Point = tuple[float, float]


@dataclass
class _Sketch:
    """What a schematic is made of; wires and dots are drawn in one go (schemdraw elements are slow)."""

    wires: list[tuple[Point, Point]]
    dots: list[Point]
    resistors: list[tuple[int, Point, Point]]


def _place(sk: _Sketch, tree: Tree, x: float, y: float) -> None:
    """Lay ``tree`` out with its terminals at (x, y) and (x + width, y), parallel branches hanging below."""
    width, _ = _size(tree)
    if isinstance(tree, int):
        sk.resistors.append((tree, (x, y), (x + width, y)))
    elif tree[0] == "s":
        for c in tree[1]:
            _place(sk, c, x, y)
            x += _size(c)[0]
    else:
        left, right = x + STUB, x + width - STUB
        sk.wires += [((x, y), (left, y)), ((right, y), (x + width, y))]
        for i, c in enumerate(tree[1]):
            _place(sk, c, left, y)
            if _size(c)[0] < right - left:
                sk.wires.append(((left + _size(c)[0], y), (right, y)))
            if i < len(tree[1]) - 1:
                sk.dots += [(left, y), (right, y)]
                below = y - _size(c)[1]
                sk.wires += [((left, y), (left, below)), ((right, y), (right, below))]
                y = below


def schematic(tree: Tree, ohms: list[int], volts: int) -> Image.Image:
    """Battery on the left, the network along the top, the return wire along the bottom."""
    width, height = _size(tree)
    bottom = min(ROW_H - height - 1.5, -ROW_H)  # just under the lowest branch
    corners = [(0, 0), (1, 0), (1 + width, 0), (1 + width, bottom), (0, bottom)]
    sk = _Sketch([(corners[0], corners[1]), *zip(corners[2:], corners[3:], strict=False)], [], [])
    _place(sk, tree, 1, 0)
    d = schemdraw.Drawing(show=False)
    d.config(fontsize=12, font="DejaVu Sans", lw=1.6)
    d += elm.SourceV().at((0, bottom)).to((0, 0)).label(f"V1\n{volts} V", loc="top")
    for k, a, b in sk.resistors:
        d += elm.Resistor().at(a).to(b).label(f"R{k + 1}\n{ohms[k]} Ω")
    xmin, xmax, ymin, ymax = -2.4, width + 1.6, bottom - 0.6, 1.4
    scale = min(0.4, 6.0 / (xmax - xmin), 5.0 / (ymax - ymin))  # inches per unit: at most 600 x 500 px
    w_in, h_in = max((xmax - xmin) * scale, 3.0), max((ymax - ymin) * scale, 3.0)
    with figure(w_in, h_in) as fig:
        ax = fig.add_axes((0, 0, 1, 1))
        d.draw(show=False, canvas=ax)
        ax.add_collection(LineCollection(sk.wires, colors="black", linewidths=1.6, capstyle="round"))
        if sk.dots:
            ax.plot([p[0] for p in sk.dots], [p[1] for p in sk.dots], "o", color="black", markersize=5)
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        ax.set_xlim(cx - w_in / scale / 2, cx + w_in / scale / 2)
        ax.set_ylim(cy - h_in / scale / 2, cy + h_in / scale / 2)
        ax.set_aspect("equal")
        ax.axis("off")
        return figure_image(fig)


def elements(netlist: str) -> dict[str, tuple[int, int, float]]:
    """``name -> (node, node, value)`` for every element line (comments and dot-commands skipped)."""
    found = {}
    for line in netlist.splitlines():
        if line.strip() and line[0] not in "*.":
            name, a, b, value = line.split()
            found[name] = (int(a), int(b), float(value))
    return found


def parse_tree(netlist: str) -> tuple[Tree, list[int], int]:
    """Series-parallel decomposition of the netlist between V1's terminals: (tree, ohms, volts)."""
    parts = elements(netlist)
    ends = {int(k[1:]) - 1: (a, b) for k, (a, b, _) in parts.items() if k.startswith("R")}
    ohms = [int(parts[f"R{i + 1}"][2]) for i in range(len(ends))]
    pos, neg, volts = parts["V1"]
    return _decompose(set(ends), ends, pos, neg), ohms, int(volts)


def _groups(edges: set[int], ends: dict[int, tuple[int, int]], keep: set[int]) -> list[set[int]]:
    """Edges joined through nodes outside ``keep`` (the pieces a network falls into at those nodes)."""
    groups: list[set[int]] = []
    for e in sorted(edges):
        touching = [g for g in groups if any(set(ends[e]) & set(ends[f]) - keep for f in g)]
        merged = {e}.union(*touching)
        groups = [g for g in groups if g not in touching] + [merged]
    return groups


def _decompose(edges: set[int], ends: dict[int, tuple[int, int]], a: int, b: int) -> Tree:
    if len(edges) == 1:
        return next(iter(edges))
    branches = _groups(edges, ends, {a, b})
    if len(branches) > 1:
        return "p", tuple(_decompose(g, ends, a, b) for g in sorted(branches, key=min))
    nodes = {n for e in edges for n in ends[e]} - {a, b}
    joints = {a, b} | {c for c in nodes if not _connected(edges, ends, a, b, c)}
    segments: dict[frozenset[int], set[int]] = {}  # pieces between the same two joints are in parallel
    for piece in _groups(edges, ends, joints):
        segments.setdefault(frozenset({n for e in piece for n in ends[e]} & joints), set()).update(piece)
    chain, here = [], a
    while here != b:  # walk the series chain from a to b
        rim = next(r for r in segments if here in r and r not in [q for q, _, _ in chain])
        chain.append((rim, here, next(iter(rim - {here}))))
        here = chain[-1][2]
    return "s", tuple(_decompose(segments[r], ends, x, y) for r, x, y in chain)


def _connected(edges: set[int], ends: dict[int, tuple[int, int]], a: int, b: int, avoid: int) -> bool:
    """Whether a path joins ``a`` to ``b`` without passing through node ``avoid``."""
    seen, todo = {a}, [a]
    while todo:
        node = todo.pop()
        for e in edges:
            if node in ends[e]:
                other = ends[e][0] + ends[e][1] - node
                if other not in seen and other != avoid:
                    seen.add(other)
                    todo.append(other)
    return b in seen
