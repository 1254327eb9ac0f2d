"""A content-addressed cache of parse and validation results in `.git/gitckpt/`.

Keys are digests of a file's bytes plus the rules that judged them, so a stale entry can
never be returned: changed bytes or changed schemas simply miss. A cache that cannot be
opened or read is rebuilt, never trusted.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CACHE_FILE = "cache.sqlite"
_BATCH = 500


class ResultCache:
    def __init__(self, directory: Path) -> None:
        self.path = directory / CACHE_FILE
        self._connection: sqlite3.Connection | None = None
        try:
            self._connection = self._open(directory)
        except sqlite3.DatabaseError:
            self.path.unlink(missing_ok=True)
            self._connection = self._try_open(directory)

    def _try_open(self, directory: Path) -> sqlite3.Connection | None:
        try:
            return self._open(directory)
        except (sqlite3.DatabaseError, OSError):
            return None

    def _open(self, directory: Path) -> sqlite3.Connection:
        directory.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, payload TEXT NOT NULL)")
        connection.execute("SELECT count(*) FROM results LIMIT 1").fetchone()
        return connection

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        if self._connection is None:
            return {}
        wanted = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        try:
            for start in range(0, len(wanted), _BATCH):
                batch = wanted[start : start + _BATCH]
                marks = ",".join("?" * len(batch))
                for key, payload in self._connection.execute(f"SELECT key, payload FROM results WHERE key IN ({marks})", batch):
                    found[key] = json.loads(payload)
        except (sqlite3.DatabaseError, ValueError):
            return {}
        return found

    def put_many(self, items: dict[str, Any]) -> None:
        if self._connection is None or not items:
            return
        rows = [(key, json.dumps(value, separators=(",", ":"))) for key, value in items.items()]
        try:
            with self._connection:
                self._connection.executemany("INSERT OR REPLACE INTO results (key, payload) VALUES (?, ?)", rows)
        except sqlite3.DatabaseError:
            return

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
