"""GC506 in the card review (`diff`, `ci`): an access level lowered toward a more open one.

A card's level is lowered when it is more open than the most closed level any card at the base
gives the same bytes (the same name, data path, md5, or a folder holding them: push's level
claims), so renaming or moving a card, or pointing an open card at closed bytes, is a lowering
too. It is authorised only when the reviewed commit (the head; for the work tree, HEAD, with the
card as committed there) is SSH-signed by a key the trusted allowed signers bind to a principal
that the trusted policy lists in `lowered_by` of the level the bytes leave. A commit's signature
covers its whole tree, so the signer vouches for exactly the levels the change would merge, and
any later commit needs a new signature. Trusted means the trust root (trust.py): the default
branch or --trust-ref, never the reviewed head, so a change that edits `lowered_by` or the
allowed signers cannot authorise itself."""

from __future__ import annotations

from dataclasses import dataclass

from gitckpt.access_routes import LevelClaim, LevelClaims, card_claim
from gitckpt.card import is_card_path
from gitckpt.card_changes import Change
from gitckpt.checks.access import ACCESS_LOWERED
from gitckpt.config import Config
from gitckpt.errors import GitckptError
from gitckpt.file_facts import CardFacts, Inventory
from gitckpt.inventory import load_inventory
from gitckpt.pointer import is_pointer_path
from gitckpt.repo import Repository, changed_paths, commit_signatures, head_commit
from gitckpt.trust import TrustRoot, trust_root

LOWERED = "access-lowered"
VALID_SIGNATURE = "G"  # git log's %G? for a good signature by a listed key


@dataclass(frozen=True)
class Lowering:
    """A head card whose level is more open than what the base says of its bytes."""

    card: CardFacts
    claim: LevelClaim  # what the head card says of its bytes
    old: str
    new: str


@dataclass(frozen=True)
class Verdict:
    """Whether a lowering is authorised, and the sentence that says why (or why not)."""

    authorised: bool
    reason: str


def lowerings(base: Inventory, head: Inventory, order: list[str]) -> list[Lowering]:
    """Every head card whose level is more open, in `order` (most open first), than the most
    closed level a base card gives the same bytes, when the change made it so: its own claim
    changed (level, name, data, md5s, place), or a base claim on its bytes changed or went. Two
    cards that already disagreed at the base are not this change's doing. A head level outside
    `order` is GC504's; a base level outside it counts as the most closed (fail closed)."""
    base_claims = {card.path: card_claim(base, card) for card in base.cards.values()}
    head_claims = {card.path: card_claim(head, card) for card in head.cards.values()}
    filed = LevelClaims(
        claim for path, claim in base_claims.items() if base.cards[path].data_relpath
    )
    by_name = {card.name: card.access_level for card in base.cards.values() if card.name}
    found = []
    for path in sorted(_touched(base_claims, head_claims, head)):
        card, claim = head.cards[path], head_claims[path]
        if card.access_level not in order:
            continue
        stated = (
            [other.level for other in filed.about(claim)]
            if card.data_relpath
            else [by_name.get(card.name or "")]
        )
        known = [level if level in order else order[-1] for level in stated if level]
        old = max(known, key=order.index, default=None)
        if old is not None and order.index(card.access_level) < order.index(old):
            found.append(Lowering(card, claim, old, card.access_level))
    return found


def _touched(
    base_claims: dict[str, LevelClaim], head_claims: dict[str, LevelClaim], head: Inventory
) -> set[str]:
    """The head cards the change touched: their claim is not the base's at the same path, or
    they claim bytes a changed or removed base claim was about."""
    touched = {path for path, claim in head_claims.items() if base_claims.get(path) != claim}
    gone = [claim for path, claim in base_claims.items() if head_claims.get(path) != claim]
    if gone:
        filed = LevelClaims(
            claim for path, claim in head_claims.items() if head.cards[path].data_relpath
        )
        by_identity = {id(claim): path for path, claim in head_claims.items()}
        touched |= {by_identity[id(other)] for claim in gone for other in filed.about(claim)}
    return touched


