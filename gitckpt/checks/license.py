"""GC501–GC503: licenses are valid SPDX expressions, compatible with the terms of the training
data and base model (rules in rules/licenses.yaml), and redistribution is allowed upstream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitckpt.card import PLACEHOLDER_PATTERN, Card
from gitckpt.checks.base import Check
from gitckpt.file_facts import CardFacts, Finding, Inventory
from gitckpt.strict_yaml import FieldPath, format_field_path

LICENSE_INVALID = Check(
    id="GC501",
    name="license-invalid",
    severity="error",
    rationale="A license nobody can parse cannot be honoured; SPDX expressions are what tools "
    "and lawyers read.",
    fix="Write an SPDX expression (Apache-2.0, CC-BY-NC-4.0, MIT OR Apache-2.0) or "
    "LicenseRef-<name> with a license_link.",
)
LICENSE_INCOMPATIBLE = Check(
    id="GC502",
    name="license-incompatible",
    severity="error",
    rationale="A model may not be released under terms more permissive than its training data "
    "and base model allow.",
    fix="Release under a license that carries the inputs' terms, or record a justified "
    "license_exception (reason, approved_by).",
)
REDISTRIBUTION_CONFLICT = Check(
    id="GC503",
    name="redistribution-conflict",
    severity="error",
    rationale="Bytes derived from something that may not be redistributed may not be "
    "redistributed either.",
    fix="Set redistribution.allowed: false, or obtain (and record) permission from the "
    "upstream owner.",
)
UPSTREAM_FIELDS = {"model": ("training_data", "base_model"), "dataset": ("sources",), "eval": ()}


def check_license_expressions(card: Card) -> Iterator[Finding]:
    """Per card: the card's license and every license it declares for its inputs parse as SPDX."""

    from gitckpt.licenses import problem  # the SPDX parser and rules: when a card is read

    has_link = isinstance(card.data.get("license_link"), str)
    for field, value in license_fields(card.data):
        if PLACEHOLDER_PATTERN.search(value):
            continue
        reason = problem(value, has_link=has_link)
        if reason:
            yield LICENSE_INVALID.finding(
                card.path, reason, line=card.line_of(field), field=format_field_path(field)
            )


def license_fields(data: dict[str, Any]) -> Iterator[tuple[FieldPath, str]]:
    if isinstance(data.get("license"), str):
        yield ("license",), data["license"]
    for key in ("training_data", "sources"):
        for index, entry in enumerate(data.get(key) or []):
            if isinstance(entry, dict) and isinstance(entry.get("license"), str):
                yield (key, index, "license"), entry["license"]
    base = data.get("base_model")
    if isinstance(base, dict) and isinstance(base.get("license"), str):
        yield ("base_model", "license"), base["license"]


def upstream_entries(card: Card) -> list[dict[str, Any]]:
    """The inputs a card declares (for the cached facts): role, link, declared license, where."""
    from gitckpt.licenses import traits

    found = []
    for role in UPSTREAM_FIELDS.get(card.kind or "", ()):
        value = card.data.get(role)
        entries = (
            [(None, value)]
            if isinstance(value, dict)
            else list(enumerate(value))
            if isinstance(value, list)
            else []
        )
        for index, entry in entries:
            if not isinstance(entry, dict):
                continue
            field: FieldPath = (role,) if index is None else (role, index)
            license_text = entry.get("license") if isinstance(entry.get("license"), str) else None
            found.append(
                {
                    "role": role,
                    "target": str(entry.get("artifact") or "").split("@")[0] or None,
                    "name": str(entry.get("artifact") or entry.get("uri") or "?"),
                    "license": license_text,
                    "traits": sorted(traits(license_text)) if license_text else [],
                    "field": format_field_path((*field, "license") if license_text else field),
                    "line": card.line_of((*field, "license")) or card.line_of(field),
                }
            )
    return found


def check_license_compatibility(inventory: Inventory) -> Iterator[Finding]:
    """Across cards: every rule of rules/licenses.yaml, and redistribution upstream."""

    cards = {card.name: card for card in inventory.cards.values() if card.name}
    for card in inventory.cards.values():
        if not card.upstream:
            continue
        for entry in card.upstream:
            linked = cards.get(entry["target"]) if entry["target"] else None
            upstream_traits = set(entry["traits"]) | set(linked.license_traits if linked else ())
            upstream_license = (linked.license if linked else None) or entry["license"] or "?"
            if (
                upstream_traits and not card.license_exception
            ):  # the rules table is read only when a trait needs it
                from gitckpt.licenses import rules

                yield from _rule_findings(card, entry, upstream_traits, upstream_license, rules())
            if (
                linked is not None
                and linked.redistribution_allowed is False
                and card.redistribution_allowed
            ):
                yield REDISTRIBUTION_CONFLICT.finding(
                    card.path,
                    f"{entry['name']} may not be redistributed ({linked.path}), but this "
                    "card allows redistribution",
                    line=entry["line"],
                    field=entry["field"],
                )


def _rule_findings(
    card: CardFacts,
    entry: dict[str, Any],
    upstream_traits: set[str],
    upstream_license: str,
    all_rules: list[Any],
) -> Iterator[Finding]:
    for rule in all_rules:
        if rule.trait not in upstream_traits or entry["role"] not in rule.upstream:
            continue
        if rule.requires == "never" or rule.requires not in card.license_traits:
            upstream = f"{entry['role']} {entry['name']} is {upstream_license} ({rule.trait})"
            yield LICENSE_INCOMPATIBLE.finding(
                card.path,
                f"{upstream}, but this card is {card.license}: {rule.explain} [rule {rule.id}]",
                line=entry["line"],
                field=entry["field"],
            )
