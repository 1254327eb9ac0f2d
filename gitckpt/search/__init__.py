"""`git ckpt search`: facets, metric filters and full text over the cards of a revision.

The index lives in `.git/gitckpt/search.sqlite` and is keyed by card blob ids, so a search
reads only the cards whose blob it has not seen (after a pull: the changed ones). It also keeps
each registry tag's event by tag name and object id, and each artifact's registry status, so a
search lists the tags (names and ids only) and reads just the tag objects it has not seen; the
registry module still turns tags into events and events into state. The card list of the
last commit searched is kept too, so a warm search runs neither `git ls-tree` nor reads a tag.
SQL narrows the cards on the facets it can judge; `_match` decides and says why. The index is
never committed and always rebuildable: a missing, corrupt or older-format index is rebuilt.
Cards are indexed with their credentials masked (see `card_facts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gitckpt.config import CONFIG_PATH, Config
from gitckpt.errors import UsageError
from gitckpt.file_facts import Progress
from gitckpt.repo import Repository, resolve_commit
from gitckpt.search.cards import card_facts
from gitckpt.search.index import Candidate, SearchIndex
from gitckpt.search.query import (
    MetricFilter,
    Query,
    parse_field_filter,
    parse_metric_filter,
    parse_version_filter,
    version_in_series,
)
from gitckpt.sources import RevisionSource
from gitckpt.trust import trust_root

__all__ = [
    "Hit",
    "MetricFilter",
    "Query",
    "SearchIndex",
    "card_facts",
    "parse_field_filter",
    "parse_metric_filter",
    "parse_version_filter",
    "search",
]

_LICENSE_OPERATORS = {"AND", "OR", "WITH"}


@dataclass
class Hit:
    name: str
    kind: str
    path: str
    latest: str | None
    stages: dict[str, str]
    deprecated: bool
    level: str | None = None  # the card's access.level, as it states it
    fields: dict[str, str] = field(default_factory=dict)
    snippet: str = ""
    reasons: list[str] = field(default_factory=list)
    rank: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if key != "rank"}


def search(
    repo: Repository,
    query: Query,
    revision: str = "HEAD",
    progress: Progress | None = None,
    trust_ref: str | None = None,
) -> list[Hit]:
    """The cards at `revision` that match `query`, with the registry state the trust root
    accepts; `progress` hears of a long (cold) indexing."""
    source = RevisionSource(repo, resolve_commit(repo, revision, "search"), resolved=True)
    trust = trust_root(repo, trust_ref)
    with SearchIndex(repo) as index:
        config = index.config(source)
        _check_field_names(query, config)
        index.refresh(source, repo, trust, progress)
        candidates = index.candidates(source, query)
    hits = [
        hit for candidate in candidates if (hit := _match(candidate, config, query)) is not None
    ]
    return sorted(hits, key=lambda hit: (hit.rank, hit.name)) if query.text else hits


def _check_field_names(query: Query, config: Config) -> None:
    known = config.name_fields
    unknown = [name for name, _ in query.fields if name not in known]
    if unknown:
        listed = (
            ", ".join(known)
            if known
            else f"none: naming.pattern in {CONFIG_PATH} has no named groups"
        )
        raise UsageError(
            f"--field {unknown[0]}: not a field of the naming pattern (known fields: {listed})"
        )


def _match(candidate: Candidate, config: Config, query: Query) -> Hit | None:
    """The hit, with every reason it matched, or None: the index narrows, this decides."""
    card, status = candidate.card, candidate.status
    hit = Hit(
        name=card["name"],
        kind=card["kind"] or "?",
        path=candidate.path,
        latest=status.latest,
        stages=status.stages,
        deprecated=status.deprecated,
        level=card.get("level"),
        fields=config.parse_name(card["name"]),
    )
    checks = (
        _kind_matches,
        _stage_matches,
        _version_matches,
        _deprecated_matches,
        _license_matches,
        _commercial_matches,
    )
    for check in (*checks, _dataset_matches, _owner_matches, _metrics_match, _fields_match):
        reason = check(card, hit, query)
        if reason is None:
            return None
        hit.reasons.extend(reason)
    if query.text:
        if candidate.text_match is None:
            return None
        hit.rank, hit.snippet = candidate.text_match
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


def _version_matches(card: dict[str, Any], hit: Hit, query: Query) -> list[str] | None:
    if query.version is None:
        return []
    return (
        [f"latest release v{hit.latest} is in {query.version}"]
        if version_in_series(hit.latest, query.version)
        else None
    )


def _deprecated_matches(card: dict[str, Any], hit: Hit, query: Query) -> list[str] | None:
    if query.deprecated is None:
        return []
    if hit.deprecated != query.deprecated:
        return None
    return ["deprecated" if hit.deprecated else "not deprecated"]


def _license_matches(card: dict[str, Any], hit: Hit, query: Query) -> list[str] | None:
    if query.license is None:
        return []
    wanted = license_identifiers(query.license)
    if not wanted <= license_identifiers(card["license"]):
        return None
    return [f"license {card['license']} includes {' and '.join(sorted(wanted))}"]


def _commercial_matches(card: dict[str, Any], hit: Hit, query: Query) -> list[str] | None:
    if not query.commercial:
        return []
    return [f"license {card['license']} permits commercial use"] if card["commercial"] else None


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
        values = [
            value
            for metric, value in card["metrics"]
            if metric == wanted.metric and wanted.accepts(value)
        ]
        if not values:
            return None
        reasons.append(f"{wanted.metric} = {max(values):g} ({wanted})")
    return reasons


def _fields_match(card: dict[str, Any], hit: Hit, query: Query) -> list[str] | None:
    if any(hit.fields.get(name) != value for name, value in query.fields):
        return None
    return [f"{name} is {value}" for name, value in query.fields]
