"""Schema migrations: the steps that move a card's front matter from one schema version to the
next. Each step is declared once, in `STEPS`, with the kinds of card it applies to and a function
that edits the parsed round-trip mapping in place (so comments and key order survive); the step
sets nothing else, `schema_version` included. A schema change ships its new schema (which states
its version, see `schema.current_schema_version`) together with the step from the version before.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gitckpt.errors import GitckptError, InputError
from gitckpt.schema import SCHEMA_VERSION_FIELD

MigrationEdit = Callable[[Any], None]


@dataclass(frozen=True)
class MigrationStep:
    """Moves `kinds` cards from `from_version` to the version after it; `summary` says what it
    changes, in a line a reviewer reads (`--dry-run` prints it)."""

    from_version: int
    kinds: frozenset[str]
    summary: str
    edit: MigrationEdit

    @property
    def to_version(self) -> int:
        return self.from_version + 1


ACCESS_FIELD = "access"
ACCESS_REASON_PLACEHOLDER = "<FILL: why this access level>"


def add_access(data: Any) -> None:
    """v1 → v2: every card says who may obtain its bytes. The block is inserted after `kind` at
    `internal` (neither published nor locked away by a migration) with a placeholder reason, so
    GC104 asks a person for the decision; the comments around it stay where they were. A card
    that already has an `access` key is refused rather than overwritten."""
    if ACCESS_FIELD in data:
        raise InputError(
            "already has an `access` field, which schema version 1 does not define; remove or "
            "rename it",
            field=ACCESS_FIELD,
        )
    from ruamel.yaml.comments import CommentedMap

    keys = list(data)
    position = keys.index("kind") + 1 if "kind" in keys else len(keys)
    block = CommentedMap([("level", "internal"), ("reason", ACCESS_REASON_PLACEHOLDER)])
    if position:
        _keep_comments_below(data, keys[position - 1], block)
    data.insert(position, ACCESS_FIELD, block)


def _keep_comments_below(data: Any, previous: Any, block: Any) -> None:
    """ruamel keeps the full-line comments between two keys with the first key's line comment;
    inserting `block` after `previous` would put them above it, away from the key they describe.
    They move to the end of `block`, so they stay right above that key."""
    entry = data.ca.items.get(previous)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None:
        return
    line_comment, newline, below = token.value.partition("\n")
    if not below:
        return
    moved = copy.copy(token)
    moved.value = "\n" + below
    token.value = line_comment + newline
    block.ca.items[list(block)[-1]] = [None, None, moved, None]


# The package's steps, oldest first. A schema that moves to version N+1 adds its step from N here,
# with a test.
STEPS: tuple[MigrationStep, ...] = (
    MigrationStep(
        from_version=1,
        kinds=frozenset({"model", "dataset", "eval"}),
        summary="adds `access: {level: internal, reason: <FILL …>}` (who may obtain the bytes)",
        edit=add_access,
    ),
)


def migration_chain(kind: str, start: int, target: int) -> list[MigrationStep]:
    """The steps, in order, that move a `kind` card from schema version `start` to `target`
    (none when they are equal); GitckptError when a step is missing, which is a gitckpt bug."""
    chain: list[MigrationStep] = []
    for version in range(start, target):
        step = next(
            (item for item in STEPS if item.from_version == version and kind in item.kinds),
            None,
        )
        if step is None:
            raise GitckptError(
                f"gitckpt declares no migration of {kind} cards from schema version {version} to "
                f"{version + 1}; please report this"
            )
        chain.append(step)
    return chain


def apply_chain(data: Any, chain: Sequence[MigrationStep]) -> None:
    """Runs each step over the round-trip mapping `data`, recording the version it reached."""
    for step in chain:
        step.edit(data)
        data[SCHEMA_VERSION_FIELD] = step.to_version
