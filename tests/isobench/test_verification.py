"""verification: each label checked by our solver, as agree, disputed or unverified (with the reason)."""

from modgap.isobench import Instance, create_task, verify
from modgap.isobench.suite import _candidate
from modgap.isobench.verification import check


def _inst(task: str, fields: dict, answer: str) -> Instance:
    return Instance(task, fields, answer, [])


def test_check_tells_agreement_dispute_undecidable_and_solver_errors():
    odd = {"expression": "-2*x**5/(2*x**8 + 11.16)", "official_id": "p-0"}
    agree = check(_inst("math_parity", odd, "odd"))
    assert (agree.status, agree.solver, agree.official_id) == ("agree", "odd", "p-0")
    disputed = check(_inst("math_parity", odd, "even"))
    assert (disputed.status, disputed.label, disputed.solver) == ("disputed", "even", "odd")
    affine = check(_inst("math_convexity", {"expression": "3*x + 1", "domain": [None, None]}, "convex"))
    assert (affine.status, affine.solver) == ("unverified", None)
    assert "both convex and concave" in affine.reason
    broken = check(_inst("math_parity", {"expression": "x +* 2"}, "odd"))
    assert broken.status == "unverified" and broken.reason.startswith("solver error: SympifyError")
    assert "official_id" not in check(_inst("math_parity", {"expression": "x"}, "odd")).to_dict()


def test_answers_compare_as_the_task_scores_them():
    mate = {"pgn": "1. e4 e5 2. Bc4 Nc6 3. Qh5 Nf6 4. Qxf7#"}
    assert check(_inst("chess_winner", mate, " White")).status == "agree"  # case and spaces ignored


def test_verify_keeps_order_whatever_the_workers_and_skips_unchecked_tasks():
    parity = create_task("math_parity")
    insts = [_candidate(parity, seed=0, index=i, attempt=0) for i in range(6)]
    insts.insert(2, _candidate(create_task("physics"), seed=0, index=0, attempt=0))
    seen, started = [], []
    one = verify(insts, tasks=["math_parity"], workers=1, on_item=seen.append, on_start=started.append)
    two = verify(insts, tasks=["math_parity"], workers=2)
    assert one == two and one.checks == seen and started == [6]
    assert [c.id for c in one.checks] == [i.id for i in insts if i.task == "math_parity"]
    assert one.counts() == {"math_parity": {"items": 6, "agree": 6, "disputed": 0, "unverified": 0}}
    assert one.unchecked == ["physics"]
    assert one.to_dict() == {
        "counts": one.counts(),
        "unchecked": ["physics"],
        "disputed": [],
        "unverified": [],
    }
