"""Where an artifact's bytes may be stored: its access level and embargo, judged by the trusted
policy and by every card that makes a claim on the same bytes. `push` refuses by it, `check
--remote` (GC505) reports bytes found outside it, and `tag` releases only bytes held inside it.

The policy is the trusted revision's (`trust.trust_root`: never the work tree's or a pull
request's `.gitckpt/config.yaml`, which the pusher could have edited; only a repository without a
single commit, where nothing is committed to trust, is judged by its work tree). An artifact's
level is the most closed, and its embargo the latest, of what every card about its bytes says in
the checkout and at the trusted revision: lowering a level or shortening an embargo is a reviewed
change to the trusted branch, not an edit the pusher makes."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gitckpt import storage
from gitckpt.checks.remote import (
    MisplacedBytes,
    UnpushedBytes,
    check_misplaced,
    check_unpushed,
    pointer_md5s,
)
from gitckpt.config import CONFIG_PATH, Config
from gitckpt.errors import GitckptError
from gitckpt.file_facts import CardFacts, Finding, Inventory
from gitckpt.inventory import load_inventory
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.repo import Repository, head_commit
from gitckpt.trust import trust_root

NO_REMOTE = (
    "no DVC remote is configured: add one with `dvc remote add -d NAME URL` (a directory or "
    "s3://bucket/path)"
)


def utc_today() -> datetime.date:
    """Today in UTC: an embargo ends at the start of its `until` date, wherever the pusher is."""
    return datetime.datetime.now(datetime.UTC).date()


@dataclass(frozen=True)
class LevelClaim:
    """What one card says about some bytes' access: its artifact's name, its data path, the md5s
    its card and pointer give those bytes, its level and its embargo's end."""

    name: str | None
    data: str
    md5s: frozenset[str]
    level: str | None
    until: str | None = None

    def filed_under(self) -> Iterator[tuple[str, str]]:
        """What the claim is filed under in `LevelClaims`."""
        if self.name is not None:
            yield "name", self.name
        yield from (("md5", md5) for md5 in self.md5s)
        yield "path", self.data
        yield from (("under", folder) for folder in _folders(self.data))

    def lookups(self) -> Iterator[tuple[str, str]]:
        """Where claims about the same bytes are filed: the same name or md5, the same path, a
        folder holding it, or (when it is a folder) a path inside it."""
        if self.name is not None:
            yield "name", self.name
        yield from (("md5", md5) for md5 in self.md5s)
        yield "path", self.data
        yield from (("path", folder) for folder in _folders(self.data))
        yield "under", self.data


class LevelClaims:
    """Every card's claim on its bytes' level, filed so that those about the same bytes are found
    without comparing every pair (a push of every artifact in a large registry)."""

    def __init__(self, claims: Iterable[LevelClaim]) -> None:
        self._filed: dict[tuple[str, str], list[LevelClaim]] = {}
        for claim in claims:
            for key in claim.filed_under():
                self._filed.setdefault(key, []).append(claim)

    def about(self, claim: LevelClaim) -> list[LevelClaim]:
        found = [other for key in claim.lookups() for other in self._filed.get(key, [])]
        return list({id(other): other for other in found}.values())


def _folders(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:depth]) for depth in range(1, len(parts))]


def level_claims(inventory: Inventory) -> LevelClaims:
    """The claim of every card with data in `inventory`."""
    return LevelClaims(
        card_claim(inventory, card) for card in inventory.cards.values() if card.data_relpath
    )


def card_claim(inventory: Inventory, card: CardFacts) -> LevelClaim:
    data = str(card.data_relpath)
    pointer = inventory.pointers.get(f"{data}{POINTER_SUFFIX}")
    md5s = {out.md5 for out in pointer.outs} if pointer else set()
    return LevelClaim(
        card.name,
        data,
        frozenset(md5s | ({card.md5} if card.md5 else set())),
        card.access_level,
        card.access_until,
    )


@dataclass(frozen=True)
class ArtifactAccess:
    """An artifact's level as every claim on its bytes sets it (None: none states one) and the
    latest embargo end any of them writes (None: no embargo)."""

    level: str | None
    until: str | None


@dataclass(frozen=True)
class AccessPolicy:
    """The policy access is judged by, the line that says where it came from, that as JSON, and
    what each card at the trusted revision says of its bytes (nothing when nothing is
    committed)."""

    config: Config
    described: str
    source: dict[str, Any]
    trusted_claims: LevelClaims

    def access(
        self, inventory: Inventory, card: CardFacts, checkout: LevelClaims
    ) -> ArtifactAccess:
        """`card`'s access, with `checkout` the claims of the cards beside it (the work tree's,
        or the commit's a release is cut from)."""
        claim = card_claim(inventory, card)
        related = [claim, *self.trusted_claims.about(claim), *checkout.about(claim)]
        return ArtifactAccess(
            _most_closed(self.config, [other.level for other in related]),
            _latest([other.until for other in related]),
        )


