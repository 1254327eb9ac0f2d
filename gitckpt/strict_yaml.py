"""Strict, safe YAML for what gitckpt reads from others: cards, pointers, config, metrics files,
dvc.yaml and dvc.lock.

Two readers give the same answers: the fast one (`libyaml_reader.py`, libyaml's C parser) reads
what it can, and the reference below (ruamel.yaml) reads the rest and words every refusal.
`GITCKPT_YAML_READER=reference` makes every read use the reference (the conformance tests).

Anchors, aliases and explicit tags are refused outright (no alias bombs, no object
construction), as are nesting deeper than MAX_DEPTH and integers longer than MAX_INTEGER_DIGITS;
duplicate keys are errors. Values come back as plain JSON-like Python data,
with a map from each field path to its 1-based line in the file, so every message can
name `path:line`.
"""

from __future__ import annotations

import datetime
import os
import re
from functools import cache
from io import StringIO
from typing import Any, NamedTuple

from gitckpt.errors import InputError
from gitckpt.libyaml_reader import FieldPath as FieldPath  # re-exported: the readers share it
from gitckpt.libyaml_reader import read_with_libyaml
from gitckpt.strict_json import MAX_DEPTH, MAX_INTEGER_DIGITS


class YamlDocument(NamedTuple):
    """A parsed YAML document: its data, and the line of each field path."""

    data: Any
    lines: dict[FieldPath, int]

    def line_of(self, path: FieldPath) -> int:
        """The line of the nearest field on `path` that we know a line for."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line:
                return line
        return 0


def format_field_path(path: FieldPath) -> str:
    """`training_data[0].license`, the way a user writes about a field."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(front matter)"


def load_yaml(text: str, display: str, first_line: int = 1) -> YamlDocument:
    """Parse `text` (which starts at line `first_line` of file `display`) strictly."""
    if os.environ.get("GITCKPT_YAML_READER") != "reference":
        fast = read_with_libyaml(text, first_line)
        if fast is not None:
            return YamlDocument(*fast)
    return _load_with_reference(text, display, first_line)


def _load_with_reference(text: str, display: str, first_line: int) -> YamlDocument:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = _safe_yaml()
    try:
        _refuse_unsafe_events(yaml, text, display, first_line)
        root = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise InputError(f"invalid YAML: {problem}", path=display, line=line) from exc
    except YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", path=display, line=first_line) from exc
    lines: dict[FieldPath, int] = {}
    plain = _PlainData(yaml.constructor, lines, first_line, display)
    data = None if root is None else plain.value(root, ())
    return YamlDocument(data, lines)


@cache
def _safe_yaml() -> Any:
    """ruamel.yaml's safe loader on libyaml (ruamel.yaml.clib): an order of magnitude faster
    than the pure-Python round-trip parser, and we only need nodes with their line marks."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=False)


def _refuse_unsafe_events(yaml: Any, text: str, display: str, first_line: int) -> None:
    """Anchors, aliases, explicit tags and deep nesting, refused from the parse events: before
    anything is composed, so a deep document never reaches ruamel's recursive composer."""
    from ruamel.yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
        DocumentStartEvent,
        MappingStartEvent,
        ScalarEvent,
    )

    depth, in_mapping, top_field, key_next = (
        0,
        False,
        "",
        True,
    )  # the top-level field we are in, to name it
    for event in yaml.parse(text):
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
            raise InputError(
                "YAML anchors and aliases (&name, *name) are not allowed; write the value "
                "out in full",
                path=display,
                line=first_line + event.start_mark.line,
            )
        if getattr(event, "tag", None) is not None and not isinstance(event, DocumentStartEvent):
            line = first_line + event.start_mark.line
            raise InputError(
                f"explicit YAML tags ({event.tag}) are not allowed; quote the value instead",
                path=display,
                line=line,
            )
        if depth == 1 and in_mapping and isinstance(event, ScalarEvent | CollectionStartEvent):
            top_field = (
                str(event.value) if key_next and isinstance(event, ScalarEvent) else top_field
            )
            key_next = not key_next
        if isinstance(event, CollectionStartEvent):
            in_mapping = in_mapping or (depth == 0 and isinstance(event, MappingStartEvent))
            depth += 1
            if depth > MAX_DEPTH:
                message = (
                    f"YAML is nested deeper than {MAX_DEPTH} levels (lists and mappings "
                    "inside one another); flatten it"
                )
                raise InputError(
                    message, path=display, line=first_line + event.start_mark.line, field=top_field
                )
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


