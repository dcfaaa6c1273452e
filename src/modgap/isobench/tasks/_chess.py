"""Shared chess helpers: real-looking biased random play, mate search, PGN/ASCII forms and the board image.

Both chess tasks draw their positions from games played by a cheap greedy-but-noisy policy: it takes
mates, likes winning captures, checks and promotions and avoids hanging pieces, so games look like weak
club play and end (mate, stalemate, bare kings) in a reasonable number of moves.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

import chess
import chess.pgn
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

__all__ = ["Style", "board_ascii", "board_image", "forces_mate", "game_pgn", "mating_moves", "play"]

_VALUES = {chess.PAWN: 1, chess.KNIGHT: 3, chess.BISHOP: 3, chess.ROOK: 5, chess.QUEEN: 9, chess.KING: 0}
_NAMES = ("Ada", "Boris", "Chen", "Dara", "Emil", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena")
_LINES = [
    chess.BB_KNIGHT_ATTACKS[sq]
    | chess.BB_DIAG_ATTACKS[sq][0]
    | chess.BB_FILE_ATTACKS[sq][0]
    | chess.BB_RANK_ATTACKS[sq][0]
    for sq in chess.SQUARES
]  # squares a check on a king there can come from (empty-board lines and knight jumps)


@dataclass(frozen=True)
class Style:
    """How both sides play (weights of the move scores that :func:`play` samples from)."""

    white: float = 2.0
    """White's strength: softmax sharpness over its move scores (0 = uniformly random moves)."""
    black: float = 2.0
    """Black's strength."""
    mate: float = 100.0
    """Bonus for mating; low values make players that overlook mates."""
    stalemate: float = -50.0
    """Bonus (or penalty) for stalemating a bare king."""
    check: float = 0.6
    """Bonus for giving check."""


def _gives_check(board: chess.Board, move: chess.Move) -> bool:
    """``board.gives_check(move)`` without playing the move: any of our pieces attacking the enemy king
    on the board after it (the moved piece directly or a slider it uncovers)."""
    if board.is_castling(move) or board.is_en_passant(move):
        return board.gives_check(move)
    us, king = board.turn, board.king(not board.turn)
    frm, to = chess.BB_SQUARES[move.from_square], chess.BB_SQUARES[move.to_square]
    if not (frm | to) & _LINES[king]:
        return False
    kind = move.promotion or board.piece_type_at(move.from_square)
    ours = board.occupied_co[us] & ~frm
    occupied = board.occupied & ~frm | to

    def placed(*kinds: chess.PieceType) -> int:
        return to if kind in kinds else 0

    diagonal = chess.BB_DIAG_ATTACKS[king][chess.BB_DIAG_MASKS[king] & occupied]
    straight = (
        chess.BB_RANK_ATTACKS[king][chess.BB_RANK_MASKS[king] & occupied]
        | chess.BB_FILE_ATTACKS[king][chess.BB_FILE_MASKS[king] & occupied]
    )
    return bool(
        chess.BB_KNIGHT_ATTACKS[king] & (board.knights & ours | placed(chess.KNIGHT))
        or chess.BB_PAWN_ATTACKS[not us][king] & (board.pawns & ours | placed(chess.PAWN))
        or diagonal & ((board.bishops | board.queens) & ours | placed(chess.BISHOP, chess.QUEEN))
        or straight & ((board.rooks | board.queens) & ours | placed(chess.ROOK, chess.QUEEN))
    )


def _move_score(board: chess.Board, move: chess.Move, style: Style, saved: float) -> float:
    """Material-greedy 1-ply score: what the move wins, what it ``saved`` (a threatened piece moved away)
    and what it leaves en prise, check/mate bonuses and, against a bare king, mop-up terms to mate it."""
    mover = board.piece_type_at(move.from_square)
    gain = saved + _shape(board, move, mover)
    if board.is_en_passant(move):
        gain += 1.0
    elif board.is_capture(move):
        gain += _VALUES[board.piece_type_at(move.to_square)]
    if move.promotion:
        gain += _VALUES[move.promotion] - 1
        mover = move.promotion
    gain -= _exposure(board, move.to_square, _VALUES[mover], move.from_square)
    if _bare(board, not board.turn):
        return gain + _mop_up(board, move, mover, style)
    if _gives_check(board, move):
        board.push(move)
        gain += style.mate if board.is_checkmate() else style.check
        board.pop()
    return gain


