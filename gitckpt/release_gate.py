"""The release gate: what `git ckpt tag` checks before it cuts a release, and what the release's
record says about those checks. The card and pointer must be committed as they are, pass the
checks, and (when this machine holds the committed bytes) hold no unsafe pickle, malformed
safetensors or secret; a model card's checklist must be confirmed; the bytes must be whole on a
remote their access level allows, and on none it forbids, unless the release says it was not
asked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gitckpt.access_routes import Placement, Placing, access_policy, level_claims, place, utc_today
from gitckpt.cache import Cache
from gitckpt.card import parse_card
from gitckpt.checklist import checklist_state
from gitckpt.checks import ALL_CHECKS, ON_REQUEST, RatedFinding, rate, run_checks
from gitckpt.checks.data import content_findings
from gitckpt.checks.remote import FORBIDDEN_REMOTE, NOT_PUSHED, MisplacedBytes
from gitckpt.checks.serialization import SAFETENSORS_INVALID, UNSAFE_PICKLE
from gitckpt.committed_bytes import in_dvc_cache, in_work_tree
from gitckpt.digests import DigestReader
from gitckpt.errors import GitckptError
from gitckpt.file_facts import CardFacts, Inventory, OutFacts
from gitckpt.files import CARD_SIZE_LIMIT, decode_text
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.records import AllowedGlobal, RecordedChecks
from gitckpt.repo import Repository, git

if TYPE_CHECKING:
    from gitckpt.committed_bytes import HeldBytes


@dataclass(frozen=True)
class CommittedCard:
    """What a release is cut from: the artifact's card as committed at `commit`."""

    card: CardFacts
    commit: str


@dataclass(frozen=True)
class GateResult:
    """What the release gate found: the findings it let through, whether the DVC remote holds
    the bytes (None: not asked, under --allow-unpushed), whether it looked inside them."""

    findings: Sequence[RatedFinding]
    data_in_remote: bool | None
    allow_unpushed: bool
    contents_checked: bool


def check_committed(
    repo: Repository, inventory: Inventory, committed: CommittedCard
) -> tuple[list[RatedFinding], bool]:
    """The gate's checks of the committed card, in order, each refusing the release with how to
    fix it: committed as it is, no failing check on it, its pointer or the cards it links to, none
    in the committed bytes, its checklist confirmed. Returns the findings it let through, and
    whether it looked inside the bytes (this machine may hold neither copy of them)."""
    card = committed.card
    _refuse_uncommitted(repo, card)
    findings = _release_findings(inventory, card)
    _refuse_failing(committed, findings)
    released = _released_files(repo, inventory, committed)
    contents = _content_findings(inventory, card, released) if released is not None else []
    _refuse_failing(committed, contents)
    findings += contents
    _refuse_unconfirmed_checklist(inventory, card)
    return findings, released is not None


def _refuse_uncommitted(repo: Repository, card: CardFacts) -> None:
    paths = [card.path] + ([f"{card.data_relpath}{POINTER_SUFFIX}"] if card.data_relpath else [])
    changed = git(["status", "--porcelain", "--", *paths], repo.root).strip()
    if changed:
        raise GitckptError(
            f"{card.name} has uncommitted changes:\n{changed}\n"
            "A release records what is committed, so it cannot include these. Commit them "
            "(or stash them), then tag."
        )


def _release_findings(inventory: Inventory, card: CardFacts) -> list[RatedFinding]:
    """Findings on the card, its pointer, and the cards it links to."""
    linked = {link.target for link in card.links}
    relevant = {card.path, f"{card.data_relpath}{POINTER_SUFFIX}"} | {
        other.path for other in inventory.cards.values() if other.name in linked
    }
    return [item for item in run_checks(inventory) if item.finding.path in relevant]


