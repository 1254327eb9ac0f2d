"""What the site shows, read from git: the cards committed at a revision, the registry tags,
each artifact's history, lineage, and each metric across its releases."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field, replace
from typing import Any

from gitckpt.access_routes import access_policy, artifact_levels
from gitckpt.audience import DEFAULT_AUDIENCE, sees
from gitckpt.audit import AuditReport, audit_inventory
from gitckpt.card import Card, is_finite_number, mapping, metric_entries
from gitckpt.checks.sensitive import refuse_credentials
from gitckpt.config import Config
from gitckpt.file_facts import CardFacts, Inventory, Progress
from gitckpt.history import CardReader, card_reader
from gitckpt.inventory import load_inventory
from gitckpt.lineage import (
    Lineage,
    Traversal,
    build_lineage,
    mark_restricted,
    reverse_links,
    upstream_links,
)
from gitckpt.parallel import start_process_server
from gitckpt.provenance import LogEntry, LogWalk, artifact_logs
from gitckpt.registry import ArtifactState, RegistryState, Release, read_registry
from gitckpt.repo import Repository, resolve_commit
from gitckpt.sources import RevisionSource
from gitckpt.tags import Version
from gitckpt.trust import trust_root

WORKER_MODULES = [
    "gitckpt.site.render",  # the pages; it imports gitckpt.inventory, which checks the cards
    "jinja2",
    "markdown_it",
    # what checking a card loads on first use: 0.15 s in each worker of a fresh clone's build
    "yaml",
    "jsonschema_rs",
    "license_expression",
    "detect_secrets.core.plugins.util",
    "detect_secrets.core.scan",
    "detect_secrets.settings",
]


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
    signatures: dict[str, str] = field(
        default_factory=dict
    )  # each release tag's signature, described
    level: str | None = None

    @property
    def latest(self) -> Release | None:
        return self.state.latest

    @property
    def releases(self) -> list[Release]:
        return sorted(
            self.state.releases.values(),
            key=lambda release: _version_key(release.version),
            reverse=True,
        )


@dataclass(frozen=True)
class SamplesLink:
    """What a restricted dataset's card offers in its place (`samples:`): the shareable artifact,
    how it was made, and what it is."""

    artifact: str
    method: str
    description: str


@dataclass(frozen=True)
class ArtifactStub:
    """An artifact above the site's audience: all its page shows. Nothing else of its card is
    read into the model, so no page, index entry or graph can show more."""

    name: str
    slug: str
    level: str | None
    contacts: tuple[str, ...]
    samples: SamplesLink | None


@dataclass
class SiteModel:
    commit: str
    built_at: str
    artifacts: list[ArtifactPage]
    audit: AuditReport
    trust: str = ""
    audience: str = DEFAULT_AUDIENCE
    stubs: list[ArtifactStub] = field(default_factory=list)

    def page(self, name: str) -> ArtifactPage | None:
        return next((page for page in self.artifacts if page.name == name), None)


def page_slug(name: str) -> str:
    """A file name for an artifact's page: names are `[a-z0-9-/]`, so `/` (and anything else
    outside `[a-z0-9-]`) becomes `~` and its hex code, which no name can contain."""
    return re.sub(r"[^a-z0-9-]", lambda match: f"~{ord(match.group()):x}", name)


@dataclass(frozen=True)
class SiteRead:
    """Which commit's cards a site shows (default HEAD), where trust is read from, and who may
    read the site (gitckpt.audience)."""

    revision: str = "HEAD"
    trust_ref: str | None = None
    audience: str = DEFAULT_AUDIENCE


def read_site_model(
    repo: Repository, read: SiteRead = SiteRead(), progress: Progress | None = None
) -> SiteModel:
    start_process_server(WORKER_MODULES)  # for a fresh clone's card checks, then the pages
    with card_reader(repo) as reader:
        return _read_site_model(repo, reader, read, progress)


def _read_site_model(
    repo: Repository, reader: CardReader, read: SiteRead, progress: Progress | None
) -> SiteModel:
    inventory = load_inventory(repo, revision=resolve_commit(repo, read.revision, "site"))
    refuse_credentials(inventory.findings(), inventory.cards.keys(), "the site is not built")
    source = inventory.source
    assert isinstance(source, RevisionSource)  # load_inventory with a revision reads that commit
    access = _access(repo, inventory, read)
    every_card = {card.name: card for card in inventory.cards.values() if card.name}
    cards = {name: card for name, card in every_card.items() if name not in access.hidden}
    parsed = _committed_cards(source, reader, [card.path for card in every_card.values()])
    data = {card.path: parsed[card.path].data for card in cards.values() if card.path in parsed}
    registry = read_registry(repo, trust_root(repo, read.trust_ref))
    card_paths = {name: card.path for name, card in cards.items() if card.path in parsed}
    logs = artifact_logs(repo, card_paths, LogWalk(source.revision, registry, reader))
    snapshot = _Snapshot(
        repo,
        source.revision,
        registry,
        cards,
        data,
        reader,
        Traversal(upstream_links(cards)),
        Traversal(reverse_links(cards), dependents=True, depth=1),
        logs,
        access,
    )
    pages = []
    for done, (_, facts) in enumerate(sorted(cards.items()), start=1):
        if facts.path in parsed:
            pages.append(_artifact_page(snapshot, facts, body=parsed[facts.path].body))
        if progress:
            progress(done, len(cards))
    built_at = datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
    assert registry.trust is not None  # read_registry judged it
    audit = audit_inventory(inventory, registry)
    return SiteModel(
        commit=source.revision,
        built_at=built_at,
        artifacts=pages,
        audit=audit if read.audience == "all" else _audit_without(audit, set(access.hidden)),
        trust=registry.trust.describe(),
        audience=read.audience,
        stubs=[
            _stub(name, access.hidden[name], parsed.get(every_card[name].path))
            for name in sorted(access.hidden)
        ],
    )


@dataclass(frozen=True)
class _Access:
    """Each artifact's level (the most closed claim on its bytes, as a push judges it), the
    policy that orders the levels, and the artifacts above the audience, with their level."""

    levels: dict[str, str | None]
    config: Config
    hidden: dict[str, str | None]


def _access(repo: Repository, inventory: Inventory, read: SiteRead) -> _Access:
    policy = access_policy(repo, inventory, read.trust_ref)
    levels = artifact_levels(inventory, policy)
    hidden = {
        name: level
        for name, level in levels.items()
        if not sees(policy.config, read.audience, level)
    }
    return _Access(levels, policy.config, hidden)


def _stub(name: str, level: str | None, card: Card | None) -> ArtifactStub:
    """What an artifact above the audience shows: its name, level, contacts and samples, read
    defensively (a card that does not parse shows its name and level)."""
    access = mapping(card.data, "access") if card else {}
    contacts = access.get("contacts")
    samples = mapping(card.data, "samples") if card else {}
    link = (
        SamplesLink(
            samples["artifact"],
            _text(samples.get("method")),
            _text(samples.get("description")),
        )
        if isinstance(samples.get("artifact"), str)
        else None
    )
    return ArtifactStub(
        name=name,
        slug=page_slug(name),
        level=level,
        contacts=tuple(item for item in contacts if isinstance(item, str))
        if isinstance(contacts, list)
        else (),
        samples=link,
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _audit_without(audit: AuditReport, hidden: set[str]) -> AuditReport:
    """The audit with nothing about an artifact above the audience (or an unnamed card, whose
    level cannot be judged): its gaps' reasons and its links are its card's text."""

    def shown(name: str | None) -> bool:
        return name is not None and name not in hidden

    return replace(
        audit,
        noassertion=tuple(
            replace(group, gaps=gaps)
            for group in audit.noassertion
            if (gaps := tuple(gap for gap in group.gaps if shown(gap.artifact)))
        ),
        stale_cards=tuple(card for card in audit.stale_cards if shown(card.artifact)),
        deprecated_linked=tuple(
            replace(item, linked_from=tuple(i for i in item.linked_from if shown(i.artifact)))
            for item in audit.deprecated_linked
            if shown(item.artifact)
        ),
        unsigned_releases=tuple(e for e in audit.unsigned_releases if shown(e.artifact)),
        unverified_events=tuple(e for e in audit.unverified_events if shown(e.artifact)),
        ignored_events=tuple(e for e in audit.ignored_events if shown(e.artifact)),
        uncarded_inputs=tuple(
            replace(item, used_by=used_by)
            for item in audit.uncarded_inputs
            if (used_by := tuple(use for use in item.used_by if shown(use.artifact)))
        ),
    )


def _committed_cards(
    source: RevisionSource, reader: CardReader, paths: list[str]
) -> dict[str, Card]:
    """Each card as committed, by path; a card that does not parse is left out (`check` says
    why)."""
    blob_ids = {path: source.blob_id(path) for path in paths}
    reader.prefetch(oid for oid in blob_ids.values() if oid)
    found = {}
    for path in paths:
        blob_id = blob_ids[path]
        card = reader.blob(blob_id, path) if blob_id else None
        if card is not None:
            found[path] = card
    return found


@dataclass(frozen=True)
class _Snapshot:
    """What every page is drawn from, read once: the cards at one commit and the registry."""

    repo: Repository
    commit: str
    registry: RegistryState
    cards: dict[str, CardFacts]  # by artifact name
    data: dict[str, dict[str, Any]]  # front matter by card path
    reader: CardReader  # every version of a card parsed once, for logs and metric history
    upstream: Traversal
    dependents: Traversal  # one link deep
    logs: dict[str, list[LogEntry]]  # by artifact name, from one walk of the history
    access: _Access

    def lineage(self, name: str, traversal: Traversal) -> Lineage:
        """`name`'s graph over the cards the audience may read: an artifact above it is a node
        with its name and level, never followed; a restricted one the audience may read is
        marked."""
        graph = build_lineage(name, self.cards, self.data, self.registry, traversal)
        mark_restricted(graph, self.access.levels, self.access.config)
        for other in graph.nodes:
            if other in self.access.hidden:
                level = self.access.hidden[other]
                graph.nodes[other] = {"name": other, "level": level, "restricted": True}
        return graph


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
        log=snapshot.logs[name],
        upstream=snapshot.lineage(name, snapshot.upstream),
        dependents=snapshot.lineage(name, snapshot.dependents),
        metrics=metric_history(snapshot.reader, state, facts.path, data),
        signatures={
            release.event.tag: snapshot.registry.signature(release.event).describe()
            for release in state.releases.values()
        },
        level=snapshot.access.levels.get(name),
    )


def metric_history(
    reader: CardReader, state: ArtifactState, card_path: str, head_data: dict[str, Any]
) -> list[MetricSeries]:
    """Each metric of the card, release by release (oldest first), from the card each release
    recorded; then HEAD's value when the committed card differs from the latest release's."""
    series: dict[tuple[str, str | None], MetricSeries] = {}
    live = sorted(
        (release for release in state.releases.values() if not release.withdrawn),
        key=lambda r: _version_key(r.version),
    )
    released = _released_cards(reader, live, card_path)
    for release in live:
        if release.version in released:
            add_metric_points(series, f"v{release.version}", released[release.version])
    if not live or released.get(live[-1].version) != head_data:
        add_metric_points(series, "HEAD", head_data)
    return [entry for entry in series.values() if entry.points]


def _released_cards(
    reader: CardReader, releases: list[Release], card_path: str
) -> dict[str, dict[str, Any]]:
    """The card each release was cut from: the blob its record names, else the card at its
    commit."""
    found = {}
    for release in releases:
        recorded = release.record.card.blob if release.record else None
        display = f"{release.event.tag}:{card_path}"
        card = (
            reader.blob(recorded, display)
            if isinstance(recorded, str)
            else _card_at(reader, release.event.commit, card_path)
        )
        if card is not None:
            found[release.version] = card.data
    return found


def _card_at(reader: CardReader, commit: str, path: str) -> Card | None:
    try:
        return reader.at(reader.objects.commit(commit).tree, path)
    except (KeyError, ValueError):
        return None


def add_metric_points(
    series: dict[tuple[str, str | None], MetricSeries], label: str, data: dict[str, Any]
) -> None:
    """Add a point labelled `label` to the series of each metric the card reports (by metric and
    dataset)."""
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
    return float(value) if is_finite_number(value) else None  # type: ignore[arg-type]


def _version_key(version: str) -> Version:
    return Version.parse(version) or Version(0, 0, 0)