def _shape(board: chess.Board, move: chess.Move, mover: chess.PieceType) -> float:
    """Opening sense, so games look played: castle, develop minor pieces, take the centre, keep the king
    home while the enemy queen is on, don't wander early with rooks, queen or rim pawns."""
    if board.is_castling(move):
        return 1.0
    if mover == chess.KING:
        return -0.6 if board.queens & board.occupied_co[not board.turn] else 0.0
    if board.fullmove_number > 12:
        return 0.0
    if mover in (chess.KNIGHT, chess.BISHOP):
        return 0.5 if chess.square_rank(move.from_square) in (0, 7) else 0.0
    if mover == chess.PAWN:
        return 0.4 if chess.square_file(move.from_square) in (2, 3, 4, 5) else -0.2
    return -0.3


def _exposure(board: chess.Board, square: chess.Square, value: int, leaving: chess.Square) -> int:
    """What a piece worth ``value`` of the side to move stands to lose on ``square`` (one static exchange)."""
    attackers = board.attackers_mask(not board.turn, square)
    if not attackers or value == 0:
        return 0
    if not board.attackers_mask(board.turn, square) & ~chess.BB_SQUARES[leaving]:
        return value
    cheapest = min(_VALUES[board.piece_type_at(sq)] or 100 for sq in chess.scan_forward(attackers))
    return max(0, value - cheapest)  # a king (100) can't take a defended piece


def _mop_up(board: chess.Board, move: chess.Move, mover: chess.PieceType, style: Style) -> float:
    """Against a bare king: hem it in, drive it to the edge, bring our king closer, push pawns."""
    board.push(move)
    replies = board.legal_moves.count()
    check = board.is_check()
    theirs, ours = board.king(board.turn), board.king(not board.turn)
    board.pop()
    if replies == 0:
        return style.mate if check else style.stalemate
    edge = max(abs(chess.square_file(theirs) - 3.5), abs(chess.square_rank(theirs) - 3.5))
    closeness = -chess.square_distance(ours, theirs)
    return -0.5 * replies + 0.4 * edge + 0.2 * closeness + style.check * check + 0.4 * (mover == chess.PAWN)


def _bare(board: chess.Board, color: chess.Color) -> bool:
    """Whether ``color`` has nothing but its king and pawns (the endgame where we chase the king)."""
    return not board.occupied_co[color] & ~(board.kings | board.pawns)


def _choose_move(board: chess.Board, rng: random.Random, style: Style) -> chess.Move:
    """Sample a legal move with probability proportional to ``exp(beta * score)``."""
    moves = list(board.legal_moves)
    threatened = {
        sq: _exposure(board, sq, _VALUES[board.piece_type_at(sq)], sq)
        for sq in {m.from_square for m in moves}
    }
    scores = [_move_score(board, m, style, threatened[m.from_square]) for m in moves]
    beta = style.white if board.turn == chess.WHITE else style.black
    top = max(scores)
    return rng.choices(moves, [math.exp(beta * (s - top)) for s in scores])[0]


def play(rng: random.Random, style: Style, max_plies: int, board: chess.Board | None = None) -> chess.Board:
    """Play on from ``board`` (default: the start position) until the game ends or has ``max_plies`` plies."""
    board = chess.Board() if board is None else board
    while len(board.move_stack) < max_plies and board.outcome() is None:
        board.push(_choose_move(board, rng, style))
    return board


def mating_moves(board: chess.Board, depth: int) -> list[chess.Move]:
    """Every move of the side to move that forces mate in at most ``depth`` of its moves (exact minimax)."""
    return [m for m in board.legal_moves if forces_mate(board, m, depth)]


def forces_mate(board: chess.Board, move: chess.Move, depth: int) -> bool:
    """Whether ``move`` mates at once or forces mate within ``depth`` moves of the mover (exact minimax;
    at the last move only checks are tried, since only a check can mate)."""
    if depth == 1 and not _gives_check(board, move):  # only a check can mate
        return False
    board.push(move)
    try:
        if board.is_checkmate():
            return True
        replies = list(board.legal_moves) if depth > 1 else []
        for reply in replies:  # no replies: stalemate (or depth exhausted), not a mate
            board.push(reply)
            ok = any(forces_mate(board, m, depth - 1) for m in board.legal_moves)
            board.pop()
            if not ok:
                return False
        return bool(replies)
    finally:
        board.pop()


