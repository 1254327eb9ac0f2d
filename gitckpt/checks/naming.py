"""GC301 and GC302: artifact names are unique and follow the configured pattern."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from gitckpt.checks.base import Check
from gitckpt.config import CONFIG_PATH
from gitckpt.file_facts import CardFacts, Finding, Inventory

DUPLICATE_NAME = Check(
    id="GC301",
    name="name-duplicate",
    severity="error",
    rationale="A name identifies one artifact in tags, links and searches; two cards cannot "
    "share it.",
    fix="Rename one of the artifacts (its `name:` field) and update the links to it.",
)
NAME_PATTERN = Check(
    id="GC302",
    name="name-pattern",
    severity="error",
    rationale="Names follow the team's convention (`naming.pattern`) so tags and searches stay "
    "predictable.",
    fix=f"Rename the artifact to match naming.pattern in {CONFIG_PATH}, or change the pattern "
    "there.",
)


def check_naming(inventory: Inventory) -> Iterator[Finding]:
    by_name: dict[str, list[CardFacts]] = defaultdict(list)
    for card in inventory.cards.values():
        if card.name is not None:
            by_name[card.name].append(card)
    for name, cards in by_name.items():
        if not inventory.config.name_matches(name):
            for card in cards:
                yield NAME_PATTERN.finding(
                    card.path,
                    f"name {name!r} does not match naming.pattern "
                    f"{inventory.config.naming_pattern!r} in {CONFIG_PATH}",
                    line=card.name_line,
                    field="name",
                )
        if len(cards) > 1:
            for card in cards:
                others = ", ".join(other.path for other in cards if other is not card)
                yield DUPLICATE_NAME.finding(
                    card.path,
                    f"name {name!r} is also used by {others}; rename one",
                    line=card.name_line,
                    field="name",
                )
