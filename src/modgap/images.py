"""Image bytes every area writes the same way, so files and cache keys are reproducible."""

from __future__ import annotations

import io

from PIL import Image

__all__ = ["png_bytes"]


def png_bytes(image: Image.Image) -> bytes:
    """Deterministic PNG bytes: no timestamps or software tags, fixed compression."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()
