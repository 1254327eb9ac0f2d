"""The search index's tags: every tag by name and object id, the event a registry tag carries,
and the status those events give each artifact (see the package's docstring).

Catching up is two steps, so the slow one can overlap other work: `TagTable.changes` says which
tags are new or moved (without reading a tag object), `tag_events.read_unbound_events` reads
them (no card needed: a cold search reads them in a thread while worker processes parse the
cards), and `TagTable.store` binds and stores them."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from gitckpt.registry import ArtifactState, judge
from gitckpt.repo import Repository
from gitckpt.tag_events import (
    Event,
    UnboundEvents,
    bind_events,
    read_unbound_events,
)
from gitckpt.tag_refs import read_tag_refs, tag_refs_fingerprint
from gitckpt.trust import TrustRoot

TAG_TABLES = (
    "tags",
    "artifacts",
    "listings",
)
TAG_SCHEMA = (
    # Every tag by name and object id; artifact and event are NULL for tags outside GTO's grammar.
    "CREATE TABLE IF NOT EXISTS tags (name TEXT PRIMARY KEY, oid TEXT NOT NULL, artifact "
    "TEXT, event TEXT)",
    "CREATE INDEX IF NOT EXISTS tags_by_artifact ON tags (artifact)",
    "CREATE TABLE IF NOT EXISTS artifacts (name TEXT PRIMARY KEY, latest TEXT, stages TEXT "
    "NOT NULL, deprecated INTEGER NOT NULL)",
    # A digest of the tag listing the stored tags reflect: an unchanged listing needs no comparison.
    "CREATE TABLE IF NOT EXISTS listings (kind TEXT PRIMARY KEY, digest TEXT NOT NULL)",
)


@dataclass(frozen=True)
class RegistryStatus:
    """What a search shows of an artifact's registry state (kept in the index)."""

    latest: str | None = None
    stages: dict[str, str] = field(default_factory=dict)
    deprecated: bool = False

    @classmethod
    def of(cls, state: ArtifactState) -> RegistryStatus:
        latest = state.latest
        return cls(
            latest.version if latest else None,
            dict(sorted(state.stages.items())),
            state.deprecation is not None,
        )


UNRELEASED = RegistryStatus()


@dataclass(frozen=True)
class TagChanges:
    """How the repository's tags differ from the stored ones."""

    refs: dict[str, str]  # every tag now: name -> object id
    changed: list[str]  # new, or pointing to another object
    deleted: list[str]


