"""GC401: a card's links (training data, base model, eval logs) name cards that exist."""

from __future__ import annotations

from collections.abc import Iterator

from gitckpt.checks.base import Check
from gitckpt.file_facts import Finding, Inventory

UNRESOLVED_LINK = Check(
    id="GC401",
    name="link-unresolved",
    severity="error",
    rationale="Provenance is only as good as its links: each `artifact:` must name a card in "
    "this repository.",
    fix="Add the linked artifact's card, fix the name, or link it by `uri` with a `sha256` or "
    "`revision`.",
)


RELEASE_UNRESOLVED = Check(
    id="GC404",
    name="release-unresolved",
    severity="error",
    rationale="A link that pins a release (`name@vX.Y.Z`) must name a release that exists, or it "
    "pins nothing.",
    fix="Link a released version (`git ckpt show NAME` lists them), release that version "
    "first, or link the name alone.",
)


def check_links(inventory: Inventory) -> Iterator[Finding]:
    names = {card.name for card in inventory.cards.values() if card.name}
    for card in inventory.cards.values():
        for link in card.links:
            if link.release and link.target in names and link.release not in inventory.release_tags:
                yield RELEASE_UNRESOLVED.finding(
                    card.path,
                    f"links to release {link.release}, which does not exist",
                    line=link.line,
                    field=link.field,
                )
            if link.target not in names:
                yield UNRESOLVED_LINK.finding(
                    card.path,
                    f"links to {link.target!r}, but no card in this repository has that name",
                    line=link.line,
                    field=link.field,
                )
