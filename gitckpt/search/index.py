"""The search index: `.git/gitckpt/search.sqlite`, keyed by git object ids (see the package's
docstring)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from gitckpt.cache import Cache
from gitckpt.card import is_card_path
from gitckpt.config import CONFIG_PATH, Config, parse_config
from gitckpt.errors import InputError, UsageError
from gitckpt.file_facts import Progress
from gitckpt.files import CARD_SIZE_LIMIT, decode_text
from gitckpt.parallel import map_in_processes
from gitckpt.parsed_cards import ParsedCards
from gitckpt.repo import Repository
from gitckpt.search.cards import indexed_card
from gitckpt.search.query import Query
from gitckpt.search.tag_table import (
    TAG_SCHEMA,
    TAG_TABLES,
    RegistryStatus,
    TagTable,
    chunked_execute,
    stored_status,
)
from gitckpt.sources import RevisionSource
from gitckpt.tag_events import read_unbound_events
from gitckpt.tag_refs import read_tag_refs, tag_refs_fingerprint
from gitckpt.trust import TrustRoot

INDEX_FILE = "search.sqlite"
# bump when a table, the card facts or the stored Event fields change: the index is then rebuilt
INDEX_FORMAT = 8
_TABLES = ("cards", "prose", "configs", "revisions", "revision_files", *TAG_TABLES)
PARALLEL_FROM = 200  # cards to index from which parsing them is spread over processes
KEPT_REVISIONS = (
    4  # commits whose file lists stay in the index (searches of other commits run ls-tree)
)
_SCHEMA = (
    # The facets SQL narrows on are columns; `facts` (JSON) holds them all for `_match`.
    # `own_name`: the name in the card's own text, for binding release records (see
    # `_indexed_card`).
    "CREATE TABLE IF NOT EXISTS cards (oid TEXT PRIMARY KEY, name TEXT, kind TEXT, "
    "commercial INTEGER NOT NULL, facts TEXT NOT NULL, own_name TEXT)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS prose USING fts5(oid UNINDEXED, name, description, body)",
    "CREATE TABLE IF NOT EXISTS configs (oid TEXT PRIMARY KEY, config TEXT NOT NULL)",
    # The cards and config (path -> blob id) of the commits searched last: a warm search runs no ls-
    # tree.
    "CREATE TABLE IF NOT EXISTS revisions (commit_id TEXT PRIMARY KEY, stored INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS revision_files (commit_id TEXT, oid TEXT, path TEXT, "
    "PRIMARY KEY (commit_id, oid, path)) WITHOUT ROWID",
    *TAG_SCHEMA,
)


@dataclass(frozen=True)
class Candidate:
    """A card the index's query let through, with its registry status and text match."""

    path: str
    card: dict[str, Any]
    status: RegistryStatus
    text_match: tuple[float, str] | None = None  # bm25 rank (lower is better), snippet


