"""chess_winner: who won a finished game (white, black or draw), from its PGN, final FEN or board image.

Games come from the biased random play in :mod:`._chess`: the side asked to win plays sharper than the
other; for draws both sides are blind to mates and walk into stalemates (the classic beginners' draw).
Only endings readable from the final position alone count (checkmate, stalemate, insufficient
material), so the PGN and the FEN always agree.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from typing import Any

import chess
import chess.pgn
from PIL import Image

from modgap.isobench.task import Instance, Task, TaskConfig, Undecidable, register_task
from modgap.isobench.tasks._chess import Style, board_ascii, board_image, check_plies, game_pgn, play

__all__ = ["ChessWinnerConfig", "ChessWinnerTask"]

CLASSES = ["white", "black", "draw"]
_ENDINGS = {chess.Termination.CHECKMATE, chess.Termination.STALEMATE, chess.Termination.INSUFFICIENT_MATERIAL}
_MAX_GAMES = 500


@dataclass(frozen=True)
class ChessWinnerConfig(TaskConfig):
    min_plies: int = 20
    """Shortest game kept (rules out fool's-mate miniatures nobody plays)."""
    max_plies: int = 250
    """Games still going after this many plies are dropped (no endless shuffling)."""
    strength: float = 3.0
    """Softmax sharpness of the side meant to win (the loser plays at half); higher = more one-sided games."""

    def __post_init__(self) -> None:
        check_plies(self.min_plies, self.max_plies, lowest=4)
        if not 0 < self.strength <= 20:
            raise ValueError(f"strength must be in (0, 20], got {self.strength}")


def _style(target: str, strength: float) -> Style:
    """Playing styles that make ``target`` the likely result."""
    if target == "draw":
        return Style(white=strength, black=strength, mate=0.0, stalemate=150.0)
    strong, weak = strength, strength / 2
    return Style(white=strong, black=weak) if target == "white" else Style(white=weak, black=strong)


def _result(board: chess.Board) -> str | None:
    """The class of a finished game readable from its final position, else None."""
    outcome = board.outcome()
    if outcome is None or outcome.termination not in _ENDINGS:
        return None
    return {chess.WHITE: "white", chess.BLACK: "black", None: "draw"}[outcome.winner]


@register_task("chess_winner")
class ChessWinnerTask(Task):
    domain = "chess"
    text_representations = ("pgn", "fen", "ascii")
    config_class = ChessWinnerConfig

    @property
    def classes(self) -> list[str]:
        return CLASSES

    def sample(self, rng: random.Random, target: str) -> Instance:
        if target not in CLASSES:
            raise ValueError(f"unknown target {target!r}; choose from {CLASSES}")
        cfg = self.config
        for _ in range(_MAX_GAMES):
            board = play(rng, _style(target, cfg.strength), cfg.max_plies)
            if len(board.move_stack) >= cfg.min_plies and _result(board) == target:
                fields = {"pgn": game_pgn(board, rng), "fen": board.fen()}
                meta = {
                    "plies": len(board.move_stack),
                    "termination": board.outcome().termination.name.lower(),
                }
                return Instance(self.name, fields, target, list(CLASSES), meta)
        raise RuntimeError(
            f"chess_winner: no {target} game in {_MAX_GAMES} tries; loosen min_plies/max_plies"
        )

    @staticmethod
    def solve(fields: dict[str, Any]) -> str:
        """Replay the PGN (or set up the FEN) with python-chess and read ``board.outcome()``.

        Raises Undecidable for a game that stops in a live position (a resignation, a loss on time or
        an agreed draw: the result is not in the moves).
        """
        if fields.get("pgn"):
            game = chess.pgn.read_game(io.StringIO(fields["pgn"]))
            if game is None or game.errors:
                raise ValueError(f"unreadable PGN: {game.errors if game else 'empty'}")
            board = game.end().board()
        else:
            board = chess.Board(fields["fen"])
        result = _result(board)
        if result is None:
            raise Undecidable(
                f"the game stops without mate, stalemate or bare kings (resigned, timed out or agreed): "
                f"{board.fen()}"
            )
        return result

    def render_text(self, instance: Instance, representation: str) -> str:
        if representation == "pgn":
            return instance.fields["pgn"]
        if representation == "fen":
            return instance.fields["fen"]
        return board_ascii(chess.Board(instance.fields["fen"]))

    def render_image(self, instance: Instance) -> Image.Image:
        return board_image(chess.Board(instance.fields["fen"]))