class _PlainData:
    """Composed nodes of one document to dict/list/str/int/float/bool/None, recording each
    field's line in `lines` (the document starts at line `first_line` of file `display`)."""

    __slots__ = ("constructor", "display", "first_line", "lines")

    def __init__(
        self, constructor: Any, lines: dict[FieldPath, int], first_line: int, display: str
    ) -> None:
        self.constructor = constructor
        self.lines = lines
        self.first_line = first_line
        self.display = display

    def value(self, node: Any, path: FieldPath) -> Any:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = str(self.scalar(key_node, path))
                line = self.first_line + key_node.start_mark.line
                if key in result:
                    raise InputError(
                        f'duplicate key "{key}": each field may appear once',
                        path=self.display,
                        line=line,
                    )
                child = (*path, key)
                self.lines[child] = line
                result[key] = self.value(value_node, child)
            return result
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.lines[child] = self.first_line + item.start_mark.line
                items.append(self.value(item, child))
            return items
        return self.scalar(node, path)

    def scalar(self, node: Any, path: FieldPath) -> Any:
        """A scalar as JSON sees it; timestamps keep the text the author wrote; integers longer
        than MAX_INTEGER_DIGITS are refused before Python converts them (slow, and over 4,300
        digits an error)."""
        if node.tag.endswith(":timestamp"):
            return str(node.value)
        line = self.first_line + node.start_mark.line
        if node.tag.endswith(":int"):
            _refuse_long_integer(node.value, path, line, self.display)
        value = _construct(self.constructor, node, path, line, self.display)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        return str(value)


def _construct(constructor: Any, node: Any, path: FieldPath, line: int, display: str) -> Any:
    """ruamel's value for a scalar; what it cannot make a value of (`+_`, `0x_`, a bare `<<` or
    `=`) is refused like any other bad input, naming the field."""
    from ruamel.yaml.constructor import ConstructorError

    try:
        return constructor.construct_object(node, deep=True)
    except (ConstructorError, ValueError) as exc:
        raise InputError(
            f"{node.value!r} is not a value YAML can read here; quote it if it is text",
            path=display,
            line=line,
            field=format_field_path(path),
        ) from exc


def _refuse_long_integer(text: str, path: FieldPath, line: int, display: str) -> None:
    digits = len(text.lstrip("+-").replace("_", ""))
    if digits > MAX_INTEGER_DIGITS:
        raise InputError(
            f"integer of {digits:,} digits (at most {MAX_INTEGER_DIGITS} are accepted); "
            "quote it if it is text",
            path=display,
            line=line,
            field=format_field_path(path),
        )


def load_for_editing(text: str) -> tuple[Any, Any]:
    """A round-trip loader and the document, for editing a user's YAML file in place: comments,
    key order, quoting and indentation survive a dump. Raises ruamel's errors on bad YAML."""
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    _, sequence_indent, dash_offset = load_yaml_guess_indent(text) if text.strip() else (None, 2, 0)
    yaml = YAML(typ="rt")
    yaml.representer.add_representer(
        WrittenNull, lambda representer, null: representer.represent_scalar(_NULL_TAG, str(null))
    )
    yaml.width = 4096
    yaml.preserve_quotes = True
    # ruamel guesses nothing (None) for a file with no nested block: use the common defaults
    yaml.indent(
        mapping=_mapping_indent(text),
        sequence=max(sequence_indent or 2, (dash_offset or 0) + 2),
        offset=dash_offset or 0,
    )
    return yaml, yaml.load(text)


def _mapping_indent(text: str) -> int:
    """How far the author indents a nested mapping (ruamel's guess only looks at sequences)."""
    parent: str | None = None
    for line in text.splitlines():
        content = line.lstrip()
        if not content or content.startswith("#"):
            continue
        depth = len(line) - len(content)
        if parent is not None and not content.startswith("-"):
            parent_depth = len(parent) - len(parent.lstrip())
            if depth > parent_depth:
                return depth - parent_depth
        parent = line if line.rstrip().endswith(":") and not content.startswith("-") else None
    return 2


class WrittenNull(str):
    """A null the author spelled out (`null`, `~`): ruamel's round trip writes a null as nothing
    at all, so an edit would also rewrite every `key: null` of the file it touches."""


_NULL_TAG = "tag:yaml.org,2002:null"
_NULL_WORDS = frozenset({"null", "Null", "NULL", "~"})
_VALUE_TOKEN = re.compile(r"[^\s,#\]}]+")


def keep_written_nulls(node: Any, source: str) -> None:
    """Marks, in place, each null of the round-trip document `node` that `source` (the text it
    was loaded from) spells out, so that `dump_for_editing` writes it as the author did."""
    _mark_written_nulls(node, source.split("\n"))


def _mark_written_nulls(node: Any, lines: list[str]) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        keys: list[Any] = list(node)
        written = node.lc.data or {}  # a mapping an edit created has no positions
        positions = {key: written[key][2:4] for key in keys if key in written}
    elif isinstance(node, CommentedSeq):
        keys = list(range(len(node)))
        positions = {index: node.lc.data[index] for index in keys if index in node.lc.data}
    else:
        return
    for key in keys:
        if node[key] is not None:
            _mark_written_nulls(node[key], lines)
        elif key in positions and positions[key][0] < len(lines):
            line, column = positions[key]
            match = _VALUE_TOKEN.match(lines[line], column)
            if match and match.group(0) in _NULL_WORDS:
                node[key] = WrittenNull(match.group(0))


def dump_for_editing(yaml: Any, data: Any) -> str:
    stream = StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()
