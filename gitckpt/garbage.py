"""`git ckpt gc`: which DVC objects the registry still needs, and removing the others.

An object is kept when a release or stage tag bound to its record needs it (the record's bytes
and the pointer at the tag's commit; a tag without a record, or a stage tag, keeps every pointer
at its commit), when a local or remote-tracking branch head, HEAD or the work tree names it, or
when the retention policy keeps its version (`retention.keep_unreleased`, trusted config). A
directory keeps every file its listing names. An artifact archived by a bound `NAME@archived` tag
is dropped from every store but its archive remote, unless something else needs the same bytes.

Deleting is irreversible, so gc refuses to plan at all when it cannot see everything that might
need an object: a release or stage tag that is not bound to its record, or whose record's bytes
are not what the pointer at its commit names; a shallow clone; a git remote with branches or
tags this clone has not fetched."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from gitckpt import object_stores
from gitckpt.access_routes import utc_today
from gitckpt.archive import ArchiveRecord, read_archives
from gitckpt.errors import GitckptError
from gitckpt.files import CARD_SIZE_LIMIT, decode_text, read_limited
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.records import ReleaseRecord, StageRecord
from gitckpt.registry import ArtifactState, read_registry
from gitckpt.repo import Repository, git, head_commit, list_work_tree_files
from gitckpt.retention import (
    NamedObject,
    TrackedVersion,
    clone_problems,
    files_at,
    is_tracking_file,
    local_refs,
    named_objects,
    objects_in,
    ordinal,
    retained_versions,
    tracked_versions,
    trusted_history,
)
from gitckpt.tag_events import Event, read_events
from gitckpt.tags import ASSIGN, REGISTER, UNASSIGN, WITHDRAW
from gitckpt.trust import TrustRoot, trust_root

KEEP, DELETE = "keep", "delete"
CACHE = "cache"
UNNAMED = "named by no commit of any branch, remote-tracking branch or tag"
TAG_ACTIONS = (REGISTER, WITHDRAW, ASSIGN, UNASSIGN)
REFUSED_UNBOUND = (REGISTER, WITHDRAW, ASSIGN)  # a tag that would keep bytes, not bound


# How directly a reason names an object, best first: the table shows the best reason.
TAGGED, ON_BRANCH, IN_WORK_TREE, AT_TAGGED_COMMIT, RETAINED = range(5)


@dataclass(frozen=True)
class Need:
    """Why an object must stay: the artifact, the version or commit, the reason, and how
    directly that reason names it (TAGGED … RETAINED)."""

    artifact: str
    version: str
    why: str
    rank: int = TAGGED


@dataclass(frozen=True)
class GcRow:
    """One object in one store (the local cache: `remote` None, or a DVC remote), and what gc
    does with it."""

    remote: str | None
    md5: str
    artifact: str
    version: str
    size: int | None
    action: str
    why: str

    @property
    def store(self) -> str:
        return CACHE if self.remote is None else self.remote

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "remote": self.remote,
            "md5": self.md5,
            "artifact": self.artifact,
            "version": self.version,
            "size": self.size,
            "action": self.action,
            "why": self.why,
        }


@dataclass(frozen=True)
class GcPlan:
    """What gc keeps and deletes, in the local cache and (with --remote) the remote."""

    rows: tuple[GcRow, ...]
    remote: str | None
    trust: TrustRoot
    notes: tuple[str, ...] = ()

    @property
    def deletions(self) -> list[GcRow]:
        return [row for row in self.rows if row.action == DELETE]

    @property
    def freed(self) -> int:
        return sum(row.size or 0 for row in self.deletions)

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "objects": [row.to_json() for row in self.rows],
            "delete": len(self.deletions),
            "freed_bytes": self.freed,
            "notes": list(self.notes),
            "trust": self.trust.to_json(),
        }


class GcRefused(GitckptError):
    """gc cannot see everything that might need an object: nothing is planned or deleted."""


@dataclass
class Needs:
    """Every object's reasons to stay, by md5; the data path each object was tracked at."""

    by_md5: dict[str, list[Need]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # data path -> artifact
    tagged: set[tuple[str, str]] = field(default_factory=set)  # (tracking file, blob) tags keep

    def add(self, objects: Iterable[NamedObject], reason: Need) -> None:
        """Keep `objects` for `reason` (its artifact, when empty, is each object's by path)."""
        for item in objects:
            name = reason.artifact or self.names.get(item.data, item.data)
            self.by_md5.setdefault(item.md5, []).append(replace(reason, artifact=name))
            if item.size is not None:
                self.sizes.setdefault(item.md5, item.size)

    def best(self, md5: str, artifact: str | None = None) -> Need | None:
        """The most direct reason to keep `md5`, leaving out `artifact`'s own."""
        reasons = [need for need in self.by_md5.get(md5, []) if need.artifact != artifact]
        return min(reasons, key=lambda need: need.rank, default=None)


class TrackedFiles:
    """The tracking files at commits and the objects each names, each read once."""

    def __init__(self, repo: Repository, versions: dict[str, list[TrackedVersion]]) -> None:
        self._repo = repo
        self._trees: dict[str, dict[str, str]] = {}
        self._objects = {(v.path, v.blob): v.objects for found in versions.values() for v in found}

    def at(self, commit: str) -> dict[str, str]:
        if commit not in self._trees:
            self._trees[commit] = files_at(self._repo, commit)
        return self._trees[commit]

    def objects(self, path: str, blob: str | None) -> tuple[NamedObject, ...]:
        if blob is None:
            return ()
        if (path, blob) not in self._objects:
            self._objects[path, blob] = named_objects(self._repo, {blob: path})[blob]
        return self._objects[path, blob]


def plan_gc(repo: Repository, remote: str | None, trust_ref: str | None = None) -> GcPlan:
    """What gc would keep and delete; GcRefused naming every reason it cannot decide safely."""
    problems = clone_problems(repo)
    if problems:
        raise _refused(problems)
    trust = trust_root(repo, trust_ref)
    versions = tracked_versions(repo)
    tracked = TrackedFiles(repo, versions)
    needs = Needs(names=_artifact_names(repo))
    events, _ = read_events(repo)
    _keep_tagged(events, tracked, needs)
    _keep_heads(repo, tracked, needs)
    _keep_work_tree(repo, needs)
    policy = (trust.config.keep_last, trust.config.keep_days)
    ranked = _keep_retained(repo, trust, versions, needs)
    _keep_directory_files(repo, needs, remote)
    archives, notes = _verified_archives(repo, trust)
    reasons = _deletion_reasons(ranked, needs.tagged, policy)
    shared = _shared_cache_note(repo)
    stores = [*([] if shared else [None]), *([remote] if remote else [])]
    notes += [shared] if shared else []
    rows = [row for store in stores for row in _rows(repo, store, needs, archives, reasons)]
    return GcPlan(tuple(rows), remote, trust, tuple(notes))


def _keep_retained(
    repo: Repository, trust: TrustRoot, versions: dict[str, list[TrackedVersion]], needs: Needs
) -> dict[str, list[TrackedVersion]]:
    """Keep what retention keeps; the versions that competed for it (those on the trusted
    branch's history). A version only another branch or tag reached is kept: whoever can push
    a ref could otherwise add versions that push a kept one out of the `last` places."""
    trusted = trusted_history(repo, trust.revision)
    ranked = {
        path: [version for version in found if version.commit in trusted]
        for path, found in versions.items()
    }
    policy = (trust.config.keep_last, trust.config.keep_days)
    for kept in retained_versions(ranked, needs.tagged, policy):
        needs.add(kept.version.objects, Need("", kept.version.commit[:12], kept.why, RETAINED))
    off_branch = "retention: not on the trusted branch (kept while another ref reaches it)"
    for found in versions.values():
        for version in found:
            if version.commit not in trusted:
                needs.add(version.objects, Need("", version.commit[:12], off_branch, RETAINED))
    return ranked


def _shared_cache_note(repo: Repository) -> str | None:
    """Why gc leaves the local cache alone: a `cache.dir` outside the repository may be shared
    with other projects, whose commits gc cannot see (DVC's own gc needs `--projects` there)."""
    cache = object_stores.local_cache_dir(repo.root).resolve()
    if cache.is_relative_to(repo.root.resolve()):
        return None
    return (
        f"the DVC cache {cache} is outside this repository and may be shared with other "
        "projects whose commits gc cannot see: it is left alone (clean it with `dvc gc "
        "--projects ...`)"
    )


def _refused(problems: list[str]) -> GcRefused:
    return GcRefused(
        "gc deletes bytes for good, so it refuses while it cannot see everything that may need "
        "them; nothing was deleted:\n  " + "\n  ".join(problems)
    )


def _artifact_names(repo: Repository) -> dict[str, str]:
    """Data path -> artifact name, from the cards in the work tree."""
    from gitckpt.inventory import load_inventory

    cards = load_inventory(repo).cards.values()
    return {str(card.data_relpath): str(card.name) for card in cards if card.data_relpath}


def _keep_tagged(events: list[Event], tracked: TrackedFiles, needs: Needs) -> None:
    """Keep what each release and stage tag needs: a release its record's bytes, a stage tag
    its release's; any other tag (no record: GTO's) every tracking file at its commit.
    GcRefused when a tag that would keep bytes is not bound, or a record's bytes are not what
    the pointer at its commit names."""
    tagged = [event for event in events if event.action in TAG_ACTIONS]
    problems = [
        f"{event.tag} is not bound to its record: {event.problem}"
        for event in tagged
        if event.problem and event.action in REFUSED_UNBOUND
    ]
    releases = {
        (event.artifact, event.version): event
        for event in tagged
        if isinstance(event.record, ReleaseRecord)
    }
    for event in (event for event in tagged if not event.problem):
        staged = event.record.version if isinstance(event.record, StageRecord) else None
        source = releases.get((event.artifact, staged), event)
        if isinstance(source.record, ReleaseRecord):
            why = f"stage {event.stage} ({event.tag})" if event.stage else f"release {event.tag}"
            reason = Need(event.artifact, "", why)
            problems += filter(None, [_keep_release(source, source.record, reason, tracked, needs)])
            continue
        label = f"v{event.version}" if event.version else f"#{event.stage}"
        reason = Need("", label, f"at the commit of {event.tag}", AT_TAGGED_COMMIT)
        for path, blob in tracked.at(event.commit).items():
            needs.add(tracked.objects(path, blob), reason)
            needs.tagged.add((path, blob))
    if problems:
        raise _refused(problems)


def _keep_release(
    event: Event, record: ReleaseRecord, reason: Need, tracked: TrackedFiles, needs: Needs
) -> str | None:
    """Keep the release's bytes: what the pointer at its commit names, which must include the
    record's md5 (else why the release cannot be resolved to its bytes)."""
    pointer = f"{record.bytes.path}{POINTER_SUFFIX}"
    blob = tracked.at(event.commit).get(pointer)
    named = tracked.objects(pointer, blob)
    if blob is None or record.bytes.md5 not in {item.md5 for item in named}:
        return (
            f"{event.tag} cannot be resolved to its bytes: its record names "
            f"{record.bytes.md5} at {record.bytes.path}, but the pointer at "
            f"{event.commit[:12]} {'names other bytes' if blob else 'is missing'}"
        )
    needs.names.setdefault(record.bytes.path, event.artifact)
    needs.add(named, replace(reason, version=f"v{record.version}"))
    needs.tagged.add((pointer, blob))
    return None


def _keep_heads(repo: Repository, tracked: TrackedFiles, needs: Needs) -> None:
    """Keep what every local and remote-tracking branch head, and each work tree's HEAD when it
    is detached, names."""
    heads = {
        ref.removeprefix("refs/heads/").removeprefix("refs/remotes/"): oid
        for ref, oid in local_refs(repo).items()
        if ref.startswith(("refs/heads/", "refs/remotes/"))
    }
    for commit in [head_commit(repo), *_worktree_heads(repo)]:
        if commit and commit not in heads.values():
            heads[f"HEAD {commit[:12]}"] = commit
    for name, oid in sorted(heads.items(), key=lambda item: (item[0].startswith("HEAD "), item)):
        why = f"detached {name} of a work tree" if name.startswith("HEAD ") else f"branch {name}"
        reason = Need("", name, why, ON_BRANCH)
        for path, blob in tracked.at(oid).items():
            needs.add(tracked.objects(path, blob), reason)


def _worktree_heads(repo: Repository) -> list[str]:
    """The HEAD of every work tree of this repository (`git worktree add`), detached ones too."""
    output = git(["worktree", "list", "--porcelain"], repo.root)
    return [line.removeprefix("HEAD ") for line in output.splitlines() if line.startswith("HEAD ")]


def _keep_work_tree(repo: Repository, needs: Needs) -> None:
    """Keep what the pointers and dvc.lock files in the work tree name (committed or not)."""
    for path in list_work_tree_files(repo):
        if is_tracking_file(path) and (repo.root / path).is_file():
            text = decode_text(read_limited(repo.root / path, CARD_SIZE_LIMIT, path), path)
            reason = Need("", "work tree", "in the work tree", IN_WORK_TREE)
            needs.add(objects_in(path, text, path), reason)


def _keep_directory_files(repo: Repository, needs: Needs, remote: str | None) -> None:
    """Every file a kept directory's listing names is kept with it; a listing neither the cache
    nor the remote holds leaves gc unable to tell its files, so it refuses."""
    directories = [md5 for md5 in needs.by_md5 if md5.endswith(".dir")]
    listings = (
        object_stores.directory_listings(repo.root, directories, remote) if directories else {}
    )
    missing = [md5 for md5, children in listings.items() if children is None]
    if missing:
        raise _refused(
            [
                f"the listing of kept directory {md5} is in neither the cache nor the remote, "
                "so the files it needs are unknown: `dvc fetch` it first"
                for md5 in missing
            ]
        )
    for md5, children in listings.items():
        for need in needs.by_md5[md5]:
            for child in children or ():
                why = f"{need.why} (a file of {md5[:12]})"
                needs.by_md5.setdefault(child, []).append(replace(need, why=why))


def _verified_archives(
    repo: Repository, trust: TrustRoot
) -> tuple[dict[str, ArchiveRecord], list[str]]:
    """The archives gc may rely on. A bound `NAME@archived` tag is only a claim: whoever can
    push tags can write one. So gc checks it against the registry itself before letting any
    byte go: the artifact's deprecation (bound, as the trust root counts it) has passed its
    sunset, every archived object is the bytes of one of the artifact's bound releases, and the
    copy read back from the archive remote now has that release record's md5 and sha256."""
    registry = read_registry(repo, trust)
    found, notes = {}, []
    for artifact, record in read_archives(repo, trust).items():
        state = registry.artifact(artifact)
        problem = _archive_problem(repo, record, state) if state else "no such artifact"
        if problem is None:
            found[artifact] = record
        else:
            notes.append(f"{record.tag}: {problem}, so {artifact}'s bytes are kept everywhere")
    return found, notes


def _archive_problem(repo: Repository, record: ArchiveRecord, state: ArtifactState) -> str | None:
    """Why the archive cannot be relied on, or None."""
    deprecation = state.deprecation.record if state.deprecation else None
    sunset = getattr(deprecation, "sunset", None)
    if sunset is None or datetime.date.fromisoformat(sunset) >= utc_today():
        return "the artifact is not deprecated past a sunset"
    released = {
        release.record.bytes.md5: release.record.bytes
        for release in state.releases.values()
        if release.record is not None
    }
    for item in record.bytes:
        bytes_ = released.get(item.md5)
        if bytes_ is None:
            return f"{item.md5} is not the bytes of any of its bound releases"
        copy = object_stores.remote_copy_digests(repo.root, item.md5, record.remote)
        if copy is None or (copy.md5, copy.sha256) != (bytes_.md5, bytes_.sha256):
            return (
                f"the copy of {item.md5} on archive remote {record.remote!r} does not match "
                "its release record's md5 and sha256"
            )
    return None


def _rows(
    repo: Repository,
    store: str | None,
    needs: Needs,
    archives: dict[str, ArchiveRecord],
    reasons: dict[str, tuple[str, str, str]],
) -> list[GcRow]:
    stored = object_stores.stored_objects(repo.root, store)
    unknown = [md5 for md5 in stored if md5 not in needs.sizes]
    sizes = {
        **needs.sizes,
        **(object_stores.object_sizes(repo.root, unknown, store) if unknown else {}),
    }
    rows = []
    for md5 in stored:
        need, archived = _judge(md5, store, needs, archives)
        if need is not None:
            row = (need.artifact, need.version, KEEP, need.why)
        elif archived is not None:
            row = (
                archived.artifact,
                "all",
                DELETE,
                f"archived to {archived.remote} ({archived.tag})",
            )
        else:
            data, version, why = reasons.get(md5, ("", "-", UNNAMED))
            row = (needs.names.get(data, data) or "?", version, DELETE, why)
        artifact, version, action, why = row
        rows.append(GcRow(store, md5, artifact, version, sizes.get(md5), action, why))
    return rows


def _judge(
    md5: str, store: str | None, needs: Needs, archives: dict[str, ArchiveRecord]
) -> tuple[Need | None, ArchiveRecord | None]:
    """The most direct reason to keep `md5` in `store`, or the archive that lets it go."""
    for record in archives.values():
        if md5 in {item.md5 for item in record.bytes}:
            if store == record.remote:
                return Need(record.artifact, "all", f"archive copy ({record.tag})"), None
            return needs.best(md5, record.artifact), record
    return needs.best(md5), None


def _deletion_reasons(
    versions: dict[str, list[TrackedVersion]],
    released: set[tuple[str, str]],
    policy: tuple[int, int],
) -> dict[str, tuple[str, str, str]]:
    """For each object some version names: (artifact or path, commit, why it may go)."""
    now = time.time()
    reasons: dict[str, tuple[str, str, str]] = {}
    last, days = policy
    for found in versions.values():
        unreleased = [version for version in found if (version.path, version.blob) not in released]
        for rank, version in enumerate(unreleased, start=1):
            why = (
                f"unreleased: {ordinal(rank)} newest, {version.age_days(now)} days old "
                f"(retention keeps the last {last} and those under {days} days)"
            )
            for item in version.objects:
                reasons.setdefault(item.md5, (item.data, version.commit[:12], why))
    return reasons


def run_gc(repo: Repository, plan: GcPlan) -> int:
    """Delete the plan's deletions, store by store, through DVC; how many objects went."""
    deleted = 0
    for remote in dict.fromkeys(row.remote for row in plan.deletions):
        md5s = [row.md5 for row in plan.deletions if row.remote == remote]
        object_stores.remove_objects(repo.root, md5s, remote)
        deleted += len(md5s)
    return deleted
