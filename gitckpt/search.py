"""`git ckpt search`: facets, metric filters and full text over the cards of a revision.

The index lives in `.git/gitckpt/search.sqlite` and is keyed by card blob ids, so a search
reads only the cards whose blob it has not seen (after a pull: the changed ones). It is
never committed and always rebuildable: a missing, corrupt or older-format index is rebuilt.
"""

from __future__ import annotations

import json
import operator
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gitckpt.card import is_card_path, mapping, parse_card
from gitckpt.errors import GitckptError, InputError, UsageError
from gitckpt.files import CARD_SIZE_LIMIT, decode_text
from gitckpt.registry import ArtifactState, read_registry
from gitckpt.repo import Repository
from gitckpt.sources import RevisionSource

INDEX_FILE = "search.sqlite"
INDEX_FORMAT = 1
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cards (oid TEXT PRIMARY KEY, facts TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS prose USING fts5(oid UNINDEXED, name, description, body)",
)
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "=": operator.eq,
}
_METRIC_FILTER_RE = re.compile(r"^\s*([A-Za-z0-9_.\-/]+)\s*(>=|<=|==|=|>|<)\s*(-?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)\s*$")
_LICENSE_OPERATORS = {"AND", "OR", "WITH"}
_UNREADABLE: dict[str, Any] = {"name": None}  # indexed, so it is not re-read, but never listed


@dataclass(frozen=True)
class MetricFilter:
    metric: str
    comparison: str
    threshold: float

    def accepts(self, value: float) -> bool:
        return _COMPARISONS[self.comparison](value, self.threshold)

    def __str__(self) -> str:
        return f"{self.metric} {self.comparison} {self.threshold:g}"


@dataclass(frozen=True)
class Query:
    text: str | None = None
    kind: str | None = None
    stage: str | None = None
    license: str | None = None
    dataset: str | None = None
    owner: str | None = None
    metrics: tuple[MetricFilter, ...] = ()


@dataclass
class Hit:
    name: str
    kind: str
    path: str
    latest: str | None
    stages: dict[str, str]
    deprecated: bool
    snippet: str = ""
    reasons: list[str] = field(default_factory=list)
    rank: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if key != "rank"}


def parse_metric_filter(text: str) -> MetricFilter:
    """`NAME>=VALUE` (also >, <=, <, ==), or a usage error saying what was expected."""
    match = _METRIC_FILTER_RE.match(text)
    if match is None:
        raise UsageError(f"--metric {text!r}: expected NAME OP VALUE with OP one of >=, >, <=, <, ==; e.g. --metric 'top1_accuracy>=0.9'")
    return MetricFilter(match.group(1), match.group(2), float(match.group(3)))


def search(repo: Repository, query: Query, revision: str = "HEAD") -> list[Hit]:
    source = _revision_source(repo, revision)
    card_oids = {path: oid for path in source.files() if is_card_path(path) and (oid := source.blob_id(path))}
    with SearchIndex(repo) as index:
        index.add_missing(source, card_oids)
        facts = index.facts(card_oids.values())
        matches = index.match_text(query.text) if query.text else None
    registry = read_registry(repo)
    hits = []
    for path, oid in sorted(card_oids.items()):
        card = facts.get(oid)
        if card is None or not card.get("name"):
            continue
        state = registry.artifacts.get(card["name"], ArtifactState(card["name"]))
        hit = _match(card, path, state, query, matches)
        if hit is not None:
            hits.append(hit)
    return sorted(hits, key=lambda hit: (hit.rank, hit.name)) if query.text else hits


def _revision_source(repo: Repository, revision: str) -> RevisionSource:
    try:
        return RevisionSource(repo, revision)
    except GitckptError as error:
        if revision == "HEAD":
            raise GitckptError("nothing is committed yet: search reads the cards of a commit (commit your cards first)") from error
        raise


def _match(card: dict[str, Any], path: str, state: ArtifactState, query: Query, matches: dict[str, tuple[float, str]] | None) -> Hit | None:
    latest = state.latest
    hit = Hit(
        name=card["name"],
        kind=card["kind"] or "?",
        path=path,
        latest=latest.version if latest else None,
        stages=dict(sorted(state.stages.items())),
        deprecated=state.deprecation is not None,
    )
    for check in (_kind_matches, _stage_matches, _license_matches, _dataset_matches, _owner_matches, _metrics_match):
        reason = check(card, hit, query)
        if reason is None:
            return None
        hit.reasons.extend(reason)
    if matches is not None:
        found = matches.get(card["oid"])
        if found is None:
            return None
        hit.rank, hit.snippet = found
        hit.reasons.append(f"text matches {query.text!r}")
    return hit


def _kind_matches(card: dict[str, Any], hit: Hit, query: Query) -> list[str] | None:
    if query.kind is None:
        return []
    return [f"kind is {query.kind}"] if card["kind"] == query.kind else None


def _stage_matches(card: dict[str, Any], hit: Hit, query: Query) -> list[str] | None:
    if query.stage is None:
        return []
    version = hit.stages.get(query.stage)
    return [f"v{version} is in {query.stage}"] if version else None


def _license_matches(card: dict[str, Any], hit: Hit, query: Query) -> list[str] | None:
    if query.license is None:
        return []
    wanted = license_identifiers(query.license)
    if not wanted <= license_identifiers(card["license"]):
        return None
    return [f"license {card['license']} includes {' and '.join(sorted(wanted))}"]


