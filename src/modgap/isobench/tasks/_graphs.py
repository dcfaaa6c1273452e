"""Helpers the three graph tasks share: validation, random structure, text forms, layout and drawing.

Graphs travel as adjacency matrices (lists of lists of ints) so that instances stay JSON; drawings
use a seeded networkx spring layout, re-tried a few times so no node sits on an edge it is not part
of (that would fake a connection in the image).
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

Matrix = list[list[int]]
Edge = tuple[int, int]

MAX_NODES = 20
"""Upper bound on graph size: the story names and the drawings are sized for at most this many nodes."""

TOWNS = (
    "Ashford", "Bramley", "Corbin", "Dunmore", "Elmstead", "Fairview", "Glenwood", "Harlow",
    "Ivybridge", "Jarrow", "Kelso", "Lydford", "Marlow", "Newbury", "Oakham", "Penrith",
    "Quarry Bank", "Redhill", "Selby", "Thirsk",
)  # fmt: skip
PEOPLE = (
    "Alice", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kavya", "Liam", "Maya", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara",
)  # fmt: skip
PEOPLE_2 = (
    "Amara", "Boris", "Carmen", "Deepak", "Emil", "Fatima", "Gustav", "Hana", "Ivan", "Julia",
    "Kenji", "Lena", "Marco", "Nadia", "Oscar", "Priya", "Rafael", "Sofia", "Tomas", "Una",
)  # fmt: skip

NODE_COLOR, EDGE_COLOR, LABEL_COLOR = "#cfe2f3", "#333333", "#7f1d1d"
LABEL_BOX = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": LABEL_COLOR, "lw": 0.6}
NODE_SIZE = 420  # points^2: fits a two-digit label at font size 11
LIMIT = 1.15  # axes run from -LIMIT to LIMIT; positions fill [-1, 1]
HEAD = 0.075  # arrowhead length, axis units
ATTEMPTS = 12  # most spring layouts tried per drawing
CLEARANCE = 0.12
"""Wanted gap (axis units, about 2.3 per panel) between a node and any other node or foreign edge."""


def check_nodes(min_nodes: int, max_nodes: int, lowest: int) -> None:
    """ValueError unless ``lowest <= min_nodes <= max_nodes <= MAX_NODES``."""
    if not lowest <= min_nodes <= MAX_NODES:
        raise ValueError(f"min_nodes must be in [{lowest}, {MAX_NODES}], got {min_nodes}")
    if not min_nodes <= max_nodes <= MAX_NODES:
        raise ValueError(f"max_nodes must be in [min_nodes={min_nodes}, {MAX_NODES}], got {max_nodes}")


def check_fraction(name: str, value: float) -> None:
    """ValueError unless ``0 <= value <= 1``."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


def _tree_edges(rng: random.Random, nodes: Sequence[int]) -> list[Edge]:
    """A uniformly-attached random spanning tree: each node links to one node placed before it."""
    order = list(nodes)
    rng.shuffle(order)
    return [(order[rng.randrange(i)], v) for i, v in enumerate(order) if i]


def connected_edges(rng: random.Random, nodes: Sequence[int], density: float) -> set[Edge]:
    """A connected random graph: a spanning tree plus every other pair with probability ``density``."""
    edges = {tuple(sorted(e)) for e in _tree_edges(rng, nodes)}
    for i, u in enumerate(nodes):
        for v in nodes[i + 1 :]:
            if rng.random() < density:
                edges.add((min(u, v), max(u, v)))
    return edges


def to_matrix(n: int, edges: Iterable[Edge]) -> Matrix:
    """Symmetric 0/1 adjacency matrix of an undirected graph."""
    adj = [[0] * n for _ in range(n)]
    for u, v in edges:
        adj[u][v] = adj[v][u] = 1
    return adj


def edge_list(adj: Matrix, directed: bool = False) -> list[Edge]:
    """Edges in row-major order (``u < v`` for undirected matrices)."""
    n = len(adj)
    return [(u, v) for u in range(n) for v in range(n) if adj[u][v] and (directed or u < v)]


def matrix_text(adj: Matrix) -> str:
    """A matrix as a Python-style nested list, one row per line."""
    width = max(len(str(x)) for row in adj for x in row)
    rows = ["[" + ", ".join(str(x).rjust(width) for x in row) + "]" for row in adj]
    return "[" + ",\n ".join(rows) + "]"


