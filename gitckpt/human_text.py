"""How a value reads to people: front-matter values in tables, reports and notebooks, in
YAML's words rather than Python's repr. Depends on nothing, so the console (which every command
loads first) stays light."""

from __future__ import annotations


def human_value(value: object) -> str:
    """A front-matter value as people read it, in YAML's words rather than Python's repr:
    `key: value` pairs, comma-separated lists (nested ones in parentheses), true/false,
    `(none)` for a null and `(empty)` for an empty list or mapping."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        parts = [f"{key}: {_nested_value(item)}" for key, item in value.items()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        parts = [_nested_value(item) for item in value]
    else:
        return str(value)
    return ", ".join(parts) if parts else "(empty)"


def _nested_value(value: object) -> str:
    text = human_value(value)
    return f"({text})" if isinstance(value, (dict, list, tuple, set, frozenset)) and value else text
