"""Card exports to other standards. Each exporter returns the document and the list of card facts
the target format has no field for, so nothing is dropped silently."""

from __future__ import annotations

import json
from dataclasses import dataclass

from gitckpt.access_routes import access_policy, artifact_levels
from gitckpt.audience import is_restricted
from gitckpt.checks import run_checks
from gitckpt.checks.sensitive import refuse_credentials
from gitckpt.errors import GitckptError
from gitckpt.export.croissant import to_croissant
from gitckpt.export.cyclonedx import DEFAULT_SPEC_VERSION, SPEC_VERSIONS, to_cyclonedx
from gitckpt.export.huggingface import Export, to_hugging_face
from gitckpt.export.spdx import to_spdx
from gitckpt.file_facts import CardFacts, Inventory
from gitckpt.inventory import load_inventory, read_card
from gitckpt.registry import Release, read_registry
from gitckpt.repo import Repository
from gitckpt.tags import parse_release_reference

FORMATS = ("hf", "cyclonedx", "spdx", "croissant", "json")
WITH_DATASET_CARDS = ("cyclonedx", "spdx")  # the formats that copy linked dataset cards' facts


@dataclass(frozen=True)
class ExportRequest:
    """What `git ckpt export` was asked for: the format, CycloneDX's spec version (None:
    DEFAULT_SPEC_VERSION), whether a restricted card may be exported, and where the policy that
    says so is read from (None: the default branch)."""

    fmt: str
    spec_version: str | None = None
    allow_restricted: bool = False
    trust_ref: str | None = None


def export(repo: Repository, reference: str, request: ExportRequest) -> Export:
    """The card of NAME (work tree) or NAME@vX.Y.Z (as released) in format `fmt`; refused when
    the card fails its checks, since an export must not spread an incomplete card, when it or a
    dataset card the export draws from holds a credential, and (unless `allow_restricted`) when
    one of them is restricted (gitckpt.audience), its level judged by its bytes as `push` judges
    it."""
    fmt, spec_version = request.fmt, request.spec_version
    if fmt not in FORMATS:
        raise GitckptError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
    _check_spec_version(fmt, spec_version)
    release = _release_of(repo, reference)
    inventory = load_inventory(repo, revision=release.event.commit if release else None)
    name = reference.split("@")[0]
    facts = next((card for card in inventory.cards.values() if card.name == name), None)
    if facts is None:
        raise GitckptError(f"there is no card named {name!r}")
    targets = {link.target for link in facts.links}
    datasets = [
        other.path
        for other in inventory.cards.values()
        if other.kind == "dataset" and other.name in targets
    ]
    refuse_credentials(
        inventory.findings(), {facts.path, *datasets}, f"{facts.path} is not exported"
    )
    if not request.allow_restricted:
        drawn = [
            other
            for other in inventory.cards.values()
            if other.path in datasets and fmt in WITH_DATASET_CARDS
        ]
        _refuse_restricted(repo, inventory, [facts, *drawn], request.trust_ref)
    _refuse_failing_card(inventory, facts.path)
    card = read_card(inventory, facts.path)
    if fmt == "json":
        return Export(json.dumps(card.data, indent=2) + "\n", [])
    if fmt == "croissant":
        if card.kind != "dataset":
            raise GitckptError(
                f"the croissant export is for dataset cards; {name!r} is a {card.kind} card"
            )
        return to_croissant(card.data, name)
    if card.kind != "model":
        raise GitckptError(
            f"the {fmt} export is for model cards; {name!r} is a {card.kind} card (use "
            "--format json)"
        )
    if fmt in ("cyclonedx", "spdx"):
        linked = {
            str(data.get("name")): data
            for data in (read_card(inventory, path).data for path in datasets)
        }
        if fmt == "spdx":
            return to_spdx(card.data, linked)
        return to_cyclonedx(card.data, linked, spec_version or DEFAULT_SPEC_VERSION)
    return to_hugging_face(card.data, card.body, release)


def _check_spec_version(fmt: str, spec_version: str | None) -> None:
    if spec_version is None:
        return
    if fmt != "cyclonedx":
        raise GitckptError(f"--spec-version is for --format cyclonedx, not --format {fmt}")
    if spec_version not in SPEC_VERSIONS:
        raise GitckptError(
            f"unknown CycloneDX spec version {spec_version!r}; versions: {', '.join(SPEC_VERSIONS)}"
        )


def _refuse_restricted(
    repo: Repository, inventory: Inventory, cards: list[CardFacts], trust_ref: str | None
) -> None:
    """Refuse when a card the export copies is restricted: an export is made to leave the
    repository, and no storage permission follows it."""
    policy = access_policy(repo, inventory, trust_ref)
    levels = artifact_levels(inventory, policy)
    refused = [
        f"  {card.path}:{card.access_level_line or 1}: {card.name!r} is "
        f"{levels.get(str(card.name)) or 'of no stated level'}"
        + (
            f" (its card says {card.access_level}; another card of its bytes, or the trusted "
            "revision, says more closed)"
            if card.access_level and card.access_level != levels.get(str(card.name))
            else ""
        )
        for card in cards
        if is_restricted(policy.config, levels.get(str(card.name)))
    ]
    if refused:
        raise GitckptError(
            "not exported: the export would copy restricted card(s), above the internal "
            "audience of the trusted policy:\n"
            + "\n".join(refused)
            + "\nexport with --allow-restricted only if the document stays where the "
            "artifact's level allows"
        )


def _refuse_failing_card(inventory: Inventory, path: str) -> None:
    errors = [
        item
        for item in run_checks(inventory)
        if item.finding.path == path and item.severity == "error"
    ]
    if errors:
        listing = "\n".join(
            f"  {item.finding.path}:{item.finding.line}: {item.finding.check} "
            f"{item.finding.message}"
            for item in errors[:10]
        )
        raise GitckptError(f"{path} fails its checks, so it is not exported:\n{listing}")


def _release_of(repo: Repository, reference: str) -> Release | None:
    """The release NAME@vX.Y.Z names (an error when there is none); None for a bare NAME."""
    if "@" not in reference:
        return None
    name, version = parse_release_reference(reference)
    state = read_registry(repo).artifact(name)
    release = state.releases.get(version) if state else None
    if release is None:
        raise GitckptError(f"there is no release {reference}")
    return release
