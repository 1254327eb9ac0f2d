"""Releases and lifecycle as tags in GTO's grammar: `tag` (NAME@vX.Y.Z), `promote` / `demote`
(NAME#STAGE#N, NAME#STAGE!#N) and `deprecate` (NAME@deprecated), each an annotated,
optionally SSH-signed tag whose message carries a validated record. What a release must pass
before it is cut is release_gate.py's."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gitckpt import __version__
from gitckpt.errors import GitckptError, UsageError
from gitckpt.file_facts import CardFacts, Inventory
from gitckpt.inventory import load_inventory
from gitckpt.records import (
    DeprecationRecord,
    Record,
    RecordedArtifact,
    RecordedBytes,
    RecordedCard,
    RecordedLink,
    ReleaseRecord,
    StageRecord,
    render_message,
    validated,
)
from gitckpt.registry import ArtifactState, RegistryState, read_registry
from gitckpt.release_gate import (
    CommittedCard,
    GateResult,
    check_committed,
    checks_record,
    committed_out,
    require_in_remote,
)
from gitckpt.repo import Repository, create_tag, git, head_commit, push_tag
from gitckpt.signing import check_signer_may_sign
from gitckpt.sources import RevisionSource
from gitckpt.tags import (
    NAME_RE,
    Version,
    deprecation_tag,
    parse_release_reference,
    stage_tag,
    version_tag,
)
from gitckpt.trust import TrustRoot, trust_root

FIRST_VERSION = Version(0, 1, 0)


@dataclass(frozen=True)
class TagOptions:
    """How any registry tag is made: signed or not, pushed to which git remote, and which
    trusted revision (None: the default branch's) judges it."""

    sign: bool = False
    push: str | None = None
    trust_ref: str | None = None


@dataclass(frozen=True)
class ReleaseRequest:
    """`git ckpt tag NAME`: which version (given, or the latest bumped), and the message."""

    name: str
    version: str | None = None
    bump: str = "patch"
    message: str = ""
    allow_unpushed: bool = False


@dataclass(frozen=True)
class StageRequest:
    """`git ckpt promote|demote NAME@vX.Y.Z STAGE`."""

    reference: str
    stage: str
    demote: bool = False
    message: str = ""


@dataclass(frozen=True)
class DeprecationRequest:
    """`git ckpt deprecate NAME`: the sunset date (YYYY-MM-DD) and why."""

    name: str
    sunset: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class Created:
    tag: str
    commit: str
    record: Record
    trust: TrustRoot
    pushed: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "commit": self.commit,
            "pushed": self.pushed,
            "record": self.record.to_json(),
            "trust": self.trust.to_json(),
        }


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tag_release(repo: Repository, request: ReleaseRequest, options: TagOptions) -> Created:
    """Cut `NAME@vX.Y.Z` at HEAD after checking the artifact as committed there."""
    name = request.name
    commit = head_commit(repo)
    if commit is None:
        raise GitckptError("there is no commit yet: commit the card and pointer, then tag")
    trust = trust_root(repo, options.trust_ref)
    inventory = trusted_inventory(repo, trust, commit)
    committed = CommittedCard(_card_named(inventory, name, "at HEAD"), commit)
    card = committed.card
    findings, contents_checked = check_committed(repo, inventory, committed)
    registry = read_registry(repo, trust)
    state = registry.artifact(name) or ArtifactState(name)
    version = _next_version(state, request)
    tag = version_tag(name, str(version))
    _refuse_existing(repo, tag)
    _refuse_second_version_at(state, commit, tag)
    in_remote = (
        None
        if request.allow_unpushed
        else require_in_remote(repo, inventory, card, options.trust_ref)
    )
    _refuse_unsigned(repo, trust, options.sign, name)
    gate = GateResult(findings, in_remote, request.allow_unpushed, contents_checked)
    record = _release_record(inventory, registry, committed, str(version), gate)
    summary = (
        f"{name} v{version}: {request.message.splitlines()[0]}"
        if request.message.strip()
        else f"Release {name} v{version}"
    )
    note = "\n".join(request.message.splitlines()[1:])
    return _create(repo, trust, Tagging(tag, commit, summary, record, options, note))


