"""`git ckpt checklist NAME [--confirm ITEM]`: the release checklist's state, and a person's
confirmation of an item (their git identity and the time are recorded in the card)."""

from __future__ import annotations

import datetime

from gitckpt.card import parse_card, update_front_matter
from gitckpt.checklist import CHECKLIST_FIELD, ITEMS, ItemState, checklist_state
from gitckpt.errors import GitckptError, UsageError
from gitckpt.files import CARD_SIZE_LIMIT, atomic_write, read_text
from gitckpt.inventory import CardFacts, load_inventory
from gitckpt.repo import Repository, identity


def model_card(repo: Repository, name: str) -> CardFacts:
    card = next((card for card in load_inventory(repo).cards.values() if card.name == name), None)
    if card is None:
        raise GitckptError(f"there is no card named {name!r}")
    if card.kind != "model":
        raise UsageError(f"{name!r} is a {card.kind} card; the release checklist belongs to model cards")
    return card


def show(repo: Repository, name: str) -> list[ItemState]:
    card = model_card(repo, name)
    return checklist_state(parse_card(_text(repo, card.path), card.path).data)


def confirm(repo: Repository, name: str, item: str, note: str | None) -> ItemState:
    if item not in ITEMS:
        raise UsageError(f"unknown checklist item {item!r}; items: {', '.join(ITEMS)}")
    card = model_card(repo, name)
    entry = {"confirmed_by": identity(repo), "confirmed_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if note:
        entry["note"] = note
    text = update_front_matter(_text(repo, card.path), card.path, {(CHECKLIST_FIELD, item): entry})
    atomic_write(repo.root / card.path, text)
    return next(state for state in checklist_state(parse_card(text, card.path).data) if state.item == item)


def _text(repo: Repository, path: str) -> str:
    return read_text(repo.root / path, CARD_SIZE_LIMIT, path)