class SearchIndex:
    """Card facts and prose by blob id, registry events by tag and the status they give each
    artifact, the policy by blob id; rebuilt from nothing when unreadable."""

    def __init__(self, repo: Repository) -> None:
        self.state_dir = repo.state_dir
        self.path = repo.state_dir / INDEX_FILE
        repo.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.connection = self._open()
        except sqlite3.DatabaseError:
            self.path.unlink(missing_ok=True)
            self.connection = self._open()

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=10)
        if connection.execute("PRAGMA user_version").fetchone()[0] != INDEX_FORMAT:
            for table in _TABLES:
                connection.execute(f"DROP TABLE IF EXISTS {table}")
            connection.execute(f"PRAGMA user_version = {INDEX_FORMAT}")
        for statement in _SCHEMA:
            connection.execute(statement)
        connection.execute("SELECT count(*) FROM cards").fetchone()
        return connection

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.connection.close()

    def add_missing(self, source: RevisionSource, progress: Progress | None = None) -> int:
        """Index the cards of `source` whose blob is not indexed yet; returns how many were read.
        Many of them (a cold index) are parsed by one process per core."""
        self._list_files(source)
        missing = {
            path: oid
            for path, oid in self.connection.execute(
                "SELECT path, oid FROM revision_files WHERE commit_id = ? AND oid NOT IN "
                "(SELECT oid FROM cards)",
                (source.revision,),
            )
            if is_card_path(path)
        }
        if not missing:
            return 0
        blobs = source.read(list(missing), lambda _: CARD_SIZE_LIMIT)
        with Cache(self.state_dir) as cache:
            parses = ParsedCards(cache)
            known = parses.known(missing.values())
            cards = [
                (path, blob if isinstance(blob := blobs.get(path), bytes) else None, known.get(oid))
                for path, oid in missing.items()
            ]
            indexed = map_in_processes(
                indexed_card, cards, parallel_from=PARALLEL_FROM, preload=indexed_card.__module__
            )
            rows: dict[str, tuple[dict[str, Any], str, str | None]] = {}
            for done, ((path, _, _), (card, body, own_name, parse)) in enumerate(
                zip(cards, indexed, strict=True), start=1
            ):
                rows[missing[path]] = ({**card, "oid": missing[path]}, body, own_name)
                parses.remember(missing[path], parse)
                if progress:
                    progress(done, len(cards))
            parses.save()
        self._store_cards(rows)
        return len(missing)

    def refresh(
        self,
        source: RevisionSource,
        repo: Repository,
        trust: TrustRoot,
        progress: Progress | None = None,
    ) -> None:
        """`add_missing` then `sync_tags`, overlapped: the changed tags are read in a thread
        while the cards are parsed (in worker processes when many, the parent then only waits),
        and bound once the cards' own names are stored. A fresh clone's first search does both
        at full size; reading 20,000 tags is a fifth of it."""
        tags = TagTable(self.connection)
        tags.restate_for(repo, trust)
        fingerprint = tag_refs_fingerprint(repo)
        if tags.unchanged_since(fingerprint):
            self.add_missing(source, progress)
            return
        changes = tags.changes(read_tag_refs(repo))
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as reader:
            reading = reader.submit(read_unbound_events, repo, changes.changed) if changes else None
            self.add_missing(source, progress)
            if changes and reading:
                tags.store(repo, trust, changes, reading.result())
        tags.remember_fingerprint(fingerprint)

    def sync_tags(self, repo: Repository, trust: TrustRoot) -> int:
        """Bring the stored tags up to date; returns how many tag objects were read. While the
        files git keeps tag refs in are unchanged (their stat fingerprint), the tags are not
        even listed."""
        return TagTable(self.connection).sync(repo, trust)

    def add_new_tags(self, repo: Repository, trust: TrustRoot, refs: dict[str, str]) -> int:
        """Store the events of the tags in `refs` (name -> object id) not stored yet, or now
        pointing to another object; forget deleted tags; recompute the status of every artifact
        those tags are about. Returns how many tag objects were read."""
        tags = TagTable(self.connection)
        changes = tags.changes(refs)
        if changes is None:
            return 0
        return tags.store(repo, trust, changes, read_unbound_events(repo, changes.changed))

    def _store_cards(self, rows: dict[str, tuple[dict[str, Any], str, str | None]]) -> None:
        """Store each card's facts and prose by blob id, in one statement per table: the prose
        table finds a card only by a full scan, so its old rows go in one DELETE per 500."""
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO cards VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        oid,
                        facts["name"],
                        facts.get("kind"),
                        facts.get("commercial", False),
                        json.dumps(facts),
                        own_name,
                    )
                    for oid, (facts, _, own_name) in rows.items()
                ],
            )
            chunked_execute(self.connection, "DELETE FROM prose WHERE oid IN ({})", list(rows))
            self.connection.executemany(
                "INSERT INTO prose VALUES (?, ?, ?, ?)",
                [
                    (oid, facts.get("name") or "", facts.get("description") or "", body)
                    for oid, (facts, body, _) in rows.items()
                ],
            )

    def candidates(self, source: RevisionSource, query: Query) -> list[Candidate]:
        """The named cards of `source` that pass the facets SQL can judge (full text, kind,
        stage, deprecation, commercial use, dataset, metrics), by path."""
        self._list_files(source)
        if query.text:
            self._check_text_syntax(query.text)
        statement, parameters = _candidates_statement(source.revision, query)
        rows = self.connection.execute(statement, parameters).fetchall()
        return [
            Candidate(
                path,
                json.loads(facts),
                stored_status(latest, stages, deprecated),
                _text_match(rank, snippet),
            )
            for path, facts, latest, stages, deprecated, rank, snippet in rows
        ]

    def _list_files(self, source: RevisionSource) -> None:
        """Store the cards and config of `source` (path -> blob id) unless they are stored: the
        index keeps every blob it has seen, so queries join with the files of one commit."""
        if self.connection.execute(
            "SELECT 1 FROM revisions WHERE commit_id = ?", (source.revision,)
        ).fetchone():
            return
        wanted = (path for path in source.files() if is_card_path(path) or path == CONFIG_PATH)
        rows = [(source.revision, oid, path) for path in wanted if (oid := source.blob_id(path))]
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO revision_files VALUES (?, ?, ?)", rows
            )
            newest = "(SELECT coalesce(max(stored), 0) + 1 FROM revisions)"
            self.connection.execute(
                f"INSERT INTO revisions VALUES (?, {newest})", (source.revision,)
            )
            old = "SELECT commit_id FROM revisions ORDER BY stored DESC LIMIT -1 OFFSET ?"
            self.connection.execute(
                f"DELETE FROM revision_files WHERE commit_id IN ({old})", (KEPT_REVISIONS,)
            )
            self.connection.execute(
                f"DELETE FROM revisions WHERE commit_id IN ({old})", (KEPT_REVISIONS,)
            )

    def config(self, source: RevisionSource) -> Config:
        """The policy committed in `source` (parsed once per blob of the config file)."""
        self._list_files(source)
        row = self.connection.execute(
            "SELECT oid FROM revision_files WHERE commit_id = ? AND path = ?",
            (source.revision, CONFIG_PATH),
        ).fetchone()
        oid = row[0] if row else None
        if oid is None:
            return Config()
        row = self.connection.execute("SELECT config FROM configs WHERE oid = ?", (oid,)).fetchone()
        if row is not None:
            return Config.from_json(json.loads(row[0]))
        config = _parse_committed_config(source)
        with self.connection:
            self.connection.execute(
                "INSERT OR REPLACE INTO configs VALUES (?, ?)", (oid, json.dumps(config.to_json()))
            )
        return config

    def _check_text_syntax(self, text: str) -> None:
        try:
            self.connection.execute(
                "SELECT 1 FROM prose WHERE prose MATCH ? LIMIT 1", (text,)
            ).fetchall()
        except sqlite3.OperationalError as error:
            raise UsageError(
                f"search query {text!r} is not valid full-text syntax ({error}); quote "
                'phrases with balanced "…"'
            ) from error


