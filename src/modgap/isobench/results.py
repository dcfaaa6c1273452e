"""The run folder both the runner and the report read: ``config.json`` and ``results.jsonl``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["CONFIG", "RESULTS", "read_results"]

CONFIG, RESULTS = "config.json", "results.jsonl"


def read_results(path: Path) -> tuple[dict[str, dict[str, Any]], int | None]:
    """(records by key, the last one winning; the number of a torn last line that was skipped).

    A torn last line is what a crash in the middle of an append leaves; any other unreadable line is
    damage, and raises ValueError naming file:line.
    """
    if not path.is_file():
        return {}, None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a text file of result records") from None
    last = max((i for i, line in enumerate(lines, 1) if line.strip()), default=0)
    records: dict[str, dict[str, Any]] = {}
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            if i == last:
                return records, i
            raise ValueError(f"{path}:{i}: not a JSON record ({e.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("key"), str):
            raise ValueError(f"{path}:{i}: a result record needs a 'key' string")
        records[record["key"]] = record
    return records, None
