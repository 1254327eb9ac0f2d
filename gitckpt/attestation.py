"""in-toto Statement v1 with a SLSA Provenance v1 predicate for a release, built and validated
with the `in-toto-attestation` package, and signed / verified with `ssh-keygen -Y` (namespace
`gitckpt`) against the trusted allowed signers (trust.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from gitckpt.card import BYTES_FIELD, parse_card
from gitckpt.errors import GitckptError
from gitckpt.files import CARD_SIZE_LIMIT, decode_text
from gitckpt.records import ReleaseRecord
from gitckpt.registry import Release
from gitckpt.repo import Repository
from gitckpt.signing import signing_key
from gitckpt.sources import RevisionSource
from gitckpt.trust import TrustRoot

PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://gitckpt.dev/training/v1"
NAMESPACE = "gitckpt"


def build_statement(repo: Repository, release: Release) -> dict[str, Any]:
    """The statement for a release: subjects are the released files by sha256."""
    from google.protobuf import json_format
    from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
    from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
    from in_toto_attestation.v1.statement import Statement

    record = release.record
    if record is None:
        raise GitckptError(f"{release.event.tag} carries no gitckpt release record to attest")
    source = RevisionSource(repo, release.event.commit)
    card_path = record.card.path
    card = _released_card(source, card_path)
    cards = _cards_by_name(source)
    subjects = [
        ResourceDescriptor(name=name, digest={"sha256": sha256}).pb
        for name, sha256 in _subjects(record, card)
    ]
    provenance = provenance_pb2.Provenance()
    definition = provenance.build_definition
    definition.build_type = BUILD_TYPE
    definition.external_parameters.update(
        _json(
            {
                key: card.get(key)
                for key in (
                    "architecture",
                    "hyperparameters",
                    "seeds",
                    "preprocessing",
                    "base_model",
                )
            }
        )
    )
    definition.internal_parameters.update(
        _json({"compute": card.get("compute"), "environment": card.get("environment")})
    )
    for name, uri, digest in _dependencies(repo, card, cards):
        definition.resolved_dependencies.append(
            ResourceDescriptor(name=name, uri=uri, digest=digest).pb
        )
    provenance.run_details.builder.id = (
        f"{BUILD_TYPE}#{(card.get('compute') or {}).get('hardware', 'unspecified')}"
    )
    provenance.run_details.metadata.invocation_id = release.event.tag
    provenance.run_details.byproducts.append(
        ResourceDescriptor(name=card_path, digest={"gitBlob": record.card.blob}).pb
    )
    predicate = json_format.MessageToDict(provenance)
    statement = Statement(subjects, PREDICATE_TYPE, predicate)
    statement.validate()
    return dict(json_format.MessageToDict(statement.pb))


def released_files(repo: Repository, release: Release) -> list[tuple[str, str]]:
    """(path, sha256) of each file the release recorded: what an attestation's subjects must be."""
    record = release.record
    if record is None:
        raise GitckptError(f"{release.event.tag} carries no gitckpt release record")
    return _subjects(
        record,
        _released_card(RevisionSource(repo, release.event.commit, resolved=True), record.card.path),
    )


def _released_card(source: RevisionSource, card_path: str) -> dict[str, Any]:
    content = source.read([card_path], lambda _: CARD_SIZE_LIMIT).get(card_path)
    if not isinstance(content, bytes):
        raise GitckptError(f"{card_path} cannot be read at {source.revision[:12]}")
    return parse_card(decode_text(content, card_path), card_path).data


def _json(value: Any) -> dict[str, Any]:
    """Card values as protobuf Struct accepts them (JSON round trip: no tuples, no None keys)."""
    return {key: item for key, item in json.loads(json.dumps(value)).items() if item is not None}


def _cards_by_name(source: RevisionSource) -> dict[str, dict[str, Any]]:
    paths = [path for path in source.files() if path.endswith(".card.md")]
    found = {}
    for path, content in source.read(paths, lambda _: CARD_SIZE_LIMIT).items():
        if isinstance(content, bytes):
            try:
                data = parse_card(decode_text(content, path), path).data
            except GitckptError:
                continue
            found[str(data.get("name"))] = data
    return found


