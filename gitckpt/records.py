"""The machine-readable record in a gitckpt tag message (schemas/tag-message.schema.json), and
the binding that makes a record count: it says what the tag's name and target say.

A message is a human summary line, an optional paragraph, then the record as JSON after a
`gitckpt-record:` line, so CI can read what was released without looking anything else up:

    clf v1.2.0: retrained on cifar10-train v2

    gitckpt-record:
    {"schema_version": 1, "type": "release", ...}

The marker counts only on a line of its own after the summary, once, with the record running
to the end of the message; text a user writes (`-m`) may not contain it.
"""

from __future__ import annotations

import json
from typing import Any

from gitckpt.errors import GitckptError, InputError, UsageError
from gitckpt.strict_json import load_json
from gitckpt.tags import ASSIGN, DEPRECATE, REGISTER, UNASSIGN, TagName

RECORD_MARKER = "gitckpt-record:"
TAG_MESSAGE_SCHEMA = "tag-message.schema.json"
RECORD_SIZE_LIMIT = 256 * 1024
RECORD_DEPTH_LIMIT = 16
RECORD_TYPE = {REGISTER: "release", ASSIGN: "stage", UNASSIGN: "stage", DEPRECATE: "deprecation"}
STAGE_ACTION = {ASSIGN: "promote", UNASSIGN: "demote"}


def render_message(summary: str, record: dict[str, Any], note: str = "") -> str:
    if RECORD_MARKER in summary or RECORD_MARKER in note:
        raise UsageError(
            f"the message may not contain {RECORD_MARKER!r}: gitckpt writes the record itself, after your text"
        )
    parts = [summary.strip()]
    if note.strip():
        parts.append(note.strip())
    parts.append(f"{RECORD_MARKER}\n{json.dumps(record, indent=2, sort_keys=False)}")
    return "\n\n".join(parts) + "\n"


def parse_record(message: str, display: str = "tag message") -> dict[str, Any] | None:
    """The record in a tag message; None when it has none (GTO's tags, lightweight tags).
    InputError when a record is there but misplaced, repeated, malformed or over a limit."""
    lines = message.split("\n")
    markers = [number for number, line in enumerate(lines) if line.rstrip("\r") == RECORD_MARKER]
    if not markers:
        return None
    if len(markers) > 1:
        raise InputError(
            f"the message holds {len(markers)} {RECORD_MARKER} lines; a record must be the only one",
            path=display,
        )
    if markers[0] == 0:
        raise InputError(
            f"{RECORD_MARKER} stands where the summary line belongs", path=display, line=1
        )
    text = "\n".join(lines[markers[0] + 1 :])
    record = load_json(text, display, max_bytes=RECORD_SIZE_LIMIT, max_depth=RECORD_DEPTH_LIMIT)
    if not isinstance(record, dict):
        raise InputError("the record is not a JSON object", path=display, line=markers[0] + 2)
    return record


def validated(record: dict[str, Any]) -> dict[str, Any]:
    """The record, after checking it against its schema."""
    problems = schema_problems(record)
    if problems:
        raise GitckptError(f"the record does not match {TAG_MESSAGE_SCHEMA}: {problems}")
    return record


def schema_problems(record: dict[str, Any]) -> str:
    """What in the record breaks its schema, in one line ("" when nothing does)."""
    from gitckpt.schema import validate

    return "; ".join(
        f"{'.'.join(map(str, problem.field)) or 'record'}: {problem.message}"
        for problem in validate(record, TAG_MESSAGE_SCHEMA)
    )


def binding_problem(
    tag: str, name: TagName, header: str | None, commit: str, record: dict[str, Any] | None
) -> str | None:
    """Why the tag's event must not count, or None when it is bound: the tag object carries the
    ref's name, and its record (when it has one) validates and names this artifact, action,
    version or stage, and commit. `header` is None for a lightweight tag (no object to name)."""
    if header is not None and header != tag:
        return (
            f"the tag object is named {header!r}, not {tag!r} (a tag re-pointed under another name)"
        )
    if record is None:
        return None
    problems = schema_problems(record)
    if problems:
        return f"its record does not match {TAG_MESSAGE_SCHEMA}: {problems}"
    if record["type"] != RECORD_TYPE.get(name.action):
        return f"its {record['type']} record does not fit a tag named {tag!r}"
    expected = {
        "artifact": name.artifact,
        "version": name.version,
        "stage": name.stage,
        "action": STAGE_ACTION.get(name.action),
        "tag": tag,
        "commit": commit,
    }
    recorded = {**record, "artifact": record["artifact"]["name"]}
    for key, value in expected.items():
        if value is not None and key in recorded and recorded[key] != value:
            return f"its record says {key} {recorded[key]!r}, the tag says {value!r}"
    return None
