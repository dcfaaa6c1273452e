"""Task physics (being written)."""
