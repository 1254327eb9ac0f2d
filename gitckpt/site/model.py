"""What the site shows, read from git: the cards committed at a revision, the registry tags,
each artifact's history, lineage, and each metric across its releases."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from gitckpt.audit import AuditReport, audit
from gitckpt.card import is_number, mapping, metric_entries, parse_card
from gitckpt.errors import InputError
from gitckpt.files import CARD_SIZE_LIMIT, decode_text
from gitckpt.inventory import CardFacts, load_inventory
from gitckpt.provenance import Lineage, LogEntry, artifact_log, build_lineage
from gitckpt.registry import ArtifactState, Registry, Release, read_registry
from gitckpt.repo import Repository
from gitckpt.tags import Version

Progress = Any  # (done, total) -> None, as gitckpt.inventory.Progress


@dataclass(frozen=True)
class MetricPoint:
    label: str  # a release version, or "HEAD" for what is committed but not released
    value: float
    low: float | None
    high: float | None
    level: float | None


@dataclass
class MetricSeries:
    metric: str
    dataset: str | None
    points: list[MetricPoint] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.metric} on {self.dataset}" if self.dataset else self.metric


@dataclass
class ArtifactPage:
    name: str
    kind: str
    card_path: str
    slug: str
    data: dict[str, Any]
    body: str
    state: ArtifactState
    log: list[LogEntry]
    upstream: Lineage
    dependents: Lineage
    metrics: list[MetricSeries]

    @property
    def latest(self) -> Release | None:
        return self.state.latest

    @property
    def releases(self) -> list[Release]:
        return sorted(self.state.releases.values(), key=lambda release: _version_key(release.version), reverse=True)


@dataclass
class SiteModel:
    commit: str
    built_at: str
    artifacts: list[ArtifactPage]
    audit: AuditReport

    def page(self, name: str) -> ArtifactPage | None:
        return next((page for page in self.artifacts if page.name == name), None)


def page_slug(name: str) -> str:
    """A file name for an artifact's page: names are `[a-z0-9-/]`, so `/` (and anything else
    outside `[a-z0-9-]`) becomes `~` and its hex code, which no name can contain."""
    return re.sub(r"[^a-z0-9-]", lambda match: f"~{ord(match.group()):x}", name)


def read_site_model(repo: Repository, revision: str = "HEAD", progress: Progress | None = None) -> SiteModel:
    inventory = load_inventory(repo, revision=revision)
    commit = inventory.source.revision or revision
    cards = {card.name: card for card in inventory.cards.values() if card.name}
    parsed = _parse_cards(inventory.source, [card.path for card in cards.values()])
    data = {path: card_data for path, (card_data, _) in parsed.items()}
    snapshot = _Snapshot(repo, commit, read_registry(repo), cards, data)
    pages = []
    for done, (_, facts) in enumerate(sorted(cards.items()), start=1):
        if facts.path in parsed:
            pages.append(_artifact_page(snapshot, facts, body=parsed[facts.path][1]))
        if progress:
            progress(done, len(cards))
    built_at = datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
    return SiteModel(commit=commit, built_at=built_at, artifacts=pages, audit=audit(repo, commit))


def _parse_cards(source: Any, paths: list[str]) -> dict[str, tuple[dict[str, Any], str]]:
    """Front matter and prose by card path; cards that do not parse are left out (`check` says why)."""
    found = {}
    for path, content in source.read(paths, lambda _: CARD_SIZE_LIMIT).items():
        if isinstance(content, bytes):
            try:
                card = parse_card(decode_text(content, path), path)
            except InputError:
                continue
            found[path] = (card.data, card.body)
    return found


@dataclass(frozen=True)
class _Snapshot:
    """What every page is drawn from, read once: the cards at one commit and the registry."""

    repo: Repository
    commit: str
    registry: Registry
    cards: dict[str, CardFacts]  # by artifact name
    data: dict[str, dict[str, Any]]  # front matter by card path


def _artifact_page(snapshot: _Snapshot, facts: CardFacts, body: str) -> ArtifactPage:
    name = str(facts.name)
    state = snapshot.registry.artifact(name) or ArtifactState(name)
    data = snapshot.data[facts.path]
    return ArtifactPage(
        name=name,
        kind=facts.kind or "?",
        card_path=facts.path,
        slug=page_slug(name),
        data=data,
        body=body,
        state=state,
        log=artifact_log(snapshot.repo, name, revision=snapshot.commit, card_path=facts.path, registry=snapshot.registry),
        upstream=build_lineage(name, snapshot.cards, snapshot.data, snapshot.registry),
        dependents=build_lineage(name, snapshot.cards, snapshot.data, snapshot.registry, depth=1, dependents=True),
        metrics=metric_history(snapshot.repo, state, facts.path, data),
    )


def metric_history(repo: Repository, state: ArtifactState, card_path: str, head_data: dict[str, Any]) -> list[MetricSeries]:
    """Each metric of the card, release by release (oldest first), from the card each release
    recorded; then HEAD's value when the committed card differs from the latest release's."""
    series: dict[tuple[str, str | None], MetricSeries] = {}
    live = sorted((release for release in state.releases.values() if not release.withdrawn), key=lambda r: _version_key(r.version))
    released = _released_cards(repo, live, card_path)
    for release in live:
        if release.version in released:
            _add_points(series, f"v{release.version}", released[release.version])
    if not live or released.get(live[-1].version) != head_data:
        _add_points(series, "HEAD", head_data)
    return [entry for entry in series.values() if entry.points]


def _released_cards(repo: Repository, releases: list[Release], card_path: str) -> dict[str, dict[str, Any]]:
    """The card each release was cut from: the blob its record names, else the card at its commit."""
    import pygit2

    git_repo = pygit2.Repository(str(repo.root))
    found = {}
    for release in releases:
        record = release.event.record or {}
        blob_id = (record.get("card") or {}).get("blob") if isinstance(record.get("card"), dict) else None
        text = _blob_text(git_repo, blob_id) if blob_id else _file_at(git_repo, release.event.commit, card_path)
        if text is None:
            continue
        try:
            found[release.version] = parse_card(text, f"{release.event.tag}:{card_path}").data
        except InputError:
            continue
    return found


def _blob_text(git_repo: Any, blob_id: str) -> str | None:
    try:
        return decode_text(git_repo[blob_id].data, blob_id)
    except (KeyError, ValueError, InputError):
        return None


def _file_at(git_repo: Any, commit: str, path: str) -> str | None:
    try:
        blob = git_repo.revparse_single(f"{commit}:{path}")
    except (KeyError, ValueError):
        return None
    return _blob_text(git_repo, str(blob.id))


def _add_points(series: dict[tuple[str, str | None], MetricSeries], label: str, data: dict[str, Any]) -> None:
    for entry in metric_entries(data):
        dataset = mapping(entry, "dataset")
        dataset_name = dataset.get("artifact") or dataset.get("uri")
        key = (entry["metric"], str(dataset_name) if dataset_name else None)
        interval = mapping(entry, "confidence_interval")
        point = MetricPoint(
            label=label,
            value=float(entry["value"]),
            low=_number(interval.get("low")),
            high=_number(interval.get("high")),
            level=_number(interval.get("level")),
        )
        series.setdefault(key, MetricSeries(*key)).points.append(point)


def _number(value: object) -> float | None:
    return float(value) if is_number(value) else None  # type: ignore[arg-type]


def _version_key(version: str) -> Version:
    return Version.parse(version) or Version(0, 0, 0)