def _refuse_failing(committed: CommittedCard, findings: Sequence[RatedFinding]) -> None:
    card, commit = committed.card, committed.commit
    errors = [item for item in findings if item.severity == "error"]
    if errors:
        listing = "\n".join(
            f"  {item.finding.path}:{item.finding.line}: {item.finding.check} "
            f"{item.finding.message}"
            for item in errors
        )
        raise GitckptError(
            f"{card.name} cannot be released from {commit[:12]}: the committed cards fail "
            f"checks:\n{listing}\n"
            "Fix them, commit, and tag again."
        )


def _released_files(
    repo: Repository, inventory: Inventory, committed: CommittedCard
) -> tuple[tuple[str, Path], ...] | None:
    """The committed bytes, for the gate to look inside: the work tree's copy when it has the
    pointer's md5 and the card's sha256, else the local DVC cache's object with that md5. None when
    this machine holds neither (the release goes ahead, and its record lists no content checks).
    A work tree holding other bytes is refused, never scanned in place of the committed ones."""

    card = committed.card
    relpath, md5 = str(card.data_relpath), committed_out(inventory, card).md5
    with Cache(repo.state_dir) as cache:
        held = in_work_tree(DigestReader(repo.root, cache), relpath)
    if held is not None and held.are(md5, card.sha256):
        return held.files
    cached = in_dvc_cache(repo.root, relpath, md5)
    if cached is None and held is not None:
        raise _not_committed(
            committed,
            f"{relpath} in the work tree",
            held,
            md5,
            "The DVC cache does not hold the committed bytes either, so the gate cannot "
            "look inside what it would release.\n"
            f"Get them with `git ckpt pull {card.name}` (from the DVC remote) or `dvc "
            f"checkout {relpath}` (if the DVC cache "
            "holds them), then tag again. DVC does not overwrite a copy it has not cached: "
            "move that aside first.",
        )
    if cached is not None and not cached.are(md5, card.sha256):
        raise _not_committed(
            committed,
            f"the DVC cache's copy of {relpath}",
            cached,
            md5,
            "Either the card describes other bytes (measure them again with `git ckpt add "
            f"{relpath}` and commit), or the DVC cache "
            "holds a damaged copy (remove it from the cache and fetch it again with `git "
            f"ckpt pull {card.name}`); then tag again.",
        )
    return cached.files if cached is not None else None


def _not_committed(
    committed: CommittedCard, what: str, held: HeldBytes, md5: str, advice: str
) -> GitckptError:
    card, commit = committed.card, committed.commit
    return GitckptError(
        f"{card.name} cannot be released from {commit[:12]}: {what} is not the committed version\n"
        f"  it has:    md5 {held.md5}, sha256 {held.sha256}\n"
        f"  committed: md5 {md5} (the pointer), sha256 {card.sha256} (the card)\n{advice}"
    )


def committed_out(inventory: Inventory, card: CardFacts) -> OutFacts:
    pointer = inventory.pointers[f"{card.data_relpath}{POINTER_SUFFIX}"]
    return next(out for out in pointer.outs if pointer.out_relpath(out) == card.data_relpath)


def _content_findings(
    inventory: Inventory, card: CardFacts, files: tuple[tuple[str, Path], ...]
) -> list[RatedFinding]:
    """The release gate looks inside the committed bytes: unsafe pickles, malformed safetensors,
    secrets in shipped files."""

    return rate(
        content_findings(files, card.path, inventory.config.allowed_globals),
        inventory.config.severities,
    )


def _refuse_unconfirmed_checklist(inventory: Inventory, card: CardFacts) -> None:
    if card.kind != "model":
        return
    content = inventory.source.read([card.path], lambda _: CARD_SIZE_LIMIT)[card.path]
    assert isinstance(content, bytes)
    missing = [
        state
        for state in checklist_state(parse_card(decode_text(content, card.path), card.path).data)
        if not state.confirmed
    ]
    if missing:
        listing = "\n".join(f"  {state.item}: {state.description}" for state in missing)
        raise GitckptError(
            f"{card.name}'s release checklist has unconfirmed items:\n{listing}\n"
            f"Confirm each once it is true (`git ckpt checklist {card.name} --confirm "
            "ITEM`), commit, and tag again."
        )


