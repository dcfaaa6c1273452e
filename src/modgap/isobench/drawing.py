"""Deterministic matplotlib rendering shared by the tasks: same instance -> same PNG bytes.

Matplotlib stamps a version into PNG metadata and can pick fonts from the system; we pin the
backend, the font (DejaVu Sans, shipped with matplotlib), the DPI and strip the metadata.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

__all__ = ["DPI", "figure", "figure_image"]

DPI = 100
_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "svg.hashsalt": "modgap",
    "path.simplify": False,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
}


@contextmanager
def figure(width: float = 5.0, height: float = 4.0) -> Iterator[Figure]:
    """A fresh figure (inches) under the pinned style, closed on exit."""
    with plt.rc_context(_STYLE):
        fig = plt.figure(figsize=(width, height))
        try:
            yield fig
        finally:
            plt.close(fig)


def figure_image(fig: Figure) -> Image.Image:
    """The figure as an RGB PIL image, rendered without metadata so the bytes are reproducible."""
    buf = io.BytesIO()
    with plt.rc_context(_STYLE):
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    buf.seek(0)
    return Image.open(buf).convert("RGB")
