"""Task chemistry (being written)."""
