"""graph_isomorphism: hand-made pairs, hard "no" pairs, config errors, and 1,000 instances checked."""

import networkx as nx
import numpy as np
import pytest

from modgap.isobench import IMAGE, Instance, create_task, solve
from modgap.isobench.suite import _candidate
from modgap.isobench.tasks.graph_isomorphism import IsomorphismConfig


def matrix(n, edges):
    adj = [[0] * n for _ in range(n)]
    for u, v in edges:
        adj[u][v] = adj[v][u] = 1
    return adj


C6 = matrix(6, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0)])
C6_RENAMED = matrix(6, [(0, 3), (3, 1), (1, 5), (5, 2), (2, 4), (4, 0)])
TWO_TRIANGLES = matrix(6, [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)])  # 2-regular too
PATH = matrix(4, [(0, 1), (1, 2), (2, 3)])
STAR = matrix(4, [(0, 1), (0, 2), (0, 3)])


@pytest.mark.parametrize(
    ("a", "b", "answer"),
    [(C6, C6_RENAMED, "yes"), (C6, TWO_TRIANGLES, "no"), (PATH, STAR, "no"), (PATH, PATH, "yes")],
)
def test_solve_hand_made(a, b, answer):
    assert solve("graph_isomorphism", {"adjacency": a, "adjacency2": b}) == answer


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"min_nodes": 4}, "min_nodes"),
        ({"min_nodes": 8, "max_nodes": 7}, "max_nodes"),
        ({"density": 2.0}, "density"),
        ({"max_swaps": 0}, "max_swaps"),
    ],
)
def test_bad_config_names_the_field(overrides, field):
    with pytest.raises(ValueError, match=field):
        IsomorphismConfig(**overrides)


def test_text_forms_show_both_graphs():
    task = create_task("graph_isomorphism")
    inst = Instance("graph_isomorphism", {"adjacency": C6, "adjacency2": TWO_TRIANGLES}, "no", ["yes", "no"])
    text = task.render(inst, "adjacency")
    assert text.startswith("Graph G1: undirected, 6 nodes (0 to 5), adjacency matrix:\n[[0, 1, 0, 0, 0, 1],")
    assert "\n\nGraph G2: undirected, 6 nodes" in text
    assert task.render(inst, "edges").splitlines()[1] == (
        "Graph G2: undirected, nodes 0 to 5, edges: (0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)"
    )
    story = task.render(inst, "story")
    assert "Alice is friends with Bruno and Farid." in story
    assert "Club B has 6 members: Amara, Boris, Carmen, Deepak, Emil and Fatima." in story


def test_dedup_key_is_up_to_isomorphism():
    task = create_task("graph_isomorphism")
    a = Instance("graph_isomorphism", {"adjacency": C6, "adjacency2": C6}, "yes", [])
    b = Instance("graph_isomorphism", {"adjacency": C6_RENAMED, "adjacency2": C6}, "yes", [])
    c = Instance("graph_isomorphism", {"adjacency": C6, "adjacency2": TWO_TRIANGLES}, "no", [])
    assert task.dedup_key(a) == task.dedup_key(b) != task.dedup_key(c)


def test_image_shows_two_panels():
    task = create_task("graph_isomorphism")
    image = task.render(_candidate(task, seed=0, index=1, attempt=0), IMAGE)
    assert image.mode == "RGB" and image.size == (760, 420)


def test_thousand_pairs_are_right_balanced_and_hard():
    task = create_task("graph_isomorphism")
    for i in range(1000):
        inst = _candidate(task, seed=0, index=i, attempt=0)
        assert solve(task.name, inst.fields) == inst.answer == task.classes[i % 2]
        g1, g2 = (nx.from_numpy_array(np.array(inst.fields[k])) for k in ("adjacency", "adjacency2"))
        assert 6 <= len(g1) == len(g2) <= 10 and nx.is_connected(g1) and nx.is_connected(g2)
        assert sorted(d for _, d in g1.degree) == sorted(d for _, d in g2.degree)
        assert inst.fields["adjacency"] != inst.fields["adjacency2"]


def test_smallest_graphs_still_give_hard_no_pairs():
    task = create_task("graph_isomorphism", min_nodes=5, max_nodes=5, max_swaps=1)
    for i in range(60):
        inst = _candidate(task, seed=1, index=i, attempt=0)
        assert solve(task.name, inst.fields) == inst.answer == ("yes", "no")[i % 2]
        assert inst.meta["swaps"] == i % 2
