"""GC103: a card's front matter must validate against the schema for its kind; GC105: the card
must follow the schema version this gitckpt validates against."""

from __future__ import annotations

from collections.abc import Iterator

from gitckpt.card import KINDS, Card, is_placeholder_at
from gitckpt.checks.base import Check
from gitckpt.file_facts import Finding
from gitckpt.schema import CARD_SCHEMAS, SCHEMA_VERSION_FIELD, current_schema_version, validate
from gitckpt.strict_yaml import FieldPath, format_field_path

SCHEMA = Check(
    id="GC103",
    name="card-schema",
    severity="error",
    rationale="Every required fact must be present and well-formed, or an explicit `noassertion` "
    "gap.",
    fix="Give the field the value described; for a fact that truly is unknown write "
    '{noassertion: "<why>"}.',
)
# An error, not a warning: gitckpt ships only its current schemas, so an older card cannot be
# validated (a renamed field reads as missing) and would reach a release unchecked; the fix is
# one command that changes nothing else.
SCHEMA_VERSION = Check(
    id="GC105",
    name="schema-version",
    severity="error",
    rationale="A card is validated against the schema version it follows; gitckpt knows only its "
    "current one.",
    fix="Run `git ckpt migrate` to move older cards to the current schema version (review with "
    "`git diff`, then commit); a card newer than gitckpt needs a newer gitckpt.",
)


def check_card_schema(card: Card) -> Iterator[Finding]:
    kind = card.data.get("kind")
    if kind not in KINDS:
        line = card.line_of(("kind",)) or 2
        yield SCHEMA.finding(
            card.path,
            f"`kind` must be one of {', '.join(KINDS)}; got {kind!r}",
            line=line,
            field="kind",
        )
        return
    version_finding = _schema_version_finding(card, kind)
    if version_finding is not None:
        yield version_finding
    for problem in validate(card.data, CARD_SCHEMAS[kind]):
        if _is_placeholder(card, problem.field) or (
            version_finding is not None and problem.field == (SCHEMA_VERSION_FIELD,)
        ):
            continue
        yield SCHEMA.finding(
            card.path,
            problem.message,
            line=card.line_of(problem.field),
            field=format_field_path(problem.field),
        )


def _schema_version_finding(card: Card, kind: str) -> Finding | None:
    """GC105 when the card names a schema version other than the current one (a version that is
    not a whole number is GC103's)."""
    version = card.data.get(SCHEMA_VERSION_FIELD)
    current = current_schema_version(kind)
    if isinstance(version, bool) or not isinstance(version, int) or version == current:
        return None
    if version < current:
        message = (
            f"the card follows schema version {version}; this gitckpt validates {kind} cards "
            f"against version {current}: run `git ckpt migrate`, review the change and commit it"
        )
    else:
        message = (
            f"the card follows schema version {version}, newer than this gitckpt knows "
            f"({current} for {kind} cards): upgrade gitckpt"
        )
    return SCHEMA_VERSION.finding(
        card.path, message, line=card.line_of((SCHEMA_VERSION_FIELD,)), field=SCHEMA_VERSION_FIELD
    )


def _is_placeholder(card: Card, field: FieldPath) -> bool:
    """A field still holding its scaffold placeholder is reported once, by GC104, not twice."""
    return is_placeholder_at(card.data, field)
