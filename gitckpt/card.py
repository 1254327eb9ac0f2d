"""Model, dataset and eval cards: Markdown with YAML front matter.

The front matter is the single source of truth for facts; the body holds the prose.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from gitckpt.errors import InputError
from gitckpt.schema import NOASSERTION_KEY
from gitckpt.strict_yaml import (
    FieldPath,
    YamlDocument,
    dump_for_editing,
    keep_written_nulls,
    load_for_editing,
    load_yaml,
)

CARD_SUFFIX = ".card.md"
KINDS = ("model", "dataset", "eval")
BYTES_FIELD = {"model": "checkpoint", "dataset": "data", "eval": "log"}
PLACEHOLDER_PATTERN = re.compile(r"<FILL\b[^>]*>")
LINK_KEY = "artifact"
FRONT_MATTER_FENCE = "---"
FRONT_MATTER_CLOSERS = ("---", "...")


@dataclass(frozen=True)
class Card:
    path: str
    front_matter: YamlDocument
    body: str
    body_first_line: int

    @property
    def data(self) -> dict[str, Any]:
        return self.front_matter.data  # type: ignore[no-any-return]

    @property
    def kind(self) -> str | None:
        kind = self.data.get("kind")
        return kind if kind in KINDS else None

    def line_of(self, field: FieldPath) -> int:
        return self.front_matter.line_of(field)

    @cached_property
    def strings(self) -> list[tuple[FieldPath, str]]:
        """Every string in the front matter with its field path (`iter_strings`), walked once
        for the several checks that look at them."""
        return list(iter_strings(self.data))


class Link(NamedTuple):
    field: FieldPath
    target: str
    line: int
    release: str | None = None  # `name@vX.Y.Z` when the link pins a release


def is_card_path(relpath: str) -> bool:
    return relpath.endswith(CARD_SUFFIX)


def card_path_for(data_relpath: str, name: str) -> str:
    """Where the card of `data_relpath` lives: `<name>.card.md` beside the data."""
    return str(PurePosixPath(data_relpath).parent / f"{name}{CARD_SUFFIX}")


def parse_card(text: str, display: str) -> Card:
    """A card's front matter (strictly parsed) and body, or InputError naming the line."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FRONT_MATTER_FENCE:
        raise InputError(
            "card has no YAML front matter: the first line must be `---`, then the fields, "
            "then a closing `---`",
            path=display,
            line=1,
        )
    closing = next(
        (index for index in range(1, len(lines)) if lines[index].rstrip() in FRONT_MATTER_CLOSERS),
        None,
    )
    if closing is None:
        raise InputError(
            "front matter opened on line 1 is never closed: add a line `---` after the last field",
            path=display,
            line=1,
        )
    document = load_yaml("\n".join(lines[1:closing]), display, first_line=2)
    if not isinstance(document.data, dict):
        raise InputError(
            "front matter must be a mapping of field names to values", path=display, line=2
        )
    return Card(
        path=display,
        front_matter=document,
        body="\n".join(lines[closing + 1 :]),
        body_first_line=closing + 2,
    )


def card_to_json(card: Card) -> dict[str, Any]:
    """The parse of a card's front matter as JSON, to be cached by blob id (keys are strings
    already: the strict reader makes every key a string)."""
    return {
        "data": card.data,
        "lines": [[list(path), line] for path, line in card.front_matter.lines.items()],
        "body_first_line": card.body_first_line,
    }


def card_from_json(payload: dict[str, Any], text: str, display: str) -> Card:
    """The card in `text` from its cached front-matter parse (`card_to_json`); its body is read
    from `text` after the line the parse says the front matter closed on."""
    body_first_line: int = payload["body_first_line"]
    parts = text.split("\n", body_first_line - 1)
    return Card(
        path=display,
        front_matter=YamlDocument(
            payload["data"], {tuple(path): line for path, line in payload["lines"]}
        ),
        body=parts[body_first_line - 1] if len(parts) == body_first_line else "",
        body_first_line=body_first_line,
    )


def is_placeholder_at(data: Any, field: FieldPath) -> bool:
    """Whether the value at `field` in `data` still holds its scaffold placeholder (False where
    there is no such value)."""
    node = data
    for part in field:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(node, str) and PLACEHOLDER_PATTERN.search(node) is not None


def iter_placeholders(card: Card) -> Iterator[tuple[FieldPath, int, str]]:
    """Every scaffold placeholder still in the card: (field, line, placeholder text)."""
    for field, value in card.strings:
        match = PLACEHOLDER_PATTERN.search(value)
        if match:
            yield field, card.line_of(field), match.group(0)
    for offset, line in enumerate(card.body.split("\n")):
        match = PLACEHOLDER_PATTERN.search(line)
        if match:
            yield (), card.body_first_line + offset, match.group(0)


def iter_links(card: Card) -> Iterator[Link]:
    """Every `artifact:` link the card declares (datasets, base model, eval logs, …)."""
    for field, value in card.strings:
        if field and field[-1] == LINK_KEY and not PLACEHOLDER_PATTERN.search(value):
            yield Link(
                field=field,
                target=value.split("@", 1)[0],
                line=card.line_of(field),
                release=value if "@" in value else None,
            )


def iter_noassertions(node: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """Every honest gap `{noassertion: "<reason>"}` in the front matter: (field, reason)."""
    if isinstance(node, dict):
        if NOASSERTION_KEY in node:
            yield path, str(node[NOASSERTION_KEY])
            return
        for key, value in node.items():
            yield from iter_noassertions(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_noassertions(value, (*path, index))


def iter_strings(node: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """Every string in a front-matter value, with its field path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from iter_strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_strings(value, (*path, index))
    elif isinstance(node, str):
        yield path, node


def update_front_matter(text: str, display: str, updates: dict[FieldPath, Any]) -> str:
    """The card with the given fields set (creating mappings on the way), everything else,
    comments, key order and indentation included, kept as the author wrote it."""

    def set_fields(data: Any) -> None:
        for field, value in updates.items():
            node = data
            for part in field[:-1]:
                node = node[part] if isinstance(part, int) else node.setdefault(part, {})
            node[field[-1]] = value

    return edit_front_matter(text, display, set_fields)


def edit_front_matter(text: str, display: str, edit: Callable[[Any], None]) -> str:
    """The card after `edit` changed its front matter's round-trip mapping in place; comments,
    key order, indentation and the Markdown body stay as the author wrote them."""
    card = parse_card(text, display)
    lines = text.split("\n")
    closing = card.body_first_line - 2
    source = "\n".join(lines[1:closing])
    yaml, data = load_for_editing(source)
    edit(data)
    keep_written_nulls(data, source)
    return "\n".join([lines[0], dump_for_editing(yaml, data).rstrip("\n"), *lines[closing:]])


def mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    """`data[key]` when it is a mapping, else an empty one (for reading optional card blocks)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def is_number(value: object) -> bool:
    """An int or float, but not a bool (YAML `true` is an int to Python)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def metric_entries(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A model card's `evaluation` entries and an eval card's `results` that name a metric and
    give it a finite number (honest gaps, `.nan` and malformed entries are left to `check`)."""
    for entry in [*(data.get("evaluation") or []), *(data.get("results") or [])]:
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("metric"), str)
            and is_finite_number(entry.get("value"))
        ):
            yield entry


def is_finite_number(value: object) -> bool:
    return is_number(value) and math.isfinite(value)  # type: ignore[arg-type]
