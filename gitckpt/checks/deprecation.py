"""GC402 and GC403: cards that link to deprecated artifacts (a warning), or to artifacts past
their sunset date (an error)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING

from gitckpt.checks.base import Check
from gitckpt.file_facts import CardFacts, Finding, Inventory, LinkFacts

if TYPE_CHECKING:  # the type only: tag objects are read (tag_events loaded) only when one exists
    from gitckpt.tag_events import Deprecation

LINK_DEPRECATED = Check(
    id="GC402",
    name="link-deprecated",
    severity="warning",
    rationale="Building on a deprecated artifact inherits the reason it was deprecated.",
    fix="Link the artifact that replaces it (see `git ckpt show NAME` for the reason), or "
    "record why this use is fine.",
)
LINK_SUNSET = Check(
    id="GC403",
    name="link-sunset",
    severity="error",
    rationale="Past its sunset date, a deprecated artifact must no longer be built upon.",
    fix="Replace the link with a supported artifact; `git ckpt show NAME` says why it was retired.",
)


def deprecated_links(inventory: Inventory) -> Iterator[tuple[CardFacts, LinkFacts, Deprecation]]:
    """Every link from a card to a deprecated artifact (also read by `git ckpt audit`)."""
    if not inventory.deprecations:
        return
    for card in inventory.cards.values():
        for link in card.links:
            deprecation = inventory.deprecations.get(link.target)
            if deprecation is not None:
                yield card, link, deprecation


def check_deprecated_links(inventory: Inventory) -> Iterator[Finding]:
    today = datetime.date.today().isoformat()
    for card, link, deprecation in deprecated_links(inventory):
        why = f" ({deprecation.reason})" if deprecation.reason else ""
        if deprecation.sunset and deprecation.sunset < today:
            message = (
                f"links to {link.target!r}, deprecated and past its sunset "
                f"{deprecation.sunset}{why}"
            )
            yield LINK_SUNSET.finding(card.path, message, line=link.line, field=link.field)
        else:
            until = f", sunset {deprecation.sunset}" if deprecation.sunset else ""
            yield LINK_DEPRECATED.finding(
                card.path,
                f"links to {link.target!r}, which is deprecated{until}{why}",
                line=link.line,
                field=link.field,
            )
