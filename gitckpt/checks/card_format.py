"""GC101 and GC102: a card must be readable UTF-8 text with well-formed YAML front matter."""

from __future__ import annotations

from gitckpt.card import Card, parse_card
from gitckpt.checks.base import Check
from gitckpt.errors import InputError
from gitckpt.file_facts import Finding
from gitckpt.files import decode_text

UNREADABLE = Check(
    id="GC101",
    name="card-unreadable",
    severity="error",
    rationale="A card must be UTF-8 text under 1 MiB so every tool and reviewer can read it.",
    fix="Save the card as UTF-8 text; keep large material in tracked data files, not in the card.",
)
FRONT_MATTER = Check(
    id="GC102",
    name="card-front-matter",
    severity="error",
    rationale="Facts live in strict YAML front matter (no aliases, tags or duplicate keys) so "
    "they cannot be ambiguous.",
    fix="Start the card with `---`, the YAML fields, then `---`; write every value out in full.",
)


def load_card(data: bytes, display: str) -> Card | Finding:
    """The parsed card, or the finding that says why it cannot be read."""
    try:
        text = decode_text(data, display)
    except InputError as error:
        return UNREADABLE.finding(display, error.message, line=error.line)
    try:
        return parse_card(text, display)
    except InputError as error:
        return FRONT_MATTER.finding(display, error.message, line=error.line, field=error.field)
