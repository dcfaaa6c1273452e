"""graph_maxflow: hand-made flows, buckets, config errors, and 1,000 generated networks checked."""

import networkx as nx
import pytest

from modgap.isobench import IMAGE, Instance, create_task, solve
from modgap.isobench.suite import _candidate
from modgap.isobench.tasks.graph_maxflow import MaxflowConfig, _edmonds_karp

# The CLRS flow network (Cormen et al., Fig. 26.1): max flow 23 from node 0 to node 5.
CLRS = [
    [0, 16, 13, 0, 0, 0],
    [0, 0, 0, 12, 0, 0],
    [0, 4, 0, 0, 14, 0],
    [0, 0, 9, 0, 0, 20],
    [0, 0, 0, 7, 0, 4],
    [0, 0, 0, 0, 0, 0],
]


@pytest.mark.parametrize(("source", "sink", "flow"), [(0, 5, "23"), (5, 0, "0"), (2, 3, "11"), (0, 1, "20")])
def test_solve_hand_made(source, sink, flow):
    fields = {"adjacency": CLRS, "source": source, "sink": sink}
    assert solve("graph_maxflow", fields) == flow
    assert str(_edmonds_karp(CLRS, source, sink)) == flow


def test_buckets_cover_every_flow():
    task = create_task("graph_maxflow")
    assert task.classes == ["1-4", "5-8", "9-12", "13+"]
    inst = _candidate(task, seed=0, index=0, attempt=0)
    for answer, bucket in [
        ("1", "1-4"),
        ("4", "1-4"),
        ("5", "5-8"),
        ("12", "9-12"),
        ("13", "13+"),
        ("40", "13+"),
    ]:
        assert task.answer_class(Instance(inst.task, inst.fields, answer, [])) == bucket
    assert create_task("graph_maxflow", bucket_width=10, buckets=2).classes == ["1-10", "11+"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"min_nodes": 3}, "min_nodes"),
        ({"min_nodes": 8, "max_nodes": 6}, "max_nodes"),
        ({"density": -0.2}, "density"),
        ({"max_capacity": 0}, "max_capacity"),
        ({"bucket_width": 0}, "bucket_width"),
        ({"buckets": 1}, "buckets"),
    ],
)
def test_bad_config_names_the_field(overrides, field):
    with pytest.raises(ValueError, match=field):
        MaxflowConfig(**overrides)


def test_unreachable_bucket_is_a_clear_error():
    task = create_task("graph_maxflow", min_nodes=4, max_nodes=4, max_capacity=1)
    with pytest.raises(RuntimeError, match="bucket 13\\+"):
        _candidate(task, seed=0, index=3, attempt=0)


def test_text_forms():
    task = create_task("graph_maxflow")
    fields = {"adjacency": CLRS, "source": 0, "sink": 5}
    inst = Instance("graph_maxflow", fields, "23", [])
    assert task.render(inst, "adjacency").endswith(" [ 0,  0,  0,  0,  0,  0]]\nSource: 0\nSink: 5")
    edges = task.render(inst, "edges").splitlines()
    assert edges[1] == "0 -> 1, capacity 16" and len(edges) == 1 + 9 + 2
    story = task.render(inst, "story")
    assert "From Ashford, pipes lead to Bramley (up to 16 units per hour) and Corbin (up to 13 units" in story
    assert story.endswith("Water is pumped in at Ashford and delivered to Fairview.")


def test_image_is_a_legible_size():
    task = create_task("graph_maxflow")
    image = task.render(_candidate(task, seed=0, index=1, attempt=0), IMAGE)
    assert image.mode == "RGB" and min(image.size) >= 400 and max(image.size) <= 700


def test_thousand_networks_are_right_balanced_and_well_formed():
    task = create_task("graph_maxflow")
    for i in range(1000):
        inst = _candidate(task, seed=0, index=i, attempt=0)
        assert solve(task.name, inst.fields) == inst.answer
        assert task.answer_class(inst) == task.classes[i % 4]
        adj, s, t = inst.fields["adjacency"], inst.fields["source"], inst.fields["sink"]
        n = len(adj)
        assert 5 <= n <= 8 and s != t and adj[s][t] == adj[t][s] == 0
        assert all(0 <= adj[u][v] <= 9 and not (adj[u][v] and adj[v][u]) for u in range(n) for v in range(n))
        g = nx.DiGraph([(u, v) for u in range(n) for v in range(n) if adj[u][v]])
        assert nx.descendants(g, s) | {s} == set(range(n)) == nx.ancestors(g, t) | {t}


def test_small_networks_with_custom_buckets():
    task = create_task("graph_maxflow", min_nodes=4, max_nodes=5, max_capacity=3, bucket_width=2, buckets=3)
    assert task.classes == ["1-2", "3-4", "5+"]
    for i in range(60):
        inst = _candidate(task, seed=1, index=i, attempt=0)
        assert solve(task.name, inst.fields) == inst.answer and task.answer_class(inst) == task.classes[i % 3]
