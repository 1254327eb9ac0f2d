"""What `git ckpt ls`, `show` and `history` report: the registry read from tags in one pass (plus
the cards in the work tree, for artifacts not yet released), as typed views whose `to_json` is
what `--json` prints; no printing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gitckpt.card import parse_card
from gitckpt.errors import GitckptError, UsageError
from gitckpt.evaluation import compare_to_baseline
from gitckpt.files import CARD_SIZE_LIMIT, read_text
from gitckpt.inventory import load_inventory
from gitckpt.records import DeprecationRecord, ReleaseRecord
from gitckpt.registry import ArtifactState, RegistryState, Rejected, Release, iso, read_registry
from gitckpt.repo import Repository
from gitckpt.signing import Signature
from gitckpt.tag_events import Event, event_order
from gitckpt.tags import ARTIFACT_RE, Version, artifact_in_tag, parse_tag_name
from gitckpt.trust import TrustRoot, trust_root

if TYPE_CHECKING:
    from gitckpt.evaluation import Comparison


@dataclass(frozen=True)
class ArtifactRow:
    """One artifact in `ls`."""

    name: str
    kind: str  # "?" when neither a card nor a release record says
    latest: str | None
    stages: dict[str, str]  # stage -> version
    versions: int
    deprecated: bool
    notes: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "latest": self.latest,
            "stages": self.stages,
            "versions": self.versions,
            "deprecated": self.deprecated,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class ReleaseSummary:
    """One release of an artifact: its tag, who cut it, its signature, the stages it held."""

    version: str
    tag: str
    commit: str
    created: str
    author: str
    signature: Signature
    withdrawn: bool
    stages: list[str]
    has_record: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "tag": self.tag,
            "commit": self.commit,
            "created": self.created,
            "author": self.author,
            "signed": self.signature.verified,
            "signature": self.signature.to_json(),
            "withdrawn": self.withdrawn,
            "stages": self.stages,
            "has_record": self.has_record,
        }


@dataclass(frozen=True)
class ReleaseView:
    """`show NAME@vX.Y.Z`: one release, the stages it holds now, and its record."""

    summary: ReleaseSummary
    name: str
    current_stages: list[str]
    record: ReleaseRecord | None  # None: a tag made by another tool
    trust: TrustRoot

    def to_json(self) -> dict[str, Any]:
        return {
            **self.summary.to_json(),
            "name": self.name,
            "current_stages": self.current_stages,
            "record": self.record.to_json() if self.record else None,
            "trust": _trust_json(self.trust),
        }


@dataclass(frozen=True)
class DeprecationSummary:
    tag: str
    created: str
    sunset: str | None
    reason: str | None


@dataclass(frozen=True)
class Baseline:
    """For an eval card naming a baseline: each shared metric's difference and its interval."""

    artifact: str
    comparisons: list[Comparison]

    def to_json(self) -> dict[str, Any]:
        return {"artifact": self.artifact, "comparisons": [vars(item) for item in self.comparisons]}


@dataclass(frozen=True)
class ArtifactView:
    """`show NAME`: an artifact's releases (newest first), stages and deprecation; `note` says
    why there are none (the card is not released yet)."""

    name: str
    latest: str | None
    stages: dict[str, str]
    deprecated: DeprecationSummary | None
    releases: list[ReleaseSummary]
    notes: list[str]
    trust: TrustRoot
    baseline: Baseline | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        deprecated = vars(self.deprecated) if self.deprecated else None
        releases = [release.to_json() for release in self.releases]
        trust = _trust_json(self.trust)
        view = (
            {
                "name": self.name,
                "releases": releases,
                "stages": self.stages,
                "deprecated": deprecated,
                "note": self.note,
                "notes": self.notes,
                "trust": trust,
            }
            if self.note is not None
            else {
                "name": self.name,
                "latest": self.latest,
                "stages": self.stages,
                "deprecated": deprecated,
                "releases": releases,
                "notes": self.notes,
                "trust": trust,
            }
        )
        return view | ({"baseline": self.baseline.to_json()} if self.baseline else {})


