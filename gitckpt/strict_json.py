"""Bounded JSON for what gitckpt reads from other people: tag records, safetensors headers,
attestations. A size limit before parsing, a depth limit, integers of sane length, no NaN or
Infinity; every refusal is an InputError naming the file (never a RecursionError or a hang)."""

from __future__ import annotations

import json
from typing import Any

from gitckpt.errors import InputError

MAX_DEPTH = 64
MAX_INTEGER_DIGITS = 32  # a sha256 as an integer has 78; sizes and counts need far fewer


def load_json(
    text: str | bytes, display: str, *, max_bytes: int, max_depth: int = MAX_DEPTH
) -> Any:
    """The value `text` holds, or an InputError saying which limit it broke and where."""
    if len(text) > max_bytes:
        raise InputError(
            f"JSON is {len(text):,} bytes, over the {max_bytes:,}-byte limit", path=display
        )
    try:
        value = json.loads(
            text,
            parse_int=lambda digits: _integer(digits, display),
            parse_constant=lambda name: _constant(name, display),
        )
    except RecursionError as exc:
        raise InputError(f"JSON is nested deeper than {max_depth} levels", path=display) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", path=display, line=exc.lineno
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"invalid JSON: {exc}", path=display) from exc
    openings = (
        text.count("[") + text.count("{")
        if isinstance(text, str)
        else text.count(b"[") + text.count(b"{")
    )
    if (
        openings > max_depth and nesting_depth(value, max_depth) > max_depth
    ):  # fewer brackets cannot nest deeper
        raise InputError(f"JSON is nested deeper than {max_depth} levels", path=display)
    return value


def nesting_depth(value: Any, stop_after: int) -> int:
    """How deep lists and objects nest in `value` (a scalar is 0), counted without recursion and
    given up once past `stop_after`."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth + 1)
        if deepest > stop_after:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _integer(digits: str, display: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise InputError(
            f"JSON holds an integer of {len(digits):,} digits (at most "
            f"{MAX_INTEGER_DIGITS} are accepted)",
            path=display,
        )
    return int(digits)


def _constant(name: str, display: str) -> float:
    raise InputError(f"JSON holds {name}, which is not a number JSON allows", path=display)
