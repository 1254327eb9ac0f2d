"""The registry: the events read from its tags (`tag_events.py`), judged against the trust root
and folded into the state of each artifact (versions, stages, deprecation).

An event counts only when it is bound to its tag (`Event.problem` is None) and, judged against
the trust root, its signature is not bad and the trusted policy accepts it (`judge`); the
others are kept, with the reason, in `RegistryState.rejected`."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gitckpt.config import Config
from gitckpt.records import ReleaseRecord, StageRecord
from gitckpt.repo import Repository
from gitckpt.signing import BAD, NOT_SIGNED, Signature, allowed, tag_signatures
from gitckpt.tag_events import Event, event_order, read_events
from gitckpt.tags import ASSIGN, DEPRECATE, REGISTER, UNASSIGN, WITHDRAW, Version
from gitckpt.trust import TrustRoot, trust_root


@dataclass(frozen=True)
class Rejected:
    """An event that has no effect on the registry, and why."""

    event: Event
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"tag": self.event.tag, "artifact": self.event.artifact, "reason": self.reason}


@dataclass
class Release:
    version: str
    event: Event
    withdrawn: bool = False
    stages: list[str] = field(default_factory=list)

    @property
    def record(self) -> ReleaseRecord | None:
        """What the release was cut from, when its tag carries a record (GTO's do not)."""
        record = self.event.record
        return record if isinstance(record, ReleaseRecord) else None


@dataclass
class ArtifactState:
    name: str
    releases: dict[str, Release] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    deprecation: Event | None = None
    events: list[Event] = field(default_factory=list)

    @property
    def latest(self) -> Release | None:
        live = [release for release in self.releases.values() if not release.withdrawn]
        return max(
            live,
            key=lambda release: Version.parse(release.version) or Version(0, 0, 0),
            default=None,
        )

    def version_at(self, commit: str) -> str | None:
        """The newest version released at `commit` (how GTO ties a stage tag to a version)."""
        versions = [
            release.version for release in self.releases.values() if release.event.commit == commit
        ]
        return max(versions, key=lambda text: Version.parse(text) or Version(0, 0, 0), default=None)

    def next_counter(self) -> int:
        return max((event.counter or 0 for event in self.events), default=0) + 1


@dataclass
class RegistryState:
    artifacts: dict[str, ArtifactState] = field(default_factory=dict)
    ignored_tags: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    signatures: dict[str, Signature] = field(default_factory=dict)  # by tag name; absent: unsigned
    trust: TrustRoot | None = None

    def artifact(self, name: str) -> ArtifactState | None:
        return self.artifacts.get(name)

    def signature(self, event: Event) -> Signature:
        return self.signatures.get(event.tag, NOT_SIGNED)

    def rejected_for(self, name: str) -> list[Rejected]:
        return [item for item in self.rejected if item.event.artifact == name]


def iso(timestamp: int) -> str:
    """A unix time as ISO 8601 in UTC, the way every registry date is shown."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_registry(repo: Repository, trust: TrustRoot | None = None) -> RegistryState:
    """The registry as the trust root (default: the default branch's) sees it: every tag read,
    bound and judged."""
    events, ignored = read_events(repo)
    return judge(repo, trust or trust_root(repo), events, ignored)


def judge(
    repo: Repository, trust: TrustRoot, events: Iterable[Event], ignored_tags: int = 0
) -> RegistryState:
    """The state after the events that count: bound to their tags, not carrying a bad signature,
    and (under release.require_signature) signed by a trusted principal the policy allows."""
    events = list(events)
    signatures = tag_signatures(
        repo, trust, (event.tag_object for event in events if event.has_signature)
    )
    by_tag = {event.tag: signatures.get(event.tag_object, NOT_SIGNED) for event in events}
    rejected, counted = [], []
    for event in events:
        reason = event.problem or _policy_problem(trust.config, event, by_tag[event.tag])
        if reason:
            rejected.append(Rejected(event, reason))
        else:
            counted.append(event)
    registry = registry_from_events(counted, ignored_tags)
    registry.rejected = rejected + registry.rejected
    registry.signatures = {
        tag: signature for tag, signature in by_tag.items() if signature is not NOT_SIGNED
    }
    registry.trust = trust
    return registry


def _policy_problem(config: Config, event: Event, signature: Signature) -> str | None:
    if signature.status == BAD:
        return "its signature does not verify (bad signature)"
    if not config.require_signature:
        return None
    if not signature.verified:
        return (
            f"{signature.describe()}, and the trusted policy requires verified signatures "
            "(release.require_signature)"
        )
    assert signature.principal is not None
    if not allowed(config, signature.principal, event.artifact, event.stage):
        what = (
            f"move {event.artifact} in stage {event.stage}"
            if event.stage
            else f"release {event.artifact}"
        )
        return (
            f"signed by {signature.principal}, who may not {what} under the trusted release.signers"
        )
    return None


def registry_from_events(events: Iterable[Event], ignored_tags: int = 0) -> RegistryState:
    """The state of each artifact after its events, in the order they apply; a stage move or
    withdrawal that names no release is rejected."""
    registry = RegistryState(ignored_tags=ignored_tags)
    for event in sorted(events, key=event_order):
        state = registry.artifacts.setdefault(event.artifact, ArtifactState(event.artifact))
        reason = _apply(state, event)
        if reason:
            registry.rejected.append(Rejected(event, reason))
        else:
            state.events.append(event)
    return registry


def _apply(state: ArtifactState, event: Event) -> str | None:
    """Apply the event to the state, or say why it cannot apply."""
    if event.action == REGISTER and event.version:
        state.releases[event.version] = Release(event.version, event)
    elif event.action == WITHDRAW:
        if event.version not in state.releases:
            return f"it withdraws v{event.version}, which was never released"
        state.releases[event.version].withdrawn = True
    elif event.action == DEPRECATE:
        state.deprecation = event
    elif event.action in (ASSIGN, UNASSIGN) and event.stage:
        return _apply_stage(state, event, event.stage)
    return None


def _apply_stage(state: ArtifactState, event: Event, stage: str) -> str | None:
    version = state.version_at(event.commit)
    if version is None:
        return f"no release of {state.name} counts at its commit {event.commit[:12]}"
    recorded = event.record.version if isinstance(event.record, StageRecord) else None
    if recorded is not None and recorded != version:
        return f"its record says v{recorded}, but the release at its commit is v{version}"
    if event.action == ASSIGN:
        state.stages[stage] = version
        state.releases[version].stages.append(stage)
    elif state.stages.get(stage) == version:
        del state.stages[stage]
    return None
