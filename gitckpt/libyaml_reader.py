"""The fast path of the strict YAML reader: libyaml's C parser (through PyYAML's `CParser`) emits
events, and one pass over them builds the plain data and the line of every field.

It reads what cards, pointers and configs are made of (mappings, sequences, strings, numbers,
booleans, nulls and dates) under YAML 1.2's core schema, exactly as the reference reader in
`strict_yaml.py` (ruamel.yaml) does. Whatever it does not read itself it hands back as `None`,
and the caller asks the reference reader, which gives the one true answer and message: YAML
errors, anchors and aliases, explicit tags, directives, several documents, duplicate keys,
keys that are collections, merge keys, over-long integers and nesting deeper than `MAX_DEPTH`.
So the fast path can only ever accept what the reference accepts, with the same value, and
`tests/test_strict_yaml.py` holds the two readers to identical results.

Why libyaml and not the reference alone: ruamel.yaml composes nodes and resolves scalars in
Python, about 4 ms for a typical card; a cold `check` of a thousand cards spent most of its time
there. PyYAML is the well-kept binding to libyaml, and `CParser` hands events over from C.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from gitckpt.strict_json import MAX_DEPTH, MAX_INTEGER_DIGITS

#: Where a field is: keys and list indexes from the root (`training_data[0].license`).
FieldPath = tuple[str | int, ...]

# YAML 1.2's core schema as ruamel.yaml resolves plain scalars (its 1.2 implicit resolvers):
# the first pattern that matches, in this order, decides the type; anything else is a string
# (a date too: the reference keeps the text the author wrote).
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$")
_BOOLEANS = {"true": True, "True": True, "TRUE": True}
_BOOLEANS |= {"false": False, "False": False, "FALSE": False}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_NUMBER_START = frozenset("-+0123456789.")
# `?` as an indicator (an explicit key): libyaml and ruamel.yaml disagree on some of its flow
# forms (`[?]`), so a text that may hold one goes to the reference, which decides.
_EXPLICIT_KEY = re.compile(r"(?:^|[\s\[{,])\?(?:[\s\]},]|$)", re.M)


class Unhandled(Exception):
    """Something the fast path leaves to the reference reader."""


def read_with_libyaml(text: str, first_line: int) -> tuple[Any, dict[FieldPath, int]] | None:
    """The document's plain data and field lines, or None when the reference reader must decide
    (see the module docstring). Never raises for bad input."""
    if "?" in text and _EXPLICIT_KEY.search(text):  # the `in` test: 60 µs a card saved
        return None
    import yaml  # PyYAML: loaded only when a file is read

    try:
        from yaml.cyaml import CParser
    except ImportError:  # a PyYAML built without libyaml: the reference reader reads it all
        return None
    parser = CParser(text)
    try:
        return _Builder(first_line).build(parser.get_event)
    except (Unhandled, yaml.YAMLError, ValueError, OverflowError):
        return None
    finally:
        parser.dispose()


@dataclass(slots=True)
class _Open:
    """A collection being read: where it is, and the key whose value comes next (mappings)."""

    container: dict[str, Any] | list[Any]
    path: FieldPath
    is_mapping: bool
    key: str | None = None


class _Builder:
    """A stack of open collections; each scalar or collection lands in the one on top (`top`).
    Scalars, most of a card's ~230 events, are dispatched first."""

    def __init__(self, first_line: int) -> None:
        self.first_line = first_line
        self.lines: dict[FieldPath, int] = {}
        self.stack: list[_Open] = []
        self.top: _Open | None = None
        self.root: Any = None
        self.documents = 0

    def build(self, next_event: Callable[[], Any]) -> tuple[Any, dict[FieldPath, int]]:
        from yaml.events import ScalarEvent, StreamEndEvent

        handlers = _handlers()
        while True:
            event = next_event()
            kind = type(event)
            if kind is ScalarEvent:
                self.scalar(event)
            elif kind is StreamEndEvent or event is None:
                return self.root, self.lines
            elif kind in handlers:
                handlers[kind](self, event)
            else:
                raise Unhandled(kind.__name__)  # an alias, or an event this reader does not know

    def document_start(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1 or event.version or event.tags:
            raise Unhandled("directives or several documents")

    def ignore(self, event: Any) -> None:
        """Stream start and document end carry nothing."""

    def scalar(self, event: Any) -> None:
        if event.anchor is not None or event.tag is not None:
            raise Unhandled("anchor or tag")
        value = _plain_value(event.value) if event.implicit[0] else event.value
        top = self.top
        if top is not None and top.is_mapping and top.key is None:
            self._key(top, value, event)
        else:
            self._place(value, event)

    def collection_start(self, event: Any) -> None:
        if event.anchor is not None or event.tag is not None:
            raise Unhandled("anchor or tag")
        if len(self.stack) >= MAX_DEPTH:
            raise Unhandled("deep nesting")
        top = self.top
        if top is not None and top.is_mapping and top.key is None:
            raise Unhandled("a key that is a collection")
        is_mapping = type(event).__name__ == "MappingStartEvent"
        container: dict[str, Any] | list[Any] = {} if is_mapping else []
        self.top = _Open(container, self._place(container, event), is_mapping)
        self.stack.append(self.top)

    def collection_end(self, event: Any) -> None:
        self.stack.pop()
        self.top = self.stack[-1] if self.stack else None

    def _key(self, top: _Open, value: Any, event: Any) -> None:
        key = value if isinstance(value, str) else str(value)
        if key in top.container:
            raise Unhandled("duplicate key")
        top.key = key
        self.lines[(*top.path, key)] = self.first_line + event.start_mark.line

    def _place(self, value: Any, event: Any) -> FieldPath:
        """Put a value where it belongs (the root, a sequence, a key's value); its field path."""
        top = self.top
        if top is None:
            self.root = value
            return ()
        container, key = top.container, top.key
        if isinstance(container, list):
            path: FieldPath = (*top.path, len(container))
            self.lines[path] = self.first_line + event.start_mark.line
            container.append(value)
            return path
        assert key is not None  # a key was read before its value
        container[key] = value
        top.key = None
        return (*top.path, key)


@cache
def _handlers() -> dict[type, Callable[[_Builder, Any], None]]:
    """The handler of each event but a scalar's and the stream's end (`build` takes those)."""
    from yaml import events

    return {
        events.StreamStartEvent: _Builder.ignore,
        events.DocumentStartEvent: _Builder.document_start,
        events.DocumentEndEvent: _Builder.ignore,
        events.MappingStartEvent: _Builder.collection_start,
        events.SequenceStartEvent: _Builder.collection_start,
        events.MappingEndEvent: _Builder.collection_end,
        events.SequenceEndEvent: _Builder.collection_end,
    }


@lru_cache(maxsize=8192)
def _plain_value(text: str) -> Any:
    """A plain scalar under YAML 1.2's core schema, as ruamel.yaml's safe constructor makes it
    (dates keep the text the author wrote). Remembered: most scalars are the field names every
    card repeats, and the values are immutable."""
    if text in _NULLS:
        return None
    boolean = _BOOLEANS.get(text)
    if boolean is not None:
        return boolean
    if text[0] in _NUMBER_START:
        if _FLOAT.match(text):
            return _float(text)
        if text[0] != "." and _INT.match(text):
            return _integer(text)
    if text in {"<<", "="}:
        raise Unhandled("merge key or value key")
    return text


def _integer(text: str) -> int:
    digits = text.lstrip("+-").replace("_", "")
    if len(digits) > MAX_INTEGER_DIGITS or not digits:
        raise Unhandled("over-long or empty integer")
    sign = -1 if text[0] == "-" else 1
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


def _float(text: str) -> float:
    number = text.replace("_", "").lower()
    sign = -1.0 if number[0] == "-" else 1.0
    number = number.lstrip("+-")
    if number == ".inf":
        return sign * float("inf")
    if number == ".nan":
        return float("nan")
    return sign * float(number)
