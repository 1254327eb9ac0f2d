"""Moving artifacts' bytes to and from the DVC remote, by name (`git ckpt push` and `pull`).

A push sends each artifact only to a remote its access level allows under the trusted policy
(`trust.trust_root`: never the work tree's or a pull request's `.gitckpt/config.yaml`, which the
pusher could have edited; only a repository without a single ref, where nothing is committed to
trust, is judged by its work tree). An artifact's level is the more closed of what its card says
in the work tree and at the trusted revision: lowering a level is a reviewed change to the trusted
branch, not an edit the pusher makes. Every artifact is judged before any byte moves, so a
refusal pushes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from gitckpt import storage
from gitckpt.config import CONFIG_PATH, Config
from gitckpt.errors import GitckptError, UsageError
from gitckpt.facts import CardFacts, Inventory
from gitckpt.inventory import load_inventory
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.repo import Repository, head_commit
from gitckpt.trust import trust_root


@dataclass(frozen=True)
class RoutedArtifact:
    """An artifact a push sends: its card, its level (None: its card states none) and its data."""

    name: str
    level: str | None
    card: str
    data: str

    def to_json(self, remote: str | None) -> dict[str, Any]:
        return {
            "name": self.name,
            "level": self.level,
            "card": self.card,
            "data": self.data,
            "remote": remote,
        }


@dataclass(frozen=True)
class PushPolicy:
    """The policy a push is judged by, the line that says where it came from, that as JSON, and
    what each card at the trusted revision says of its bytes' level (none when nothing is
    committed)."""

    config: Config
    described: str
    source: dict[str, Any]
    trusted_claims: LevelClaims


@dataclass(frozen=True)
class PushReport:
    """What went where: the remote (None: DVC's own choice, when no level restricts remotes),
    the artifacts sent to it, how many files DVC uploaded, and the policy that allowed it."""

    remote: str | None
    artifacts: tuple[RoutedArtifact, ...]
    files: int
    policy: PushPolicy

    def to_json(self) -> dict[str, Any]:
        return {
            "pushed": self.files,
            "remote": self.remote,
            "artifacts": [artifact.to_json(self.remote) for artifact in self.artifacts],
            "trusted_policy": self.policy.source,
        }


class PushRefused(GitckptError):
    """An artifact's level does not allow the remote: nothing was pushed (exit 1)."""


def chosen_cards(inventory: Inventory, names: Sequence[str]) -> list[CardFacts]:
    """The cards of the named artifacts (every artifact with data when no name is given)."""
    cards: dict[str, CardFacts] = {}
    for card in inventory.cards.values():
        if card.name and card.data_relpath:
            if card.name in cards and (not names or card.name in names):
                raise GitckptError(
                    f"{cards[card.name].path} and {card.path} both name {card.name!r} (GC301): "
                    "give each artifact its own name before moving its bytes"
                )
            cards[card.name] = card
    unknown = [name for name in names if name not in cards]
    if unknown:
        known = ", ".join(sorted(cards)) or "none yet"
        raise UsageError(
            f"no artifact named {', '.join(map(repr, unknown))}; known artifacts: {known}"
        )
    return [cards[name] for name in names] if names else list(cards.values())


def push(
    repo: Repository, names: Sequence[str], remote: str | None, trust_ref: str | None = None
) -> PushReport:
    """Push the bytes of the named artifacts to `remote` (default: DVC's default remote) once
    every one of them is allowed there; PushRefused, naming each one that is not, otherwise."""
    inventory = load_inventory(repo)
    cards = chosen_cards(inventory, names)
    policy = push_policy(repo, inventory, trust_ref)
    target = remote or (storage.default_remote(repo.root) if cards else None)
    work_tree = _claims(inventory)
    levels = {str(card.name): _level(_claim(inventory, card), policy, work_tree) for card in cards}
    refusals = [
        message
        for card in cards
        if (
            message := _pinned_elsewhere(inventory, card, target)
            or refusal(card, levels[str(card.name)], policy.config, target)
        )
        is not None
    ]
    if refusals:
        raise PushRefused(
            f"nothing was pushed: {len(refusals)} of {len(cards)} artifact(s) may not go to "
            f"{_remote_words(target)} ({policy.described}):\n  " + "\n  ".join(refusals)
        )
    routed = tuple(
        RoutedArtifact(str(card.name), levels[str(card.name)], card.path, str(card.data_relpath))
        for card in cards
    )
    paths = [repo.root / artifact.data for artifact in routed]
    # The remote is always named to DVC, so a pointer's own `remote:` cannot send bytes elsewhere.
    files = storage.push_data(repo.root, paths, target) if paths else 0
    return PushReport(target, routed, files, policy)


def _pinned_elsewhere(inventory: Inventory, card: CardFacts, remote: str | None) -> str | None:
    """Why DVC would push none of the artifact's bytes to `remote`: its pointer names another
    remote for an out (`remote:`), and DVC sends each out only to its own. Refused rather than
    reported as a push of nothing."""
    pointer_path = f"{card.data_relpath}{POINTER_SUFFIX}"
    pointer = inventory.pointers.get(pointer_path)
    for out in pointer.outs if pointer else ():
        if out.remote is not None and out.remote != remote:
            return (
                f"{pointer_path}:{out.line}: artifact {card.name!r}'s pointer sends its bytes "
                f"only to remote {out.remote!r} (`remote:`), so DVC would push nothing to "
                f"{_remote_words(remote)}: remove the field, or push with --remote {out.remote}"
            )
    return None


def push_policy(repo: Repository, inventory: Inventory, trust_ref: str | None) -> PushPolicy:
    """The trusted revision's policy; in a repository with nothing committed (nothing to trust
    and nothing a pusher could route around) the work tree's, said so. A checkout with commits
    but no refs (a CI job's `git fetch URL SHA`) has no trusted revision: `trust_root` refuses."""
    if trust_ref is None and head_commit(repo) is None:
        return PushPolicy(
            inventory.config,
            f"no commit yet: policy from {CONFIG_PATH} in the work tree",
            {"ref": None, "revision": None, "work_tree": True},
            LevelClaims(()),
        )
    trust = trust_root(repo, trust_ref)
    at_trusted = inventory.source.revision == trust.revision  # a site or export of main
    trusted = inventory if at_trusted else load_inventory(repo, revision=trust.revision)
    return PushPolicy(trust.config, trust.describe(), trust.to_json(), _claims(trusted))


@dataclass(frozen=True)
class LevelClaim:
    """What one card says about some bytes' access: its artifact's name, its data path, the md5s
    its card and pointer give those bytes, and its level."""

    name: str | None
    data: str
    md5s: frozenset[str]
    level: str | None

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


def _claims(inventory: Inventory) -> LevelClaims:
    return LevelClaims(
        _claim(inventory, card) for card in inventory.cards.values() if card.data_relpath
    )


def _claim(inventory: Inventory, card: CardFacts) -> LevelClaim:
    data = str(card.data_relpath)
    pointer = inventory.pointers.get(f"{data}{POINTER_SUFFIX}")
    md5s = {out.md5 for out in pointer.outs} if pointer else set()
    return LevelClaim(
        card.name, data, frozenset(md5s | ({card.md5} if card.md5 else set())), card.access_level
    )


def _level(claim: LevelClaim, policy: PushPolicy, work_tree: LevelClaims) -> str | None:
    """The most closed level of every claim about the artifact's bytes, in the work tree and at
    the trusted revision: renaming a card, pointing a public card at restricted bytes or tracking
    a copy of them opens nothing. A level the policy does not define wins, so that it is refused
    by name."""
    related = [*policy.trusted_claims.about(claim), *work_tree.about(claim)]
    stated = (claim.level, *(other.level for other in related))
    known = [level for level in stated if level is not None]
    undefined = [level for level in known if policy.config.access_level(level) is None]
    if undefined or not known:
        return undefined[0] if undefined else None
    order = [item.name for item in policy.config.access_levels]
    return max(known, key=order.index)


def refusal(
    card: CardFacts, level_name: str | None, policy: Config, remote: str | None
) -> str | None:
    """Why `card`'s bytes, at access level `level_name`, may not go to `remote` under `policy`,
    or None when they may; an artifact without a level may go only where every level of the
    policy may."""
    where = f"{card.path}:{card.access_level_line}" if card.access_level_line else card.path
    if level_name is None:
        levels = policy.access_levels
        stated = "states no access.level (run `git ckpt migrate`, then set it)"
    else:
        level = policy.access_level(level_name)
        if level is None:
            defined = ", ".join(item.name for item in policy.access_levels)
            return (
                f"{where}: artifact {card.name!r} has access level {level_name!r}, which "
                f"the trusted {CONFIG_PATH} does not define (it defines {defined})"
            )
        levels = (level,)
        stated = f"is {level_name}" + (
            ""
            if level_name == card.access_level
            else f" by another card of its bytes or at the trusted revision (its card says "
            f"{card.access_level or 'nothing'}; lowering a level takes a reviewed change to the "
            "trusted branch)"
        )
    restricting = [set(item.remotes) for item in levels if item.remotes is not None]
    if not restricting:
        return None
    allowed = sorted(set.intersection(*restricting))
    if remote is not None and remote in allowed:
        return None
    allowed_words = ", ".join(allowed) or "none"
    advice = (
        f"`git ckpt push {card.name} --remote {allowed[0]}`"
        if allowed
        else f"ask a maintainer to name a remote for it in {CONFIG_PATH}"
    )
    return (
        f"{where}: artifact {card.name!r} {stated}; its bytes may go only to remote(s) "
        f"{allowed_words}, not to {_remote_words(remote)}: {advice}"
    )


def _remote_words(remote: str | None) -> str:
    return f"remote {remote!r}" if remote else "DVC's default remote (none is configured)"


def pull(repo: Repository, names: Sequence[str], remote: str | None) -> int:
    """Pull the bytes into cache and work tree; returns how many files were fetched."""

    cards = chosen_cards(load_inventory(repo), names)
    paths = [repo.root / str(card.data_relpath) for card in cards]
    return storage.pull_data(repo.root, paths, remote) if paths else 0


def artifact_levels(inventory: Inventory, policy: PushPolicy) -> dict[str, str | None]:
    """Each named artifact's level as a push would judge it (the most closed claim on its bytes,
    in `inventory` and at the trusted revision), for what leaves the repository another way: the
    site and exports. A card without data is judged by its name alone."""
    claims = _claims(inventory)
    return {
        str(card.name): _level(
            _claim(inventory, card)
            if card.data_relpath
            else LevelClaim(card.name, "", frozenset(), card.access_level),
            policy,
            claims,
        )
        for card in inventory.cards.values()
        if card.name
    }