def join_names(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def wl_hash(adj: Matrix, roles: dict[int, str] | None = None, directed: bool = False) -> str:
    """Weisfeiler-Lehman hash: equal for isomorphic graphs (with the same node roles and edge weights)."""
    g = nx.DiGraph() if directed else nx.Graph()
    g.add_nodes_from((v, {"role": (roles or {}).get(v, "")}) for v in range(len(adj)))
    g.add_edges_from((u, v, {"w": str(adj[u][v])}) for u, v in edge_list(adj, directed))
    with warnings.catch_warnings():  # networkx 3.5+ warns that directed hashes changed; ours are run-local
        warnings.simplefilter("ignore", UserWarning)
        return nx.weisfeiler_lehman_graph_hash(g, node_attr="role", edge_attr="w")


def layout(adj: Matrix, seed: int, ends: tuple[int, int] | None = None, labelled: bool = False) -> np.ndarray:
    """Node positions in [-1, 1]^2; components get their own cells so none shrinks to a blob.

    ``ends`` turns a connected drawing so that the first node (a flow's source) is on the left and the
    second (the sink) on the right; ``labelled`` keeps room for a label at every edge's midpoint.
    """
    g = nx.Graph(edge_list(adj, directed=True))
    g.add_nodes_from(range(len(adj)))
    comps = sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: (-len(c), c))
    if len(comps) == 1:
        return _spring(g, seed, np.ones(2), labelled, ends)
    random.Random(seed).shuffle(comps)
    xy = np.zeros((len(adj), 2))
    cells = _treemap([len(c) + 1 for c in comps], np.array([-1.0, -1.0]), np.ones(2))
    for comp, (lo, hi) in zip(comps, cells, strict=True):
        half = min(0.85, 0.25 * len(comp)) * (hi - lo) / 2
        xy[comp] = (lo + hi) / 2 + half * _spring(g.subgraph(comp), seed, half, labelled)
    return xy


