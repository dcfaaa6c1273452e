"""Task graph_maxflow (being written)."""
