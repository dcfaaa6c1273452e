"""Task chess_puzzle (being written)."""