def _candidates_statement(commit: str, query: Query) -> tuple[str, list[Any]]:
    """One SELECT of (path, facts, latest, stages, deprecated, rank, snippet) over the cards of
    `commit`, with a condition per facet SQL can judge; `_match` re-checks and explains each."""
    registry_join = "LEFT JOIN artifacts ON artifacts.name = cards.name"
    tables = f"revision_files AS current JOIN cards ON cards.oid = current.oid {registry_join}"
    text_columns = "NULL, NULL"
    conditions: list[tuple[str, list[Any]]] = [
        ("current.commit_id = ? AND cards.name IS NOT NULL", [commit])
    ]
    if query.text:
        tables = (
            "prose JOIN revision_files AS current ON current.oid = prose.oid JOIN cards ON "
            f"cards.oid = prose.oid {registry_join}"
        )
        text_columns = "bm25(prose), snippet(prose, -1, '[', ']', '…', 12)"
        conditions.append(("prose MATCH ?", [query.text]))
    if query.kind is not None:
        conditions.append(("cards.kind = ?", [query.kind]))
    if query.stage is not None:
        conditions.append(
            ("EXISTS (SELECT 1 FROM json_each(artifacts.stages) WHERE key = ?)", [query.stage])
        )
    if query.version is not None:
        conditions.append(
            (
                "(artifacts.latest = ? OR artifacts.latest LIKE ?)",
                [query.version, query.version + ".%"],
            )
        )  # digits and dots
    if query.deprecated is not None:
        conditions.append(("coalesce(artifacts.deprecated, 0) = ?", [query.deprecated]))
    if query.commercial:
        conditions.append(("cards.commercial", []))
    if query.dataset is not None:
        conditions.append(
            (
                "EXISTS (SELECT 1 FROM json_each(cards.facts, '$.datasets') WHERE value = ?)",
                [query.dataset],
            )
        )
    for wanted in query.metrics:
        sql_comparison = (
            "=" if wanted.comparison == "==" else wanted.comparison
        )  # one of _COMPARISONS: safe to splice
        reported = (
            f"json_extract(value, '$[0]') = ? AND json_extract(value, '$[1]') {sql_comparison} ?"
        )
        metric = f"EXISTS (SELECT 1 FROM json_each(cards.facts, '$.metrics') WHERE {reported})"
        conditions.append((metric, [wanted.metric, wanted.threshold]))
    where = " AND ".join(condition for condition, _ in conditions)
    columns = (
        "current.path, cards.facts, artifacts.latest, artifacts.stages, "
        f"artifacts.deprecated, {text_columns}"
    )
    return f"SELECT {columns} FROM {tables} WHERE {where} ORDER BY current.path", [
        value for _, values in conditions for value in values
    ]


def _text_match(rank: float | None, snippet: str | None) -> tuple[float, str] | None:
    return (rank, " ".join(snippet.split())) if rank is not None and snippet is not None else None


def _parse_committed_config(source: RevisionSource) -> Config:
    blob = source.read([CONFIG_PATH], lambda _: CARD_SIZE_LIMIT).get(CONFIG_PATH)
    if isinstance(blob, InputError):
        raise blob
    return parse_config(decode_text(blob, CONFIG_PATH)) if blob is not None else Config()