def license_identifiers(expression: str | None) -> set[str]:
    """The SPDX identifiers an expression names, upper-cased (operators and brackets dropped)."""
    words = re.split(r"[\s()]+", expression or "")
    return {word.upper() for word in words if word and word.upper() not in _LICENSE_OPERATORS}


def _dataset_matches(card: dict[str, Any], hit: Hit, query: Query) -> list[str] | None:
    if query.dataset is None:
        return []
    return [f"uses dataset {query.dataset}"] if query.dataset in card["datasets"] else None


def _owner_matches(card: dict[str, Any], hit: Hit, query: Query) -> list[str] | None:
    if query.owner is None:
        return []
    wanted = query.owner.casefold()
    found = [person for person in card["people"] if wanted in person.casefold()]
    return [f"{found[0]} is named on the card"] if found else None


def _metrics_match(card: dict[str, Any], hit: Hit, query: Query) -> list[str] | None:
    reasons = []
    for wanted in query.metrics:
        values = [value for metric, value in card["metrics"] if metric == wanted.metric and wanted.accepts(value)]
        if not values:
            return None
        reasons.append(f"{wanted.metric} = {max(values):g} ({wanted})")
    return reasons


class SearchIndex:
    """Card facts and prose by blob id; rebuilt from nothing when unreadable."""

    def __init__(self, repo: Repository) -> None:
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
            connection.execute("DROP TABLE IF EXISTS cards")
            connection.execute("DROP TABLE IF EXISTS prose")
            connection.execute(f"PRAGMA user_version = {INDEX_FORMAT}")
        for statement in _SCHEMA:
            connection.execute(statement)
        connection.execute("SELECT count(*) FROM cards").fetchone()
        return connection

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.connection.close()

    def add_missing(self, source: RevisionSource, card_oids: dict[str, str]) -> int:
        """Index the cards whose blob is not indexed yet; returns how many were read."""
        known = self._known(card_oids.values())
        missing = {path: oid for path, oid in card_oids.items() if oid not in known}
        if not missing:
            return 0
        blobs = source.read(list(missing), lambda _: CARD_SIZE_LIMIT)
        with self.connection:
            for path, oid in missing.items():
                blob = blobs.get(path)
                facts, body = card_facts(path, blob) if isinstance(blob, bytes) else (_UNREADABLE, "")
                facts = {**facts, "oid": oid}
                self.connection.execute("INSERT OR REPLACE INTO cards VALUES (?, ?)", (oid, json.dumps(facts)))
                self.connection.execute("DELETE FROM prose WHERE oid = ?", (oid,))
                self.connection.execute(
                    "INSERT INTO prose VALUES (?, ?, ?, ?)", (oid, facts.get("name") or "", facts.get("description") or "", body)
                )
        return len(missing)

    def _known(self, oids: Iterable[str]) -> set[str]:
        return set(self._stored_facts(oids))

    def facts(self, oids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {oid: json.loads(facts) for oid, facts in self._stored_facts(oids).items()}

    def _stored_facts(self, oids: Iterable[str]) -> dict[str, str]:
        """The indexed facts (JSON) of those blobs that are indexed, read in chunks of 500 ids
        (the index keeps every blob it has seen, so reading it whole would grow with history)."""
        wanted = list(set(oids))
        stored: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            stored.update(self.connection.execute(f"SELECT oid, facts FROM cards WHERE oid IN ({marks})", chunk).fetchall())
        return stored

    def match_text(self, text: str) -> dict[str, tuple[float, str]]:
        """Blob id -> (bm25 rank, lower is better; a snippet with the match in [brackets])."""
        try:
            rows = self.connection.execute(
                "SELECT oid, bm25(prose), snippet(prose, -1, '[', ']', '…', 12) FROM prose WHERE prose MATCH ?", (text,)
            ).fetchall()
        except sqlite3.OperationalError as error:
            raise UsageError(f"search query {text!r} is not valid full-text syntax ({error}); quote phrases with balanced \"…\"") from error
        return {oid: (rank, " ".join(snippet.split())) for oid, rank, snippet in rows}


def card_facts(path: str, blob: bytes) -> tuple[dict[str, Any], str]:
    """The facets of one card and its prose; an unreadable card gives no name (and is not listed)."""
    try:
        card = parse_card(decode_text(blob, path), path)
    except InputError:
        return _UNREADABLE, ""
    data = card.data
    return {
        "name": data.get("name") if isinstance(data.get("name"), str) else None,
        "kind": card.kind,
        "license": data.get("license") if isinstance(data.get("license"), str) else None,
        "description": data.get("description") if isinstance(data.get("description"), str) else "",
        "datasets": sorted(_datasets(data)),
        "metrics": list(_metrics(data)),
        "people": sorted(_people(data)),
    }, card.body


def _datasets(data: dict[str, Any]) -> set[str]:
    entries = [entry for entry in data.get("training_data") or [] if isinstance(entry, dict)]
    entries.append(mapping(data, "dataset"))
    return {str(entry["artifact"]) for entry in entries if isinstance(entry.get("artifact"), str)}


def _metrics(data: dict[str, Any]) -> Iterable[tuple[str, float]]:
    for entry in [*(data.get("evaluation") or []), *(data.get("results") or [])]:
        if isinstance(entry, dict) and isinstance(entry.get("metric"), str) and _is_number(entry.get("value")):
            yield entry["metric"], float(entry["value"])


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _people(data: dict[str, Any]) -> set[str]:
    people = {str(entry["name"]) for entry in data.get("contributors") or [] if isinstance(entry, dict) and entry.get("name")}
    if isinstance(data.get("contact"), str):
        people.add(data["contact"])
    return people