def access_changes(
    repo: Repository, base: str, head: str | None, trust_ref: str | None = None
) -> dict[str, tuple[str, Change]]:
    """The GC506 change of every card whose level `head` (None: the work tree) lowers from
    `base`, by card path, with its artifact's name: an error unless authorised, else a note
    naming who authorised it."""
    changed = changed_paths(repo, base, head)
    if not any(is_card_path(path) or is_pointer_path(path) for path in changed):
        return {}  # every claim is the base's: nothing can be lowered
    base_inventory = load_inventory(repo, revision=base)
    head_inventory = load_inventory(repo, revision=head)
    trust, untrusted = _trust(repo, trust_ref)
    config = trust.config if trust else base_inventory.config
    order = [level.name for level in config.access_levels]
    found = lowerings(base_inventory, head_inventory, order)
    if not found:
        return {}
    judge = _Judge(repo, trust, untrusted, head)
    return {
        item.card.path: (
            item.card.name or item.card.path,
            _change(item, judge.verdict(item, config)),
        )
        for item in found
    }


def _trust(repo: Repository, trust_ref: str | None) -> tuple[TrustRoot | None, str]:
    """The trust root, or why there is none (then nothing can authorise a lowering)."""
    try:
        return trust_root(repo, trust_ref), ""
    except GitckptError as error:
        return None, str(error).splitlines()[0]


class _Judge:
    """Judges each lowering by the signature of the reviewed commit, checked once."""

    def __init__(
        self, repo: Repository, trust: TrustRoot | None, untrusted: str, head: str | None
    ) -> None:
        self.repo, self.trust, self.untrusted = repo, trust, untrusted
        self.commit = head or head_commit(repo)
        self.committed_inventory: Inventory | None = None
        self.work_tree = head is None
        self._signer: tuple[str, str] | None = None

    def verdict(self, item: Lowering, config: Config) -> Verdict:
        if self.trust is None:
            return Verdict(False, f"nothing can authorise it here: {self.untrusted}")
        if self.commit is None:
            return Verdict(False, "it is not committed; commit it, signed")
        if self.work_tree and not self._as_committed(item):
            return Verdict(False, "the work tree's card differs from HEAD's; commit it, signed")
        code, principal = self._signature(self.trust)
        level = config.access_level(item.old)
        allowed = list(level.lowered_by) if level else []
        where = f"commit {self.commit[:12]}"
        if code != VALID_SIGNATURE:
            return Verdict(False, f"{where} {_UNSIGNED.get(code, 'has no valid signature')}")
        if principal not in allowed:
            return Verdict(
                False,
                f"{where} is signed by {principal}, who is not in lowered_by of {item.old} "
                f"({', '.join(allowed) or 'nobody'}) in the trusted policy",
            )
        return Verdict(
            True, f"authorised: {where} is signed by {principal} (lowered_by of {item.old})"
        )

    def _signature(self, trust: TrustRoot) -> tuple[str, str]:
        if self._signer is None:
            assert self.commit is not None
            found = commit_signatures(self.repo, [self.commit], trust.signers_file(self.repo))
            self._signer = found.get(self.commit, ("N", ""))
        return self._signer

    def _as_committed(self, item: Lowering) -> bool:
        """Whether HEAD holds the work tree's card as it is, level and bytes alike."""
        if self.committed_inventory is None:
            self.committed_inventory = load_inventory(self.repo, revision=self.commit)
        committed = self.committed_inventory.cards.get(item.card.path)
        return (
            committed is not None and card_claim(self.committed_inventory, committed) == item.claim
        )


_UNSIGNED = {
    "N": "is not signed",
    "U": "is signed by a key the trusted allowed signers do not list",
    "B": "has a BAD signature",
    "R": "is signed by a revoked key",
    "X": "has an expired signature",
    "Y": "is signed by an expired key",
    "E": "has a signature that cannot be checked here",
}


def _change(item: Lowering, verdict: Verdict) -> Change:
    summary = f"GC506 access.level lowered {item.old} → {item.new}: "
    if verdict.authorised:
        return Change(LOWERED, "access.level", summary + verdict.reason, item.old, item.new, "info")
    return Change(
        LOWERED,
        "access.level",
        f"{summary}{verdict.reason}. {ACCESS_LOWERED.fix.replace('NAME', str(item.card.name))}",
        item.old,
        item.new,
        "error",
    )
