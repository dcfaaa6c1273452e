"""Task chess_winner (being written)."""
