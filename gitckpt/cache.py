"""gitckpt's local state in `.git/gitckpt/cache.sqlite`: never committed, always rebuildable.

Three tables:
- `results`: parse and validation results keyed by a file's git blob id plus the rules that
  judged them, so a stale entry can never be returned; shared by every command that reads cards
  (the work tree's and any commit's files have the same keys).
- `digests`: md5/sha256 of data files keyed by path and stat (size, mtime_ns, ctime_ns,
  inode). An entry whose file was modified within RACY_WINDOW_NS of the moment it was
  hashed is never trusted (git's racy-git rule): the file may have changed again within
  the timestamp granularity without its stat changing.
- `blob_ids`: the git blob id of small work-tree files (cards, pointers) by path and stat, under
  the same racy rule, so a warm `check` finds its cached results without reading the files.

A cache that cannot be opened or read is deleted and rebuilt, never trusted. Each write is
one SQLite transaction, so an interrupted run leaves no half-written entry.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gitckpt.hashing import FileDigests

CACHE_FILE = "cache.sqlite"
RACY_WINDOW_NS = 2_000_000_000
_BATCH = 500
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, payload TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, size INTEGER, mtime_ns "
    "INTEGER, ctime_ns INTEGER,"
    " inode INTEGER, md5 TEXT, sha256 TEXT, hashed_at_ns INTEGER)",
    "CREATE TABLE IF NOT EXISTS blob_ids (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
    " ctime_ns INTEGER, inode INTEGER, oid TEXT, seen_at_ns INTEGER)",
)


def encode(value: Any) -> str:
    """A result as the cache stores it."""
    return json.dumps(value, separators=(",", ":"))


def stat_key(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


class Cache:
    def __init__(self, directory: Path) -> None:
        self.path = directory / CACHE_FILE
        self._connection = self._open_or_rebuild(directory)

    def _open_or_rebuild(self, directory: Path) -> sqlite3.Connection | None:
        try:
            return self._open(directory)
        except sqlite3.DatabaseError:
            self.path.unlink(missing_ok=True)
        except OSError:
            return None
        try:
            return self._open(directory)
        except (sqlite3.DatabaseError, OSError):
            return None

    def _open(self, directory: Path) -> sqlite3.Connection:
        directory.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        # Rebuildable state: a crash may lose the last writes, never the file's integrity; in
        # exchange a cold run's thousands of entries are written without waiting for the disk.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            connection.execute(statement)
        # Walks the results table (~1 ms a 20 MB cache): a damaged page fails here, and the file
        # is rebuilt, rather than turning every later read into a miss (a warm run as slow as cold).
        connection.execute("SELECT count(*) FROM results").fetchone()
        return connection

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def get_results(self, keys: Iterable[str]) -> dict[str, Any]:
        if self._connection is None:
            return {}
        wanted = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        try:
            for start in range(0, len(wanted), _BATCH):
                batch = wanted[start : start + _BATCH]
                marks = ",".join("?" * len(batch))
                for key, payload in self._connection.execute(
                    f"SELECT key, payload FROM results WHERE key IN ({marks})", batch
                ):
                    found[key] = json.loads(payload)
        except (sqlite3.DatabaseError, ValueError):
            return {}
        return found

    def put_results(self, items: dict[str, Any]) -> None:
        self.put_encoded_results({key: encode(value) for key, value in items.items()})

    def put_encoded_results(self, items: dict[str, str]) -> None:
        """Store results already encoded with `encode` (by a worker process, say)."""
        self._write(
            "INSERT OR REPLACE INTO results (key, payload) VALUES (?, ?)", list(items.items())
        )

    def get_digests(self, relpath: str, stat: os.stat_result) -> FileDigests | None:
        """The cached digests of `relpath` if its stat is unchanged and the entry is not racy."""
        if self._connection is None:
            return None
        try:
            row = self._connection.execute(
                "SELECT size, mtime_ns, ctime_ns, inode, md5, sha256, hashed_at_ns FROM "
                "digests WHERE path = ?",
                (relpath,),
            ).fetchone()
        except sqlite3.DatabaseError:
            return None
        if row is None or tuple(row[:4]) != stat_key(stat) or row[1] + RACY_WINDOW_NS >= row[6]:
            return None
        return FileDigests(md5=row[4], sha256=row[5], size=row[0])

    def put_digests(
        self, relpath: str, stat: os.stat_result, digests: FileDigests, hashed_at_ns: int
    ) -> None:
        """Remember digests computed from a file whose stat was `stat` when hashing started at
        `hashed_at_ns`."""
        row = (relpath, *stat_key(stat), digests.md5, digests.sha256, hashed_at_ns)
        self._write("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [row])

    def get_blob_ids(self, stats: dict[str, os.stat_result]) -> dict[str, str]:
        """The recorded blob id of each path whose stat is unchanged and not racy."""
        if self._connection is None:
            return {}
        wanted = list(stats)
        found: dict[str, str] = {}
        try:
            for start in range(0, len(wanted), _BATCH):
                batch = wanted[start : start + _BATCH]
                marks = ",".join("?" * len(batch))
                for path, *key, oid, seen_at_ns in self._connection.execute(
                    "SELECT path, size, mtime_ns, ctime_ns, inode, oid, seen_at_ns FROM blob_ids "
                    f"WHERE path IN ({marks})",
                    batch,
                ):
                    if tuple(key) == stat_key(stats[path]) and key[1] + RACY_WINDOW_NS < seen_at_ns:
                        found[path] = oid
        except sqlite3.DatabaseError:
            return {}
        return found

    def put_blob_ids(self, seen: dict[str, tuple[os.stat_result, str]], seen_at_ns: int) -> None:
        """Remember the blob id of each path, read after `seen_at_ns`, whose stat after reading
        was the one given: a change after `seen_at_ns` makes the entry racy, never trusted."""
        rows = [(path, *stat_key(stat), oid, seen_at_ns) for path, (stat, oid) in seen.items()]
        self._write("INSERT OR REPLACE INTO blob_ids VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def _write(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        if self._connection is None or not rows:
            return
        try:
            with self._connection:
                self._connection.executemany(statement, rows)
        except sqlite3.DatabaseError:
            return
