"""`git ckpt checklist NAME [--confirm ITEM]`: the release checklist's state, and a person's
confirmation of an item (their git identity and the time are recorded in the card)."""

from __future__ import annotations

import argparse
import datetime
from dataclasses import asdict

from gitckpt.arguments import Subcommands, subparser
from gitckpt.card import parse_card, update_front_matter
from gitckpt.checklist import CHECKLIST_FIELD, ITEMS, ItemState, checklist_state
from gitckpt.console import print_json, print_table
from gitckpt.errors import EXIT_OK, GitckptError, UsageError
from gitckpt.file_facts import CardFacts
from gitckpt.files import CARD_SIZE_LIMIT, atomic_write, read_text
from gitckpt.inventory import load_inventory
from gitckpt.repo import Repository, find_repository, identity


def model_card(repo: Repository, name: str) -> CardFacts:
    card = next((card for card in load_inventory(repo).cards.values() if card.name == name), None)
    if card is None:
        raise GitckptError(f"there is no card named {name!r}")
    if card.kind != "model":
        raise UsageError(
            f"{name!r} is a {card.kind} card; the release checklist belongs to model cards"
        )
    return card


def checklist_of(repo: Repository, name: str) -> list[ItemState]:
    card = model_card(repo, name)
    return checklist_state(parse_card(_text(repo, card.path), card.path).data)


def confirm_item(repo: Repository, name: str, item: str, note: str | None) -> ItemState:
    if item not in ITEMS:
        raise UsageError(f"unknown checklist item {item!r}; items: {', '.join(ITEMS)}")
    card = model_card(repo, name)
    entry = {
        "confirmed_by": identity(repo),
        "confirmed_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if note:
        entry["note"] = note
    text = update_front_matter(_text(repo, card.path), card.path, {(CHECKLIST_FIELD, item): entry})
    atomic_write(repo.root / card.path, text)
    return next(
        state for state in checklist_state(parse_card(text, card.path).data) if state.item == item
    )


def _text(repo: Repository, path: str) -> str:
    return read_text(repo.root / path, CARD_SIZE_LIMIT, path)


CHECKLIST_EPILOG = """\
Shows the model's responsible-release checklist, or confirms one item: your git identity and the
time are recorded in the card (commit the change). `git ckpt tag` refuses to release a model while
any item is unconfirmed. Items:
{items}

Examples:
  git ckpt checklist resnet50
  git ckpt checklist resnet50 --confirm licenses_aligned --note "Legal review LEGAL-42"
"""


def register(commands: Subcommands) -> None:
    items = "\n".join(f"  {item:<36} {description}" for item, description in ITEMS.items())
    parser = subparser(
        commands,
        "checklist",
        "show or confirm a model's responsible-release checklist",
        CHECKLIST_EPILOG.format(items=items),
    )
    parser.add_argument("name", metavar="NAME", help="the model")
    parser.add_argument("--confirm", metavar="ITEM", help="confirm this item")
    parser.add_argument("--note", help="with --confirm, a note (e.g. where the review is recorded)")
    parser.add_argument("--json", action="store_true", help="print the checklist as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    repo = find_repository()
    if args.confirm:
        state = confirm_item(repo, args.name, args.confirm, args.note)
        print_json(asdict(state)) if args.json else print(
            f"Confirmed {state.item} as {state.confirmed_by} at {state.confirmed_at}; "
            "commit the card."
        )
        return EXIT_OK
    states = checklist_of(repo, args.name)
    if args.json:
        print_json([{**asdict(state), "confirmed": state.confirmed} for state in states])
        return EXIT_OK
    print_table(
        ("item", "state", "by", "at"),
        [
            [
                s.item,
                "confirmed" if s.confirmed else "OPEN",
                s.confirmed_by or "",
                s.confirmed_at or "",
            ]
            for s in states
        ],
    )
    return EXIT_OK
