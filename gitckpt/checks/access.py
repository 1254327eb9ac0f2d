"""GC504: a card's access level is one the policy defines.

`git ckpt push` routes an artifact's bytes by its level, so a level the policy does not define
(a typo, or a level only a pull request's own config defines) would leave the artifact nowhere it
may go. `check` judges by the work tree's policy, `ci` by the base revision's, `push` by the
trusted revision's."""

from __future__ import annotations

from collections.abc import Iterator

from gitckpt.checks.base import Check
from gitckpt.config import CONFIG_PATH
from gitckpt.facts import Finding, Inventory

ACCESS_LEVEL_UNKNOWN = Check(
    id="GC504",
    name="access-level-unknown",
    severity="error",
    rationale="Where an artifact's bytes may be stored follows from its access level; a level the "
    "policy does not define gives no answer.",
    fix=f"Set access.level to one of the levels in access.levels of {CONFIG_PATH} (by default "
    "public, internal, restricted), or have a maintainer add the level there.",
)


def check_access_levels(inventory: Inventory) -> Iterator[Finding]:
    known = [level.name for level in inventory.config.access_levels]
    for card in inventory.cards.values():
        if card.access_level is not None and card.access_level not in known:
            yield ACCESS_LEVEL_UNKNOWN.finding(
                card.path,
                f"access level {card.access_level!r} is not defined by the policy; "
                f"it defines {', '.join(known)}",
                line=card.access_level_line,
                field="access.level",
            )
