"""Registry events for other systems (`git ckpt events`, and the hooks `tag`, `promote` and
`deprecate` run): what happened to which artifact, when, by whom, read from git alone.

Only events that count are listed: tags bound to their records and accepted by the trusted
policy (`registry.judge`: a forged, replayed or unsigned-where-required tag is not an event),
and known issues added or fixed by commits on the trusted revision (a branch's edit to a card
is not an event until it is merged there).

Every event has the same fields, in the same order (`RegistryEvent.to_json`, schema_version 1);
what is particular to a type is in `details`. Events are ordered by time, then type, artifact
and tag, so the output of a repository is stable. Another tag-borne type (an archive) is one
more entry in `TAG_EVENTS`: its type name and a function giving its details."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gitckpt.archive import CountedArchive, counted_archives
from gitckpt.errors import UsageError
from gitckpt.event_hooks import HookOutcome, run_hooks
from gitckpt.history import committed_card_paths
from gitckpt.known_issues import KnownIssue
from gitckpt.provenance import LogEntry, LogWalk, artifact_logs
from gitckpt.records import DeprecationRecord, ReleaseRecord, StageRecord
from gitckpt.registry import iso, read_registry
from gitckpt.release import Created
from gitckpt.repo import Repository, commit_id, git
from gitckpt.signing import NOT_SIGNED, Signature, tag_signatures
from gitckpt.tag_events import Event, read_tag_events
from gitckpt.tags import ASSIGN, DEPRECATE, REGISTER, UNASSIGN, WITHDRAW
from gitckpt.trust import TrustRoot, trust_root

EVENT_SCHEMA_VERSION = 1
RELEASE, WITHDRAWAL, STAGE, DEPRECATION = "release", "withdrawal", "stage", "deprecation"
ISSUE_ADDED, ISSUE_FIXED = "known-issue-added", "known-issue-fixed"
ARCHIVE = "archive"
# Within one second: releases, then stage moves, deprecations, known issues (as tags apply).
TYPE_ORDER = {
    RELEASE: 0,
    WITHDRAWAL: 0,
    STAGE: 1,
    DEPRECATION: 2,
    ARCHIVE: 3,
    ISSUE_ADDED: 4,
    ISSUE_FIXED: 4,
}


@dataclass(frozen=True)
class RegistryEvent:
    """One event: its type, the artifact, the release or stage it concerns, the tag (None for a
    known issue, which a commit records), the commit, when (UTC), who (the tagger or the
    commit's author), the trusted principal whose signature verified (None: none did), and
    what is particular to its type."""

    type: str
    artifact: str
    commit: str
    time: str
    actor: str
    tag: str | None = None
    version: str | None = None
    stage: str | None = None
    signed_by: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": EVENT_SCHEMA_VERSION,
            "type": self.type,
            "artifact": self.artifact,
            "version": self.version,
            "stage": self.stage,
            "tag": self.tag,
            "commit": self.commit,
            "time": self.time,
            "actor": self.actor,
            "signed_by": self.signed_by,
            "details": self.details,
        }

    def order(self) -> tuple[str, int, str, str, str]:
        return (self.time, TYPE_ORDER.get(self.type, 9), self.artifact, self.tag or "", self.commit)


def _release_details(event: Event) -> dict[str, Any]:
    record = event.record
    if not isinstance(record, ReleaseRecord):
        return {"record": False}
    return {"record": True, "card": record.card.path, "sha256": record.bytes.sha256}


def _stage_details(event: Event) -> dict[str, Any]:
    return {"action": "promote" if event.action == ASSIGN else "demote"}


def _deprecation_details(event: Event) -> dict[str, Any]:
    record = event.record
    if not isinstance(record, DeprecationRecord):
        return {"sunset": None, "reason": None}
    return {"sunset": record.sunset, "reason": record.reason}


def _no_details(event: Event) -> dict[str, Any]:
    return {}


# A tag's action (tags.py) -> the event type and its details.
TAG_EVENTS: dict[str, tuple[str, Callable[[Event], dict[str, Any]]]] = {
    REGISTER: (RELEASE, _release_details),
    WITHDRAW: (WITHDRAWAL, _no_details),
    ASSIGN: (STAGE, _stage_details),
    UNASSIGN: (STAGE, _stage_details),
    DEPRECATE: (DEPRECATION, _deprecation_details),
}


def tag_event(
    event: Event, signature: Signature, version: str | None = None
) -> RegistryEvent | None:
    """The registry event of a counted tag (None for a tag type events do not report);
    `version`: the release a stage tag moves (its name does not say)."""
    if event.action not in TAG_EVENTS:
        return None
    kind, details = TAG_EVENTS[event.action]
    return RegistryEvent(
        type=kind,
        artifact=event.artifact,
        commit=event.commit,
        time=iso(event.created),
        actor=f"{event.author} <{event.author_email}>" if event.author_email else event.author,
        tag=event.tag,
        version=event.version or version,
        stage=event.stage,
        signed_by=signature.principal if signature.verified else None,
        details=details(event),
    )


def registry_events(repo: Repository, trust_ref: str | None = None) -> list[RegistryEvent]:
    """Every event that counts under the trust root, in order."""
    trust = trust_root(repo, trust_ref)
    registry = read_registry(repo, trust)
    events = [
        found
        for state in registry.artifacts.values()
        for event in state.events
        if (found := tag_event(event, registry.signature(event), state.version_at(event.commit)))
        is not None
    ]
    events += [archive_event(found) for found in counted_archives(repo, trust)]
    paths = committed_card_paths(repo, trust.revision)
    logs = artifact_logs(repo, paths, LogWalk(revision=trust.revision, registry=registry))
    events += [
        issue_event
        for name, entries in logs.items()
        for entry in entries
        for issue_event in _issue_events(name, entry)
    ]
    return sorted(events, key=RegistryEvent.order)


def archive_event(found: CountedArchive) -> RegistryEvent:
    """The event of an archive that counts: where the released bytes went, and which."""
    record = found.record
    return RegistryEvent(
        type=ARCHIVE,
        artifact=record.artifact,
        commit=record.commit,
        time=record.created,
        actor=found.tagger,
        tag=record.tag,
        signed_by=found.signed_by,
        details={
            "remote": record.remote,
            "deprecation": record.deprecation,
            "releases": [item.to_json() for item in record.bytes],
        },
    )


def _issue_events(artifact: str, entry: LogEntry) -> Iterable[RegistryEvent]:
    for change in entry.known_issues:
        issue = KnownIssue(**change["issue"])
        added = change["change"] == "known-issue-added"
        yield RegistryEvent(
            type=ISSUE_ADDED if added else ISSUE_FIXED,
            artifact=artifact,
            commit=entry.commit,
            time=_utc(entry.commit_date),
            actor=entry.author,
            version=_plain_version(issue.since if added else issue.fixed_in),
            details={"issue": issue.to_json()},
        )


def _plain_version(version: str | None) -> str | None:
    """A release as tags and records name it, X.Y.Z (a card writes vX.Y.Z)."""
    return version.removeprefix("v") if version else None


def _utc(timestamp: str) -> str:
    moment = datetime.datetime.fromisoformat(timestamp).astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def events_since(repo: Repository, events: list[RegistryEvent], since: str) -> list[RegistryEvent]:
    """The events after `since`: an event's tag (those after it in the order), a date or time
    (YYYY-MM-DD, or ISO 8601 with a zone: those at or after it), or a commit (those after its
    commit time)."""
    tags = [event.tag for event in events]
    if since in tags:
        return events[tags.index(since) + 1 :]
    moment = _moment(since)
    if moment is not None:
        return [event for event in events if event.time >= moment]
    commit = commit_id(repo, since)
    if commit is None:
        raise UsageError(
            f"--since {since!r} is neither a registry tag, a date (YYYY-MM-DD or "
            "2026-01-31T12:00:00Z) nor a commit"
        )
    after = iso(int(git(["log", "-1", "--format=%ct", commit], repo.root).strip()))
    return [event for event in events if event.time > after]


def _moment(text: str) -> str | None:
    """`text` as the UTC time events carry, when it is a date or a time with a zone."""
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None and len(text) > len("YYYY-MM-DD"):
        return None  # a time without a zone is ambiguous
    moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def announce(repo: Repository, created: Created) -> list[HookOutcome]:
    """Run the trusted policy's hooks for a tag just created (`tag`, `promote`, `deprecate`),
    with its event as JSON on their standard input; what each hook did, failures included (the
    tag stands whatever a hook does)."""
    trust: TrustRoot = created.trust
    if not trust.config.hooks:
        return []
    event = read_tag_events(repo, [created.tag]).get(created.tag)
    if event is None or event.problem is not None:
        return []
    signatures = tag_signatures(repo, trust, [event.tag_object] if event.has_signature else [])
    moved = created.record.version if isinstance(created.record, StageRecord) else None
    found = tag_event(event, signatures.get(event.tag_object, NOT_SIGNED), moved)
    if found is None:
        return []
    return run_hooks(repo, trust, found.type, found.to_json())


def announce_archive(repo: Repository, tag: str, trust_ref: str | None) -> list[HookOutcome]:
    """Run the trusted policy's hooks for the archive tag just created, with its event on their
    standard input (the archive stands whatever a hook does)."""
    trust = trust_root(repo, trust_ref)
    if not trust.config.hooks:
        return []
    found = next((item for item in counted_archives(repo, trust) if item.record.tag == tag), None)
    if found is None:
        return []
    return run_hooks(repo, trust, ARCHIVE, archive_event(found).to_json())
