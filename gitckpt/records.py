"""The machine-readable record in a gitckpt tag message (schemas/tag-message.schema.json), and
the binding that makes a record count: it says what the tag's name and target say.

A message is a human summary line, an optional paragraph, then the record as JSON after a
`gitckpt-record:` line, so CI can read what was released without looking anything else up:

    clf v1.2.0: retrained on cifar10-train v2

    gitckpt-record:
    {"schema_version": 1, "type": "release", ...}

The marker counts only on a line of its own after the summary, once, with the record running
to the end of the message; text a user writes (`-m`) may not contain it.

A record is typed (`ReleaseRecord`, `StageRecord`, `DeprecationRecord`): `to_json` is the one
place each is written as the tag carries it, and `record_from_json` the one place a record read
from a tag (and bound to it: `binding_problem`) becomes one. Optional fields that are None are
left out, except those the schema lets be null; keys the schema does not name are not kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gitckpt.errors import GitckptError, InputError, UsageError
from gitckpt.schema import validate
from gitckpt.strict_json import load_json
from gitckpt.tags import ASSIGN, DEPRECATE, REGISTER, UNASSIGN, TagName

RECORD_MARKER = "gitckpt-record:"
TAG_MESSAGE_SCHEMA = "tag-message.schema.json"
RECORD_SIZE_LIMIT = 256 * 1024
RECORD_DEPTH_LIMIT = 16
RECORD_TYPE = {REGISTER: "release", ASSIGN: "stage", UNASSIGN: "stage", DEPRECATE: "deprecation"}
STAGE_ACTION = {ASSIGN: "promote", UNASSIGN: "demote"}


@dataclass(frozen=True)
class RecordedArtifact:
    name: str
    kind: str | None = None  # release records name the kind; stage and deprecation records do not

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, **_given(kind=self.kind)}


@dataclass(frozen=True)
class RecordedCard:
    """The card as committed: its path and git blob id."""

    path: str
    blob: str


@dataclass(frozen=True)
class RecordedBytes:
    """The released bytes: path from the repository root, DVC md5, sha256, size."""

    path: str
    md5: str
    sha256: str
    size: int
    files: int | None = None  # for a directory; gitckpt does not write it

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "md5": self.md5,
            "sha256": self.sha256,
            "size": self.size,
            **_given(files=self.files),
        }


@dataclass(frozen=True)
class RecordedLink:
    """An artifact the card links to, and what it resolved to when the release was cut."""

    field: str
    artifact: str
    card: str | None  # "" when no card carries the name; None: not recorded
    release: str | None  # the linked artifact's latest release tag
    sha256: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "artifact": self.artifact,
            **_given(card=self.card),
            "release": self.release,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class AllowedGlobal:
    """A pickle global the policy allowed (serialization.allow_globals), and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class RecordedChecks:
    """What the release gate ran, what the policy turned off, and the warnings it let through."""

    result: str
    run: tuple[str, ...]
    off: tuple[str, ...] | None
    warnings: tuple[str, ...] | None
    allowed_globals: tuple[AllowedGlobal, ...] | None

    def to_json(self) -> dict[str, Any]:
        allowed = self.allowed_globals
        return {
            "result": self.result,
            "run": list(self.run),
            **_given(
                off=None if self.off is None else list(self.off),
                warnings=None if self.warnings is None else list(self.warnings),
                allowed_globals=None
                if allowed is None
                else [{"global": item.name, "reason": item.reason} for item in allowed],
            ),
        }


@dataclass(frozen=True)
class ReleaseRecord:
    """What a release tag (NAME@vX.Y.Z) was cut from: the bytes, the card and the checks."""

    tag: str | None
    artifact: RecordedArtifact
    version: str
    commit: str
    card: RecordedCard
    bytes: RecordedBytes
    links: tuple[RecordedLink, ...]
    checks: RecordedChecks
    data_in_remote: bool | None  # None: not asked (--allow-unpushed)
    allow_unpushed: bool
    created: str
    gitckpt_version: str

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "type": "release",
            **_given(tag=self.tag),
            "artifact": self.artifact.to_json(),
            "version": self.version,
            "commit": self.commit,
            "card": {"path": self.card.path, "blob": self.card.blob},
            "bytes": self.bytes.to_json(),
            "links": [link.to_json() for link in self.links],
            "checks": self.checks.to_json(),
            "data_in_remote": self.data_in_remote,
            "allow_unpushed": self.allow_unpushed,
            "created": self.created,
            "gitckpt_version": self.gitckpt_version,
        }


