"""Checks typer runs on command-line options before a command starts: numbers, choices and paths.

Each function here is a typer ``callback``: a bad value raises :class:`typer.BadParameter`, which typer
prints as one "Invalid value for '--x': …" box with exit status 2, before any file is read or any
model loads. Integer ranges need none of this (``typer.Option(min=1)``); floats do, because a range
lets ``nan`` through (every comparison with it is false).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path

import typer

__all__ = [
    "DEVICES",
    "comma_list",
    "each_of",
    "finite",
    "fraction",
    "image_file",
    "non_negative",
    "one_of",
    "out_dir",
    "out_file",
    "positive",
    "probability",
]

DEVICES = ("auto", "cpu", "cuda")


def _number(value: float | None, ok: Callable[[float], bool], what: str) -> float | None:
    if value is not None and not (math.isfinite(value) and ok(value)):
        raise typer.BadParameter(f"must be {what}, got {value}")
    return value


def finite(value: float | None) -> float | None:
    """Any number but nan and ±inf."""
    return _number(value, lambda v: True, "a finite number")


def positive(value: float | None) -> float | None:
    """A finite number > 0 (a budget, a learning rate)."""
    return _number(value, lambda v: v > 0, "a finite number > 0")


def non_negative(value: float | None) -> float | None:
    """A finite number >= 0 (a temperature, a scale)."""
    return _number(value, lambda v: v >= 0, "a finite number >= 0")


def fraction(value: float | None) -> float | None:
    """A share of something split in two: strictly between 0 and 1."""
    return _number(value, lambda v: 0 < v < 1, "between 0 and 1 (both excluded)")


def probability(value: float | None) -> float | None:
    """A probability or a threshold on one: 0 to 1."""
    return _number(value, lambda v: 0 <= v <= 1, "between 0 and 1")


def one_of(*choices: str) -> Callable[[str | None], str | None]:
    """A callback accepting exactly one of ``choices``."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}")
        return value

    return check


def comma_list(value: str, option: str, what: str) -> list[str]:
    """The non-empty items of a comma-separated option; ValueError if there are none."""
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise ValueError(f"{option} names no {what} (got {value!r})")
    return items


def each_of(choices: Iterable[str], what: str) -> Callable[[str | None], str | None]:
    """A callback accepting a comma-separated list of some of ``choices`` (at least one)."""
    allowed = tuple(choices)

    def check(value: str | None) -> str | None:
        if value is None:
            return value
        items = [v.strip() for v in value.split(",") if v.strip()]
        if not items:
            raise typer.BadParameter(f"names no {what} (got {value!r})")
        unknown = [v for v in items if v not in allowed]
        if unknown:
            raise typer.BadParameter(f"unknown {what} {unknown}; choose from {', '.join(allowed)}")
        return value

    return check


def out_dir(path: Path | None) -> Path | None:
    """A folder to write into: new or existing, but not an existing file."""
    if path is not None and path.exists() and not path.is_dir():
        raise typer.BadParameter(f"{path} is a file, not a folder")
    return path


def out_file(path: Path | None) -> Path | None:
    """A file to write: new or existing, but not an existing folder."""
    if path is not None and path.is_dir():
        raise typer.BadParameter(f"{path} is a folder, not a file")
    return path


def image_file(path: Path | None) -> Path | None:
    """An existing file that decodes as an image."""
    if path is not None:
        from modgap.files import read_kind

        try:
            read_kind(path, "image", "image")
        except (ValueError, FileNotFoundError) as e:
            raise typer.BadParameter(str(e)) from None
    return path