def game_pgn(board: chess.Board, rng: random.Random) -> str:
    """The game that led to ``board`` as a PGN (Seven Tag Roster); Result ``*`` so the answer doesn't leak."""
    game = chess.pgn.Game.from_board(board)
    white, black = rng.sample(_NAMES, 2)
    game.headers.update(Event="Casual game", Site="?", Date="????.??.??", Round="?", White=white, Black=black)
    game.headers["Result"] = "*"
    return str(game)


def _side_to_move(board: chess.Board) -> str:
    return "White to move" if board.turn == chess.WHITE else "Black to move"


def board_ascii(board: chess.Board) -> str:
    """Board grid, rank 8 at the top, with rank/file labels, a legend and the side to move."""
    rows = ["  +-----------------+"]
    for rank in range(7, -1, -1):
        cells = []
        for file in range(8):
            piece = board.piece_at(chess.square(file, rank))
            cells.append(piece.symbol() if piece else ".")
        rows.append(f"{rank + 1} | {' '.join(cells)} |")
    rows += ["  +-----------------+", "    a b c d e f g h", "(uppercase = White, lowercase = Black)"]
    return "\n".join([*rows, _side_to_move(board)])


_SQUARE, _MARGIN, _CAPTION = 56, 30, 44  # pixels: 508 x 552 in all
_LIGHT, _DARK = (240, 217, 181), (181, 136, 99)
_GLYPHS = dict(zip("KQRBNP", "\u265a\u265b\u265c\u265d\u265e\u265f", strict=True))


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)


def board_image(board: chess.Board) -> Image.Image:
    """The position from White's side: squares, Unicode glyph pieces, a-h/1-8 labels, side-to-move caption."""
    side = 8 * _SQUARE + 2 * _MARGIN
    img = Image.new("RGB", (side, side + _CAPTION), "white")
    draw = ImageDraw.Draw(img)
    label, piece_font = _font(18), _font(int(_SQUARE * 0.82))
    for rank in range(8):
        for file in range(8):
            x, y = _MARGIN + file * _SQUARE, _MARGIN + (7 - rank) * _SQUARE
            draw.rectangle(
                (x, y, x + _SQUARE - 1, y + _SQUARE - 1), fill=_LIGHT if (rank + file) % 2 else _DARK
            )
            piece = board.piece_at(chess.square(file, rank))
            if piece:
                white = piece.color == chess.WHITE
                draw.text(
                    (x + _SQUARE / 2, y + _SQUARE / 2 + 2),
                    _GLYPHS[piece.symbol().upper()],
                    font=piece_font,
                    anchor="mm",
                    fill="white" if white else "black",
                    stroke_width=2 if white else 1,
                    stroke_fill="black" if white else (90, 90, 90),
                )
    draw.rectangle((_MARGIN - 1, _MARGIN - 1, _MARGIN + 8 * _SQUARE, _MARGIN + 8 * _SQUARE), outline="black")
    for i in range(8):
        centre = _MARGIN + i * _SQUARE + _SQUARE / 2
        for y in (_MARGIN / 2, side - _MARGIN / 2):
            draw.text((centre, y), "abcdefgh"[i], font=label, anchor="mm", fill="black")
        for x in (_MARGIN / 2, side - _MARGIN / 2):
            draw.text((x, centre), str(8 - i), font=label, anchor="mm", fill="black")
    draw.text(
        (side / 2, side + _CAPTION / 2 - 6), _side_to_move(board), font=_font(22), anchor="mm", fill="black"
    )
    return img


def check_plies(min_plies: int, max_plies: int, lowest: int) -> None:
    """ValueError unless ``lowest <= min_plies < max_plies <= 600`` (both chess configs' game lengths)."""
    if not lowest <= min_plies < max_plies:
        raise ValueError(f"min_plies must be >= {lowest} and < max_plies, got min_plies={min_plies}")
    if max_plies > 600:
        raise ValueError(f"max_plies must be <= 600, got {max_plies}")
