"""GC210: every card's artifact is declared in dvc.yaml's `artifacts:` section, with the card's
path and kind, so `dvc artifacts get REPO NAME --rev vX.Y.Z` fetches the bytes the card
describes. Reads what the inventory read (cached by blob id): no YAML parser, no DVC."""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterator

from gitckpt.checks.base import Check
from gitckpt.dvc_artifacts import artifact_location, dvc_name_problem
from gitckpt.file_facts import CardFacts, Finding, Inventory

DVC_ARTIFACT_ENTRY = Check(
    id="GC210",
    name="dvc-artifact-entry",
    severity="error",
    rationale="DVC's `artifacts get` finds an artifact's bytes through dvc.yaml's `artifacts:` "
    "entry; a missing or stale entry makes it fail or fetch other bytes.",
    fix="Run `git ckpt add DATA_PATH` (it rewrites the entry from the card), or edit "
    "`artifacts:` in dvc.yaml so the entry's path and type are the card's.",
)


def check_dvc_artifacts(inventory: Inventory) -> Iterator[Finding]:
    """Cards sharing a name are left to GC301: one dvc.yaml entry cannot serve them all."""
    names = Counter(card.name for card in inventory.cards.values())
    for card in inventory.cards.values():
        if card.name and card.kind and card.data_relpath and names[card.name] == 1:
            problem = _entry_problem(inventory, card, card.name, card.data_relpath)
            if problem:
                yield DVC_ARTIFACT_ENTRY.finding(
                    card.path, problem, line=card.name_line, field="name"
                )


def _entry_problem(inventory: Inventory, card: CardFacts, name: str, data: str) -> str | None:
    """What is wrong with the artifact's entry, from what the inventory read of its dvc.yaml."""
    naming = dvc_name_problem(name)
    if naming:
        return naming
    dvc_yaml, key, expected = artifact_location(name, data)
    declared = inventory.dvc_artifacts.get(dvc_yaml)
    if declared is not None and declared.problem:
        where = f"{dvc_yaml}:{declared.problem_line}" if declared.problem_line else dvc_yaml
        return f"{where} cannot be read ({declared.problem}), so DVC cannot find {name!r}"
    entry = declared.artifacts.get(key) if declared else None
    if entry is None:
        return (
            f"{dvc_yaml} does not declare {key!r} under `artifacts:`, so `dvc artifacts get` "
            f"cannot find it: run `git ckpt add {data}` to write `{key}: {{path: {expected}, "
            f"type: {card.kind}}}`"
        )
    where = f"{dvc_yaml}:{entry.line}"
    declared_path = entry.path if entry.path is None else posixpath.normpath(entry.path)
    if declared_path != expected:
        return (
            f"{where} says artifacts.{key}.path is {entry.path!r} but the card's data is "
            f"{expected!r} (relative to {dvc_yaml}): `dvc artifacts get` would fetch other bytes"
        )
    if entry.type != card.kind:
        return f"{where} says artifacts.{key}.type is {entry.type!r}; the card is a {card.kind}"
    return None
