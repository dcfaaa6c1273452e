"""Scenes of the synthetic world: coloured shapes and word signs on a plane, with exact relations.

Coordinates are scene fractions: ``x`` grows to the right and ``y`` grows downwards (image order), both
in [0, 1]. ``depth`` in [0, 1] is the distance to the camera: larger is farther, drawn first (so it can
be occluded), slightly smaller and darker. The relation helpers here are THE truth for captions,
questions and perturbations; each has a margin, so a pair inside the margin is neither ``left_of`` nor
``right_of`` and is never claimed or asked about.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "COLOURS",
    "SHAPES",
    "SIGN",
    "SIZES",
    "WORDS",
    "Object",
    "Scene",
    "SceneConfig",
    "sample_scene",
    "extent",
    "centre_cell",
    "left_of",
    "right_of",
    "above",
    "below",
    "closer_to",
    "closer_to_camera",
    "count",
]

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (215, 40, 40),
    "orange": (245, 140, 25),
    "yellow": (245, 215, 35),
    "green": (45, 165, 60),
    "cyan": (35, 200, 215),
    "blue": (40, 75, 215),
    "purple": (140, 60, 190),
    "pink": (235, 110, 180),
}
"""Palette: colour name -> RGB, hues far enough apart to stay nameable when darkened by depth."""
SHAPES = ("circle", "square", "triangle", "star", "diamond")
"""Plain shapes; the ``sign`` shape is extra and always carries a word."""
SIGN = "sign"
SIZES: dict[str, float] = {"small": 0.065, "medium": 0.1, "large": 0.15}
"""Size name -> radius as a fraction of the image side (a far large object is still bigger than a near
medium one, because depth shrinks by at most ``DEPTH_SHRINK``)."""
SIGN_SIZES = ("medium", "large")
"""Signs are never small: a word on a small sign is illegible at 96 px."""
SIGN_ASPECT = 1.7
"""A sign's half-width over its size radius (its half-height is ``SIGN_HEIGHT`` of the radius)."""
SIGN_HEIGHT = 0.75
WORDS = ("STOP", "OPEN", "EXIT", "CAFE", "SALE", "TAXI", "PARK", "BANK", "HOTEL", "BUS", "ZOO", "INN")
"""Short upper-case words printed on signs (the OCR vocabulary)."""
DEPTH_SHRINK = 0.2
"""The farthest object (depth 1) is drawn this fraction smaller than the nearest (depth 0)."""
POSITION_MARGIN = 0.1
"""Centres closer than this along an axis are neither left/right (or above/below) of each other."""
DISTANCE_MARGIN = 0.1
"""``closer_to`` needs the two distances to differ by at least this."""
DEPTH_MARGIN = 0.3
"""``closer_to_camera`` needs the two depths to differ by at least this."""
EDGE = 0.02
"""Gap kept between every object and the image border."""
MAX_TRIES = 200


