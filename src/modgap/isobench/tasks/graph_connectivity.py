"""Task graph_connectivity (being written)."""
