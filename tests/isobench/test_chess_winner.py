"""chess_winner: hand-made endings, config validation and 1,000 seeded instances against the solver."""

import chess
import pytest

from modgap.isobench import Undecidable, create_task, solve
from modgap.isobench.suite import _candidate
from modgap.isobench.tasks.chess_winner import ChessWinnerConfig

FOOLS_MATE = '[Event "?"]\n[Result "*"]\n\n1. f3 e5 2. g4 Qh4# *'
SCHOLARS_MATE = "1. e4 e5 2. Bc4 Nc6 3. Qh5 Nf6 4. Qxf7# *"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"pgn": FOOLS_MATE}, "black"),
        ({"pgn": SCHOLARS_MATE}, "white"),
        ({"fen": "rnb1kbnr/pppp1ppp/8/4p3/6Pq/5P2/PPPPP2P/RNBQKBNR w KQkq - 1 3"}, "black"),
        ({"fen": "7k/5Q2/6K1/8/8/8/8/8 b - - 0 1"}, "draw"),  # stalemate
        ({"fen": "8/8/4k3/8/8/3KN3/8/8 w - - 0 1"}, "draw"),  # king and knight vs king
        ({"pgn": SCHOLARS_MATE, "fen": "7k/5Q2/6K1/8/8/8/8/8 b - - 0 1"}, "white"),  # the game wins
    ],
)
def test_solve_hand_made_endings(fields, expected):
    assert solve("chess_winner", fields) == expected


@pytest.mark.parametrize("fields", [{"fen": chess.STARTING_FEN}, {"pgn": "1. e4 e5 *"}])
def test_solve_rejects_unfinished_games(fields):
    with pytest.raises(Undecidable, match="stops without mate, stalemate or bare kings"):
        solve("chess_winner", fields)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"min_plies": 2}, "min_plies"), ({"min_plies": 300}, "min_plies"), ({"max_plies": 900}, "max_plies"),
     ({"strength": 0}, "strength")],
)  # fmt: skip
def test_bad_config_raises(kwargs, field):
    with pytest.raises(ValueError, match=field):
        ChessWinnerConfig(**kwargs)


def test_pgn_is_a_real_pgn_that_does_not_leak_the_result():
    task = create_task("chess_winner")
    inst = _candidate(task, seed=0, index=0, attempt=0)
    pgn = task.render_text(inst, "pgn")
    for tag in ("Event", "White", "Black"):
        assert f'[{tag} "' in pgn
    assert '[Result "*"]' in pgn and pgn.rstrip().endswith("*")
    assert not any(r in pgn for r in ("1-0", "0-1", "1/2-1/2"))
    ascii_board = task.render_text(inst, "ascii")
    assert "a b c d e f g h" in ascii_board and ascii_board.splitlines()[1].startswith("8 |")
    assert ascii_board.endswith(("White to move", "Black to move"))


def _check(n):
    task = create_task("chess_winner")
    terminations = set()
    for i in range(n):
        inst = _candidate(task, seed=0, index=i, attempt=0)
        assert solve("chess_winner", inst.fields) == inst.answer == task.classes[i % 3], inst
        assert solve("chess_winner", {"fen": inst.fields["fen"]}) == inst.answer, inst  # the FEN agrees
        assert task.config.min_plies <= inst.meta["plies"] <= task.config.max_plies
        terminations.add(inst.meta["termination"])
    assert {"checkmate", "stalemate"} <= terminations <= {"checkmate", "stalemate", "insufficient_material"}


@pytest.mark.slow
def test_100_seeded_instances_are_verified():
    _check(100)


@pytest.mark.slow
def test_1000_seeded_instances_are_verified():
    _check(1000)
