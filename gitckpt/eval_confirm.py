"""Re-confirmed evaluations (`git ckpt eval confirm`): a person states that results measured on
earlier bytes still hold
for the current checkpoint. The statement (who, when, why, which bytes were measured) is
recorded in the cards, so review and history show it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from gitckpt.card import parse_card, update_front_matter
from gitckpt.errors import GitckptError, UsageError
from gitckpt.file_facts import CardFacts
from gitckpt.files import CARD_SIZE_LIMIT, atomic_write, read_text
from gitckpt.inventory import load_inventory
from gitckpt.repo import Repository, identity
from gitckpt.strict_yaml import FieldPath, format_field_path


@dataclass(frozen=True)
class Confirmed:
    card: str
    field: str
    measured_sha256: str


@dataclass(frozen=True)
class StaleEntries:
    """The entries of one card that name earlier bytes (each with the sha256 it names), and the
    field in each entry that names them."""

    card_path: str
    entries: dict[FieldPath, str]
    key: str


def confirm_evaluations(repo: Repository, name: str, reason: str) -> list[Confirmed]:
    """Re-bind the stale results of model `name` (in its card and in eval cards measuring it)."""
    if len(reason.strip()) < 10:
        raise UsageError(
            "--reason must say, in at least a short sentence, why the results still hold"
        )
    cards = load_inventory(repo).cards.values()
    model = next((card for card in cards if card.name == name), None)
    if model is None or model.kind != "model" or not model.sha256:
        raise UsageError(f"{name!r} is not a model card with a checkpoint sha256")
    statement = {
        "reason": reason.strip(),
        "by": identity(repo),
        "at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    confirmed = _confirm_model_card(repo, model, statement)
    for card in cards:
        if (
            card.kind == "eval"
            and card.model_link == name
            and card.model_sha256 not in (None, model.sha256)
        ):
            stale = StaleEntries(card.path, {("model",): str(card.model_sha256)}, "sha256")
            confirmed += _rebind(repo, stale, model.sha256, statement)
    if not confirmed:
        raise GitckptError(
            f"every result for {name!r} already names its current checkpoint; nothing to confirm"
        )
    return confirmed


def _confirm_model_card(
    repo: Repository, model: CardFacts, statement: dict[str, str]
) -> list[Confirmed]:
    data = parse_card(_read(repo, model.path), model.path).data
    stale: dict[FieldPath, str] = {
        ("evaluation", index): str(entry["checkpoint_sha256"])
        for index, entry in enumerate(data.get("evaluation") or [])
        if isinstance(entry, dict) and entry.get("checkpoint_sha256") not in (None, model.sha256)
    }
    if not stale:
        return []
    entries = StaleEntries(model.path, stale, "checkpoint_sha256")
    return _rebind(repo, entries, str(model.sha256), statement)


def _rebind(
    repo: Repository, stale: StaleEntries, current: str, statement: dict[str, str]
) -> list[Confirmed]:
    """Point each stale entry at the current bytes and record the confirmation beside it."""
    card_path, key = stale.card_path, stale.key
    updates: dict[FieldPath, Any] = {}
    for entry, measured in stale.entries.items():
        updates[(*entry, key)] = current
        updates[(*entry, "reconfirmed")] = {**statement, "measured_sha256": measured}
    atomic_write(
        repo.root / card_path, update_front_matter(_read(repo, card_path), card_path, updates)
    )
    return [
        Confirmed(card_path, format_field_path((*entry, key)), measured)
        for entry, measured in stale.entries.items()
    ]


def _read(repo: Repository, card_path: str) -> str:
    return read_text(repo.root / card_path, CARD_SIZE_LIMIT, card_path)