def access_policy(repo: Repository, inventory: Inventory, trust_ref: str | None) -> AccessPolicy:
    """The trusted revision's policy; in a repository with nothing committed (nothing to trust
    and nothing a pusher could route around) the work tree's, said so. A checkout with commits
    but no refs (a CI job's `git fetch URL SHA`) has no trusted revision: `trust_root` refuses."""
    if trust_ref is None and head_commit(repo) is None:
        return AccessPolicy(
            inventory.config,
            f"no commit yet: policy from {CONFIG_PATH} in the work tree",
            {"ref": None, "revision": None, "work_tree": True},
            LevelClaims(()),
        )
    trust = trust_root(repo, trust_ref)
    at_trusted = inventory.source.revision == trust.revision  # a site or export of main
    trusted = inventory if at_trusted else load_inventory(repo, revision=trust.revision)
    return AccessPolicy(trust.config, trust.describe(), trust.to_json(), level_claims(trusted))


def artifact_levels(inventory: Inventory, policy: AccessPolicy) -> dict[str, str | None]:
    """Each named artifact's level as a push would judge it (the most closed claim on its bytes,
    in `inventory` and at the trusted revision), for what leaves the repository another way: the
    site and exports. A card without data is judged by its name alone."""
    checkout = level_claims(inventory)
    levels: dict[str, str | None] = {}
    for card in inventory.cards.values():
        if not card.name:
            continue
        if card.data_relpath:
            levels[card.name] = policy.access(inventory, card, checkout).level
            continue
        claim = LevelClaim(card.name, "", frozenset(), card.access_level)
        related = [claim, *policy.trusted_claims.about(claim), *checkout.about(claim)]
        levels[card.name] = _most_closed(policy.config, [other.level for other in related])
    return levels


def _most_closed(config: Config, stated: list[str | None]) -> str | None:
    """The most closed level stated; a level the policy does not define wins, so that it is
    refused by name."""
    known = [level for level in stated if level is not None]
    undefined = [level for level in known if config.access_level(level) is None]
    if undefined or not known:
        return undefined[0] if undefined else None
    order = [item.name for item in config.access_levels]
    return max(known, key=order.index)


def _latest(untils: list[str | None]) -> str | None:
    """The latest embargo end written; one that is not a date holds the embargo (fail closed)."""
    written = [until for until in untils if until is not None]
    return max(written, key=_embargo_end) if written else None


