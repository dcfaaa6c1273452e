"""SQLite response cache (WAL, safe across threads and processes).

Only deterministic requests (temperature 0) are stored, and never an empty response: a cache must not
turn a transient failure or a sampled answer into a permanent one. Keys hash the model name and the
full canonical request (images by content), so a changed prompt, image or parameter misses.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, replace
from pathlib import Path

from modgap.models.chat import ChatRequest, ChatResponse, Usage

__all__ = ["ResponseCache"]


class ResponseCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, response TEXT NOT NULL)"
        )
        self._db.commit()

    def get(self, model: str, request: ChatRequest) -> ChatResponse | None:
        if not request.params.deterministic:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT response FROM responses WHERE key = ?", (request.key(model),)
            ).fetchone()
        if row is None:
            return None
        d = json.loads(row[0])
        return ChatResponse(**{**d, "usage": Usage(**d["usage"]), "cached": True})

    def put(self, model: str, request: ChatRequest, response: ChatResponse) -> bool:
        """Store the response if it may be reused; returns whether it was stored."""
        if not request.params.deterministic or not response.text.strip():
            return False
        blob = json.dumps(asdict(replace(response, cached=False)))
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, model, response) VALUES (?, ?, ?)",
                (request.key(model), model, blob),
            )
            self._db.commit()
        return True

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
