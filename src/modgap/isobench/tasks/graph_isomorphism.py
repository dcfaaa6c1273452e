"""Task graph_isomorphism (being written)."""
