"""Task math_convexity (being written)."""
