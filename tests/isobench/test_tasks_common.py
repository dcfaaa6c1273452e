"""Properties every registered task must have (one parametrised test per property, as reasoning-gym does)."""

from collections import Counter

import pytest
from PIL import Image

from modgap.isobench import IMAGE, TASKS, Instance, create_task, solve
from modgap.isobench.suite import _candidate
from modgap.isobench.task import png_bytes

ALL = [
    "math_parity", "math_convexity", "math_breakpoint",
    "graph_connectivity", "graph_maxflow", "graph_isomorphism",
    "chess_winner", "chess_puzzle", "chemistry", "physics",
]  # fmt: skip
N = 60


def test_all_ten_tasks_are_registered():
    assert sorted(TASKS) == sorted(ALL)


@pytest.fixture(params=sorted(TASKS))
def task(request):
    return create_task(request.param)


def test_solver_agrees_with_generator_and_targets_are_honoured(task):
    for i in range(N):
        inst = _candidate(task, seed=0, index=i, attempt=0)
        assert inst.task == task.name
        assert solve(task.name, inst.fields) == inst.answer, inst
        assert task.answer_class(inst) == task.classes[i % len(task.classes)], inst
        assert inst.answer in inst.choices or not inst.choices
        assert task.score(inst.answer, inst) == 1.0


def test_same_seed_same_instance_and_png_bytes(task):
    a, b = (_candidate(task, seed=5, index=3, attempt=0) for _ in range(2))
    assert a == b
    assert png_bytes(task.render(a, IMAGE)) == png_bytes(task.render(b, IMAGE))
    assert _candidate(task, seed=6, index=3, attempt=0) != a


def test_every_representation_renders(task):
    inst = _candidate(task, seed=1, index=0, attempt=0)
    for rep in task.text_representations:
        text = task.render(inst, rep)
        assert isinstance(text, str) and text.strip(), rep
    image = task.render(inst, IMAGE)
    assert isinstance(image, Image.Image) and min(image.size) >= 200
    with pytest.raises(ValueError, match="no representation"):
        task.render(inst, "smell")


def test_instances_are_json_round_trippable_and_mostly_distinct(task):
    insts = [_candidate(task, seed=2, index=i, attempt=0) for i in range(N)]
    assert all(Instance.from_dict(x.to_dict()) == x for x in insts)
    keys = Counter(task.dedup_key(x) for x in insts)
    assert len(keys) >= 0.9 * N


def test_unknown_task_and_bad_config_are_clear_errors():
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        create_task("nope")
    with pytest.raises(ValueError, match="unknown task"):
        solve("nope", {})
