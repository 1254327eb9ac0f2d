"""Archiving a deprecated artifact's released bytes (`git ckpt archive`), and reading where an
artifact was archived.

An archive copies every released version's bytes to the archive remote (the trusted policy's
`archive:` remote for the artifact's access level, or `--to`), reads each copy back from that
remote and checks its md5 and sha256 against the release record, and only then tags
`NAME@archived` with a record of where the bytes went. GTO's grammar has no such tag, so GTO and
DVC pass it by. `gc` drops archived bytes from every other store only while that tag is bound to
its record (and signed by an allowed principal when the policy requires signatures) and the
archive remote still holds each object.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitckpt import __version__, object_stores, storage
from gitckpt.errors import GitckptError, InputError, UsageError
from gitckpt.hashing import digest_file
from gitckpt.inventory import load_inventory
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.records import RECORD_MARKER, ReleaseRecord, parse_record
from gitckpt.registry import ArtifactState, iso, read_registry
from gitckpt.repo import Repository, create_tag, git, push_tag
from gitckpt.signing import check_signer_may_sign, tag_signatures
from gitckpt.tag_events import Event
from gitckpt.tags import DIR_IN_NAME, DIR_IN_TAG, artifact_in_tag, parse_release_reference
from gitckpt.trust import TrustRoot, trust_root

ARCHIVE_SUFFIX = "@archived"
ARCHIVE_FIELDS = ("tag", "artifact", "commit", "remote", "deprecation", "bytes", "created")


@dataclass(frozen=True)
class ArchivedBytes:
    """One released version's bytes as archived: its release tag, data path and digests."""

    release: str
    path: str
    md5: str
    sha256: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "path": self.path,
            "md5": self.md5,
            "sha256": self.sha256,
            "size": self.size,
        }


@dataclass(frozen=True)
class ArchiveRecord:
    """Where an artifact's released bytes were archived (the record of `NAME@archived`, and what
    an `archive` event carries)."""

    tag: str
    artifact: str
    commit: str
    remote: str
    deprecation: str
    bytes: tuple[ArchivedBytes, ...]
    created: str
    gitckpt_version: str = __version__

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "type": "archive",
            "tag": self.tag,
            "artifact": {"name": self.artifact},
            "commit": self.commit,
            "remote": self.remote,
            "deprecation": self.deprecation,
            "bytes": [item.to_json() for item in self.bytes],
            "created": self.created,
            "gitckpt_version": self.gitckpt_version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], display: str) -> ArchiveRecord:
        """The record, or InputError naming the field that is missing or of the wrong type."""
        if data.get("type") != "archive" or data.get("schema_version") != 1:
            raise InputError("not an archive record (type archive, schema_version 1)", path=display)
        for key in ARCHIVE_FIELDS:
            if key not in data:
                raise InputError(f"the archive record has no {key!r}", path=display, field=key)
        try:
            return cls(
                tag=_text(data["tag"]),
                artifact=_text(data["artifact"]["name"]),
                commit=_text(data["commit"]),
                remote=_text(data["remote"]),
                deprecation=_text(data["deprecation"]),
                bytes=tuple(_archived_bytes(item) for item in data["bytes"]),
                created=_text(data["created"]),
                gitckpt_version=_text(data.get("gitckpt_version", "")),
            )
        except (KeyError, TypeError) as error:
            raise InputError(
                f"the archive record has a field of the wrong shape ({error})", path=display
            ) from error


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _archived_bytes(item: Any) -> ArchivedBytes:
    size = item["size"]
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError(f"size must be a whole number, got {size!r}")
    return ArchivedBytes(
        _text(item["release"]), _text(item["path"]), _text(item["md5"]), _text(item["sha256"]), size
    )


def archive_tag(artifact: str) -> str:
    return f"{artifact_in_tag(artifact)}{ARCHIVE_SUFFIX}"


@dataclass(frozen=True)
class CountedArchive:
    """An archive that counts (see `read_archives`), with who tagged it and the trusted principal
    whose signature verified (None: none did)."""

    record: ArchiveRecord
    tagger: str
    signed_by: str | None


