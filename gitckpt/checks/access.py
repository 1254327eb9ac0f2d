"""Access levels: GC504, a card's level is one the policy defines; GC506, a level lowered in
review without authorisation (run by `diff` and `ci`: review_access.py); GC507, a restricted
dataset's samples.

`git ckpt push` routes an artifact's bytes by its level, so a level the policy does not define
(a typo, or a level only a pull request's own config defines) would leave the artifact nowhere it
may go. `check` judges by the work tree's policy, `ci` by the base revision's, `push` by the
trusted revision's."""

from __future__ import annotations

from collections.abc import Iterator

from gitckpt.checks.base import Check
from gitckpt.config import CONFIG_PATH
from gitckpt.file_facts import CardFacts, Finding, Inventory

SAMPLES_FIELD = "samples"
SAMPLES_LINK = "samples.artifact"

ACCESS_LEVEL_UNKNOWN = Check(
    id="GC504",
    name="access-level-unknown",
    severity="error",
    rationale="Where an artifact's bytes may be stored follows from its access level; a level the "
    "policy does not define gives no answer.",
    fix=f"Set access.level to one of the levels in access.levels of {CONFIG_PATH} (by default "
    "public, internal, restricted), or have a maintainer add the level there.",
)
ACCESS_LOWERED = Check(
    id="GC506",
    name="access-lowered-unreviewed",
    severity="error",
    rationale="Making an artifact more open is a decision for the people the trusted policy "
    "names, not a one-line edit anyone can slip into a pull request.",
    fix="Have a principal listed in lowered_by of the level being left (access.levels in the "
    f"trusted {CONFIG_PATH}), whose SSH key is in the trusted allowed signers, sign the "
    "reviewed commit: make it, or add one on top (`git commit --allow-empty -S -m 'Approve "
    "lowering NAME'`). See SECURITY.md.",
)
SAMPLES = Check(
    id="GC507",
    name="restricted-dataset-samples",
    severity="error",
    rationale="A dataset too sensitive to share should still let others judge it, through "
    "synthetic, de-identified or redacted samples that are themselves more open.",
    fix="Give the dataset card `samples: {artifact: NAME, method: synthetic | de-identified | "
    "redacted, description: ...}` naming a more open dataset with its own card, or "
    '`samples: {noassertion: "<why none can be shared>"}`.',
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


def restricted_level(inventory: Inventory) -> str:
    """The level whose datasets must state samples: the policy's most closed."""
    return inventory.config.access_levels[-1].name


def states_samples(card: CardFacts) -> bool:
    """Whether the card links samples or says why there are none."""
    return any(link.field == SAMPLES_LINK for link in card.links) or any(
        gap.field == SAMPLES_FIELD for gap in card.gaps
    )


def check_samples(inventory: Inventory) -> Iterator[Finding]:
    """GC507: every dataset at the most closed level states its samples, and every samples link
    names a dataset card strictly more open than the dataset it samples."""
    closed = restricted_level(inventory)
    named = {card.name: card for card in inventory.cards.values() if card.name}
    order = [level.name for level in inventory.config.access_levels]
    for card in inventory.cards.values():
        if card.kind == "dataset" and card.access_level == closed and not states_samples(card):
            yield SAMPLES.finding(
                card.path,
                f"dataset {card.name!r} is {closed} but states no samples",
                line=card.access_level_line,
                field=SAMPLES_FIELD,
            )
        for link in card.links:
            problem = link.field == SAMPLES_LINK and _sample_problem(
                card, named.get(link.target), link.target, order
            )
            if problem:
                yield SAMPLES.finding(card.path, problem, line=link.line, field=SAMPLES_LINK)


def _sample_problem(
    card: CardFacts, sample: CardFacts | None, target: str, order: list[str]
) -> str | None:
    if sample is None:
        return f"samples name {target!r}, which has no card in this repository"
    if sample.kind != "dataset":
        return f"samples name {target!r}, a {sample.kind or 'card of no kind'}, not a dataset"
    levels = (card.access_level, sample.access_level)
    if all(level in order for level in levels) and order.index(str(levels[1])) >= order.index(
        str(levels[0])
    ):
        return (
            f"samples {target!r} are {sample.access_level}, not more open than the "
            f"{card.access_level} dataset they stand for"
        )
    return None
