"""Image bytes every area writes the same way, so files and cache keys are reproducible; and the check
that a path a user gives is an image."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

__all__ = ["check_image", "png_bytes"]


def png_bytes(image: Image.Image) -> bytes:
    """Deterministic PNG bytes: no timestamps or software tags, fixed compression."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def check_image(path: str | Path) -> None:
    """ValueError unless ``path`` is a file PIL recognises as an image (only its header is read)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"image {path} does not exist")
    try:
        with Image.open(path):
            pass
    except (UnidentifiedImageError, OSError):
        raise ValueError(
            f"{path} is not an image (PIL cannot read it as PNG, JPEG or another format)"
        ) from None
