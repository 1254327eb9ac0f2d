"""`git ckpt verify NAME@vX.Y.Z`: the tag is signed by a principal the policy allows, its record
matches the card and pointer at the tagged commit, and (with --data) the bytes match."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitckpt.attestation import verify_signature
from gitckpt.cache import Cache
from gitckpt.digests import DigestReader, TreeDigests
from gitckpt.errors import GitckptError
from gitckpt.hashing import FileDigests
from gitckpt.inventory import load_inventory
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.registry import read_registry
from gitckpt.release import parse_release_reference
from gitckpt.repo import Repository
from gitckpt.signing import allowed, verify_tag_signature
from gitckpt.tags import parse_tag_name, version_tag


@dataclass
class Verification:
    tag: str
    principal: str | None = None
    problems: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(repo: Repository, reference: str, *, data: bool = False) -> Verification:
    name, version = parse_release_reference(reference)
    tag = version_tag(name, version)
    state = read_registry(repo).artifact(name)
    release = state.releases.get(version) if state else None
    if release is None:
        raise GitckptError(f"there is no release {tag}")
    result = Verification(tag=tag)
    record = release.event.record
    if record is None:
        result.problems.append(f"{tag} carries no gitckpt record (a lightweight tag, or made by another tool)")
        return result
    inventory = load_inventory(repo, revision=release.event.commit)
    _check_signature(repo, inventory.config, tag, name, result)
    _check_record(inventory, record, result)
    if data:
        _check_bytes(repo, inventory, record, result)
    return result


def _check_signature(repo: Repository, config: Any, tag: str, name: str, result: Verification) -> None:
    try:
        result.principal = verify_tag_signature(repo, tag)
    except GitckptError as error:
        result.problems.append(str(error))
        return
    if allowed(config, result.principal, name):
        result.verified.append(f"signed by {result.principal}, who may release {name}")
    else:
        result.problems.append(f"signed by {result.principal}, who may not release {name} under release.signers")


def _check_record(inventory: Any, record: dict[str, Any], result: Verification) -> None:
    """The record against the card and pointer as committed at the tagged commit."""
    card_path = record["card"]["path"]
    card = inventory.cards.get(card_path)
    if card is None:
        result.problems.append(f"the record names card {card_path}, which is not in the tagged commit")
        return
    blob = inventory.source.blob_id(card_path)
    expected = record["bytes"]
    pointer = inventory.pointers.get(f"{expected['path']}{POINTER_SUFFIX}")
    out = next((out for out in pointer.outs if pointer.out_relpath(out) == expected["path"]), None) if pointer else None
    mismatches = [
        f"card blob {blob} ≠ recorded {record['card']['blob']}" if blob != record["card"]["blob"] else "",
        f"card sha256 {card.sha256} ≠ recorded {expected['sha256']}" if card.sha256 != expected["sha256"] else "",
        "no pointer for the recorded bytes" if out is None else "",
        f"pointer md5 {out.md5} ≠ recorded {expected['md5']}" if out is not None and out.md5 != expected["md5"] else "",
        f"pointer size {out.size} ≠ recorded {expected['size']}" if out is not None and out.size != expected["size"] else "",
    ]
    problems = [problem for problem in mismatches if problem]
    if problems:
        result.problems.extend(f"record disagrees with the tagged commit: {problem}" for problem in problems)
    else:
        result.verified.append(f"record matches {card_path} and its pointer at {record['commit'][:12]}")


def _check_bytes(repo: Repository, inventory: Any, record: dict[str, Any], result: Verification) -> None:
    """Hash the released bytes: from the work tree when it holds that version, else from the
    DVC cache (fetched from the remote if need be)."""
    expected = record["bytes"]
    try:
        measured = _measure_released_bytes(repo, expected)
    except GitckptError as error:
        result.problems.append(f"cannot verify the bytes: {error}")
        return
    md5_ok = not isinstance(measured, FileDigests) or measured.md5 == expected["md5"]
    if measured.sha256 == expected["sha256"] and md5_ok:
        result.verified.append(f"bytes of {expected['path']} match the recorded sha256 and md5")
    else:
        result.problems.append(f"bytes of {expected['path']} have sha256 {measured.sha256}, the release recorded {expected['sha256']}")


def _measure_released_bytes(repo: Repository, expected: dict[str, Any]) -> FileDigests | TreeDigests:
    current = load_inventory(repo).pointers.get(f"{expected['path']}{POINTER_SUFFIX}")
    in_work_tree = (
        current is not None and any(out.md5 == expected["md5"] for out in current.outs) and (repo.root / expected["path"]).exists()
    )
    with Cache(repo.state_dir) as cache:
        reader = DigestReader(repo.root, cache)
        if in_work_tree:
            return reader.measure(expected["path"])
        if expected["md5"].endswith(".dir"):
            raise GitckptError(f"{expected['path']} (a directory) is not in the work tree at the released version: check it out first")
        from gitckpt import storage
        from gitckpt.hashing import digest_file

        return digest_file(storage.cached_object(repo.root, expected["md5"], None))


def verify_attestation(repo: Repository, path: Path) -> Verification:
    """An attestation file: valid in-toto statement, signed by an allowed principal, and its
    subjects' digests equal to the bytes in the work tree."""
    result = Verification(tag=str(path))
    try:
        statement = _load_statement(path)
        result.principal = verify_signature(repo, path)
    except GitckptError as error:
        result.problems.append(str(error))
        return result
    tag = str(statement.get("predicate", {}).get("runDetails", {}).get("metadata", {}).get("invocationId", ""))
    parsed = parse_tag_name(tag)
    name = parsed.artifact if parsed else "?"
    if allowed(load_inventory(repo).config, result.principal, name):
        result.verified.append(f"signed by {result.principal}, who may release {name}")
    else:
        result.problems.append(f"signed by {result.principal}, who may not release {name} under release.signers")
    with Cache(repo.state_dir) as cache:
        reader = DigestReader(repo.root, cache)
        for subject in statement.get("subject", []):
            _check_subject(repo, reader, subject, result)
    return result


def _load_statement(path: Path) -> dict[str, Any]:
    from google.protobuf import json_format
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    from gitckpt.files import read_limited
    from gitckpt.strict_json import load_json

    limit = 4 * 1024 * 1024  # a statement lists subjects and dependencies: kilobytes, not megabytes
    data = load_json(read_limited(path, limit, str(path)), str(path), max_bytes=limit)
    try:
        Statement.copy_from_pb(json_format.ParseDict(data, statement_pb2.Statement())).validate()
    except (ValueError, json_format.ParseError) as exc:
        raise GitckptError(f"{path} is not a valid in-toto statement: {exc}") from exc
    return dict(data)


def _check_subject(repo: Repository, reader: DigestReader, subject: dict[str, Any], result: Verification) -> None:
    relpath, expected = str(subject.get("name", "")), subject.get("digest", {}).get("sha256")
    if not (repo.root / relpath).is_file():
        result.problems.append(f"subject {relpath} is not in the work tree (`git ckpt pull` it first)")
        return
    actual = reader.file(relpath).sha256
    if actual == expected:
        result.verified.append(f"subject {relpath} matches sha256 {actual[:16]}…")
    else:
        result.problems.append(f"subject {relpath} has sha256 {actual}, the attestation says {expected}")