def _treemap(weights: list[int], lo: np.ndarray, hi: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split the box ``lo..hi`` into one cell per weight, with areas proportional to the weights."""
    if len(weights) == 1:
        return [(lo, hi)]
    total = sum(weights)
    k = min(range(1, len(weights)), key=lambda i: abs(2 * sum(weights[:i]) - total))
    axis = int(hi[1] - lo[1] > hi[0] - lo[0])
    cut = lo.copy()
    cut[axis] += (hi[axis] - lo[axis]) * sum(weights[:k]) / total
    first_hi = hi.copy()
    first_hi[axis] = cut[axis]
    return _treemap(weights[:k], lo, first_hi) + _treemap(weights[k:], cut, hi)


def _spring(g: nx.Graph, seed: int, half: np.ndarray, labelled: bool, ends: Edge | None = None) -> np.ndarray:
    """The clearest of a few seeded spring layouts of ``g`` (rows in sorted node order) in [-1, 1]^2.

    Clearance is judged after scaling by ``half``, the half-size of the box the layout will fill.
    """
    nodes = sorted(g)
    if len(nodes) == 1:
        return np.zeros((1, 2))
    index = {v: i for i, v in enumerate(nodes)}
    edges = [(index[u], index[v]) for u, v in g.edges]
    best, best_score = np.zeros((len(nodes), 2)), -1.0
    for attempt in range(ATTEMPTS):
        pos = nx.spring_layout(g, seed=seed + attempt)
        xy = np.array([pos[v] for v in nodes])
        if ends:
            xy = _turn(xy, index[ends[0]], index[ends[1]])
        xy = _normalise(xy)
        score = _clearance(xy * half, edges, labelled)
        if score > best_score:
            best, best_score = xy, score
        if score >= CLEARANCE:
            break
    return best


def _turn(xy: np.ndarray, left: int, right: int) -> np.ndarray:
    """Rotate positions so that node ``left`` lies due left of node ``right``."""
    dx, dy = xy[right] - xy[left]
    c, s = np.array([dx, dy]) / max(float(np.hypot(dx, dy)), 1e-9)
    return xy @ np.array([[c, -s], [s, c]])


def _normalise(xy: np.ndarray) -> np.ndarray:
    """Scale each axis into [-1, 1] so the drawing fills its panel."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    return 2 * (xy - lo) / np.where(hi - lo > 1e-9, hi - lo, 1.0) - 1


def _clearance(xy: np.ndarray, edges: list[Edge], labelled: bool) -> float:
    """Smallest gap between nodes (and edge midpoints) and between a node and an edge it is not on."""
    marks = np.vstack([xy, *[(xy[u] + xy[v])[None] / 2 for u, v in edges]]) if labelled else xy
    score = float((_distances(marks, marks) + np.eye(len(marks)) * 9).min()) / 1.5  # circles need less room
    if edges:
        ends = np.array(edges)
        d = _segments_distance(xy, xy[ends[:, 0]], xy[ends[:, 1]])
        d[ends[:, 0], np.arange(len(edges))] = d[ends[:, 1], np.arange(len(edges))] = 9
        score = min(score, float(d.min()))
    return score


def draw_graph(ax: Axes, xy: np.ndarray, adj: Matrix, colors: dict[int, str], directed: bool = False) -> None:
    """Nodes labelled 0..n-1, edges as lines (or arrows with capacity labels when ``directed``)."""
    edges = edge_list(adj, directed)
    ax.set_xlim(-LIMIT, LIMIT)
    ax.set_ylim(-LIMIT, LIMIT)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if directed:
        _arrows(ax, xy, edges, _node_radius(ax))
        for (u, v), at in zip(edges, _label_spots(xy, edges), strict=True):
            ax.text(
                *at, str(adj[u][v]), ha="center", va="center", fontsize=10, color=LABEL_COLOR, bbox=LABEL_BOX
            )
    else:
        ax.add_collection(LineCollection([(xy[u], xy[v]) for u, v in edges], colors=EDGE_COLOR, lw=1.4))
    fill = [colors.get(v, NODE_COLOR) for v in range(len(adj))]
    ax.scatter(xy[:, 0], xy[:, 1], s=NODE_SIZE, c=fill, edgecolors="black", linewidths=1.0, zorder=3)
    for v, (x, y) in enumerate(xy):
        ax.text(x, y, str(v), ha="center", va="center", fontsize=11, fontweight="bold", zorder=5)


def _node_radius(ax: Axes) -> float:
    """A node circle's radius in data units (the axes have equal aspect and +-LIMIT limits)."""
    box, (width, height), dpi = ax.get_position(), ax.figure.get_size_inches(), ax.figure.dpi
    pixels_per_unit = min(box.width * width, box.height * height) * dpi / (2 * LIMIT)
    return np.sqrt(NODE_SIZE) / 2 * dpi / 72 / pixels_per_unit


def _arrows(ax: Axes, xy: np.ndarray, edges: list[Edge], radius: float) -> None:
    """Straight arrows between node rims, as two collections (much faster than one patch per arrow)."""
    a, b = xy[[u for u, _ in edges]], xy[[v for _, v in edges]]
    unit = (b - a) / np.hypot(*(b - a).T)[:, None]
    side = unit[:, ::-1] * np.array([-1.0, 1.0])
    tip = b - (radius + 0.005) * unit
    base = tip - HEAD * unit
    ax.add_collection(LineCollection(np.stack([a + radius * unit, base], 1), colors=EDGE_COLOR, lw=1.3))
    heads = np.stack([tip, base + 0.4 * HEAD * side, base - 0.4 * HEAD * side], 1)
    ax.add_collection(PolyCollection(heads, facecolors=EDGE_COLOR, edgecolors=EDGE_COLOR, lw=0.5))


def _label_spots(xy: np.ndarray, edges: list[Edge]) -> list[np.ndarray]:
    """Where to put each edge's label: the spot along it farthest from nodes, other edges and labels."""
    a, b = xy[[u for u, _ in edges]], xy[[v for _, v in edges]]
    spots: list[np.ndarray] = []
    for k in range(len(edges)):
        candidates = a[k] + np.array([0.5, 0.4, 0.6, 0.3, 0.7])[:, None] * (b[k] - a[k])
        others = np.arange(len(edges)) != k
        gaps = np.minimum(
            _distances(candidates, xy).min(1),
            2 * _segments_distance(candidates, a[others], b[others]).min(1, initial=9),
        )
        if spots:
            gaps = np.minimum(gaps, _distances(candidates, np.array(spots)).min(1))
        best = int(np.argmax(gaps > gaps.max() - 0.01))  # the most central of the (nearly) best spots
        spots.append(candidates[best])
    return spots


def _distances(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Pairwise distances between the rows of ``p`` and of ``q``."""
    return np.hypot(*(p[:, None, :] - q[None, :, :]).transpose(2, 0, 1))


def _segments_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from each point ``p[i]`` to each segment ``a[j]``-``b[j]``."""
    ab = b - a
    t = np.clip(
        np.einsum("ijk,jk->ij", p[:, None, :] - a[None], ab) / np.maximum((ab**2).sum(1), 1e-12), 0, 1
    )
    return np.hypot(*(a[None] + t[..., None] * ab[None] - p[:, None, :]).transpose(2, 0, 1))


def caption(fig: Figure, title: str, entries: dict[str, str]) -> None:
    """A title on top and a node-colour legend (label -> colour) at the bottom of the figure.

    Figure-level text, not ``ax.set_title``: the axes title makes matplotlib lay out hidden ticks.
    """
    fig.text(0.5, 0.975, title, ha="center", va="top", fontsize=12)
    handles = [Line2D([], [], marker="o", ls="", ms=11, mfc=c, mec="k", label=k) for k, c in entries.items()]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)
