"""Verification (`git ckpt verify TAG`): the event is bound to its tag and signed by a principal the
trusted
policy allows; a release's record matches the card and pointer at the tagged commit, and (with
--data) the bytes match. `--attestation FILE` verifies an attestation of a release."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitckpt import storage
from gitckpt.attestation import released_files, verify_signature
from gitckpt.cache import Cache
from gitckpt.config import Config
from gitckpt.digests import DigestReader, TreeDigests
from gitckpt.errors import GitckptError, UsageError
from gitckpt.files import PathGuard, read_limited
from gitckpt.hashing import FileDigests, digest_file
from gitckpt.inventory import load_inventory
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.records import RecordedBytes, ReleaseRecord
from gitckpt.registry import RegistryState, Release, read_registry
from gitckpt.repo import Repository
from gitckpt.signing import BAD, UNKNOWN_KEY, UNSIGNED, Signature, allowed
from gitckpt.strict_json import load_json
from gitckpt.tag_events import Event, event_order
from gitckpt.tags import DEPRECATE, REGISTER, parse_tag_name
from gitckpt.trust import TrustRoot, trust_root


@dataclass
class Verification:
    tag: str
    trust: str = ""
    principal: str | None = None
    problems: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    repo: Repository, reference: str, *, data: bool = False, trust_ref: str | None = None
) -> Verification:
    """A registry event (release, withdrawal, stage move or deprecation) against the trust root:
    bound to its tag, signed by a trusted principal the policy allows, counted by the registry,
    and for a release, its record equal to the card and pointer at the tagged commit."""
    trust = trust_root(repo, trust_ref)
    registry = read_registry(repo, trust)
    event = _event_named(registry, reference)
    result = Verification(tag=event.tag, trust=trust.describe())
    rejection = next(
        (item.reason for item in registry.rejected if item.event.tag == event.tag), None
    )
    if rejection:
        result.problems.append(f"{event.tag} does not count in the registry: {rejection}")
    _check_signature(registry.signature(event), trust.config, event, result)
    if event.problem:
        return result  # not bound to its tag: its record says nothing about this tag
    if event.action != REGISTER:
        _check_stage_target(registry, event, result)
        return result
    record = event.record
    if not isinstance(record, ReleaseRecord):
        result.problems.append(
            f"{event.tag} carries no gitckpt record (a lightweight tag, or made by another tool)"
        )
        return result
    inventory = load_inventory(repo, revision=event.commit)
    _check_record(inventory, event.artifact, record, result)
    if data:
        _check_bytes(repo, inventory, record.bytes, result)
    return result


def _event_named(registry: RegistryState, reference: str) -> Event:
    """The event a reference names: a tag name, or NAME#STAGE for that stage's last move."""
    parsed = parse_tag_name(reference)
    if parsed is None:
        raise UsageError(
            "expected a registry tag (NAME@vX.Y.Z, NAME@vX.Y.Z!, NAME#STAGE[#N], "
            f"NAME#STAGE!#N, NAME@deprecated), got {reference!r}"
        )
    state = registry.artifact(parsed.artifact)
    events = [
        *(state.events if state else []),
        *(item.event for item in registry.rejected_for(parsed.artifact)),
    ]
    exact = next((event for event in events if event.tag == reference), None)
    if exact is not None:
        return exact
    if parsed.stage and parsed.counter is None:
        moves = [event for event in events if event.stage == parsed.stage]
        if moves:
            return max(moves, key=event_order)
    raise GitckptError(
        f"there is no registry tag {reference}; `git ckpt history {parsed.artifact} --all` "
        "lists them"
    )


def _check_signature(
    signature: Signature, config: Config, event: Event, result: Verification
) -> None:
    what = (
        f"move {event.artifact} in stage {event.stage}"
        if event.stage
        else f"release {event.artifact}"
    )
    if signature.status == UNSIGNED:
        result.problems.append(f"{event.tag} is not signed")
    elif signature.status == UNKNOWN_KEY:
        result.problems.append(
            f"{event.tag} does not carry a valid signature by a key in the trusted allowed signers"
        )
    elif signature.status == BAD:
        result.problems.append(
            f"{event.tag} does not carry a valid signature: the signature does not verify"
        )
    elif signature.principal and allowed(config, signature.principal, event.artifact, event.stage):
        result.principal = signature.principal
        result.verified.append(f"signed by {signature.principal}, who may {what}")
    else:
        result.principal = signature.principal
        result.problems.append(
            f"signed by {signature.principal}, who may not {what} under the trusted release.signers"
        )


