"""Task graph_isomorphism: are two undirected graphs the same graph up to renaming the nodes?

"yes" pairs are a graph and a random relabelling of it. "no" pairs are a graph and a relabelled copy
changed by a few degree-preserving edge swaps (a-b, c-d -> a-d, c-b), checked non-isomorphic: both
have the same node count, edge count and degree sequence and both are connected, so no count tells
them apart. The two drawings use different layouts, so position never gives the answer away.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import networkx as nx
from matplotlib.lines import Line2D
from PIL import Image

from modgap.isobench.drawing import figure, figure_image
from modgap.isobench.task import Instance, Task, TaskConfig, register_task
from modgap.isobench.tasks._graphs import (
    NODE_COLOR,
    PEOPLE,
    PEOPLE_2,
    Edge,
    Matrix,
    check_fraction,
    check_nodes,
    connected_edges,
    draw_graph,
    edge_list,
    join_names,
    layout,
    matrix_text,
    to_matrix,
    wl_hash,
)

G2_COLOR = "#d9ead3"
MAX_TRIES = 200


@dataclass(frozen=True)
class IsomorphismConfig(TaskConfig):
    min_nodes: int = 6
    """Fewest nodes per graph."""
    max_nodes: int = 10
    """Most nodes per graph (two graphs share one image)."""
    density: float = 0.25
    """Chance of each extra edge on top of a random spanning tree."""
    max_swaps: int = 2
    """Most degree-preserving edge swaps between the graphs of a "no" pair (fewer is harder)."""

    def __post_init__(self) -> None:
        check_nodes(self.min_nodes, self.max_nodes, lowest=5)
        check_fraction("density", self.density)
        if self.max_swaps < 1:
            raise ValueError(f"max_swaps must be >= 1, got {self.max_swaps}")


@register_task("graph_isomorphism")
class IsomorphismTask(Task):
    domain = "graph"
    text_representations = ("adjacency", "edges", "story")
    config_class = IsomorphismConfig
    config: IsomorphismConfig

    @property
    def classes(self) -> list[str]:
        return ["yes", "no"]

    def sample(self, rng: random.Random, target: str) -> Instance:
        cfg = self.config
        for _ in range(MAX_TRIES):
            n = rng.randint(cfg.min_nodes, cfg.max_nodes)
            edges = connected_edges(rng, list(range(n)), cfg.density)
            swaps = 0 if target == "yes" else rng.randint(1, cfg.max_swaps)
            other = _swapped(rng, n, edges, swaps)
            if other is not None:
                adj, adj2 = to_matrix(n, edges), _relabelled(rng, to_matrix(n, other))
                fields = {"adjacency": adj, "adjacency2": adj2}
                return Instance(self.name, fields, target, ["yes", "no"], meta={"swaps": swaps})
        raise RuntimeError(f"graph_isomorphism: no {target!r} pair after {MAX_TRIES} graphs; raise density")

    @staticmethod
    def solve(fields: dict[str, Any]) -> str:
        graphs = []
        for adj in (fields["adjacency"], fields["adjacency2"]):
            g = nx.Graph(edge_list(adj))
            g.add_nodes_from(range(len(adj)))
            graphs.append(g)
        return "yes" if nx.is_isomorphic(*graphs) else "no"

    def render_text(self, instance: Instance, representation: str) -> str:
        pair = (instance.fields["adjacency"], instance.fields["adjacency2"])
        if representation == "adjacency":
            return "\n\n".join(
                f"Graph {name}: undirected, {len(adj)} nodes (0 to {len(adj) - 1}), adjacency matrix:\n"
                f"{matrix_text(adj)}"
                for name, adj in zip(("G1", "G2"), pair, strict=True)
            )
        if representation == "edges":
            return "\n".join(
                f"Graph {name}: undirected, nodes 0 to {len(adj) - 1}, edges: "
                + ", ".join(f"({u}, {v})" for u, v in edge_list(adj))
                for name, adj in zip(("G1", "G2"), pair, strict=True)
            )
        return "\n\n".join(
            _story(club, names, adj) for club, names, adj in zip("AB", (PEOPLE, PEOPLE_2), pair, strict=True)
        )

    def render_image(self, instance: Instance) -> Image.Image:
        seed = int(instance.id[:8], 16)
        pair = (instance.fields["adjacency"], instance.fields["adjacency2"])
        with figure(7.6, 4.2) as fig:
            for k, (adj, color) in enumerate(zip(pair, (NODE_COLOR, G2_COLOR), strict=True)):
                ax = fig.add_axes((0.01 + 0.5 * k, 0.01, 0.48, 0.86))
                draw_graph(
                    ax, layout(adj, seed + 7919 * k), adj, colors=dict.fromkeys(range(len(adj)), color)
                )
                fig.text(0.25 + 0.5 * k, 0.97, f"G{k + 1}", ha="center", va="top", fontsize=14, weight="bold")
            fig.add_artist(
                Line2D([0.5, 0.5], [0.03, 0.95], transform=fig.transFigure, color="#999999", lw=1.0)
            )
            return figure_image(fig)

    def dedup_key(self, instance: Instance) -> str:
        """The unordered pair of graphs, each up to relabelling."""
        hashes = sorted(wl_hash(instance.fields[k]) for k in ("adjacency", "adjacency2"))
        return f"{instance.answer}:{hashes[0]}:{hashes[1]}"


def _swapped(rng: random.Random, n: int, edges: set[Edge], swaps: int) -> set[Edge] | None:
    """``edges`` after ``swaps`` double-edge swaps, connected and not isomorphic to the original.

    With ``swaps == 0`` the edges come back unchanged; None when no such swap sequence turns up.
    """
    if not swaps:
        return edges
    original = nx.Graph(list(edges))
    for _ in range(20):
        current = set(edges)
        for _ in range(swaps):
            current = _swap_once(rng, current)
        g = nx.Graph(list(current))
        g.add_nodes_from(range(n))
        if nx.is_connected(g) and not nx.vf2pp_is_isomorphic(original, g):
            return current
    return None


def _swap_once(rng: random.Random, edges: set[Edge]) -> set[Edge]:
    """Replace edges a-b and c-d by a-d and c-b (degrees unchanged), if such a swap exists."""
    ordered = sorted(edges)
    for _ in range(50):
        (a, b), (c, d) = rng.sample(ordered, 2)
        if rng.random() < 0.5:
            c, d = d, c
        new1, new2 = (min(a, d), max(a, d)), (min(c, b), max(c, b))
        if len({a, b, c, d}) == 4 and new1 not in edges and new2 not in edges:
            return (edges - {(a, b), tuple(sorted((c, d)))}) | {new1, new2}
    return edges


def _relabelled(rng: random.Random, adj: Matrix) -> Matrix:
    """The same graph under a random renaming of its nodes (not the identity on the matrix)."""
    n = len(adj)
    for _ in range(10):
        perm = list(range(n))
        rng.shuffle(perm)
        out = [[0] * n for _ in range(n)]
        for u, v in edge_list(adj):
            out[perm[u]][perm[v]] = out[perm[v]][perm[u]] = 1
        if out != adj:
            break
    return out


def _story(club: str, names: tuple[str, ...], adj: Matrix) -> str:
    """A club's members and friendships; each friendship is told once, by its lower-numbered member."""
    n = len(adj)
    lines = [f"Club {club} has {n} members: {join_names(names[:n])}. Friendship is mutual."]
    for u in range(n):
        later = [names[v] for v in range(u + 1, n) if adj[u][v]]
        if later:
            lines.append(f"{names[u]} is friends with {join_names(later)}.")
    return "\n".join(lines)
