"""The registry: every tag read in one `git for-each-ref`, turned into events, then into the
state of each artifact (versions, stages, deprecation). No checkout, no per-tag process.

Callers that keep events between runs (the search index) list the tags' object ids with
`read_tag_refs`, read only the tags they have not seen with `read_tag_events` and fold
what they kept with `registry_from_events`: this module stays the one reader of tags."""

from __future__ import annotations

import datetime
import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitckpt.records import parse_record
from gitckpt.repo import Repository, git
from gitckpt.tags import ASSIGN, DEPRECATE, PHASE, REGISTER, UNASSIGN, WITHDRAW, Version, parse_tag_name

FIELDS = (
    "%(refname:strip=2)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objectname)",
    "%(taggername)",
    "%(taggeremail:trim)",
    "%(taggerdate:unix)",
    "%(creatordate:unix)",
    "%(contents:subject)",
    "%(contents:body)",
    "%(contents:signature)",
)
MAX_REF_PATTERNS = 1000  # at 20,000 tags: 1,000 named refs 0.04 s, all 0.08 s, 5,000 named 0.7 s
_GLOB_CHARACTERS = frozenset("*?[\\")


@dataclass(frozen=True)
class Event:
    """One registry tag: a release, a withdrawal, a stage change or a deprecation."""

    tag: str
    artifact: str
    action: str
    commit: str
    created: int
    author: str
    author_email: str
    annotated: bool
    signed: bool
    subject: str
    version: str | None = None
    stage: str | None = None
    counter: int | None = None
    record: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if key != "record"} | {"has_record": self.record is not None}


@dataclass
class Release:
    version: str
    event: Event
    withdrawn: bool = False
    stages: list[str] = field(default_factory=list)


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
        return max(live, key=lambda release: Version.parse(release.version) or Version(0, 0, 0), default=None)

    def version_at(self, commit: str) -> str | None:
        """The newest version released at `commit` (how GTO ties a stage tag to a version)."""
        versions = [release.version for release in self.releases.values() if release.event.commit == commit]
        return max(versions, key=lambda text: Version.parse(text) or Version(0, 0, 0), default=None)

    def next_counter(self) -> int:
        return max((event.counter or 0 for event in self.events), default=0) + 1


@dataclass
class Registry:
    artifacts: dict[str, ArtifactState] = field(default_factory=dict)
    ignored_tags: int = 0

    def artifact(self, name: str) -> ArtifactState | None:
        return self.artifacts.get(name)


def iso(timestamp: int) -> str:
    """A unix time as ISO 8601 in UTC, the way every registry date is shown."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_events(repo: Repository) -> tuple[list[Event], int]:
    """Every registry event, oldest first, and how many tags were not registry tags."""
    events, ignored = [], 0
    for tag, row in _tag_rows(repo, ["refs/tags"]):
        event = _event(tag, row)
        if event is None:
            ignored += 1
        else:
            events.append(event)
    events.sort(key=event_order)
    return events, ignored


def read_tag_events(repo: Repository, tags: Iterable[str]) -> dict[str, Event]:
    """The events of those named tags that are registry tags, by tag name; no other tag's
    object is read unless thousands are named (then every tag is read in one pass)."""
    wanted = {tag for tag in tags if parse_tag_name(tag) is not None}
    if not wanted:
        return {}
    rows = _tag_rows(repo, _ref_patterns(wanted))
    # A pattern also matches the refs below it (`refs/tags/a` matches `refs/tags/a/b`).
    return {tag: event for tag, row in rows if tag in wanted and (event := _event(tag, row)) is not None}


def _tag_rows(repo: Repository, patterns: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(tag name, the other FIELDS) of every tag matching `patterns`, from one for-each-ref."""
    output = git(["for-each-ref", "--format=" + "%00".join(FIELDS) + "%00", *patterns], repo.root)
    values = output.split("\0")
    for start in range(0, len(values) - len(FIELDS) + 1, len(FIELDS)):
        row = values[start : start + len(FIELDS)]
        yield row[0].lstrip("\n"), row[1:]


def _ref_patterns(tags: set[str]) -> list[str]:
    """for-each-ref patterns for `tags`: one per tag while few, else all tags (matching every ref
    against thousands of patterns costs more than reading every tag)."""
    if len(tags) > MAX_REF_PATTERNS or any(_GLOB_CHARACTERS & set(tag) for tag in tags):
        return ["refs/tags"]
    return [f"refs/tags/{tag}" for tag in sorted(tags)]