def read_archives(repo: Repository, trust: TrustRoot) -> dict[str, ArchiveRecord]:
    """The archives that count, by artifact: their tag is annotated, named as its record says,
    points at the commit the record names, and (under release.require_signature) carries a
    verified signature. Any other `@archived` tag is ignored: its bytes stay where they are."""
    return {found.record.artifact: found.record for found in counted_archives(repo, trust)}


def counted_archives(repo: Repository, trust: TrustRoot) -> list[CountedArchive]:
    """The archives `read_archives` counts, with their tagger and signer (the `archive` events)."""
    rows = _archive_rows(repo)
    signed = [row["object"] for row in rows if row["signature"]]
    signatures = tag_signatures(repo, trust, signed)
    found = []
    for row in rows:
        record = _bound_record(row)
        signature = signatures.get(row["object"])
        verified = signature is not None and signature.verified
        if record is not None and (verified or not trust.config.require_signature):
            signer = signature.principal if signature is not None and verified else None
            found.append(CountedArchive(record, row["tagger"], signer))
    return found


def _archive_rows(repo: Repository) -> list[dict[str, str]]:
    fields = (
        "name",
        "type",
        "header",
        "object",
        "commit",
        "tagger",
        "subject",
        "body",
        "signature",
    )
    output = git(
        [
            "for-each-ref",
            "--format=%(refname:strip=2)%00%(objecttype)%00%(tag)%00%(objectname)%00"
            "%(*objectname)%00%(taggername) %(taggeremail)%00%(contents:subject)%00"
            "%(contents:body)%00%(contents:signature)%00",
            "refs/tags",
        ],
        repo.root,
    )
    values = output.split("\0")
    rows = []
    for start in range(0, len(values) - len(fields) + 1, len(fields)):
        row = dict(zip(fields, values[start : start + len(fields)], strict=True))
        row["name"] = row["name"].lstrip("\n")
        if row["name"].endswith(ARCHIVE_SUFFIX) and row["type"] == "tag":
            rows.append(row)
    return rows


def _bound_record(row: dict[str, str]) -> ArchiveRecord | None:
    """The tag's record when it is bound to the tag: None otherwise."""
    name = row["name"]
    artifact = name.removesuffix(ARCHIVE_SUFFIX).replace(DIR_IN_TAG, DIR_IN_NAME)
    try:
        data = parse_record(f"{row['subject']}\n\n{row['body']}", name)
        record = ArchiveRecord.from_json(data or {}, name)
    except InputError:
        return None
    bound = (
        row["header"] == name
        and record.tag == name
        and record.artifact == artifact
        and record.commit == row["commit"]
    )
    return record if bound else None


@dataclass(frozen=True)
class ArchiveRequest:
    """`git ckpt archive NAME [--to REMOTE] [--sign] [--push GIT_REMOTE]`."""

    name: str
    remote: str | None = None
    sign: bool = False
    push: str | None = None
    trust_ref: str | None = None


class ArchiveRefused(GitckptError):
    """The artifact may not be archived yet, or its archived copy does not verify (exit 1)."""


def archive(repo: Repository, request: ArchiveRequest) -> ArchiveRecord:
    """Copy every released version of a deprecated artifact past its sunset to the archive
    remote, read each copy back and verify it, then tag `NAME@archived`."""
    trust = trust_root(repo, request.trust_ref)
    state = read_registry(repo, trust).artifact(request.name)
    if state is None or not state.releases:
        raise UsageError(f"there is no released artifact named {request.name!r}")
    deprecation = _past_sunset(state)
    tag = archive_tag(request.name)
    if git(["rev-parse", "--verify", "--quiet", f"refs/tags/{tag}"], repo.root, check=False):
        raise ArchiveRefused(f"{tag} already exists: {request.name} is archived")
    remote = _archive_remote(repo, trust, request)
    archived = _released_bytes(state)
    if request.sign:
        check_signer_may_sign(repo, trust, request.name)
    elif trust.config.require_signature:
        raise ArchiveRefused(
            "the trusted release policy requires signed tags (release.require_signature; "
            f"{trust.describe()}): run again with --sign"
        )
    md5s = [item.md5 for item in archived]
    object_stores.fetch_objects(repo.root, md5s, None)
    object_stores.copy_to_remote(repo.root, md5s, remote)
    problems = [problem for item in archived if (problem := _copy_problem(repo, item, remote))]
    if problems:
        raise ArchiveRefused(
            f"the copy in archive remote {remote!r} does not verify, so {request.name} was NOT "
            "archived and gc keeps its bytes where they are:\n  " + "\n  ".join(problems)
        )
    record = ArchiveRecord(
        tag, request.name, deprecation.commit, remote, deprecation.tag, archived, iso_now()
    )
    create_tag(repo, tag, deprecation.commit, _message(record), sign=request.sign)
    if request.push:
        push_tag(repo, request.push, tag)
    return record


