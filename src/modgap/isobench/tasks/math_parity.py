"""Task math_parity (being written)."""
