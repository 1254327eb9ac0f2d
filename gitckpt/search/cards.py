"""What the search index reads from a card: its facets, its prose and its own name. Cards are
read here, in the worker processes of a cold index (this is the module their server loads)."""

from __future__ import annotations

from functools import cache
from typing import Any

from gitckpt.card import Card, mapping, metric_entries, parse_card
from gitckpt.errors import InputError
from gitckpt.files import decode_text
from gitckpt.licenses import problem, traits
from gitckpt.parsed_cards import Payload, card_from, encoded_parse
from gitckpt.secrets import mask_secrets

_UNREADABLE: dict[str, Any] = {"name": None}  # indexed, so it is not re-read, but never listed


def indexed_card(
    card: tuple[str, bytes | None, Payload | None],
) -> tuple[dict[str, Any], str, str | None, str | None]:
    """`card_facts`; the card's own name: the `name` its unmasked text gives, which binding a
    release record to the card compares (`tag_events.read_tag_events`); and the card's parse
    when it was parsed here, for the other commands (`parsed_cards`). When masking changed
    nothing the facts come from the card's shared parse (`payload`, when another command made
    it); otherwise, or when the name is not a string, the name is None and the binding reads the
    card itself."""
    path, blob, payload = card
    if blob is None:
        return _UNREADABLE, "", None, None
    try:
        text = decode_text(blob, path)
    except InputError:
        return _UNREADABLE, "", None, None
    masked = mask_secrets(text)
    if masked != text:
        return *_masked_card_facts(path, masked), None, None
    try:
        parsed = card_from(text, path, payload)
    except InputError:
        return _UNREADABLE, "", None, None
    facts = _facts(parsed)
    return facts, parsed.body, facts["name"], None if payload else encoded_parse(parsed)


def card_facts(path: str, blob: bytes) -> tuple[dict[str, Any], str]:
    """The facets of one card and its prose; an unreadable card gives no name (and is not listed).
    Both are read from the card with its credentials masked: the index never holds one, so no
    snippet (which may cut a token where no detector would recognise it) or facet shows one, and
    searching for a credential does not confirm that a card holds it."""
    try:
        text = decode_text(blob, path)
    except InputError:
        return _UNREADABLE, ""
    return _masked_card_facts(path, mask_secrets(text))


def _masked_card_facts(path: str, masked: str) -> tuple[dict[str, Any], str]:
    try:
        card = parse_card(masked, path)
    except InputError:
        return _UNREADABLE, ""
    return _facts(card), card.body


def _facts(card: Card) -> dict[str, Any]:
    data = card.data
    license = data.get("license") if isinstance(data.get("license"), str) else None
    level = mapping(data, "access").get("level")
    return {
        "name": data.get("name") if isinstance(data.get("name"), str) else None,
        "kind": card.kind,
        "level": level if isinstance(level, str) else None,
        "license": license,
        "commercial": license is not None and permits_commercial_use(license),
        "description": data.get("description") if isinstance(data.get("description"), str) else "",
        "datasets": sorted(_datasets(data)),
        "metrics": _metrics(data),
        "people": sorted(_people(data)),
    }


@cache
def permits_commercial_use(expression: str) -> bool:
    """A known SPDX expression (or a custom license in rules/licenses.yaml) without
    non-commercial terms; an expression we cannot judge does not qualify."""

    return problem(expression, has_link=False) is None and "noncommercial" not in traits(expression)


def _datasets(data: dict[str, Any]) -> set[str]:
    entries = [entry for entry in data.get("training_data") or [] if isinstance(entry, dict)]
    entries.append(mapping(data, "dataset"))
    return {str(entry["artifact"]) for entry in entries if isinstance(entry.get("artifact"), str)}


def _metrics(data: dict[str, Any]) -> list[tuple[str, float]]:
    return [(entry["metric"], float(entry["value"])) for entry in metric_entries(data)]


def _people(data: dict[str, Any]) -> set[str]:
    people = {
        str(entry["name"])
        for entry in data.get("contributors") or []
        if isinstance(entry, dict) and entry.get("name")
    }
    if isinstance(data.get("contact"), str):
        people.add(data["contact"])
    return people