def promote(repo: Repository, request: StageRequest, options: TagOptions) -> Created:
    """Assign (or with `demote`, unassign) a released version to a stage."""
    reference, stage, demote = request.reference, request.stage, request.demote
    name, version = parse_release_reference(reference)
    trust = trust_root(repo, options.trust_ref)
    config = trust.config
    if stage not in config.stages:
        raise GitckptError(
            f"stage {stage!r} is not allowed; allowed stages (stages.allowed in "
            f".gitckpt/config.yaml): {', '.join(config.stages)}"
        )
    state = read_registry(repo, trust).artifact(name)
    release = state.releases.get(version) if state else None
    if state is None or release is None or release.withdrawn:
        raise GitckptError(
            f"{reference} is not a release; `git ckpt show {name}` lists the released versions"
        )
    if demote and state.stages.get(stage) != version:
        raise GitckptError(
            f"{reference} is not in stage {stage!r} (it holds "
            f"{state.stages.get(stage) or 'nothing'}); nothing to demote"
        )
    if not demote:
        _refuse_out_of_order(config.stages, config.enforce_order, release.stages, reference, stage)
    _refuse_unsigned(repo, trust, options.sign, name, stage)
    tag = stage_tag(name, stage, state.next_counter(), unassign=demote)
    record = StageRecord(
        tag=tag,
        artifact=RecordedArtifact(name),
        version=version,
        commit=release.event.commit,
        stage=stage,
        action="demote" if demote else "promote",
        created=now(),
        gitckpt_version=__version__,
    )
    summary = (
        f"{'Demote' if demote else 'Promote'} {name} v{version} "
        f"{'from' if demote else 'to'} {stage}"
        + (f": {request.message}" if request.message else "")
    )
    return _create(
        repo,
        trust,
        Tagging(tag, release.event.commit, summary, record, options),
    )


def deprecate(repo: Repository, request: DeprecationRequest, options: TagOptions) -> Created:
    """Tag `NAME@deprecated` with the sunset date and reason in its record."""
    name, sunset, reason = request.name, request.sunset, request.reason
    if sunset is not None:
        try:
            datetime.date.fromisoformat(sunset)
        except ValueError as exc:
            raise UsageError(f"--sunset must be a date, YYYY-MM-DD; got {sunset!r}") from exc
    trust = trust_root(repo, options.trust_ref)
    inventory = load_inventory(repo)
    state = read_registry(repo, trust).artifact(name)
    if state is None and not any(card.name == name for card in inventory.cards.values()):
        raise UsageError(f"there is no artifact named {name!r}")
    tag = deprecation_tag(name)
    _refuse_existing(repo, tag)
    _refuse_unsigned(repo, trust, options.sign, name)
    commit = head_commit(repo)
    if commit is None:
        raise GitckptError("there is no commit to tag yet")
    record = DeprecationRecord(
        tag=tag,
        commit=commit,
        artifact=RecordedArtifact(name),
        created=now(),
        gitckpt_version=__version__,
        sunset=sunset or None,
        reason=reason or None,
    )
    summary = (
        f"Deprecate {name}"
        + (f" (sunset {sunset})" if sunset else "")
        + (f": {reason}" if reason else "")
    )
    return _create(repo, trust, Tagging(tag, commit, summary, record, options))


def trusted_inventory(repo: Repository, trust: TrustRoot, commit: str) -> Inventory:
    """The cards and pointers committed at `commit`, judged by the trusted policy (a commit's own
    `.gitckpt/config.yaml` must not relax the checks that gate its release)."""
    inventory = load_inventory(repo, revision=commit)
    inventory.config = trust.config
    return inventory


def _refuse_unsigned(
    repo: Repository, trust: TrustRoot, sign: bool, name: str, stage: str | None = None
) -> None:
    """With --sign, the key must belong to a principal the trusted policy allows; without it, the
    trusted policy must not require signatures."""
    if sign:
        check_signer_may_sign(repo, trust, name, stage)
    elif trust.config.require_signature:
        raise GitckptError(
            "the trusted release policy requires signed tags (release.require_signature; "
            f"{trust.describe()}): run again with --sign"
        )


def _card_named(inventory: Inventory, name: str, where: str) -> CardFacts:
    if not NAME_RE.match(name):
        raise GitckptError(
            f"{name!r} is not a valid artifact name (lowercase letters, digits, '-' and '/')"
        )
    card = next((card for card in inventory.cards.values() if card.name == name), None)
    if card is None:
        raise GitckptError(
            f"there is no card named {name!r} {where}; commit its card first (`git ckpt "
            "add` writes one)"
        )
    return card