def _subjects(record: ReleaseRecord, card: dict[str, Any]) -> list[tuple[str, str]]:
    block = card.get(BYTES_FIELD.get(str(card.get("kind")), "checkpoint")) or {}
    files = block.get("files") if isinstance(block, dict) else None
    path = record.bytes.path
    if isinstance(files, list) and files:
        return [(f"{path}/{entry['path']}", entry["sha256"]) for entry in files]
    return [(path, record.bytes.sha256)]


def _dependencies(
    repo: Repository, card: dict[str, Any], cards: dict[str, dict[str, Any]]
) -> list[tuple[str, str, dict[str, str]]]:
    """Datasets, base model and code commit, each pinned by a digest."""
    found: list[tuple[str, str, dict[str, str]]] = []
    links = [
        *(card.get("training_data") or []),
        *([card["base_model"]] if isinstance(card.get("base_model"), dict) else []),
    ]
    for link in links:
        if not isinstance(link, dict):
            continue
        if link.get("artifact"):
            target = str(link["artifact"]).split("@")[0]
            linked = cards.get(target, {})
            block = linked.get(BYTES_FIELD.get(str(linked.get("kind")), "data")) or {}
            digest = (
                {"sha256": block["sha256"]}
                if isinstance(block, dict) and block.get("sha256")
                else {}
            )
            found.append((target, f"gitckpt:{link['artifact']}", digest))
        elif link.get("uri"):
            digest = (
                {"sha256": link["sha256"]}
                if link.get("sha256")
                else {"revision": str(link.get("revision"))}
            )
            found.append((str(link["uri"]), str(link["uri"]), digest))
    commit = (card.get("environment") or {}).get("code_commit")
    if isinstance(commit, str):
        found.append(("code", f"git+file://{repo.root}@{commit}", {"gitCommit": commit}))
    return found


def sign_file(repo: Repository, path: Path) -> Path:
    """`path.sig`, an SSH signature over the file in the gitckpt namespace."""
    key = signing_key(repo).removeprefix("key::")
    key_file = Path(key).expanduser()
    private = key_file.with_suffix("") if key_file.suffix == ".pub" else key_file
    signature = path.with_name(path.name + ".sig")
    signature.unlink(missing_ok=True)
    completed = subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-f", str(private), "-n", NAMESPACE, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise GitckptError(f"ssh-keygen could not sign {path}: {completed.stderr.strip()}")
    return signature


def verify_signature(repo: Repository, trust: TrustRoot, path: Path) -> str:
    """The principal whose valid signature `path.sig` is, per the trusted allowed signers."""
    signature = path.with_name(path.name + ".sig")
    if not signature.is_file():
        raise GitckptError(f"{path} is not signed (no {signature.name} beside it)")
    signers = trust.signers_file(repo)
    found = subprocess.run(
        ["ssh-keygen", "-Y", "find-principals", "-f", str(signers), "-s", str(signature)],
        capture_output=True,
        text=True,
        check=False,
    )
    principal = (
        found.stdout.strip().splitlines()[0]
        if found.returncode == 0 and found.stdout.strip()
        else None
    )
    if principal is None:
        raise GitckptError(
            f"{signature.name} was not made by a key in the trusted allowed signers "
            f"({trust.signers_from})"
        )
    with path.open("rb") as data:
        checked = subprocess.run(
            [
                "ssh-keygen",
                "-Y",
                "verify",
                "-f",
                str(signers),
                "-I",
                principal,
                "-n",
                NAMESPACE,
                "-s",
                str(signature),
            ],
            stdin=data,
            capture_output=True,
            text=True,
            check=False,
        )
    if checked.returncode != 0:
        raise GitckptError(
            f"{signature.name} does not verify: {(checked.stderr or checked.stdout).strip()}"
        )
    return principal