@dataclass(frozen=True)
class HistoryRow:
    """One registry event in `history`, and why it does not count (`rejected`) when it does not."""

    event: Event
    version: str | None  # a stage move's version is the release at its commit
    signature: Signature
    rejected: str | None
    trust: str  # the trust root, described

    def to_json(self) -> dict[str, Any]:
        return {
            **self.event.to_json(),
            "created": iso(self.event.created),
            "version": self.version,
            "signed": self.signature.verified,
            "signature": self.signature.to_json(),
            "counts": self.rejected is None,
            "rejected": self.rejected,
            "trust": self.trust,
        }


def _trust_json(trust: TrustRoot) -> dict[str, str]:
    return {**trust.to_json(), "description": trust.describe()}


def list_artifacts(
    repo: Repository,
    *,
    kind: str | None = None,
    stage: str | None = None,
    trust_ref: str | None = None,
) -> list[ArtifactRow]:
    registry = read_registry(repo, trust_root(repo, trust_ref))
    kinds = {card.name: card.kind for card in load_inventory(repo).cards.values() if card.name}
    rows = []
    for name in sorted(set(registry.artifacts) | set(kinds)):
        state = registry.artifacts.get(name, ArtifactState(name))
        row = _row(state, kinds.get(name), registry.rejected_for(name))
        if (kind is None or row.kind == kind) and (stage is None or stage in row.stages):
            rows.append(row)
    return rows


def _row(state: ArtifactState, card_kind: str | None, rejected: list[Rejected]) -> ArtifactRow:
    latest = state.latest
    record_kind = latest.record.artifact.kind if latest and latest.record else None
    return ArtifactRow(
        name=state.name,
        kind=card_kind or record_kind or "?",
        latest=latest.version if latest else None,
        stages=dict(sorted(state.stages.items())),
        versions=len([release for release in state.releases.values() if not release.withdrawn]),
        deprecated=state.deprecation is not None,
        notes=_notes(state, rejected),
    )


def _notes(state: ArtifactState, rejected: list[Rejected]) -> list[str]:
    lightweight = [
        f"{event.tag} is a lightweight tag: it carries no record"
        for event in state.events
        if not event.annotated
    ]
    return lightweight + [f"{item.event.tag} is ignored: {item.reason}" for item in rejected]


def show(
    repo: Repository, reference: str, *, trust_ref: str | None = None
) -> ArtifactView | ReleaseView:
    """An artifact (NAME), or one release (NAME@vX.Y.Z, NAME@latest, NAME#STAGE)."""
    registry = read_registry(repo, trust_root(repo, trust_ref))
    assert registry.trust is not None  # read_registry judged it
    name, selector = _split_reference(reference)
    state = registry.artifact(name)
    if state is None:
        known = load_inventory(repo).cards.values()
        if any(card.name == name for card in known):
            return ArtifactView(
                name=name,
                latest=None,
                stages={},
                deprecated=None,
                releases=[],
                notes=_notes(ArtifactState(name), registry.rejected_for(name)),
                trust=registry.trust,
                baseline=baseline_view(repo, name),
                note="not released yet: `git ckpt tag NAME`",
            )
        raise GitckptError(f"no artifact named {name!r} in this repository")
    if selector is None:
        return _artifact_view(registry, state, baseline_view(repo, name))
    return release_view(registry, state, _select(state, selector, reference))


def baseline_view(repo: Repository, name: str) -> Baseline | None:
    """For an eval card naming a baseline: each shared metric's difference and its interval."""

    cards = {
        card.name: card
        for card in load_inventory(repo).cards.values()
        if card.name and card.kind == "eval"
    }
    card = cards.get(name)
    if card is None:
        return None
    data = parse_card(read_text(repo.root / card.path, CARD_SIZE_LIMIT, card.path), card.path).data
    baseline_name = (
        (data.get("baseline") or {}).get("artifact")
        if isinstance(data.get("baseline"), dict)
        else None
    )
    baseline = cards.get(str(baseline_name))
    if baseline is None:
        return None
    other = parse_card(
        read_text(repo.root / baseline.path, CARD_SIZE_LIMIT, baseline.path), baseline.path
    ).data
    return Baseline(
        str(baseline_name),
        compare_to_baseline(data.get("results") or [], other.get("results") or []),
    )


