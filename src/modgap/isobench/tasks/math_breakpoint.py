"""Task math_breakpoint (being written)."""
