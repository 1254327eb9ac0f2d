"""GC104: no placeholder from `git ckpt card new` may be left in a card."""

from __future__ import annotations

from collections.abc import Iterator

from gitckpt.card import Card, iter_placeholders
from gitckpt.checks.base import Check
from gitckpt.file_facts import Finding
from gitckpt.strict_yaml import format_field_path

PLACEHOLDER = Check(
    id="GC104",
    name="card-placeholder",
    severity="error",
    rationale="A scaffolded card is a to-do list: a person must fill in every `<FILL …>` before "
    "it is shared.",
    fix='Replace each <FILL …> with the real value, or {noassertion: "<why>"} where the fact '
    "is unknown.",
)


def check_placeholders(card: Card) -> Iterator[Finding]:
    for field, line, text in iter_placeholders(card):
        where = format_field_path(field) if field else ""
        yield PLACEHOLDER.finding(card.path, f"still a placeholder: {text}", line=line, field=where)