def _split_reference(reference: str) -> tuple[str, str | None]:
    for separator in ("@", "#"):
        if separator in reference:
            name, rest = reference.split(separator, 1)
            selector = separator + rest
            break
    else:
        name, selector = reference, None
    if not ARTIFACT_RE.match(name):
        raise UsageError(
            f"expected NAME, NAME@vX.Y.Z, NAME@latest or NAME#STAGE; got {reference!r}"
        )
    return name, selector


def _select(state: ArtifactState, selector: str, reference: str) -> Release:
    if selector == "@latest":
        release = state.latest
    elif selector.startswith("#"):
        version = state.stages.get(selector[1:])
        release = state.releases.get(version) if version else None
    else:
        parsed = parse_tag_name(f"{artifact_in_tag(state.name)}{selector}")
        release = state.releases.get(parsed.version) if parsed and parsed.version else None
    if release is None:
        raise GitckptError(f"{reference} names no release; `git ckpt show {state.name}` lists them")
    return release


def _artifact_view(
    registry: RegistryState, state: ArtifactState, baseline: Baseline | None
) -> ArtifactView:
    assert registry.trust is not None  # read_registry judged it
    return ArtifactView(
        name=state.name,
        latest=state.latest.version if state.latest else None,
        stages=dict(sorted(state.stages.items())),
        deprecated=_deprecation(state.deprecation),
        releases=[_release_summary(registry, release) for release in _by_version(state)],
        notes=_notes(state, registry.rejected_for(state.name)),
        trust=registry.trust,
        baseline=baseline,
    )


def _by_version(state: ArtifactState) -> list[Release]:
    return sorted(
        state.releases.values(),
        key=lambda release: Version.parse(release.version) or Version(0, 0, 0),
        reverse=True,
    )


def _release_summary(registry: RegistryState, release: Release) -> ReleaseSummary:
    event = release.event
    return ReleaseSummary(
        version=release.version,
        tag=event.tag,
        commit=event.commit,
        created=iso(event.created),
        author=event.author,
        signature=registry.signature(event),
        withdrawn=release.withdrawn,
        stages=sorted(set(release.stages)),
        has_record=event.record_json is not None,
    )


def release_view(registry: RegistryState, state: ArtifactState, release: Release) -> ReleaseView:
    assert registry.trust is not None  # read_registry judged it
    current = sorted(stage for stage, version in state.stages.items() if version == release.version)
    return ReleaseView(
        summary=_release_summary(registry, release),
        name=state.name,
        current_stages=current,
        record=release.record,
        trust=registry.trust,
    )


def _deprecation(event: Event | None) -> DeprecationSummary | None:
    if event is None:
        return None
    record = event.record if isinstance(event.record, DeprecationRecord) else None
    return DeprecationSummary(
        tag=event.tag,
        created=iso(event.created),
        sunset=record.sunset if record else None,
        reason=record.reason if record else None,
    )


def history(
    repo: Repository,
    name: str | None = None,
    *,
    include_rejected: bool = False,
    trust_ref: str | None = None,
) -> list[HistoryRow]:
    """The events that count, oldest first; with `include_rejected`, also those that do not, with
    why."""
    registry = read_registry(repo, trust_root(repo, trust_ref))
    rejected = registry.rejected_for(name) if name else registry.rejected
    if name is not None and registry.artifact(name) is None and not rejected:
        raise GitckptError(f"no releases, stages or deprecation recorded for {name!r}")
    states = (
        [registry.artifacts[name]]
        if name and name in registry.artifacts
        else []
        if name
        else list(registry.artifacts.values())
    )
    rows: list[tuple[Event, str | None]] = [
        (event, None) for state in states for event in state.events
    ]
    rows += [(item.event, item.reason) for item in rejected] if include_rejected else []
    return [
        HistoryRow(
            event=event,
            version=_event_version(registry, event),
            signature=registry.signature(event),
            rejected=reason,
            trust=registry.trust.describe() if registry.trust else "",
        )
        for event, reason in sorted(rows, key=lambda row: (row[0].created, event_order(row[0])))
    ]


def _event_version(registry: RegistryState, event: Event) -> str | None:
    if event.version or event.stage is None:
        return event.version
    state = registry.artifacts.get(event.artifact)
    return state.version_at(event.commit) if state else None