def _embargo_end(until: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(until)
    except ValueError:
        return datetime.date.max


@dataclass(frozen=True)
class Route:
    """The remotes an artifact's bytes may be stored on (None: any but `excluded`) and, when an
    embargo in force narrowed them, its end."""

    remotes: frozenset[str] | None
    excluded: frozenset[str] = frozenset()
    embargo: str | None = None

    def allows(self, remote: str | None) -> bool:
        """Whether bytes may go to `remote` (None: DVC's default, when none is configured)."""
        if remote is None:
            return self.remotes is None and not self.excluded
        return (self.remotes is None or remote in self.remotes) and remote not in self.excluded

    def describe(self) -> str:
        """The allowed remotes, for a message: `a, b`, `none`, or `any but c`."""
        if self.remotes is None:
            return f"any but {', '.join(sorted(self.excluded))}" if self.excluded else "any"
        return ", ".join(sorted(self.remotes - self.excluded)) or "none"

    def first(self) -> str | None:
        """An allowed remote to suggest, or None when the policy names none."""
        named = sorted(self.remotes - self.excluded) if self.remotes is not None else []
        return named[0] if named else None

    def embargo_note(self) -> str:
        """Why the embargo narrows the route, for a message ('' without one)."""
        if self.embargo is None:
            return ""
        return (
            f" (embargoed until {self.embargo}: until then on no remote a more open level may use)"
        )


def route(config: Config, access: ArtifactAccess, today: datetime.date) -> Route:
    """Where bytes with `access` may be stored under `config` on `today`: the remotes their level
    allows (an artifact without a level, or with one the policy does not define, only where
    every level may go) less, before an embargo's end, those a more open level may use."""
    level = config.access_level(access.level) if access.level is not None else None
    levels = (level,) if level is not None else config.access_levels
    restricting = [frozenset(item.remotes) for item in levels if item.remotes is not None]
    remotes = frozenset.intersection(*restricting) if restricting else None
    if level is None or access.until is None or today >= _embargo_end(access.until):
        return Route(remotes)
    opener = config.access_levels[: config.access_levels.index(level)]
    if not opener:
        return Route(remotes)
    if any(item.remotes is None for item in opener):  # a more open level may use any remote
        return Route(frozenset(), embargo=access.until)
    used = frozenset(remote for item in opener for remote in item.remotes or ())
    return Route(remotes, used, access.until)


@dataclass(frozen=True)
class Placement:
    """Where one artifact's bytes were found: its card, md5, access and route, and the share of
    the bytes ("all" or "some") each remote asked holds (those holding none left out)."""

    card: CardFacts
    md5: str
    access: ArtifactAccess
    route: Route
    shares: dict[str, str]
    asked: tuple[str, ...]

    def misplaced(self) -> list[MisplacedBytes]:
        """The bytes on remotes the route forbids (GC505)."""
        allowed = f"{self.route.describe()}{self.route.embargo_note()}"
        return [
            MisplacedBytes(self.card, self.md5, self.access.level, remote, share, allowed)
            for remote, share in sorted(self.shares.items())
            if not self.route.allows(remote)
        ]

    def looked_in(self) -> str:
        """The allowed remotes asked, for a message."""
        allowed = [remote for remote in self.asked if self.route.allows(remote)]
        if len(allowed) == 1 and self.route.remotes is None and not self.route.excluded:
            return f"the DVC remote {allowed[0]!r}"
        level = f"its level {self.access.level}" if self.access.level else "every level"
        return (
            f"any DVC remote {level} allows ({', '.join(allowed) or 'none'}"
            f"{self.route.embargo_note()})"
        )

    def allowed_holders(self) -> list[str]:
        """The allowed remotes holding all of the bytes."""
        return sorted(
            remote
            for remote, share in self.shares.items()
            if share == "all" and self.route.allows(remote)
        )


@dataclass(frozen=True)
class Placing:
    """How to place artifacts: the policy and the claims beside them, the date embargoes are
    judged on, and whether to ask the allowed remotes too (a release needs a full copy on one)
    or only the forbidden ones (GC505)."""

    policy: AccessPolicy
    checkout: LevelClaims
    today: datetime.date
    allowed_too: bool = False
    also: frozenset[str] = frozenset()  # remotes to ask besides the policy's and the default


def place(
    repo: Repository, inventory: Inventory, md5s: dict[str, str], placing: Placing
) -> list[Placement]:
    """Ask the remotes the policy names, the default remote and those `placing` adds, which of
    the bytes `md5s` (the md5 by card path) they hold. A remote the policy names that must be
    asked but this checkout's DVC config does not define is an error: a check that skipped it
    would report a clean bucket it never saw."""
    configured, default = storage.configured_remotes(repo.root)
    named = {
        remote for level in placing.policy.config.access_levels for remote in level.remotes or ()
    }
    remotes = named | ({default} if default else set()) | placing.also
    if not remotes and placing.allowed_too:
        raise GitckptError(NO_REMOTE)
    plans: list[tuple[CardFacts, str, ArtifactAccess, Route, list[str]]] = []
    for card_path, md5 in md5s.items():
        card = inventory.cards[card_path]
        access = placing.policy.access(inventory, card, placing.checkout)
        allowed = route(placing.policy.config, access, placing.today)
        asked = [
            remote
            for remote in sorted(remotes)
            if placing.allowed_too or not allowed.allows(remote)
        ]
        plans.append((card, md5, access, allowed, asked))
    needed = {remote for *_, asked in plans for remote in asked}
    _refuse_undefined(needed - configured, placing.policy)
    shares = storage.remote_shares(
        repo.root,
        {
            remote: sorted({md5 for _, md5, *_, asked in plans if remote in asked})
            for remote in needed
        },
    )
    return [
        Placement(
            card,
            md5,
            access,
            allowed,
            {remote: shares[remote][md5] for remote in asked if shares[remote][md5] != "none"},
            tuple(asked),
        )
        for card, md5, access, allowed, asked in plans
    ]


def _refuse_undefined(undefined: set[str], policy: AccessPolicy) -> None:
    if undefined:
        raise GitckptError(
            f"cannot ask remote(s) {', '.join(sorted(undefined))}, which the trusted policy names "
            f"({policy.described}) but this checkout's DVC config does not define: define each "
            "(`dvc remote add NAME URL`, with credentials that may list it) and run again"
        )


def remote_findings(
    repo: Repository,
    inventory: Inventory,
    cards: Iterable[CardFacts],
    remote: str | None,
    trust_ref: str | None,
) -> list[Finding]:
    """`check --remote` for `cards`: GC209, their bytes are whole on a remote their access allows
    (on `remote` when one is named), and GC505, on none it forbids, asking every remote the
    trusted policy names, the default remote and `remote`."""
    md5s = pointer_md5s(inventory, cards)
    unpushed = _not_on(repo, inventory, md5s, remote) if remote is not None else []
    placing = Placing(
        access_policy(repo, inventory, trust_ref),
        level_claims(inventory),
        utc_today(),
        allowed_too=remote is None,
        also=frozenset({remote} if remote else ()),
    )
    placements = place(repo, inventory, md5s, placing) if md5s else []
    if remote is None:
        unpushed = [
            UnpushedBytes(found.card, found.md5, found.looked_in())
            for found in placements
            if not found.allowed_holders()
        ]
    misplaced = [item for found in placements for item in found.misplaced()]
    return [*check_unpushed(unpushed), *check_misplaced(misplaced)]


def _not_on(
    repo: Repository, inventory: Inventory, md5s: dict[str, str], remote: str
) -> list[UnpushedBytes]:
    """The bytes the one remote named does not hold in full."""
    holdings = storage.remote_holdings(repo.root, sorted(set(md5s.values())), remote)
    if holdings is None:
        raise GitckptError(NO_REMOTE)
    return [
        UnpushedBytes(inventory.cards[path], md5, f"the DVC remote {remote!r}")
        for path, md5 in md5s.items()
        if not holdings.get(md5, False)
    ]
