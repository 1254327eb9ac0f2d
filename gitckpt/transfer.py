"""Moving artifacts' bytes to and from the DVC remote, by name (`git ckpt push` and `pull`).

A push sends each artifact only to a remote its access level allows, and before its embargo's
end to none a more open level may use (access_routes.py: the trusted policy, and every claim on
the same bytes). Every artifact is judged before any byte moves, so a refusal pushes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gitckpt import storage
from gitckpt.access_routes import (
    AccessPolicy,
    ArtifactAccess,
    access_policy,
    level_claims,
    route,
    utc_today,
)
from gitckpt.config import CONFIG_PATH, Config
from gitckpt.errors import GitckptError, UsageError
from gitckpt.file_facts import CardFacts, Inventory
from gitckpt.inventory import load_inventory
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.repo import Repository


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
class PushReport:
    """What went where: the remote (None: DVC's own choice, when no level restricts remotes),
    the artifacts sent to it, how many files DVC uploaded, and the policy that allowed it."""

    remote: str | None
    artifacts: tuple[RoutedArtifact, ...]
    files: int
    policy: AccessPolicy

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
    repo: Repository,
    names: Sequence[str],
    remote: str | None,
    trust_ref: str | None = None,
    today: datetime.date | None = None,
) -> PushReport:
    """Push the bytes of the named artifacts to `remote` (default: DVC's default remote) once
    every one of them is allowed there on `today` (default: today in UTC); PushRefused, naming
    each one that is not, otherwise."""
    inventory = load_inventory(repo)
    cards = chosen_cards(inventory, names)
    policy = access_policy(repo, inventory, trust_ref)
    target = remote or (storage.default_remote(repo.root) if cards else None)
    work_tree = level_claims(inventory)
    access = {str(card.name): policy.access(inventory, card, work_tree) for card in cards}
    refusals = [
        message
        for card in cards
        if (
            message := _pinned_elsewhere(inventory, card, target)
            or refusal(card, access[str(card.name)], policy.config, target, today or utc_today())
        )
        is not None
    ]
    if refusals:
        raise PushRefused(
            f"nothing was pushed: {len(refusals)} of {len(cards)} artifact(s) may not go to "
            f"{_remote_words(target)} ({policy.described}):\n  " + "\n  ".join(refusals)
        )
    routed = tuple(
        RoutedArtifact(
            str(card.name), access[str(card.name)].level, card.path, str(card.data_relpath)
        )
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


def refusal(
    card: CardFacts,
    access: ArtifactAccess,
    policy: Config,
    remote: str | None,
    today: datetime.date,
) -> str | None:
    """Why `card`'s bytes, with `access`, may not go to `remote` under `policy` on `today`, or
    None when they may."""
    where = card_place(card)
    if access.level is not None and policy.access_level(access.level) is None:
        defined = ", ".join(item.name for item in policy.access_levels)
        return (
            f"{where}: artifact {card.name!r} has access level {access.level!r}, which "
            f"the trusted {CONFIG_PATH} does not define (it defines {defined})"
        )
    allowed = route(policy, access, today)
    if allowed.allows(remote):
        return None
    first = allowed.first()
    advice = (
        f"`git ckpt push {card.name} --remote {first}`"
        if first
        else f"ask a maintainer to name a remote for it in {CONFIG_PATH}"
        if allowed.embargo is None
        else f"wait until {allowed.embargo}"
    )
    return (
        f"{where}: artifact {card.name!r} {level_words(card, access)}; its bytes may go only to "
        f"remote(s) {allowed.describe()}{allowed.embargo_note()}, not to {_remote_words(remote)}: "
        f"{advice}"
    )


def card_place(card: CardFacts) -> str:
    """`card:line` of the card's access level, for a message."""
    return f"{card.path}:{card.access_level_line}" if card.access_level_line else card.path


def level_words(card: CardFacts, access: ArtifactAccess) -> str:
    """What sets the artifact's level, for a message: its card, or another claim on its bytes."""
    if access.level is None:
        return "states no access.level (run `git ckpt migrate`, then set it)"
    return f"is {access.level}" + (
        ""
        if access.level == card.access_level
        else f" by another card of its bytes or at the trusted revision (its card says "
        f"{card.access_level or 'nothing'}; lowering a level takes a reviewed change to the "
        "trusted branch)"
    )


def _remote_words(remote: str | None) -> str:
    return f"remote {remote!r}" if remote else "DVC's default remote (none is configured)"


def pull(repo: Repository, names: Sequence[str], remote: str | None) -> int:
    """Pull the bytes into cache and work tree; returns how many files were fetched."""

    cards = chosen_cards(load_inventory(repo), names)
    paths = [repo.root / str(card.data_relpath) for card in cards]
    return storage.pull_data(repo.root, paths, remote) if paths else 0
