"""The machine-readable record in a gitckpt tag message (schemas/tag-message.schema.json).

A message is a human summary line, an optional paragraph, then the record as JSON after a
`gitckpt-record:` line, so CI can read what was released without looking anything else up:

    clf v1.2.0: retrained on cifar10-train v2

    gitckpt-record:
    {"schema_version": 1, "type": "release", ...}
"""

from __future__ import annotations

import json
from typing import Any

from gitckpt.errors import GitckptError

RECORD_MARKER = "gitckpt-record:"
TAG_MESSAGE_SCHEMA = "tag-message.schema.json"


def render_message(summary: str, record: dict[str, Any], note: str = "") -> str:
    parts = [summary.strip()]
    if note.strip():
        parts.append(note.strip())
    parts.append(f"{RECORD_MARKER}\n{json.dumps(record, indent=2, sort_keys=False)}")
    return "\n\n".join(parts) + "\n"


def parse_record(message: str) -> dict[str, Any] | None:
    """The record in a tag message, or None when there is none (GTO's tags, lightweight tags)
    or it is not valid JSON. A signature appended after the record is ignored."""
    index = message.find(RECORD_MARKER)
    if index < 0:
        return None
    text = message[index + len(RECORD_MARKER) :].lstrip()
    try:
        record, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def validated(record: dict[str, Any]) -> dict[str, Any]:
    """The record, after checking it against its schema (a bug if it fails: we wrote it)."""
    from gitckpt.schema import validate

    problems = validate(record, TAG_MESSAGE_SCHEMA)
    if problems:
        details = "; ".join(f"{'.'.join(map(str, problem.field))}: {problem.message}" for problem in problems)
        raise GitckptError(f"the release record does not match {TAG_MESSAGE_SCHEMA}: {details}")
    return record