def require_in_remote(
    repo: Repository, inventory: Inventory, card: CardFacts, trust_ref: str | None
) -> bool:
    """The release's bytes are whole on a remote the artifact's access allows today, and on none
    it forbids (GC505): a release whose bytes only a forbidden remote holds could be fetched only
    by people its level excludes, and one whose bytes sit in a forbidden bucket publishes a
    leak. Asks every remote the trusted access policy names, and the default remote."""
    md5 = committed_out(inventory, card).md5
    placing = Placing(
        access_policy(repo, inventory, trust_ref), level_claims(inventory), utc_today(), True
    )
    found = place(repo, inventory, {card.path: md5}, placing)[0]
    misplaced = found.misplaced()
    if misplaced:
        raise GitckptError(_misplaced_refusal(found, misplaced))
    if not found.allowed_holders():
        raise GitckptError(_unpushed_refusal(found))
    return True


def _misplaced_refusal(found: Placement, misplaced: list[MisplacedBytes]) -> str:
    card, allowed = found.card, found.route
    holders = found.allowed_holders()
    where = ", ".join(f"{item.remote!r} ({item.share})" for item in misplaced)
    then = (
        f"it is also on {', '.join(holders)}, so tag again once they are gone"
        if holders
        else f"then push them where they may go (`git ckpt push {card.name} --remote "
        f"{allowed.first()}`) and tag again"
        if allowed.first()
        else "no remote may hold them yet: ask a maintainer to name one in .gitckpt/config.yaml"
    )
    return (
        f"{card.name} cannot be released: its bytes (md5 {found.md5}) are on remote(s) {where}, "
        f"which {_level(found)} does not allow (GC505); allowed remote(s): "
        f"{allowed.describe()}{allowed.embargo_note()}.\n"
        "A release would point people at bytes that should not be there. Delete them from "
        f"those remotes with the storage's own tools (treat what they held as exposed); {then}."
    )


def _unpushed_refusal(found: Placement) -> str:
    card, allowed = found.card, found.route
    push = (
        f"git ckpt push {card.name} --remote {allowed.first()}"
        if allowed.first()
        else f"git ckpt push {card.name}"
    )
    return (
        f"{card.name}'s bytes are not in the DVC remote: no remote {_level(found)} allows "
        f"({allowed.describe()}{allowed.embargo_note()}) holds them, so nobody could fetch this "
        f"release.\nPush them first (`{push}`), or tag with --allow-unpushed (the record will "
        "say so)."
    )


def _level(found: Placement) -> str:
    level = found.access.level
    return f"its level {level}" if level else "an artifact without a level"


def checks_record(inventory: Inventory, gate: GateResult) -> RecordedChecks:
    """Which checks ran (the on-request ones only when asked), which the policy turned off, and
    the warnings the gate let through."""
    off = sorted(
        check_id for check_id, severity in inventory.config.severities.items() if severity == "off"
    )
    asked = ({NOT_PUSHED.id, FORBIDDEN_REMOTE.id} if gate.data_in_remote else set()) | (
        {UNSAFE_PICKLE.id, SAFETENSORS_INVALID.id} if gate.contents_checked else set()
    )
    warnings = tuple(
        f"{item.finding.check} {item.finding.path}:{item.finding.line} {item.finding.message}"
        for item in gate.findings
    )
    return RecordedChecks(
        result="passed-with-warnings" if warnings else "passed",
        run=tuple(
            sorted(
                check_id
                for check_id in ALL_CHECKS
                if check_id not in off and (check_id not in ON_REQUEST or check_id in asked)
            )
        ),
        off=tuple(off),
        warnings=warnings,
        allowed_globals=tuple(
            AllowedGlobal(name, reason)
            for name, reason in sorted(inventory.config.allowed_globals.items())
        ),
    )
