"""`git ckpt issue add|fix`: a known issue added to, or resolved in, an artifact's card in the
work tree, round-trip (the author's comments and key order survive; the change is committed
like any other card edit, so `diff`, `log` and `events` see it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from gitckpt.card import parse_card
from gitckpt.errors import GitckptError, UsageError
from gitckpt.files import CARD_SIZE_LIMIT, atomic_write, read_text
from gitckpt.inventory import load_inventory
from gitckpt.known_issues import (
    OPEN,
    KnownIssue,
    known_issues,
    release_version,
    with_issue_added,
    with_issue_fixed,
)
from gitckpt.repo import Repository

LINK = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class NewIssue:
    """`git ckpt issue add NAME --summary ... [--since vX.Y.Z] [--link URL]`."""

    name: str
    summary: str
    since: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class EditedIssue:
    card: str
    issue: KnownIssue

    def to_json(self) -> dict[str, object]:
        return {"card": self.card, "issue": self.issue.to_json()}


def add_known_issue(repo: Repository, request: NewIssue) -> EditedIssue:
    """Append the issue to the card of `request.name`, status open."""
    summary = " ".join(request.summary.split())
    if not summary:
        raise UsageError("--summary must say what is wrong")
    if request.link is not None and not LINK.match(request.link):
        raise UsageError(f"--link must be an http(s) URL, got {request.link!r}")
    entry = {"summary": summary}
    if request.since:
        entry["since"] = release_version(request.since, "--since")
    if request.link:
        entry["link"] = request.link
    entry["status"] = OPEN
    path = _card_path(repo, request.name)
    text = atomic_edit(repo, path, lambda old: with_issue_added(old, path, entry))
    return EditedIssue(path, known_issues(parse_card(text, path).data)[-1].masked())


def fix_known_issue(repo: Repository, name: str, number: int, fixed_in: str) -> EditedIssue:
    """Mark known issue `number` of `name`'s card fixed in release `fixed_in`."""
    version = release_version(fixed_in, "--in")
    path = _card_path(repo, name)
    text = atomic_edit(repo, path, lambda old: with_issue_fixed(old, path, number, version))
    return EditedIssue(path, known_issues(parse_card(text, path).data)[number - 1].masked())


def atomic_edit(repo: Repository, path: str, edit: Callable[[str], str]) -> str:
    """Read the card, edit its text, write it atomically; nothing is written if `edit` raises."""
    text = edit(read_text(repo.root / path, CARD_SIZE_LIMIT, path))
    atomic_write(repo.root / path, text)
    return text


def _card_path(repo: Repository, name: str) -> str:
    cards = [card for card in load_inventory(repo).cards.values() if card.name == name]
    if not cards:
        raise GitckptError(f"there is no card named {name!r} in the work tree")
    if len(cards) > 1:
        raise GitckptError(
            f"{len(cards)} cards are named {name!r} ({', '.join(card.path for card in cards)}); "
            "give each its own name first (GC301)"
        )
    return cards[0].path


def current_known_issues(repo: Repository, name: str) -> list[KnownIssue]:
    """The known issues the work tree's card of `name` lists (none when it has no card), with
    any credential in them masked, as every output shows a card (only their own text is
    scanned: scanning the whole card would load the secret detectors for every `show`)."""
    inventory = load_inventory(repo)
    card = next((card for card in inventory.cards.values() if card.name == name), None)
    if card is None:
        return []
    text = read_text(repo.root / card.path, CARD_SIZE_LIMIT, card.path)
    return [issue.masked() for issue in known_issues(parse_card(text, card.path).data)]
