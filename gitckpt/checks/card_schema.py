"""GC103: a card's front matter must validate against the schema for its kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitckpt.card import KINDS, PLACEHOLDER_PATTERN, Card
from gitckpt.checks.base import Check
from gitckpt.facts import Finding
from gitckpt.schema import CARD_SCHEMAS, validate
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
    for problem in validate(card.data, CARD_SCHEMAS[kind]):
        if _is_placeholder(card, problem.field):
            continue
        yield SCHEMA.finding(
            card.path,
            problem.message,
            line=card.line_of(problem.field),
            field=format_field_path(problem.field),
        )


def _is_placeholder(card: Card, field: FieldPath) -> bool:
    """A field still holding its scaffold placeholder is reported once, by GC104, not twice."""
    node: Any = card.data
    for part in field:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(node, str) and PLACEHOLDER_PATTERN.search(node) is not None
