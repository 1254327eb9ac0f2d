"""Setting facts on a card from code (`Registry.update_card`, `track(facts=...)`, `add --infer`):
a round-trip edit of the front matter, so comments, key order and the prose survive, refused as
`git ckpt check` would refuse the result (GC103), before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitckpt.card import (
    KINDS,
    is_placeholder_at,
    parse_card,
    update_front_matter,
)
from gitckpt.errors import GitckptError, InputError
from gitckpt.facts import FREE_FORM_FIELDS, InferredFacts, fill_in, only_placeholders
from gitckpt.file_facts import CardFacts, Inventory
from gitckpt.files import CARD_SIZE_LIMIT, atomic_write, read_text
from gitckpt.repo import Repository
from gitckpt.schema import CARD_SCHEMAS, load_schema, validate
from gitckpt.strict_yaml import FieldPath, format_field_path

SCHEMA_CHECK = "GC103"  # the check whose findings a refused update would have caused


def card_named(inventory: Inventory, name: str) -> CardFacts:
    """The one card called `name`; GitckptError when none is (naming the cards that cannot be
    read, and so have no name) or two are (GC301)."""
    named = [card for card in inventory.cards.values() if card.name == name]
    if len(named) > 1:
        paths = " and ".join(card.path for card in named)
        raise GitckptError(f"{paths} both name {name!r} (GC301): give each its own name")
    if not named:
        unread = [path for path, card in sorted(inventory.cards.items()) if card.name is None]
        hint = f" (unreadable: {', '.join(unread)}; `git ckpt check` says why)"
        raise GitckptError(f"there is no card named {name!r}" + (hint if unread else ""))
    return named[0]


def refuse_unknown_fields(facts: Mapping[str, Any], kind: str, display: str) -> None:
    """InputError (GC103) for a top-level field the schema of `kind` cards does not define."""
    known = load_schema(CARD_SCHEMAS[kind])["properties"]
    for key in facts:
        if key not in known:
            raise InputError(
                f"{key!r} is not a field of a {kind} card ({SCHEMA_CHECK}); the fields are "
                f"{', '.join(sorted(known))}",
                path=display,
                field=str(key),
            )


def apply_facts(repo: Repository, card_path: str, facts: Mapping[str, Any]) -> list[str]:
    """Set `facts` (nested mappings merge field by field) on the card at `card_path`; facts
    gathered from the run (`InferredFacts`) fill only fields no person wrote. Refused with
    InputError (GC103, naming card, line and field) when a field it sets would not pass the
    schema; nothing is written then. Returns the fields set, dotted."""
    text = read_text(repo.root / card_path, CARD_SIZE_LIMIT, card_path)
    card = parse_card(text, card_path)
    kind = card.kind
    if kind not in KINDS:
        raise GitckptError(f"{card_path}: its `kind` is not one of {', '.join(KINDS)}")
    if isinstance(facts, InferredFacts):  # gathered for any kind: each kind takes its own fields
        known = load_schema(CARD_SCHEMAS[kind])["properties"]
        facts = InferredFacts({key: value for key, value in facts.items() if key in known})
    refuse_unknown_fields(facts, kind, card_path)
    updates = (
        fill_in(card.data, facts) if isinstance(facts, InferredFacts) else merged(card.data, facts)
    )
    if not updates:
        return []
    edited = update_front_matter(text, card_path, updates)
    _refuse_invalid(card.data, edited, card_path, kind)
    atomic_write(repo.root / card_path, edited)
    return [format_field_path(field) for field in updates]


def set_prose(repo: Repository, card_path: str, prose: str) -> None:
    """Replace the card's Markdown body with `prose`; the front matter stays as written."""
    text = read_text(repo.root / card_path, CARD_SIZE_LIMIT, card_path)
    head = text.split("\n")[: parse_card(text, card_path).body_first_line - 1]
    atomic_write(repo.root / card_path, "\n".join(head) + "\n" + prose.rstrip("\n") + "\n")


def merged(data: Mapping[str, Any], facts: Mapping[str, Any]) -> dict[FieldPath, Any]:
    """The fields to set so the card holds `facts`: a mapping merges into the card's mapping
    (other keys stay; the scaffold's example hyperparameters and seeds give way whole), anything
    else replaces what is there."""
    updates: dict[FieldPath, Any] = {}
    for key, value in facts.items():
        written = data.get(key)
        if key in FREE_FORM_FIELDS and only_placeholders(written):
            updates[(key,)] = _plain(value)
        elif isinstance(value, Mapping) and isinstance(written, dict) and not _is_gap(value):
            for field, inner in merged(written, value).items():
                updates[(key, *field)] = inner
        else:
            updates[(key,)] = _plain(value)
    return updates


def _is_gap(value: Mapping[str, Any]) -> bool:
    """`{noassertion: why}`: the person says the whole fact is unknown, replacing the block."""
    return "noassertion" in value


def _plain(value: Any) -> Any:
    """Mappings and tuples as the YAML writer takes them."""
    if isinstance(value, Mapping):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(inner) for inner in value]
    return value


def _refuse_invalid(before: dict[str, Any], text: str, display: str, kind: str) -> None:
    """InputError for the first schema problem the edit brings that the card did not have."""
    card = parse_card(text, display)
    known = {(problem.field, problem.message) for problem in validate(before, CARD_SCHEMAS[kind])}
    for problem in validate(card.data, CARD_SCHEMAS[kind]):
        if (problem.field, problem.message) in known or is_placeholder_at(card.data, problem.field):
            continue
        raise InputError(
            f"{problem.message} ({SCHEMA_CHECK})",
            path=display,
            line=card.line_of(problem.field),
            field=format_field_path(problem.field),
        )