def _check_stage_target(registry: RegistryState, event: Event, result: Verification) -> None:
    """A stage move, withdrawal or deprecation names an artifact (and a release) that counts."""
    state = registry.artifact(event.artifact)
    if event.action == DEPRECATE:
        return
    version = event.version or (state.version_at(event.commit) if state else None)
    release = state.releases.get(version) if state and version else None
    if release is None:
        result.problems.append(
            f"{event.tag} names no release of {event.artifact} that counts in the registry"
        )
    else:
        result.verified.append(
            f"{event.tag} is about {release.event.tag}, a release that counts in the registry"
        )


def _check_record(
    inventory: Any, artifact: str, record: ReleaseRecord, result: Verification
) -> None:
    """The record against the card and pointer as committed at the tagged commit."""
    card_path = record.card.path
    card = inventory.cards.get(card_path)
    if card is None:
        result.problems.append(
            f"the record names card {card_path}, which is not in the tagged commit"
        )
        return
    blob = inventory.source.blob_id(card_path)
    expected = record.bytes
    pointer = inventory.pointers.get(f"{expected.path}{POINTER_SUFFIX}")
    out = (
        next((out for out in pointer.outs if pointer.out_relpath(out) == expected.path), None)
        if pointer
        else None
    )
    mismatches = [
        f"card {card_path} is named {card.name!r}, not {artifact!r}"
        if card.name != artifact
        else "",
        f"card blob {blob} ≠ recorded {record.card.blob}" if blob != record.card.blob else "",
        f"card sha256 {card.sha256} ≠ recorded {expected.sha256}"
        if card.sha256 != expected.sha256
        else "",
        "no pointer for the recorded bytes" if out is None else "",
        f"pointer md5 {out.md5} ≠ recorded {expected.md5}"
        if out is not None and out.md5 != expected.md5
        else "",
        f"pointer size {out.size} ≠ recorded {expected.size}"
        if out is not None and out.size != expected.size
        else "",
    ]
    problems = [problem for problem in mismatches if problem]
    if problems:
        result.problems.extend(
            f"record disagrees with the tagged commit: {problem}" for problem in problems
        )
    else:
        result.verified.append(
            f"record matches {card_path} and its pointer at {record.commit[:12]}"
        )


def _check_bytes(
    repo: Repository, inventory: Any, expected: RecordedBytes, result: Verification
) -> None:
    """Hash the released bytes: from the work tree when it holds that version, else from the
    DVC cache (fetched from the remote if need be)."""
    try:
        measured = _measure_released_bytes(repo, expected)
    except GitckptError as error:
        result.problems.append(f"cannot verify the bytes: {error}")
        return
    md5_ok = not isinstance(measured, FileDigests) or measured.md5 == expected.md5
    if measured.sha256 == expected.sha256 and md5_ok:
        result.verified.append(f"bytes of {expected.path} match the recorded sha256 and md5")
    else:
        result.problems.append(
            f"bytes of {expected.path} have sha256 {measured.sha256}, the release recorded "
            f"{expected.sha256}"
        )


def _measure_released_bytes(repo: Repository, expected: RecordedBytes) -> FileDigests | TreeDigests:
    current = load_inventory(repo).pointers.get(f"{expected.path}{POINTER_SUFFIX}")
    in_work_tree = (
        current is not None
        and any(out.md5 == expected.md5 for out in current.outs)
        and (repo.root / expected.path).exists()
    )
    with Cache(repo.state_dir) as cache:
        reader = DigestReader(repo.root, cache)
        if in_work_tree:
            return reader.measure(expected.path)
        if expected.md5.endswith(".dir"):
            raise GitckptError(
                f"{expected.path} (a directory) is not in the work tree at the released "
                "version: check it out first"
            )
        return digest_file(storage.cached_object(repo.root, expected.md5, None))


