"""chess_puzzle: hand-made mates, scoring in UCI and SAN, config validation and 1,000 seeded instances."""

import io

import chess
import chess.pgn
import pytest

from modgap.isobench import Instance, Undecidable, create_task, solve
from modgap.isobench.suite import _candidate
from modgap.isobench.tasks._chess import _gives_check
from modgap.isobench.tasks.chess_puzzle import ChessPuzzleConfig

BACK_RANK = "6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1"  # Ra8#
ROOK_LIFT = "8/2B4k/1R6/4R3/8/1P4p1/8/7K w - - 2 76"  # Re7+ Kg8 Rb8#
PROMOTION = "8/1P6/7R/4Pk2/5B2/4K3/8/8 w - - 1 75"  # b8=Q, then mate whatever Black does


@pytest.mark.parametrize(("fen", "move"), [(BACK_RANK, "a1a8"), (ROOK_LIFT, "e5e7"), (PROMOTION, "b7b8q")])
def test_solve_hand_made_mates(fen, move):
    assert solve("chess_puzzle", {"fen": fen}) == move


@pytest.mark.parametrize(
    ("fen", "match"),
    [("6k1/5ppp/8/8/8/8/8/RR4K1 w - - 0 1", "several mate-in-1"), (chess.STARTING_FEN, "no forced mate")],
)
def test_solve_rejects_non_puzzles(fen, match):
    with pytest.raises(Undecidable, match=match):
        solve("chess_puzzle", {"fen": fen})


def test_score_accepts_uci_and_san_and_class_comes_from_the_position():
    task = create_task("chess_puzzle")
    inst = Instance("chess_puzzle", {"fen": ROOK_LIFT}, "e5e7", [])
    assert [task.score(p, inst) for p in ("e5e7", " E5E7 ", "Re7+", "Re7", "Rb8", "e5e6", "xyz", None)] == [
        1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0,
    ]  # fmt: skip
    assert task.answer_class(inst) == "mate_in_2"
    assert task.answer_class(Instance("chess_puzzle", {"fen": BACK_RANK}, "a1a8", [])) == "mate_in_1"
    assert task.score("b8=Q", Instance("chess_puzzle", {"fen": PROMOTION}, "b7b8q", [])) == 1.0
    assert "[FEN " in task.render_text(inst, "pgn")  # no game known: the PGN starts from the position


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"min_plies": -1}, "min_plies"), ({"min_plies": 200}, "min_plies"), ({"max_plies": 700}, "max_plies"),
     ({"max_pieces": 3}, "max_pieces"), ({"max_pieces": 33}, "max_pieces")],
)  # fmt: skip
def test_bad_config_raises(kwargs, field):
    with pytest.raises(ValueError, match=field):
        ChessPuzzleConfig(**kwargs)


def test_max_pieces_gives_endgame_puzzles():
    task = create_task("chess_puzzle", max_pieces=10)
    for i in range(4):
        inst = _candidate(task, seed=3, index=i, attempt=0)
        assert chess.popcount(chess.Board(inst.fields["fen"]).occupied) <= 10
        assert solve("chess_puzzle", inst.fields) == inst.answer


def _check(n):
    task = create_task("chess_puzzle")
    for i in range(n):
        inst = _candidate(task, seed=0, index=i, attempt=0)
        assert solve("chess_puzzle", inst.fields) == inst.answer, inst
        assert task.answer_class(inst) == task.classes[i % 2] == f"mate_in_{inst.meta['depth']}", inst
        game = chess.pgn.read_game(io.StringIO(inst.fields["pgn"]))
        assert game.end().board().fen() == inst.fields["fen"]  # the PGN leads to the puzzle position
        assert inst.meta["plies"] >= task.config.min_plies


@pytest.mark.slow
def test_100_seeded_instances_are_verified():
    _check(100)


@pytest.mark.slow
def test_1000_seeded_instances_are_verified():
    _check(1000)


def test_fast_check_test_agrees_with_python_chess():
    """The generator's push-free ``gives_check`` must be exact: the mate search prunes on it."""
    task, boards = create_task("chess_puzzle"), []
    for i in range(3):
        game = chess.pgn.read_game(io.StringIO(_candidate(task, seed=4, index=i, attempt=0).fields["pgn"]))
        board = game.board()
        for move in game.mainline_moves():
            boards.append(board.copy(stack=False))
            board.push(move)
    pairs = [(b, m) for b in boards for m in b.legal_moves]
    assert len(pairs) > 1000
    assert all(_gives_check(b, m) == b.gives_check(m) for b, m in pairs)
    assert any(b.gives_check(m) for b, m in pairs)