class TagTable:
    """The tag tables of one open index."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def sync(self, repo: Repository, trust: TrustRoot) -> int:
        """Bring the stored tags up to date; returns how many tag objects were read."""
        self.restate_for(repo, trust)
        fingerprint = tag_refs_fingerprint(repo)
        if self.unchanged_since(fingerprint):
            return 0
        changes = self.changes(read_tag_refs(repo))
        read = (
            self.store(repo, trust, changes, read_unbound_events(repo, changes.changed))
            if changes
            else 0
        )
        self.remember_fingerprint(fingerprint)
        return read

    def restate_for(self, repo: Repository, trust: TrustRoot) -> None:
        """Judge every stored event again when the trust root differs from the last one's."""
        if self.stored_digest("trust") == trust.fingerprint:
            return
        rows = self.connection.execute("SELECT DISTINCT artifact FROM tags")
        artifacts = {artifact for (artifact,) in rows}
        self._restate(repo, trust, artifacts)
        with self.connection:
            self.connection.execute(
                "INSERT OR REPLACE INTO listings VALUES ('trust', ?)", (trust.fingerprint,)
            )

    def unchanged_since(self, fingerprint: str | None) -> bool:
        """Whether the files git keeps tag refs in are as they were at the last catch-up (then
        the tags are not even listed)."""
        return fingerprint is not None and self.stored_digest("tag-files") == fingerprint

    def remember_fingerprint(self, fingerprint: str | None) -> None:
        if fingerprint is not None:
            with self.connection:
                self.connection.execute(
                    "INSERT OR REPLACE INTO listings VALUES ('tag-files', ?)", (fingerprint,)
                )

    def stored_digest(self, kind: str) -> str | None:
        row = self.connection.execute(
            "SELECT digest FROM listings WHERE kind = ?", (kind,)
        ).fetchone()
        return str(row[0]) if row else None

    def changes(self, refs: dict[str, str]) -> TagChanges | None:
        """The tags of `refs` (name -> object id) not stored yet or moved, and the stored tags
        gone; None when the listing is the one stored last."""
        if self.stored_digest("tags") == _listing_digest(refs):
            return None
        stored = dict(self.connection.execute("SELECT name, oid FROM tags").fetchall())
        return TagChanges(
            refs,
            changed=[name for name, oid in refs.items() if stored.get(name) != oid],
            deleted=[name for name in stored if name not in refs],
        )

    def store(
        self, repo: Repository, trust: TrustRoot, changes: TagChanges, unbound: UnboundEvents
    ) -> int:
        """Bind and store the events of the changed tags, forget the deleted ones and recompute
        the status of every artifact they are about. Returns how many tag objects were read."""
        events = bind_events(repo, unbound, self._own_names() if changes.changed else {})
        touched = {event.artifact for event in events.values()} | self._artifacts_of(
            changes.deleted + changes.changed
        )
        with self.connection:
            self.connection.execute(
                "INSERT OR REPLACE INTO listings VALUES ('tags', ?)",
                (_listing_digest(changes.refs),),
            )
            self.connection.executemany(
                "DELETE FROM tags WHERE name = ?", [(name,) for name in changes.deleted]
            )
            self.connection.executemany(
                "INSERT OR REPLACE INTO tags VALUES (?, ?, ?, ?)",
                [
                    (name, changes.refs[name], *_event_columns(events.get(name)))
                    for name in changes.changed
                ],
            )
            self._restate(repo, trust, touched, events)
        return len(events)

    def _own_names(self) -> dict[str, str]:
        """The names indexed cards give themselves, by blob id (binding then reads none of those
        cards again to bind release records to them)."""
        return dict(
            self.connection.execute("SELECT oid, own_name FROM cards WHERE own_name IS NOT NULL")
        )

    def _artifacts_of(self, tags: list[str]) -> set[str]:
        rows = chunked_execute(
            self.connection,
            "SELECT artifact FROM tags WHERE artifact IS NOT NULL AND name IN ({})",
            tags,
        )
        return {artifact for (artifact,) in rows}

    def _restate(
        self,
        repo: Repository,
        trust: TrustRoot,
        artifacts: set[str],
        stored: Mapping[str, Event] | None = None,
    ) -> None:
        """Recompute the status of `artifacts` from their stored events, as the trust root judges
        them; `stored` holds the events just stored, by tag, which need not be read back."""
        rows = chunked_execute(
            self.connection,
            "SELECT name, event FROM tags WHERE event IS NOT NULL AND artifact IN ({})",
            sorted(artifacts),
        )
        stored = stored or {}
        registry = judge(
            repo,
            trust,
            (stored[tag] if tag in stored else Event(**json.loads(event)) for tag, event in rows),
        )
        self.connection.executemany(
            "DELETE FROM artifacts WHERE name = ?", [(name,) for name in artifacts]
        )
        rows = [_status_row(state) for state in registry.artifacts.values()]
        self.connection.executemany("INSERT INTO artifacts VALUES (?, ?, ?, ?)", rows)


def stored_status(latest: str | None, stages: str | None, deprecated: int | None) -> RegistryStatus:
    """The status an `artifacts` row stores (every column NULL for an unreleased artifact)."""
    return (
        RegistryStatus(latest, json.loads(stages), bool(deprecated))
        if stages is not None
        else UNRELEASED
    )


def chunked_execute(
    connection: sqlite3.Connection, statement: str, values: list[str]
) -> list[tuple[Any, ...]]:
    """Run `statement` with its `IN ({})` bound to `values`, 500 at a time (SQLite limits how
    many parameters one statement takes); the rows it selected, if any."""
    rows = []
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        rows.extend(
            connection.execute(statement.format(",".join("?" * len(chunk))), chunk).fetchall()
        )
    return rows


def _status_row(state: ArtifactState) -> tuple[str, str | None, str, bool]:
    status = RegistryStatus.of(state)
    return state.name, status.latest, json.dumps(status.stages), status.deprecated


def _listing_digest(refs: dict[str, str]) -> str:
    return hashlib.sha1(
        "\n".join(f"{oid} {name}" for name, oid in refs.items()).encode(), usedforsecurity=False
    ).hexdigest()


def _event_columns(event: Event | None) -> tuple[str | None, str | None]:
    """The event's artifact and its fields as JSON (not `asdict`, which deep-copies the record
    of every tag only for `json.dumps` to read it)."""
    if event is None:
        return None, None
    return event.artifact, json.dumps(
        {item.name: getattr(event, item.name) for item in fields(event)}
    )