def verify_attestation(
    repo: Repository, path: Path, *, trust_ref: str | None = None
) -> Verification:
    """An attestation file: a valid in-toto statement about a release that counts in the
    registry, signed by a trusted principal allowed to release that artifact, whose subjects are
    exactly the release's recorded files and digests, and match the bytes in the work tree."""
    trust = trust_root(repo, trust_ref)
    result = Verification(tag=str(path), trust=trust.describe())
    try:
        statement = _load_statement(path)
        result.principal = verify_signature(repo, trust, path)
    except GitckptError as error:
        result.problems.append(str(error))
        return result
    tag = str(
        statement.get("predicate", {})
        .get("runDetails", {})
        .get("metadata", {})
        .get("invocationId", "")
    )
    release = _attested_release(repo, trust, tag, result)
    if release is None:
        return result
    name = release.event.artifact
    if allowed(trust.config, result.principal, name):
        result.verified.append(f"signed by {result.principal}, who may release {name}")
    else:
        result.problems.append(
            f"signed by {result.principal}, who may not release {name} under the trusted "
            "release.signers"
        )
    subjects = [
        (str(subject.get("name", "")), str(subject.get("digest", {}).get("sha256", "")))
        for subject in statement.get("subject", [])
    ]
    recorded = released_files(repo, release)
    if sorted(subjects) != sorted(recorded):
        result.problems.append(
            f"the subjects are not the files {tag} recorded: "
            f"{_subject_difference(subjects, recorded)}"
        )
        return result
    _check_subjects(repo, subjects, result)
    return result


def _attested_release(
    repo: Repository, trust: TrustRoot, tag: str, result: Verification
) -> Release | None:
    """The release the statement names (runDetails.metadata.invocationId), if it counts."""
    parsed = parse_tag_name(tag)
    if parsed is None or parsed.action != REGISTER or parsed.version is None:
        result.problems.append(
            f"the attestation names {tag!r}, which is not a release tag (NAME@vX.Y.Z)"
        )
        return None
    registry = read_registry(repo, trust)
    state = registry.artifact(parsed.artifact)
    release = state.releases.get(parsed.version) if state else None
    if release is None or release.withdrawn or release.record is None:
        rejection = next(
            (item.reason for item in registry.rejected if item.event.tag == tag),
            "there is no such release with a record",
        )
        result.problems.append(
            f"the attestation names {tag}, which does not count in the registry: {rejection}"
        )
        return None
    result.verified.append(f"the attestation is about {tag}, a release that counts in the registry")
    return release


def _subject_difference(subjects: list[tuple[str, str]], recorded: list[tuple[str, str]]) -> str:
    extra = sorted(set(subjects) - set(recorded))
    missing = sorted(set(recorded) - set(subjects))
    parts = [
        f"not released: {', '.join(name for name, _ in extra)}" if extra else "",
        f"left out: {', '.join(name for name, _ in missing)}" if missing else "",
    ]
    return "; ".join(part for part in parts if part) or "the same files listed more than once"


def _load_statement(path: Path) -> dict[str, Any]:
    from google.protobuf import json_format
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    limit = 4 * 1024 * 1024  # a statement lists subjects and dependencies: kilobytes, not megabytes
    data = load_json(read_limited(path, limit, str(path)), str(path), max_bytes=limit)
    try:
        Statement.copy_from_pb(json_format.ParseDict(data, statement_pb2.Statement())).validate()
    except (ValueError, json_format.ParseError) as exc:
        raise GitckptError(f"{path} is not a valid in-toto statement: {exc}") from exc
    return dict(data)


def _check_subjects(
    repo: Repository, subjects: list[tuple[str, str]], result: Verification
) -> None:
    guard = PathGuard(repo.root)
    with Cache(repo.state_dir) as cache:
        reader = DigestReader(repo.root, cache)
        for relpath, expected in subjects:
            _check_subject(guard, reader, relpath, expected, result)


def _check_subject(
    guard: PathGuard, reader: DigestReader, relpath: str, expected: str, result: Verification
) -> None:
    unsafe = guard.problem("", relpath)
    if unsafe:
        result.problems.append(f"subject {relpath!r} is refused: {unsafe}")
        return
    if not (reader.root / relpath).is_file():
        result.problems.append(
            f"subject {relpath} is not in the work tree (`git ckpt pull` it first)"
        )
        return
    actual = reader.file(relpath).sha256
    if actual == expected:
        result.verified.append(f"subject {relpath} matches sha256 {actual[:16]}…")
    else:
        result.problems.append(
            f"subject {relpath} has sha256 {actual}, the attestation says {expected}"
        )
