"""The prose of a Hub card, by section: the sections of the Hub's model-card template that say
what a gitckpt card field says become suggestions for that field, written as `<FILL …>` so a
person confirms each one (`git ckpt check` lists them) and none passes as a checked fact."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gitckpt.strict_yaml import FieldPath

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
SUGGESTION_CHARS = 300
# Template filler that says nothing (the Hub template's and the Trainer's defaults).
NO_INFORMATION = re.compile(r"^\W*(more information needed|\[more information needed\])\W*$", re.I)

# Section titles (lower case, without punctuation around them) and the field each suggests.
FIELD_OF_SECTION: dict[str, FieldPath] = {
    "model description": ("description",),
    "description": ("description",),
    "direct use": ("intended_use", 0),
    "intended uses": ("intended_use", 0),
    "intended use": ("intended_use", 0),
    "uses": ("intended_use", 0),
    "out-of-scope use": ("out_of_scope", 0),
    "limitations": ("limitations", 0, "description"),
    "limitations and bias": ("limitations", 0, "description"),
    "intended uses & limitations": ("limitations", 0, "description"),
    "bias, risks, and limitations": ("risks", 0, "description"),
    "bias, risks and limitations": ("risks", 0, "description"),
    "risks": ("risks", 0, "description"),
    "recommendations": ("risks", 0, "mitigation"),
    "training data": ("training_data", 0, "summary"),
    "training and evaluation data": ("training_data", 0, "summary"),
    "preprocessing": ("preprocessing", 0),
    "training hyperparameters": ("hyperparameters", "optimizer"),
    "hardware": ("compute", "hardware"),
    "hardware type": ("compute", "hardware"),
}


@dataclass(frozen=True)
class Section:
    title: str
    text: str


def sections(body: str) -> list[Section]:
    """The body's sections: each heading with the text up to the next heading (headings inside
    code blocks are code, not headings)."""
    found: list[Section] = []
    title, in_code = "", False
    lines: list[str] = []
    for line in body.split("\n"):
        if FENCE.match(line):
            in_code = not in_code
        heading = None if in_code else HEADING.match(line)
        if heading:
            found.append(Section(title, "\n".join(lines).strip()))
            title, lines = heading.group(2), []
        else:
            lines.append(line)
    found.append(Section(title, "\n".join(lines).strip()))
    return [section for section in found if section.title or section.text]


def suggestions(body: str) -> dict[FieldPath, str]:
    """For each card field a template section of `body` speaks to, a placeholder quoting it."""
    found: dict[FieldPath, str] = {}
    for section in sections(body):
        field = FIELD_OF_SECTION.get(section.title.strip(" :*_").lower())
        text = _quotable(section.text)
        if field is None or not text or field in found:
            continue
        found[field] = (
            f'<FILL: confirm or rewrite; the Hub card\'s "{section.title.strip()}" says: {text}>'
        )
    return found


def _quotable(text: str) -> str:
    """`text` on one line, short, without HTML comments and without a `>` (which would end the
    placeholder); empty when it says nothing."""
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    text = " ".join(text.replace(">", "›").replace("<", "‹").split())
    if not text or NO_INFORMATION.match(text):
        return ""
    return text if len(text) <= SUGGESTION_CHARS else text[:SUGGESTION_CHARS].rstrip() + " …"
