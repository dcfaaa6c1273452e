"""All ten IsoBench tasks; importing this package registers them in ``TASKS``."""

from modgap.isobench.tasks import (  # noqa: F401
    chemistry,
    chess_puzzle,
    chess_winner,
    graph_connectivity,
    graph_isomorphism,
    graph_maxflow,
    math_breakpoint,
    math_convexity,
    math_parity,
    physics,
)
