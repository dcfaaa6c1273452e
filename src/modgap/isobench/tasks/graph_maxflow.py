"""Task graph_maxflow: the maximum flow from source to sink in a directed network with integer capacities.

The answer is a number; suites balance it over buckets of width ``bucket_width``
(``1-4``, ``5-8``, ``9-12``, ``13+`` by default, each 18-35% likely under the default config), and
``sample`` redraws networks until the flow lands in the asked bucket, so within a bucket the networks
follow their natural distribution. ``choices`` is empty: the answer is a free-form integer.
Every node lies on some source-to-sink path and there is no direct source-sink edge or pair of
opposite edges, so the flow is at least 1, never a single edge's capacity, and easy to draw.
"""

from __future__ import annotations

import random
from collections import deque
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
    draw_graph,
    edge_list,
    join_names,
    layout,
    matrix_text,
    wl_hash,
)

SOURCE_COLOR, SINK_COLOR = "#93c47d", "#e06666"
MAX_TRIES = 1000


@dataclass(frozen=True)
class MaxflowConfig(TaskConfig):
    min_nodes: int = 5
    """Fewest nodes in a network (source and sink included)."""
    max_nodes: int = 8
    """Most nodes in a network (more crowds the capacity labels in the image)."""
    density: float = 0.2
    """Chance of each extra forward edge (along a hidden source-to-sink order); backward ones get a third."""
    max_capacity: int = 9
    """Capacities are drawn uniformly from 1..max_capacity."""
    bucket_width: int = 4
    """Width of each answer bucket (the classes a suite balances over)."""
    buckets: int = 4
    """Number of answer buckets; the last one is open-ended."""

    def __post_init__(self) -> None:
        check_nodes(self.min_nodes, self.max_nodes, lowest=4)
        check_fraction("density", self.density)
        for name in ("max_capacity", "bucket_width"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.buckets < 2:
            raise ValueError(f"buckets must be >= 2, got {self.buckets}")


@register_task("graph_maxflow")
class MaxflowTask(Task):
    domain = "graph"
    text_representations = ("adjacency", "edges", "story")
    config_class = MaxflowConfig
    config: MaxflowConfig

    @property
    def classes(self) -> list[str]:
        w, k = self.config.bucket_width, self.config.buckets
        return [f"{i * w + 1}-{(i + 1) * w}" for i in range(k - 1)] + [f"{(k - 1) * w + 1}+"]

    def answer_class(self, instance: Instance) -> str:
        index = min((int(instance.answer) - 1) // self.config.bucket_width, self.config.buckets - 1)
        return self.classes[max(index, 0)]  # a zero flow (never generated) counts in the lowest bucket

    def sample(self, rng: random.Random, target: str) -> Instance:
        index = self.classes.index(target)
        w, last = self.config.bucket_width, index == self.config.buckets - 1
        for _ in range(MAX_TRIES):
            adj, source, sink = _network(rng, self.config)
            flow = _edmonds_karp(adj, source, sink)
            if index * w < flow and (last or flow <= (index + 1) * w):
                fields = {"adjacency": adj, "source": source, "sink": sink}
                return Instance(self.name, fields, str(flow), [], meta={"edges": len(edge_list(adj, True))})
        raise RuntimeError(
            f"graph_maxflow: no network with flow in bucket {target} after {MAX_TRIES} tries; "
            "change the node range, density, max_capacity or the buckets"
        )

    @staticmethod
    def solve(fields: dict[str, Any]) -> str:
        adj = fields["adjacency"]
        g = nx.DiGraph()
        g.add_nodes_from(range(len(adj)))
        g.add_edges_from((u, v, {"capacity": adj[u][v]}) for u, v in edge_list(adj, directed=True))
        return str(nx.maximum_flow_value(g, fields["source"], fields["sink"]))

    def render_text(self, instance: Instance, representation: str) -> str:
        adj, s, t = (instance.fields[k] for k in ("adjacency", "source", "sink"))
        n, ends = len(adj), f"Source: {s}\nSink: {t}"
        if representation == "adjacency":
            return (
                f"Capacity matrix of a directed graph with {n} nodes (0 to {n - 1}); row i, column j is the "
                f"capacity of the edge from i to j (0 means no edge):\n{matrix_text(adj)}\n{ends}"
            )
        if representation == "edges":
            lines = [f"{u} -> {v}, capacity {adj[u][v]}" for u, v in edge_list(adj, directed=True)]
            return f"A directed graph with nodes 0 to {n - 1}. Edges:\n" + "\n".join(lines) + f"\n{ends}"
        return _story(adj, s, t)

    def render_image(self, instance: Instance) -> Image.Image:
        adj, s, t = (instance.fields[k] for k in ("adjacency", "source", "sink"))
        xy = layout(adj, seed=int(instance.id[:8], 16), ends=(s, t), labelled=True)
        with figure(5.2, 5.2) as fig:
            ax = fig.add_axes((0.02, 0.09, 0.96, 0.83))
            draw_graph(ax, xy, adj, colors={s: SOURCE_COLOR, t: SINK_COLOR}, directed=True)
            keys = {f"source ({s})": SOURCE_COLOR, f"sink ({t})": SINK_COLOR, "other nodes": NODE_COLOR}
            caption(fig, f"Flow network, {len(adj)} nodes (edge labels: capacities)", keys)
            return figure_image(fig)

    def dedup_key(self, instance: Instance) -> str:
        """Same network up to relabelling, capacities and source/sink roles included."""
        f = instance.fields
        return wl_hash(f["adjacency"], roles={f["source"]: "s", f["sink"]: "t"}, directed=True)


def _network(rng: random.Random, cfg: MaxflowConfig) -> tuple[Matrix, int, int]:
    """A random network along a hidden node order from source (first) to sink (last).

    Each node gets an edge from an earlier node and one to a later node (so it sits on a
    source-to-sink path), then extra edges; opposite pairs and source-sink edges are skipped.
    """
    n = rng.randint(cfg.min_nodes, cfg.max_nodes)
    order = list(range(n))
    rng.shuffle(order)
    pairs = [(rng.randrange(i), i) for i in range(1, n - 1)] + [
        (i, rng.randrange(i + 1, n)) for i in range(1, n - 1)
    ]
    for i in range(n):
        for j in range(n):
            if i != j and rng.random() < (cfg.density if i < j else cfg.density / 3):
                pairs.append((i, j))
    adj = [[0] * n for _ in range(n)]
    for i, j in pairs:
        u, v = order[i], order[j]
        if not adj[u][v] and not adj[v][u] and {i, j} != {0, n - 1}:
            adj[u][v] = rng.randint(1, cfg.max_capacity)
    return adj, order[0], order[-1]


def _edmonds_karp(adj: Matrix, source: int, sink: int) -> int:
    """Max flow by shortest augmenting paths on a residual matrix (the generator's own check)."""
    residual = [row[:] for row in adj]
    flow = 0
    while True:
        parent = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            u = queue.popleft()
            for v, cap in enumerate(residual[u]):
                if cap > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            return flow
        path, v = [], sink
        while v != source:
            path.append((parent[v], v))
            v = parent[v]
        push = min(residual[u][v] for u, v in path)
        for u, v in path:
            residual[u][v] -= push
            residual[v][u] += push
        flow += push


def _story(adj: Matrix, s: int, t: int) -> str:
    """Towns joined by one-way water pipes; each pipe is listed under the town it leaves."""
    n = len(adj)
    lines = [
        f"A water network links {n} towns: {join_names(TOWNS[:n])}. Water flows only one way along each pipe."
    ]
    for u in range(n):
        out = [f"{TOWNS[v]} (up to {_units(adj[u][v])} per hour)" for v in range(n) if adj[u][v]]
        if out:
            lines.append(f"From {TOWNS[u]}, pipes lead to {join_names(out)}.")
    lines.append(f"Water is pumped in at {TOWNS[s]} and delivered to {TOWNS[t]}.")
    return "\n".join(lines)


def _units(k: int) -> str:
    return f"{k} unit" if k == 1 else f"{k} units"