@dataclass(frozen=True)
class StageRecord:
    """A release entering (promote) or leaving (demote) a stage: NAME#STAGE#N, NAME#STAGE!#N."""

    tag: str | None
    artifact: RecordedArtifact
    version: str
    commit: str
    stage: str
    action: str  # promote | demote
    created: str
    gitckpt_version: str

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "type": "stage",
            **_given(tag=self.tag),
            "artifact": self.artifact.to_json(),
            "version": self.version,
            "commit": self.commit,
            "stage": self.stage,
            "action": self.action,
            "created": self.created,
            "gitckpt_version": self.gitckpt_version,
        }


@dataclass(frozen=True)
class DeprecationRecord:
    """An artifact deprecated (NAME@deprecated), with its sunset date and why."""

    tag: str | None
    commit: str | None
    artifact: RecordedArtifact
    created: str
    gitckpt_version: str
    sunset: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "type": "deprecation",
            **_given(tag=self.tag, commit=self.commit),
            "artifact": self.artifact.to_json(),
            "created": self.created,
            "gitckpt_version": self.gitckpt_version,
            **_given(sunset=self.sunset, reason=self.reason),
        }


Record = ReleaseRecord | StageRecord | DeprecationRecord


def _given(**values: Any) -> dict[str, Any]:
    """The optional fields that have a value, in order (a record leaves the others out)."""
    return {key: value for key, value in values.items() if value is not None}


def record_from_json(data: dict[str, Any]) -> Record:
    """The typed record of a JSON object that matches the schema (`schema_problems` is empty,
    as it is for every record bound to its tag)."""
    artifact = RecordedArtifact(data["artifact"]["name"], data["artifact"].get("kind"))
    common = {
        "tag": data.get("tag"),
        "artifact": artifact,
        "created": data["created"],
        "gitckpt_version": data["gitckpt_version"],
    }
    if data["type"] == "stage":
        return StageRecord(
            **common,
            version=data["version"],
            commit=data["commit"],
            stage=data["stage"],
            action=data["action"],
        )
    if data["type"] == "deprecation":
        return DeprecationRecord(
            **common,
            commit=data.get("commit"),
            sunset=data.get("sunset"),
            reason=data.get("reason"),
        )
    return ReleaseRecord(
        **common,
        version=data["version"],
        commit=data["commit"],
        card=RecordedCard(data["card"]["path"], data["card"]["blob"]),
        bytes=_bytes_from_json(data["bytes"]),
        links=tuple(
            RecordedLink(
                link["field"],
                link["artifact"],
                link.get("card"),
                link.get("release"),
                link.get("sha256"),
            )
            for link in data["links"]
        ),
        checks=_checks_from_json(data["checks"]),
        data_in_remote=data.get("data_in_remote"),
        allow_unpushed=data["allow_unpushed"],
    )


def _bytes_from_json(recorded: dict[str, Any]) -> RecordedBytes:
    return RecordedBytes(
        recorded["path"],
        recorded["md5"],
        recorded["sha256"],
        recorded["size"],
        recorded.get("files"),
    )


def _checks_from_json(checks: dict[str, Any]) -> RecordedChecks:
    allowed = checks.get("allowed_globals")
    return RecordedChecks(
        result=checks["result"],
        run=tuple(checks["run"]),
        off=_strings(checks.get("off")),
        warnings=_strings(checks.get("warnings")),
        allowed_globals=None
        if allowed is None
        else tuple(AllowedGlobal(item["global"], item["reason"]) for item in allowed),
    )


def _strings(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def render_message(summary: str, record: Record, note: str = "") -> str:
    if RECORD_MARKER in summary or RECORD_MARKER in note:
        raise UsageError(
            f"the message may not contain {RECORD_MARKER!r}: gitckpt writes the record "
            "itself, after your text"
        )
    parts = [summary.strip()]
    if note.strip():
        parts.append(note.strip())
    parts.append(f"{RECORD_MARKER}\n{json.dumps(record.to_json(), indent=2, sort_keys=False)}")
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
            f"the message holds {len(markers)} {RECORD_MARKER} lines; a record must be the "
            "only one",
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


def validated(record: Record) -> Record:
    """The record, after checking what it would write against its schema."""
    problems = schema_problems(record.to_json())
    if problems:
        raise GitckptError(f"the record does not match {TAG_MESSAGE_SCHEMA}: {problems}")
    return record


def schema_problems(record: dict[str, Any]) -> str:
    """What in the record breaks its schema, in one line ("" when nothing does)."""

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
