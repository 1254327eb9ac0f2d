"""Strict, safe YAML for cards, pointers and config.

Anchors, aliases and explicit tags are refused outright (no alias bombs, no object
construction); duplicate keys are errors. Values come back as plain JSON-like Python data,
with a map from each field path to its 1-based line in the file, so every message can
name `path:line`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from gitckpt.errors import InputError

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    data: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)

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
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    try:
        _refuse_anchors_aliases_and_tags(yaml, text, display, first_line)
        loaded = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise InputError(f"invalid YAML: {problem}", path=display, line=line) from exc
    except YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", path=display, line=first_line) from exc
    lines: dict[FieldPath, int] = {}
    data = _to_plain(loaded, (), lines, first_line)
    return YamlDocument(data, lines)


def _refuse_anchors_aliases_and_tags(yaml: Any, text: str, display: str, first_line: int) -> None:
    from ruamel.yaml.events import AliasEvent

    for event in yaml.parse(text):
        line = first_line + event.start_mark.line
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
            raise InputError(
                "YAML anchors and aliases (&name, *name) are not allowed; write the value out in full",
                path=display,
                line=line,
            )
        if getattr(event, "tag", None) is not None and not _is_plain_document_tag(event):
            raise InputError(
                f"explicit YAML tags ({event.tag}) are not allowed; quote the value instead",
                path=display,
                line=line,
            )


def _is_plain_document_tag(event: Any) -> bool:
    from ruamel.yaml.events import DocumentStartEvent

    return isinstance(event, DocumentStartEvent)


def _to_plain(node: Any, path: FieldPath, lines: dict[FieldPath, int], first_line: int) -> Any:
    """ruamel's round-trip objects to dict/list/str/int/float/bool/None, recording lines."""
    if isinstance(node, dict):
        result: dict[str, Any] = {}
        for key, value in node.items():
            child = (*path, str(key))
            position = node.lc.key(key) if hasattr(node, "lc") else None
            if position is not None:
                lines[child] = first_line + position[0]
            result[str(key)] = _to_plain(value, child, lines, first_line)
        return result
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            position = node.lc.item(index) if hasattr(node, "lc") else None
            if position is not None:
                lines[child] = first_line + position[0]
            items.append(_to_plain(value, child, lines, first_line))
        return items
    return _plain_scalar(node)


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)
