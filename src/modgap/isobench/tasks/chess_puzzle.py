"""chess_puzzle: the unique first move of a forced mate in 1 or in 2, from a FEN, a board image or the game.

Positions come from games of the biased random play in :mod:`._chess`: when a game ends in mate, the
position one (mate in 1) or three plies (mate in 2) before it is a candidate, with the move played there
as the intended answer. It is kept only if an exact search confirms that move forces the mate, that no
other first move does and, for mate in 2, that there is no mate in 1. A game that gives no puzzle is
rewound a few plies and replayed differently before a new game is started.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import chess
import chess.pgn
from PIL import Image

from modgap.isobench.task import Instance, Task, TaskConfig, Undecidable, register_task
from modgap.isobench.tasks._chess import (
    Style,
    board_ascii,
    board_image,
    check_plies,
    forces_mate,
    game_pgn,
    mating_moves,
    play,
)

__all__ = ["ChessPuzzleConfig", "ChessPuzzleTask"]

CLASSES = ["mate_in_1", "mate_in_2"]
_STYLE = Style(white=3.0, black=3.0, check=1.5)  # check-happy players make forcing finishes
_MAX_GAMES = 300
_BRANCHES = 12  # replays of a game's last moves before giving it up
_REWIND = (4, 10)  # plies rewound for a replay
_REPLAY = 40  # plies a replay may add


@dataclass(frozen=True)
class ChessPuzzleConfig(TaskConfig):
    min_plies: int = 16
    """Fewest plies played before the puzzle position (no opening traps straight from move one)."""
    max_plies: int = 160
    """Games still going after this many plies are given up."""
    max_pieces: int = 32
    """Most pieces (kings included) on the puzzle board; lower it for endgame puzzles."""

    def __post_init__(self) -> None:
        check_plies(self.min_plies, self.max_plies, lowest=0)
        if not 4 <= self.max_pieces <= 32:
            raise ValueError(f"max_pieces must be in [4, 32], got {self.max_pieces}")


def _puzzle(game: chess.Board, depth: int, cfg: ChessPuzzleConfig) -> chess.Board | None:
    """The position ``2 * depth - 1`` plies before a game's mate if it is a unique mate in ``depth``."""
    plies = 2 * depth - 1
    outcome = game.outcome()
    if outcome is None or outcome.termination != chess.Termination.CHECKMATE:
        return None
    if len(game.move_stack) - plies < cfg.min_plies:
        return None
    board = game.copy()
    for _ in range(plies - 1):
        board.pop()
    move = board.pop()
    if chess.popcount(board.occupied) > cfg.max_pieces or not forces_mate(board, move, depth):
        return None
    if depth == 2 and mating_moves(board, 1):
        return None
    return board if mating_moves(board, depth) == [move] else None


def _replay(game: chess.Board, rng: random.Random, cfg: ChessPuzzleConfig) -> chess.Board:
    """Rewind a few plies and play on differently."""
    board = game.copy()
    for _ in range(min(rng.randint(*_REWIND), len(board.move_stack))):
        board.pop()
    return play(rng, _STYLE, min(cfg.max_plies, len(board.move_stack) + _REPLAY), board)


def _mates_after(board: chess.Board, move: chess.Move, depth: int) -> bool:
    """Plain minimax (independent of the generator's search): does ``move`` force mate within ``depth``?"""
    board.push(move)
    try:
        if board.is_checkmate():
            return True
        replies = list(board.legal_moves) if depth > 1 else []
        return bool(replies) and all(_reply_loses(board, reply, depth - 1) for reply in replies)
    finally:
        board.pop()


def _reply_loses(board: chess.Board, reply: chess.Move, depth: int) -> bool:
    board.push(reply)
    try:
        return any(_mates_after(board, move, depth) for move in list(board.legal_moves))
    finally:
        board.pop()


def _setup_pgn(fen: str) -> str:
    """A PGN that starts from the position (SetUp/FEN tags), for puzzles that come without their game."""
    game = chess.pgn.Game.from_board(chess.Board(fen))
    game.headers["Result"] = "*"
    return str(game)


@register_task("chess_puzzle")
class ChessPuzzleTask(Task):
    domain = "chess"
    text_representations = ("fen", "ascii", "pgn")
    config_class = ChessPuzzleConfig

    @property
    def classes(self) -> list[str]:
        return CLASSES

    def sample(self, rng: random.Random, target: str) -> Instance:
        if target not in CLASSES:
            raise ValueError(f"unknown target {target!r}; choose from {CLASSES}")
        depth, cfg = CLASSES.index(target) + 1, self.config
        for _ in range(_MAX_GAMES):
            game = play(rng, _STYLE, cfg.max_plies)
            for _ in range(_BRANCHES):
                board = _puzzle(game, depth, cfg)
                if board is not None:
                    answer = game.move_stack[len(board.move_stack)].uci()
                    fields = {"fen": board.fen(), "pgn": game_pgn(board, rng)}
                    meta = {"depth": depth, "plies": len(board.move_stack)}
                    return Instance(self.name, fields, answer, [], meta)
                if game.outcome() is None and len(game.move_stack) >= cfg.max_plies:
                    break  # a shuffling endgame: start afresh
                game = _replay(game, rng, cfg)
        raise RuntimeError(f"chess_puzzle: no {target} puzzle in {_MAX_GAMES} games; raise max_pieces")

    @staticmethod
    def solve(fields: dict[str, Any]) -> str:
        """The unique first move of the shortest forced mate (in 1 or 2), by exhaustive minimax on the FEN.

        Raises Undecidable when there are several such moves or none (a puzzle whose best move wins
        material, as most of the original's do, needs an engine's judgement, not a proof).
        """
        board = chess.Board(fields["fen"])
        for depth in (1, 2):
            moves = [m for m in list(board.legal_moves) if _mates_after(board, m, depth)]
            if len(moves) > 1:
                raise Undecidable(
                    f"several mate-in-{depth} first moves {[m.uci() for m in moves]}: {board.fen()}"
                )
            if moves:
                return moves[0].uci()
        raise Undecidable(f"no forced mate in 1 or 2: {board.fen()}")

    def answer_class(self, instance: Instance) -> str:
        """Mate in 1 when the answer mates at once, else mate in 2 (read off the position, not the meta)."""
        board = chess.Board(instance.fields["fen"])
        board.push_uci(instance.answer)
        return CLASSES[0] if board.is_checkmate() else CLASSES[1]

    def score(self, prediction: str | None, instance: Instance) -> float:
        """1.0 for the answer move in UCI (``e7e8q``) or SAN (``Qxf7#``), else 0.0."""
        if prediction is None:
            return 0.0
        board = chess.Board(instance.fields["fen"])
        text = prediction.strip().rstrip("!?")
        try:
            move = board.parse_uci(text.lower())
        except ValueError:
            try:
                move = board.parse_san(text)
            except ValueError:
                return 0.0
        return float(move.uci() == instance.answer)

    def render_text(self, instance: Instance, representation: str) -> str:
        if representation == "fen":
            return instance.fields["fen"]
        if representation == "pgn":
            return instance.fields.get("pgn") or _setup_pgn(instance.fields["fen"])
        return board_ascii(chess.Board(instance.fields["fen"]))

    def render_image(self, instance: Instance) -> Image.Image:
        return board_image(chess.Board(instance.fields["fen"]))
