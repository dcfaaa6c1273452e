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

    A missing file is a FileNotFoundError and a bad line a ValueError, each naming the file (and line)
    and ``what`` wrote it.
    """
    path = Path(path)
    file = path / filename if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"{file} not found: is {path} {what}?")
    records = []
    for lineno, line in enumerate(file.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(parse(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{file}:{lineno}: not a record of {what} ({e})") from None
    return records
