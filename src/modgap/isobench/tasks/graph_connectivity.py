"""Task graph_connectivity: is there a path between the two query nodes of an undirected graph?

Every graph has several components (so "yes" is never implied by the graph being connected), the
query nodes are never adjacent, and "no" queries usually join two non-singleton components, so the
answer needs a search, not a glance at one edge or at an isolated node.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import networkx as nx
from PIL import Image

from modgap.isobench.drawing import figure, figure_image
from modgap.isobench.task import Instance, Task, TaskConfig, register_task
from modgap.isobench.tasks._graphs import (
    NODE_COLOR,
    TOWNS,
    Matrix,
    caption,
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

QUERY_COLOR = "#f6b26b"
MAX_TRIES = 100


@dataclass(frozen=True)
class ConnectivityConfig(TaskConfig):
    min_nodes: int = 6
    """Fewest nodes in a graph."""
    max_nodes: int = 15
    """Most nodes in a graph."""
    density: float = 0.2
    """Chance of each extra edge inside a component, on top of its spanning tree (< 1, so that "yes"
    queries can be two nodes that are not neighbours)."""
    max_components: int = 3
    """Most non-singleton components (at least two are always drawn)."""
    isolated_prob: float = 0.2
    """Chance that the graph also has one isolated node (a query may land on it)."""

    def __post_init__(self) -> None:
        check_nodes(self.min_nodes, self.max_nodes, lowest=5)
        check_fraction("density", self.density)
        if self.density == 1:
            raise ValueError("density must be < 1 (complete components leave no non-adjacent query)")
        check_fraction("isolated_prob", self.isolated_prob)
        if self.max_components < 2:
            raise ValueError(f"max_components must be >= 2, got {self.max_components}")


@register_task("graph_connectivity")
class ConnectivityTask(Task):
    domain = "graph"
    text_representations = ("adjacency", "edges", "story")
    config_class = ConnectivityConfig
    config: ConnectivityConfig

    @property
    def classes(self) -> list[str]:
        return ["yes", "no"]

    def sample(self, rng: random.Random, target: str) -> Instance:
        cfg = self.config
        for _ in range(MAX_TRIES):
            n = rng.randint(cfg.min_nodes, cfg.max_nodes)
            comps = _components(rng, n, cfg)
            edges = set().union(*(connected_edges(rng, c, cfg.density) for c in comps if len(c) > 1))
            adj = to_matrix(n, edges)
            query = _query(rng, adj, comps, connected=target == "yes")
            if query:
                sizes = sorted((len(c) for c in comps), reverse=True)
                fields = {"adjacency": adj, "query": query}
                return Instance(self.name, fields, target, ["yes", "no"], meta={"component_sizes": sizes})
        raise RuntimeError(f"graph_connectivity: no non-adjacent {target!r} query in {MAX_TRIES} graphs")

    @staticmethod
    def solve(fields: dict[str, Any]) -> str:
        adj, (u, v) = fields["adjacency"], fields["query"]
        g = nx.Graph(edge_list(adj))
        g.add_nodes_from(range(len(adj)))
        return "yes" if nx.has_path(g, u, v) else "no"

    def render_text(self, instance: Instance, representation: str) -> str:
        adj, (u, v) = instance.fields["adjacency"], instance.fields["query"]
        n = len(adj)
        if representation == "adjacency":
            return (
                f"Adjacency matrix of an undirected graph with {n} nodes (0 to {n - 1}):\n"
                f"{matrix_text(adj)}\nQuery nodes: {u} and {v}"
            )
        if representation == "edges":
            edges = ", ".join(f"({a}, {b})" for a, b in edge_list(adj))
            return f"An undirected graph with nodes 0 to {n - 1}.\nEdges: {edges}\nQuery nodes: {u} and {v}"
        return _story(adj, u, v)

    def render_image(self, instance: Instance) -> Image.Image:
        adj, query = instance.fields["adjacency"], instance.fields["query"]
        xy = layout(adj, seed=int(instance.id[:8], 16))
        with figure(5.0, 5.2) as fig:
            ax = fig.add_axes((0.02, 0.09, 0.96, 0.83))
            draw_graph(ax, xy, adj, colors=dict.fromkeys(query, QUERY_COLOR))
            keys = {f"query nodes ({query[0]} and {query[1]})": QUERY_COLOR, "other nodes": NODE_COLOR}
            caption(fig, f"Undirected graph, {len(adj)} nodes", keys)
            return figure_image(fig)

    def dedup_key(self, instance: Instance) -> str:
        """Same graph up to relabelling, with the same (unordered) query pair."""
        return wl_hash(instance.fields["adjacency"], roles=dict.fromkeys(instance.fields["query"], "q"))


def _components(rng: random.Random, n: int, cfg: ConnectivityConfig) -> list[list[int]]:
    """A random partition of shuffled nodes: >= 2 components of size >= 2, maybe one isolated node."""
    isolated = rng.random() < cfg.isolated_prob
    k = rng.randint(2, min(cfg.max_components, (n - isolated) // 2))
    extra = n - isolated - 2 * k
    bars = sorted(rng.randint(0, extra) for _ in range(k - 1))
    sizes = [2 + b - a for a, b in zip([0, *bars], [*bars, extra], strict=True)]
    order = list(range(n))
    rng.shuffle(order)
    comps, start = [], 0
    for size in [*sizes, *([1] if isolated else [])]:
        comps.append(order[start : start + size])
        start += size
    return comps


def _query(rng: random.Random, adj: Matrix, comps: list[list[int]], connected: bool) -> list[int] | None:
    """Two non-adjacent nodes in one component (None if every component is complete) or in two."""
    if connected:
        pairs = [(a, b) for c in comps for i, a in enumerate(c) for b in c[i + 1 :] if not adj[a][b]]
        if not pairs:
            return None
        u, v = rng.choice(pairs)
    else:
        big = [c for c in comps if len(c) > 1]
        first, second = rng.sample(comps if rng.random() < 0.25 else big, 2)
        u, v = rng.choice(first), rng.choice(second)
    return [u, v] if rng.random() < 0.5 else [v, u]


def _story(adj: Matrix, u: int, v: int) -> str:
    """Towns and two-way roads; each road is listed once, under its lower-numbered town."""
    n = len(adj)
    lines = [f"A region has {n} towns: {join_names(TOWNS[:n])}. All roads are two-way."]
    for a in range(n):
        later = [TOWNS[b] for b in range(a + 1, n) if adj[a][b]]
        if later:
            lines.append(f"{TOWNS[a]} has {'a road' if len(later) == 1 else 'roads'} to {join_names(later)}.")
        elif not any(adj[a]):
            lines.append(f"{TOWNS[a]} has no roads.")
    lines.append(f"The two towns of interest are {TOWNS[u]} and {TOWNS[v]}.")
    return "\n".join(lines)
