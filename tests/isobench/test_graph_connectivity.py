"""graph_connectivity: hand-made answers, config errors, and 1,000 generated instances checked."""

import time

import networkx as nx
import pytest

from modgap.isobench import IMAGE, Instance, create_task, solve
from modgap.isobench.suite import _candidate
from modgap.isobench.tasks.graph_connectivity import ConnectivityConfig

# 0-1-2 is a path, 3-4 an edge, 5 is isolated
ADJ = [
    [0, 1, 0, 0, 0, 0],
    [1, 0, 1, 0, 0, 0],
    [0, 1, 0, 0, 0, 0],
    [0, 0, 0, 0, 1, 0],
    [0, 0, 0, 1, 0, 0],
    [0, 0, 0, 0, 0, 0],
]


@pytest.mark.parametrize(
    ("query", "answer"), [([0, 2], "yes"), ([2, 0], "yes"), ([3, 4], "yes"), ([0, 3], "no"), ([5, 1], "no")]
)
def test_solve_hand_made(query, answer):
    assert solve("graph_connectivity", {"adjacency": ADJ, "query": query}) == answer


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"min_nodes": 4}, "min_nodes"),
        ({"min_nodes": 9, "max_nodes": 8}, "max_nodes"),
        ({"max_nodes": 21}, "max_nodes"),
        ({"density": 1.5}, "density"),
        ({"density": 1.0}, "density"),
        ({"isolated_prob": -0.1}, "isolated_prob"),
        ({"max_components": 1}, "max_components"),
    ],
)
def test_bad_config_names_the_field(overrides, field):
    with pytest.raises(ValueError, match=field):
        ConnectivityConfig(**overrides)


def test_text_forms_show_graph_and_query():
    task = create_task("graph_connectivity")
    inst = _candidate(task, seed=0, index=0, attempt=0)
    u, v = inst.fields["query"]
    n = len(inst.fields["adjacency"])
    matrix = task.render(inst, "adjacency")
    assert matrix.count("\n [") == n - 1 and matrix.endswith(f"Query nodes: {u} and {v}")
    edges = task.render(inst, "edges")
    assert edges.count("(") == sum(map(sum, inst.fields["adjacency"])) // 2
    story = task.render(inst, "story")
    assert "Ashford" in story and "two towns of interest" in story


def test_story_mentions_isolated_towns():
    task = create_task("graph_connectivity")
    inst = _candidate(task, seed=0, index=0, attempt=0)
    story = task.render_text(Instance(inst.task, {"adjacency": ADJ, "query": [0, 5]}, "no", []), "story")
    assert "Fairview has no roads." in story
    assert "Ashford has a road to Bramley." in story and "Bramley has a road to Corbin." in story
    assert story.endswith("The two towns of interest are Ashford and Fairview.")


def test_image_is_a_legible_size():
    task = create_task("graph_connectivity")
    image = task.render(_candidate(task, seed=0, index=1, attempt=0), IMAGE)
    assert image.mode == "RGB" and min(image.size) >= 400 and max(image.size) <= 700


def test_dedup_key_ignores_node_names():
    task = create_task("graph_connectivity")
    inst = _candidate(task, seed=0, index=3, attempt=0)
    n = len(inst.fields["adjacency"])
    perm = list(reversed(range(n)))
    adj = [[inst.fields["adjacency"][perm[i]][perm[j]] for j in range(n)] for i in range(n)]
    query = [perm.index(q) for q in inst.fields["query"]]
    renamed = Instance(inst.task, {"adjacency": adj, "query": query}, inst.answer, inst.choices)
    assert task.dedup_key(renamed) == task.dedup_key(inst)


def test_thousand_instances_are_right_balanced_and_not_trivial():
    task = create_task("graph_connectivity")
    start = time.perf_counter()
    insts = [_candidate(task, seed=0, index=i, attempt=0) for i in range(1000)]
    no_both_big = 0
    for i, inst in enumerate(insts):
        assert solve(task.name, inst.fields) == inst.answer
        assert task.answer_class(inst) == inst.answer == ("yes", "no")[i % 2]
        adj, (u, v) = inst.fields["adjacency"], inst.fields["query"]
        assert 6 <= len(adj) <= 15 and adj == [list(r) for r in zip(*adj, strict=True)]
        g = nx.Graph([(a, b) for a in range(len(adj)) for b in range(a) if adj[a][b]])
        g.add_nodes_from(range(len(adj)))
        assert nx.number_connected_components(g) >= 2 and u != v and not adj[u][v]
        if inst.answer == "no":
            no_both_big += (
                len(nx.node_connected_component(g, u)) > 1 and len(nx.node_connected_component(g, v)) > 1
            )
    assert no_both_big >= 0.75 * 500
    assert time.perf_counter() - start < 30


def test_story_uses_plural_for_several_roads():
    task = create_task("graph_connectivity")
    star = [[0, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0]]
    story = task.render_text(
        Instance("graph_connectivity", {"adjacency": star, "query": [1, 2]}, "yes", []), "story"
    )
    assert "Ashford has roads to Bramley and Corbin." in story and "Dunmore has a road to Elmstead." in story


def test_smallest_graphs_still_meet_every_target():
    task = create_task("graph_connectivity", min_nodes=5, max_nodes=5, density=0.5)
    for i in range(100):
        inst = _candidate(task, seed=1, index=i, attempt=0)
        assert len(inst.fields["adjacency"]) == 5 and solve(task.name, inst.fields) == ("yes", "no")[i % 2]