def iso_now() -> str:
    return iso(int(datetime.datetime.now(datetime.UTC).timestamp()))


def _message(record: ArchiveRecord) -> str:
    summary = f"Archive {record.artifact} to {record.remote}"
    return f"{summary}\n\n{RECORD_MARKER}\n{json.dumps(record.to_json(), indent=2)}\n"


def _past_sunset(state: ArtifactState) -> Event:
    """The artifact's deprecation event, when its sunset has passed; ArchiveRefused otherwise."""
    event = state.deprecation
    record = event.record if event is not None else None
    sunset = getattr(record, "sunset", None)
    if event is None or sunset is None:
        raise ArchiveRefused(
            f"{state.name} is not deprecated with a sunset date: deprecate it first "
            f"(`git ckpt deprecate {state.name} --sunset YYYY-MM-DD --reason ...`)"
        )
    if datetime.date.fromisoformat(sunset) >= datetime.datetime.now(datetime.UTC).date():
        raise ArchiveRefused(
            f"{state.name}'s sunset is {sunset}: it can be archived from the day after"
        )
    return event


def _archive_remote(repo: Repository, trust: TrustRoot, request: ArchiveRequest) -> str:
    """`--to`, else the trusted policy's archive remote for the artifact's access level; either
    must be one the level allows (its archive remote, or one of its remotes)."""
    level_name = _access_level(repo, trust, request.name)
    policy_remote = trust.config.archive_remotes.get(level_name or "")
    remote = request.remote or policy_remote
    if remote is None:
        raise UsageError(
            f"no archive remote for {request.name} (access level {level_name or 'unknown'}): "
            f"name one with --to REMOTE, or set archive: {{{level_name or 'LEVEL'}: REMOTE}} in "
            "the trusted .gitckpt/config.yaml"
        )
    level = trust.config.access_level(level_name or "")
    if remote != policy_remote and level is not None and not level.allows(remote):
        raise ArchiveRefused(
            f"{request.name} is {level_name}: its bytes may not go to remote {remote!r} "
            f"(allowed: {', '.join(level.remotes or ()) or 'none'}; archive: {policy_remote})"
        )
    if remote not in storage.remote_names(repo.root):
        raise UsageError(f"there is no DVC remote named {remote!r} (.dvc/config)")
    return remote


def _access_level(repo: Repository, trust: TrustRoot, name: str) -> str | None:
    """The most closed level the artifact's cards state, in the work tree and at the trusted
    revision: lowering a level is a reviewed change to the trusted branch, not an edit made
    before archiving to a more open remote."""
    inventories = (load_inventory(repo), load_inventory(repo, revision=trust.revision))
    stated = [
        card.access_level
        for inventory in inventories
        for card in inventory.cards.values()
        if card.name == name and card.access_level
    ]
    order = [level.name for level in trust.config.access_levels]
    undefined = [level for level in stated if level not in order]
    if undefined:
        raise ArchiveRefused(
            f"{name} has access level {undefined[0]!r}, which the trusted policy does not define"
        )
    return max(stated, key=order.index, default=None)