def tag_refs_fingerprint(repo: Repository) -> str | None:
    """A digest of the stat of every file and directory git keeps tag refs in (packed-refs and
    refs/tags/**): while it is unchanged, no tag was created, moved or deleted, so a caller that
    kept the tags need not list them. None when that cannot be told: refs kept in a reftable, or
    a ref file touched within the racy window (file times are coarser than two quick writes)."""
    from gitckpt.cache import RACY_WINDOW_NS

    common = _common_dir(repo.git_dir)
    if (common / "reftable").exists():
        return None
    stats = [_stat_row(common / "packed-refs")]
    directories = [common / "refs" / "tags"]
    while directories:
        directory = directories.pop()
        stats.append(_stat_row(directory))
        if not directory.is_dir():
            continue
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    directories.append(Path(entry.path))
                else:
                    stats.append(_stat_row(Path(entry.path)))
    if time.time_ns() - max(row[1] for row in stats) < RACY_WINDOW_NS:
        return None
    return hashlib.sha1(repr(sorted(stats)).encode(), usedforsecurity=False).hexdigest()


def _common_dir(git_dir: Path) -> Path:
    """Where refs live: a linked worktree's git directory names the main one in `commondir`."""
    pointer = git_dir / "commondir"
    return (git_dir / pointer.read_text(encoding="utf-8").strip()).resolve() if pointer.is_file() else git_dir


def _stat_row(path: Path) -> tuple[str, int, int, int, int]:
    try:
        stat = path.lstat()
    except FileNotFoundError:
        return str(path), 0, 0, -1, 0
    return str(path), stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino


def read_tag_refs(repo: Repository) -> dict[str, str]:
    """Every tag's name and the id of the object it points to, without reading any tag object."""
    refs = {}
    for line in git(["for-each-ref", "--format=%(objectname) %(refname:strip=2)", "refs/tags"], repo.root).splitlines():
        oid, name = line.split(" ", 1)
        refs[name] = oid
    return refs


def event_order(event: Event) -> tuple[int, int, int, str]:
    return (event.created, PHASE[event.action], event.counter or 0, event.tag)


def _event(tag: str, row: list[str]) -> Event | None:
    name = parse_tag_name(tag)
    if name is None:
        return None
    kind, target, peeled, tagger, email, tagged_at, created_at, subject, body, signature = row
    annotated = kind == "tag"
    message = f"{subject}\n\n{body}" if body else subject
    return Event(
        tag=tag,
        artifact=name.artifact,
        action=name.action,
        commit=peeled if annotated else target,
        created=int(tagged_at or created_at or 0),
        author=tagger,
        author_email=email,
        annotated=annotated,
        signed=bool(signature.strip()),
        subject=subject,
        version=name.version,
        stage=name.stage,
        counter=name.counter,
        record=parse_record(message) if annotated else None,
    )


def read_registry(repo: Repository) -> Registry:
    events, ignored = read_events(repo)
    return registry_from_events(events, ignored)


def registry_from_events(events: Iterable[Event], ignored_tags: int = 0) -> Registry:
    """The state of each artifact after its events, applied oldest first."""
    registry = Registry(ignored_tags=ignored_tags)
    for event in sorted(events, key=event_order):
        state = registry.artifacts.setdefault(event.artifact, ArtifactState(event.artifact))
        state.events.append(event)
        _apply(state, event)
    return registry


def _apply(state: ArtifactState, event: Event) -> None:
    if event.action == REGISTER and event.version:
        state.releases[event.version] = Release(event.version, event)
    elif event.action == WITHDRAW and event.version in state.releases:
        state.releases[event.version].withdrawn = True
    elif event.action == DEPRECATE:
        state.deprecation = event
    elif event.action in (ASSIGN, UNASSIGN) and event.stage:
        version = state.version_at(event.commit)
        if version is None:
            return
        if event.action == ASSIGN:
            state.stages[event.stage] = version
            state.releases[version].stages.append(event.stage)
        elif state.stages.get(event.stage) == version:
            del state.stages[event.stage]


@dataclass(frozen=True)
class Deprecation:
    artifact: str
    tag: str
    sunset: str | None
    reason: str | None


def read_tag_names(repo: Repository) -> list[str]:
    """Every tag's name, without reading any tag object (cheap enough for `check`)."""
    return list(read_tag_refs(repo))


def read_deprecations(repo: Repository, tag_names: list[str]) -> dict[str, Deprecation]:
    """Deprecated artifacts: messages are read only of `@deprecated` tags."""
    names = [name for name in tag_names if name.endswith("@deprecated")]
    found = {}
    for tag in names:
        parsed = parse_tag_name(tag)
        if parsed is None:
            continue
        message = git(["for-each-ref", "--format=%(contents)", f"refs/tags/{tag}"], repo.root)
        record = parse_record(message) or {}
        found[parsed.artifact] = Deprecation(parsed.artifact, tag, record.get("sunset"), record.get("reason"))
    return found
