"""One tiny generated suite shared by the integration tests: a choice task and both free-form tasks."""

import pytest

from modgap.isobench.suite import generate, write_suite

TASKS = ["math_parity", "graph_maxflow", "chess_puzzle"]


@pytest.fixture(scope="session")
def tiny_suite(tmp_path_factory):
    """Two instances of each of :data:`TASKS`, with the image and the text image, seed 3."""
    out = tmp_path_factory.mktemp("suite")
    config = {"tasks": TASKS, "n": 2, "seed": 3, "modalities": ["image", "text_image"], "modgap": "0.1.0"}
    write_suite(generate(TASKS, 2, seed=3, workers=1, modalities=("text_image",)), out, config)
    return out
