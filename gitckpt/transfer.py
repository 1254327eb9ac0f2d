"""Moving artifacts' bytes to and from the DVC remote, by name (`git ckpt push` and `pull`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gitckpt import storage
from gitckpt.errors import UsageError
from gitckpt.inventory import load_inventory
from gitckpt.repo import Repository


def data_paths_for(repo: Repository, names: Sequence[str]) -> list[Path]:
    """The data paths of the named artifacts (all artifacts when no name is given)."""
    cards = {
        card.name: card
        for card in load_inventory(repo).cards.values()
        if card.name and card.data_relpath
    }
    unknown = [name for name in names if name not in cards]
    if unknown:
        known = ", ".join(sorted(cards)) or "none yet"
        raise UsageError(
            f"no artifact named {', '.join(map(repr, unknown))}; known artifacts: {known}"
        )
    chosen = [cards[name] for name in names] if names else list(cards.values())
    return [repo.root / str(card.data_relpath) for card in chosen]


def push(repo: Repository, names: Sequence[str], remote: str | None) -> int:
    """Push the bytes; returns how many files were uploaded."""

    paths = data_paths_for(repo, names)
    return storage.push_data(repo.root, paths, remote) if paths else 0


def pull(repo: Repository, names: Sequence[str], remote: str | None) -> int:
    """Pull the bytes into cache and work tree; returns how many files were fetched."""

    paths = data_paths_for(repo, names)
    return storage.pull_data(repo.root, paths, remote) if paths else 0
