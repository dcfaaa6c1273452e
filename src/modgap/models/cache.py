"""SQLite response cache (WAL, safe across threads and processes).

Only deterministic requests (temperature 0) are stored, and never an empty response: a cache must not
turn a transient failure or a sampled answer into a permanent one. Keys hash the model name and the
full canonical request (images by content), so a changed prompt, image or parameter misses.

A cache is never the reason a run fails: a file that is not this cache (garbage, truncated, a SQLite
database with other tables) is moved aside to ``<name>.corrupt-<timestamp>`` with a one-line warning
and a fresh cache takes its place, when opened or when the damage shows later; an unreadable row is a
miss, dropped, and replaced when the response comes back.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path

from modgap.models.chat import ChatRequest, ChatResponse, Usage

__all__ = ["ResponseCache"]

COLUMNS = ["key", "model", "response"]


class _Foreign(Exception):
    """A readable SQLite database that is not a response cache."""


def _damaged(e: Exception) -> bool:
    """Corrupt or not a database; a busy or locked one (OperationalError) is not damage."""
    return isinstance(e, _Foreign) or (
        isinstance(e, sqlite3.DatabaseError) and not isinstance(e, sqlite3.OperationalError)
    )


class ResponseCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db, self._inode = self._open()

    def _open(self) -> tuple[sqlite3.Connection, int]:
        try:
            return self._connect()
        except (sqlite3.DatabaseError, _Foreign) as e:
            if not _damaged(e):
                raise
            self._move_aside(e, None)
            return self._connect()

    def _connect(self) -> tuple[sqlite3.Connection, int]:
        db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            if tables and tables != ["responses"]:
                raise _Foreign(f"it holds the tables {tables}")
            db.execute(
                "CREATE TABLE IF NOT EXISTS responses "
                "(key TEXT PRIMARY KEY, model TEXT, response TEXT NOT NULL)"
            )
            columns = [row[1] for row in db.execute("PRAGMA table_info(responses)")]
            if columns != COLUMNS:
                raise _Foreign(f"its responses table has the columns {columns}")
            db.commit()
        except BaseException:
            db.close()
            raise
        return db, os.stat(self.path).st_ino

    def _move_aside(self, e: Exception, inode: int | None) -> None:
        """Rename the damaged file (and its WAL files) out of the way, unless another process already
        did (the file at ``path`` is no longer the one with ``inode``)."""
        from modgap.console import warn

        try:
            if inode is not None and os.stat(self.path).st_ino != inode:
                return
            aside = self.path.with_name(f"{self.path.name}.corrupt-{datetime.now():%Y%m%d-%H%M%S-%f}")
            os.replace(self.path, aside)
        except FileNotFoundError:
            return
        for suffix in ("-wal", "-shm"):
            if (side := self.path.with_name(self.path.name + suffix)).exists():
                os.replace(side, aside.with_name(aside.name + suffix))
        warn(f"response cache {self.path} is unreadable ({e}): moved to {aside.name}, starting a fresh one")

    def _recover(self, e: Exception) -> None:
        """Damage found while in use (self._lock held): move the file aside and reopen a fresh one."""
        self._db.close()
        self._move_aside(e, self._inode)
        self._db, self._inode = self._connect()

    def get(self, model: str, request: ChatRequest) -> ChatResponse | None:
        if not request.params.deterministic:
            return None
        key = request.key(model)
        with self._lock:
            try:
                row = self._db.execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
                if row is None:
                    return None
                response = _response(row[0])
                if response is None:  # unreadable: a miss, dropped now, replaced when the answer comes
                    self._db.execute("DELETE FROM responses WHERE key = ?", (key,))
                    self._db.commit()
                return response
            except sqlite3.DatabaseError as e:
                if not _damaged(e):
                    raise
                self._recover(e)
                return None

    def put(self, model: str, request: ChatRequest, response: ChatResponse) -> bool:
        """Store the response if it may be reused; returns whether it was stored."""
        if not request.params.deterministic or not response.text.strip():
            return False
        blob = json.dumps(asdict(replace(response, cached=False)))
        with self._lock:
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO responses (key, model, response) VALUES (?, ?, ?)",
                    (request.key(model), model, blob),
                )
                self._db.commit()
            except sqlite3.DatabaseError as e:
                if not _damaged(e):
                    raise
                self._recover(e)
                return False
        return True

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _response(blob: object) -> ChatResponse | None:
    """The response a row holds, or None if it is not one (bad JSON, missing or mistyped fields)."""
    try:
        d = json.loads(blob)  # type: ignore[arg-type]
        usage = Usage(int(d["usage"]["prompt_tokens"]), int(d["usage"]["completion_tokens"]))
        text, model, latency = d["text"], d.get("model", ""), float(d.get("latency_s", 0.0))
    except (TypeError, ValueError, KeyError):
        return None
    if not isinstance(text, str) or not isinstance(model, str):
        return None
    return ChatResponse(text, usage, latency, model, cached=True)