@dataclass(frozen=True)
class Object:
    """One thing in a scene; its id is its index in :attr:`Scene.objects`."""

    shape: str
    colour: str
    size: str
    x: float
    y: float
    depth: float
    text: str | None = None
    """The word on a sign (only signs carry words)."""

    def __post_init__(self) -> None:
        if self.shape not in (*SHAPES, SIGN):
            raise ValueError(f"shape must be one of {', '.join((*SHAPES, SIGN))}, got {self.shape!r}")
        if self.colour not in COLOURS:
            raise ValueError(f"colour must be one of {', '.join(COLOURS)}, got {self.colour!r}")
        if self.size not in SIZES:
            raise ValueError(f"size must be one of {', '.join(SIZES)}, got {self.size!r}")
        for name in ("x", "y", "depth"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if (self.shape == SIGN) != (self.text is not None):
            raise ValueError(
                f"text must be set exactly on signs, got shape={self.shape!r} text={self.text!r}"
            )


@dataclass(frozen=True)
class Scene:
    """Objects on a ``width`` x ``height`` image; JSON-serialisable via :meth:`to_dict`."""

    objects: tuple[Object, ...]
    width: int = 96
    height: int = 96

    def to_dict(self) -> dict[str, Any]:
        return {"objects": [asdict(o) for o in self.objects], "width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scene:
        return cls(tuple(Object(**o) for o in d["objects"]), d["width"], d["height"])


@dataclass(frozen=True)
class SceneConfig:
    """Knobs of :func:`sample_scene`; vary with ``dataclasses.replace``."""

    min_objects: int = 2
    """Fewest objects in a scene (>= 1)."""
    max_objects: int = 6
    """Most objects in a scene (<= 8)."""
    colours: tuple[str, ...] = tuple(COLOURS)
    """Palette subset objects are painted from."""
    shapes: tuple[str, ...] = SHAPES
    """Shape subset (signs come from ``text_prob``, not from here)."""
    spacing: float = 0.8
    """Clutter: centres are at least ``spacing`` x the sum of the two extents apart (1 = no overlap of
    bounding circles, lower = more occlusion). Signs never overlap anything, so their word stays legible."""
    text_prob: float = 0.2
    """Chance that an object is a sign with a word instead of a plain shape."""
    image_size: int = 96
    """Side of the square image in pixels."""

    def __post_init__(self) -> None:
        if not 1 <= self.min_objects <= 8:
            raise ValueError(f"min_objects must be in [1, 8], got {self.min_objects}")
        if not self.min_objects <= self.max_objects <= 8:
            raise ValueError(f"max_objects must be in [min_objects, 8], got {self.max_objects}")
        for name, allowed in (("colours", COLOURS), ("shapes", SHAPES)):
            chosen = getattr(self, name)
            if not chosen or any(c not in allowed for c in chosen) or len(set(chosen)) != len(chosen):
                raise ValueError(f"{name} must be a non-empty subset of {', '.join(allowed)}, got {chosen}")
        if not 0.3 <= self.spacing <= 2:
            raise ValueError(f"spacing must be in [0.3, 2], got {self.spacing}")
        if not 0 <= self.text_prob <= 1:
            raise ValueError(f"text_prob must be in [0, 1], got {self.text_prob}")
        if not 32 <= self.image_size <= 1024:
            raise ValueError(f"image_size must be in [32, 1024], got {self.image_size}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def radius(obj: Object) -> float:
    """Drawn size radius (scene fraction): the size's radius, shrunk with depth."""
    return SIZES[obj.size] * (1 - DEPTH_SHRINK * obj.depth)


def extent(obj: Object) -> float:
    """Radius of a circle around the drawn object (scene fraction), used for spacing and borders."""
    r = radius(obj)
    return r * math.hypot(SIGN_ASPECT, SIGN_HEIGHT) if obj.shape == SIGN else r


def sample_scene(rng: random.Random, config: SceneConfig | None = None) -> Scene:
    """A random scene: objects placed one by one without heavy overlap (the whole scene is redrawn if
    one does not fit)."""
    cfg = config or SceneConfig()
    for _ in range(MAX_TRIES):
        n = rng.randint(cfg.min_objects, cfg.max_objects)
        placed: list[Object] = []
        for _ in range(n):
            obj = _place(rng, cfg, _draft(rng, cfg), placed)
            if obj is None:
                break
            placed.append(obj)
        else:
            return Scene(tuple(placed), cfg.image_size, cfg.image_size)
    raise RuntimeError(
        f"cannot fit {cfg.max_objects} objects in {MAX_TRIES} tries: lower spacing or max_objects"
    )


def _draft(rng: random.Random, cfg: SceneConfig) -> Object:
    """An unplaced object (at the centre) with its attributes and depth."""
    colour, depth = rng.choice(cfg.colours), round(rng.random(), 3)
    if rng.random() < cfg.text_prob:
        return Object(SIGN, colour, rng.choice(SIGN_SIZES), 0.5, 0.5, depth, rng.choice(WORDS))
    return Object(rng.choice(cfg.shapes), colour, rng.choice(tuple(SIZES)), 0.5, 0.5, depth)


def _place(rng: random.Random, cfg: SceneConfig, obj: Object, placed: list[Object]) -> Object | None:
    e = extent(obj)
    for _ in range(MAX_TRIES):
        x, y = round(rng.uniform(e + EDGE, 1 - e - EDGE), 3), round(rng.uniform(e + EDGE, 1 - e - EDGE), 3)
        if all(_apart(obj, x, y, other, cfg.spacing) for other in placed):
            return Object(obj.shape, obj.colour, obj.size, x, y, obj.depth, obj.text)
    return None


def _apart(obj: Object, x: float, y: float, other: Object, spacing: float) -> bool:
    factor = max(spacing, 1.0) if SIGN in (obj.shape, other.shape) else spacing
    return math.hypot(x - other.x, y - other.y) >= factor * (extent(obj) + extent(other))


def centre_cell(o: Object, grid: int) -> tuple[int, int]:
    """The 0-based (column, row) of the cell holding ``o``'s centre in a ``grid`` x ``grid`` raster."""
    return min(grid - 1, int(o.x * grid)), min(grid - 1, int(o.y * grid))


def left_of(a: Object, b: Object) -> bool:
    """``a``'s centre is left of ``b``'s by more than the margin."""
    return a.x < b.x - POSITION_MARGIN


def right_of(a: Object, b: Object) -> bool:
    return left_of(b, a)


def above(a: Object, b: Object) -> bool:
    """``a``'s centre is higher in the image than ``b``'s by more than the margin."""
    return a.y < b.y - POSITION_MARGIN


def below(a: Object, b: Object) -> bool:
    return above(b, a)


def distance(a: Object, b: Object) -> float:
    """Distance between centres in the image plane (scene fractions)."""
    return math.hypot(a.x - b.x, a.y - b.y)


def closer_to(anchor: Object, a: Object, b: Object) -> bool:
    """``a`` is nearer to ``anchor`` than ``b`` is, by more than the margin (in the image plane)."""
    return distance(anchor, a) < distance(anchor, b) - DISTANCE_MARGIN


def closer_to_camera(a: Object, b: Object) -> bool:
    """``a`` is nearer to the camera than ``b``, by more than the margin."""
    return a.depth < b.depth - DEPTH_MARGIN


def count(scene: Scene, colour: str | None = None, shape: str | None = None) -> int:
    """How many objects have this colour and/or shape (``None`` matches any)."""
    return sum(
        (colour is None or o.colour == colour) and (shape is None or o.shape == shape) for o in scene.objects
    )