def _released_bytes(state: ArtifactState) -> tuple[ArchivedBytes, ...]:
    found = []
    for release in state.releases.values():
        record = release.record
        if record is None:
            raise ArchiveRefused(
                f"{release.event.tag} carries no record, so its digests are unknown: it cannot "
                "be archived with verification"
            )
        if record.bytes.md5.endswith(".dir"):
            raise ArchiveRefused(
                f"{release.event.tag} is a directory; archiving directories is not supported yet"
            )
        found.append(
            ArchivedBytes(
                release.event.tag,
                record.bytes.path,
                record.bytes.md5,
                record.bytes.sha256,
                record.bytes.size,
            )
        )
    return tuple(found)


def _copy_problem(repo: Repository, item: ArchivedBytes, remote: str) -> str | None:
    """Why the archived copy of `item` does not match its release record, read back from the
    remote, or None."""
    copy = object_stores.remote_copy_digests(repo.root, item.md5, remote)
    if copy is None:
        return f"{item.release}: the remote does not hold {item.md5}"
    if copy.md5 != item.md5 or copy.sha256 != item.sha256:
        return (
            f"{item.release}: the copy has md5 {copy.md5} and sha256 {copy.sha256}; the release "
            f"recorded md5 {item.md5} and sha256 {item.sha256}"
        )
    return None


@dataclass(frozen=True)
class ReleasePull:
    """A release's bytes fetched by `git ckpt pull NAME@vX.Y.Z`: from where, and whether the
    work tree's pointer holds that version (then its file was checked out too)."""

    tag: str
    md5: str
    remote: str | None
    archive: ArchiveRecord | None
    checked_out: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.tag,
            "md5": self.md5,
            "remote": self.remote,
            "archive": None if self.archive is None else self.archive.tag,
            "checked_out": self.checked_out,
        }


def pull_release(repo: Repository, reference: str, remote: str | None) -> ReleasePull:
    """Fetch a release's bytes into DVC's cache: from its archive remote once the artifact is
    archived, else from `remote`; checked out too when the work tree's pointer is that version."""
    name, version = parse_release_reference(reference)
    trust = trust_root(repo)
    state = read_registry(repo, trust).artifact(name)
    release = state.releases.get(version) if state else None
    record = release.record if release else None
    if release is None or record is None:
        raise UsageError(f"there is no release {reference} with a record to pull")
    md5 = record.bytes.md5
    archived = read_archives(repo, trust).get(name)
    if archived is not None and md5 not in {item.md5 for item in archived.bytes}:
        archived = None
    source = archived.remote if archived else remote
    object_stores.fetch_objects(repo.root, [md5], source)
    where = f"DVC remote {source!r}" if source else "the default DVC remote"
    local = storage.local_object(repo.root, md5)
    if local is None:
        raise GitckptError(f"{release.event.tag}: its bytes ({md5}) are not in {where}")
    _refuse_other_bytes(repo, release.event.tag, record, local, where)
    pointer = load_inventory(repo).pointers.get(f"{record.bytes.path}{POINTER_SUFFIX}")
    current = pointer is not None and any(out.md5 == md5 for out in pointer.outs)
    if current:
        storage.pull_data(repo.root, [repo.root / record.bytes.path], source)
    return ReleasePull(release.event.tag, md5, source, archived, current)


def _refuse_other_bytes(
    repo: Repository, tag: str, record: ReleaseRecord, local: Path, where: str
) -> None:
    """The fetched file must be the released bytes, by the bound release record's md5 and
    sha256: an archive tag is only a claim anyone who can push tags can make, and DVC does not
    check what a remote hands it. Bytes that differ are removed from the cache, never checked
    out."""
    if record.bytes.md5.endswith(".dir"):
        return
    found = digest_file(local)
    if (found.md5, found.sha256) == (record.bytes.md5, record.bytes.sha256):
        return
    object_stores.remove_objects(repo.root, [record.bytes.md5], None)
    raise GitckptError(
        f"{tag}: the copy fetched from {where} is not the released bytes (md5 {found.md5}, "
        f"sha256 {found.sha256}; the release record says md5 {record.bytes.md5}, sha256 "
        f"{record.bytes.sha256}); it was removed from the cache and nothing was checked out"
    )
