"""Draw a scene: far objects first, smaller and darker, supersampled for clean edges at 64-128 px.

Everything is pure PIL drawing from the scene's numbers plus matplotlib's bundled DejaVu font, so the
same scene gives the same pixels on every machine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from modgap.world.scene import COLOURS, SIGN, SIGN_ASPECT, SIGN_HEIGHT, Object, Scene, radius

__all__ = ["BACKGROUND", "render_scene", "object_colour", "object_map"]

BACKGROUND = (236, 234, 226)
SUPERSAMPLE = 4
DEPTH_DARKEN = 0.25
"""The farthest object's colour is scaled by ``1 - DEPTH_DARKEN``."""
OUTLINE = 0.55
"""Outline colour = fill x this: separates overlapping objects of one colour."""

Points = list[tuple[float, float]]


def object_colour(obj: Object) -> tuple[int, int, int]:
    """The fill colour as drawn: the palette colour darkened with depth."""
    k = 1 - DEPTH_DARKEN * obj.depth
    return tuple(round(c * k) for c in COLOURS[obj.colour])  # type: ignore[return-value]


def _polygon(cx: float, cy: float, r: float, corners: int, start: float, inner: float = 1.0) -> Points:
    """A regular polygon (or a star when ``inner`` < 1) around (cx, cy), first corner at ``start`` degrees."""
    steps = corners * (2 if inner < 1 else 1)
    return [
        (
            cx + r * (inner if i % 2 and inner < 1 else 1) * math.cos(math.radians(start + 360 * i / steps)),
            cy + r * (inner if i % 2 and inner < 1 else 1) * math.sin(math.radians(start + 360 * i / steps)),
        )
        for i in range(steps)
    ]


SHAPE_POINTS: dict[str, Callable[[float, float, float], Points]] = {
    "square": lambda cx, cy, r: _polygon(cx, cy, r * 1.25, 4, 45),
    "triangle": lambda cx, cy, r: _polygon(cx, cy + r * 0.2, r * 1.3, 3, -90),
    "star": lambda cx, cy, r: _polygon(cx, cy + r * 0.1, r * 1.3, 5, -90, inner=0.45),
    "diamond": lambda cx, cy, r: [
        (cx, cy - r * 1.25),
        (cx + r * 0.9, cy),
        (cx, cy + r * 1.25),
        (cx - r * 0.9, cy),
    ],
}
"""Shape -> outline points around a centre for a size radius (circles and signs are drawn apart)."""


@cache
def _font_file() -> str:
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf")


@cache
def _font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_file(), px)


def _draw_body(
    draw: ImageDraw.ImageDraw,
    centre: tuple[float, float],
    obj: Object,
    r: float,
    fill: Any,
    edge: Any,
    line: int,
) -> None:
    """The object's outline filled (a sign's board without its word), centred at ``centre`` in pixels."""
    cx, cy = centre
    if obj.shape == SIGN:
        hw, hh = r * SIGN_ASPECT, r * SIGN_HEIGHT
        box = (cx - hw, cy - hh, cx + hw, cy + hh)
        draw.rounded_rectangle(box, radius=hh * 0.3, fill=fill, outline=edge, width=line)
    elif obj.shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill, outline=edge, width=line)
    else:
        draw.polygon(SHAPE_POINTS[obj.shape](cx, cy, r), fill=fill, outline=edge, width=line)


def _draw_word(draw: ImageDraw.ImageDraw, centre: tuple[float, float], obj: Object, r: float) -> None:
    fill = object_colour(obj)
    cx, cy = centre
    hw, hh = r * SIGN_ASPECT, r * SIGN_HEIGHT
    assert obj.text is not None  # Object guarantees signs carry a word
    light = sum(w * c for w, c in zip((0.299, 0.587, 0.114), fill, strict=True)) > 150
    # the largest font whose word fits inside the sign's face with a small border
    px = int(hh * 1.3)
    while px > 4 and draw.textlength(obj.text, font=_font(px)) > 1.7 * hw:
        px -= 1
    draw.text(
        (cx, cy), obj.text, fill=(20, 20, 20) if light else (250, 250, 250), font=_font(px), anchor="mm"
    )


def render_scene(scene: Scene, size: int | None = None) -> Image.Image:
    """The scene as an RGB image of side ``size`` (default: the scene's own width x height)."""
    width, height = (size, size) if size else (scene.width, scene.height)
    big_w, big_h = width * SUPERSAMPLE, height * SUPERSAMPLE
    image = Image.new("RGB", (big_w, big_h), BACKGROUND)
    draw = ImageDraw.Draw(image)
    side = min(big_w, big_h)
    line = max(1, round(side / 96))
    for obj in sorted(scene.objects, key=lambda o: -o.depth):
        r, fill, centre = radius(obj) * side, object_colour(obj), (obj.x * big_w, obj.y * big_h)
        _draw_body(draw, centre, obj, r, fill, tuple(round(c * OUTLINE) for c in fill), line)
        if obj.shape == SIGN:
            _draw_word(draw, centre, obj, r)
    return image.reduce(SUPERSAMPLE)  # box-average each block: anti-aliased edges, no ringing


def object_map(scene: Scene, size: int) -> Image.Image:
    """Which object each pixel shows, as a ``size`` x ``size`` greyscale image: object ``i`` is value
    ``i + 1``, background 0, occlusion as in :func:`render_scene` (dense truth for vision supervision)."""
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    for i, obj in sorted(enumerate(scene.objects), key=lambda io: -io[1].depth):
        _draw_body(draw, (obj.x * size, obj.y * size), obj, radius(obj) * size, i + 1, i + 1, 1)
    return image