def _next_version(state: ArtifactState, options: ReleaseRequest) -> Version:
    latest = state.latest
    latest_version = Version.parse(latest.version) if latest else None
    if options.version:
        version = Version.parse(options.version)
        if version is None:
            raise GitckptError(
                f"--version must be a semantic version X.Y.Z, got {options.version!r}"
            )
        if latest_version is not None and not version > latest_version:
            raise GitckptError(
                f"v{version} is not greater than the latest release v{latest_version}; "
                "choose a greater version or use --bump"
            )
        return version
    return latest_version.bump(options.bump) if latest_version else FIRST_VERSION


def _refuse_existing(repo: Repository, tag: str) -> None:
    if git(
        ["rev-parse", "--verify", "--quiet", f"refs/tags/{tag}"], repo.root, check=False
    ).strip():
        raise GitckptError(f"tag {tag} already exists; tags are never moved or overwritten")


def _refuse_second_version_at(state: ArtifactState, commit: str, tag: str) -> None:
    existing = state.version_at(commit)
    if existing:
        raise GitckptError(
            f"{state.name}@v{existing} was already released from this commit ({commit[:12]}).\n"
            f"GTO ties stage tags to commits, so {tag} would be ambiguous: promote "
            f"v{existing} instead, or release from a new commit."
        )


def _release_record(
    inventory: Inventory,
    registry: RegistryState,
    committed: CommittedCard,
    version: str,
    gate: GateResult,
) -> ReleaseRecord:
    assert isinstance(inventory.source, RevisionSource)
    card = committed.card
    blob = inventory.source.blob_id(card.path)
    # the checks that passed (GC103) require the card's name, kind and sha256; it is committed
    assert card.name and card.kind and card.sha256 and blob
    out = committed_out(inventory, card)
    cards_by_name = {other.name: other for other in inventory.cards.values() if other.name}
    return ReleaseRecord(
        tag=version_tag(card.name, version),
        artifact=RecordedArtifact(card.name, card.kind),
        version=version,
        commit=committed.commit,
        card=RecordedCard(card.path, blob),
        bytes=RecordedBytes(str(card.data_relpath), out.md5, card.sha256, out.size),
        links=tuple(
            _link_record(link.field, link.target, cards_by_name, registry) for link in card.links
        ),
        checks=checks_record(inventory, gate),
        data_in_remote=gate.data_in_remote,
        allow_unpushed=gate.allow_unpushed,
        created=now(),
        gitckpt_version=__version__,
    )


def _link_record(
    field: str, target: str, cards: dict[str, CardFacts], registry: RegistryState
) -> RecordedLink:
    state = registry.artifact(target)
    latest = state.latest if state else None
    linked = cards.get(target)
    return RecordedLink(
        field=field,
        artifact=target,
        card=linked.path if linked else "",
        release=version_tag(target, latest.version) if latest else None,
        sha256=linked.sha256 if linked else None,
    )


@dataclass(frozen=True)
class Tagging:
    """An annotated tag to create: its name, target, message parts, and how to make it."""

    tag: str
    commit: str
    summary: str
    record: Record
    options: TagOptions
    note: str = ""


def _create(repo: Repository, trust: TrustRoot, tagging: Tagging) -> Created:
    """Create the annotated (optionally signed) tag, then push it if asked."""
    record = validated(tagging.record)
    create_tag(
        repo,
        tagging.tag,
        tagging.commit,
        render_message(tagging.summary, record, tagging.note),
        sign=tagging.options.sign,
    )
    if tagging.options.push:
        push_tag(repo, tagging.options.push, tagging.tag)
    return Created(
        tag=tagging.tag,
        commit=tagging.commit,
        record=record,
        trust=trust,
        pushed=True if tagging.options.push else None,
    )


def _refuse_out_of_order(
    stages: Sequence[str], enforce: bool, held: Sequence[str], reference: str, stage: str
) -> None:
    position = list(stages).index(stage)
    if not enforce or position == 0:
        return
    predecessor = stages[position - 1]
    if predecessor not in held:
        raise GitckptError(
            f"{reference} never held stage {predecessor!r}, which comes before {stage!r} "
            "(stages.allowed in .gitckpt/config.yaml).\n"
            f"Promote it to {predecessor!r} first, or set stages.enforce_order: false."
        )
