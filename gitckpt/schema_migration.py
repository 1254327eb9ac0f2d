"""`migrate`: every card of the work tree moved from the schema version it follows to the current
one (or `--to N`) through the steps in `migrations.py`. The whole run is planned first, every card
read, checked and edited in memory, so a card that cannot be migrated stops it before any file is
written; then the changed cards are written, each atomically."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from gitckpt.card import KINDS, Card, edit_front_matter, parse_card
from gitckpt.errors import GitckptError, InputError
from gitckpt.file_facts import Progress
from gitckpt.files import CARD_SIZE_LIMIT, atomic_write, read_text
from gitckpt.inventory import load_inventory
from gitckpt.migrations import MigrationStep, apply_chain, migration_chain
from gitckpt.repo import Repository
from gitckpt.schema import SCHEMA_VERSION_FIELD, current_schema_version


@dataclass(frozen=True)
class CardMigration:
    """One card's move: from and to which version, what each step does, the change as unified
    diff lines (headers left out: the path says which file), and the card's new text."""

    path: str
    kind: str
    from_version: int
    to_version: int
    steps: tuple[str, ...]
    diff: tuple[str, ...]
    text: str = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "from": self.from_version,
            "to": self.to_version,
            "steps": list(self.steps),
            "diff": list(self.diff),
        }


@dataclass(frozen=True)
class MigrationPlan:
    migrations: tuple[CardMigration, ...]
    current: tuple[str, ...]  # cards already at their target version

    def to_json(self, written: bool) -> dict[str, Any]:
        return {
            "cards": [migration.to_json() for migration in self.migrations],
            "already_current": list(self.current),
            "written": written,
        }


def plan_migration(
    repo: Repository, target: int | None = None, progress: Progress | None = None
) -> MigrationPlan:
    """What migrating every card to `target` (default: each kind's current schema version) would
    change; InputError, naming the card, line and field, for the first card that cannot be."""
    known = max(current_schema_version(kind) for kind in KINDS)
    if target is not None and target > known:
        raise GitckptError(
            f"--to {target}: this gitckpt knows card schema versions up to {known}; nothing was "
            "changed"
        )
    paths = sorted(load_inventory(repo).cards)
    migrations: list[CardMigration] = []
    current: list[str] = []
    for done, path in enumerate(paths, start=1):
        migration = _plan_card(path, read_text(repo.root / path, CARD_SIZE_LIMIT, path), target)
        if migration is None:
            current.append(path)
        else:
            migrations.append(migration)
        if progress:
            progress(done, len(paths))
    return MigrationPlan(tuple(migrations), tuple(current))


def write_migration(repo: Repository, plan: MigrationPlan) -> None:
    for migration in plan.migrations:
        atomic_write(repo.root / migration.path, migration.text)


def _plan_card(path: str, text: str, target: int | None) -> CardMigration | None:
    card = parse_card(text, path)
    kind, version = _kind_and_version(card)
    goal = _goal(card, kind, version, target)
    if goal == version:
        return None
    chain = migration_chain(kind, version, goal)
    new_text = _edited(card, text, chain)
    return CardMigration(
        path=path,
        kind=kind,
        from_version=version,
        to_version=goal,
        steps=tuple(f"v{step.from_version} → v{step.to_version}: {step.summary}" for step in chain),
        diff=tuple(_diff(text, new_text)),
        text=new_text,
    )


def _kind_and_version(card: Card) -> tuple[str, int]:
    kind = card.data.get("kind")
    if kind not in KINDS:
        raise InputError(
            f"`kind` must be one of {', '.join(KINDS)} to know the card's schema; got {kind!r}",
            path=card.path,
            line=card.line_of(("kind",)) or 2,
            field="kind",
        )
    version = card.data.get(SCHEMA_VERSION_FIELD)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InputError(
            "`schema_version` must be the whole number of the schema version the card follows "
            f"(1 or more); got {version!r}",
            path=card.path,
            line=card.line_of((SCHEMA_VERSION_FIELD,)) or 2,
            field=SCHEMA_VERSION_FIELD,
        )
    return str(kind), version


def _goal(card: Card, kind: str, version: int, target: int | None) -> int:
    """The version to move the card to; InputError when it is unknown to this gitckpt, or older
    than the card's (migrations only move forward)."""
    newest = current_schema_version(kind)
    if version > newest:
        raise _version_error(
            card,
            f"the card follows schema version {version}, newer than this gitckpt knows "
            f"({newest} for {kind} cards): upgrade gitckpt",
        )
    goal = newest if target is None else target
    if goal > newest:
        raise _version_error(
            card, f"--to {goal}: this gitckpt knows {kind} card schema versions 1 to {newest}"
        )
    if goal < version:
        raise _version_error(
            card,
            f"--to {goal} is older than the card's schema version {version}, and migrations "
            "only move forward",
        )
    return goal


def _version_error(card: Card, message: str) -> InputError:
    return InputError(
        f"{message}; nothing was changed",
        path=card.path,
        line=card.line_of((SCHEMA_VERSION_FIELD,)),
        field=SCHEMA_VERSION_FIELD,
    )


def _edited(card: Card, text: str, chain: list[MigrationStep]) -> str:
    """The card's text after the steps; a step's refusal names this card."""
    try:
        return edit_front_matter(text, card.path, lambda data: apply_chain(data, chain))
    except InputError as exc:
        if exc.path:
            raise
        top = exc.field.split(".", 1)[0].split("[", 1)[0]
        raise InputError(
            f"cannot be migrated: {exc.message}; fix it and run again (nothing was changed)",
            path=card.path,
            line=exc.line or (card.line_of((top,)) if top else 0),
            field=exc.field,
        ) from exc


def _diff(old: str, new: str) -> list[str]:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), n=0, lineterm=""))
    return lines[2:]  # after the `---`/`+++` file headers
