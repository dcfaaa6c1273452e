"""Folders whose records live in one JSONL file (IsoBench suites, world folders): reading them back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["read_records"]

T = TypeVar("T")


def read_records(path: str | Path, filename: str, parse: Callable[[dict[str, Any]], T], what: str) -> list[T]:
    """``parse`` of every line of ``path/filename`` (or of the file ``path``); blank lines are skipped.

    A missing file is a FileNotFoundError; a file that is not UTF-8, a line that is not a JSON object or
    that ``parse`` refuses (a file it names missing included), and a file without records are each a
    ValueError naming the file (and line) and ``what`` wrote it.
    """
    path = Path(path)
    file = path / filename if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"{file} not found: is {path} {what}?")
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"{file} is not a text file: is it {what}?") from None
    records = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            if not isinstance(d, dict):
                raise TypeError(f"a JSON object per line, got {type(d).__name__}")
            records.append(parse(d))
        except (
            json.JSONDecodeError,
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            FileNotFoundError,
        ) as e:
            raise ValueError(f"{file}:{lineno}: not a record of {what} ({e})") from None
    if not records:
        raise ValueError(f"{file} holds no records: is it {what}?")
    return records
