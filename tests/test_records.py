"""Typed tag records write exactly the JSON gitckpt wrote as dict literals, so tags cut before
they were typed read (and verify) the same, and what is written reads back as it was."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitckpt.records import (
    AllowedGlobal,
    DeprecationRecord,
    Record,
    RecordedArtifact,
    RecordedBytes,
    RecordedCard,
    RecordedChecks,
    RecordedLink,
    ReleaseRecord,
    StageRecord,
    parse_record,
    record_from_json,
    render_message,
    schema_problems,
)

COMMIT = "a" * 40
SHA256 = "b" * 64
MD5 = "c" * 32
BLOB = "d" * 40
CREATED = "2026-01-02T03:04:05Z"

RELEASE = ReleaseRecord(
    tag="clf@v1.2.0",
    artifact=RecordedArtifact("clf", "model"),
    version="1.2.0",
    commit=COMMIT,
    card=RecordedCard("models/clf.card.md", BLOB),
    bytes=RecordedBytes("models/clf.pt", MD5, SHA256, 1234),
    links=(
        RecordedLink("training_data", "points", "data/points.card.md", "points@v0.1.0", SHA256),
        RecordedLink("base_model", "elsewhere", "", None, None),
    ),
    checks=RecordedChecks(
        result="passed-with-warnings",
        run=("GC101", "GC102"),
        off=("GC601",),
        warnings=("GC402 models/clf.card.md:3 links a deprecated artifact",),
        allowed_globals=(AllowedGlobal("collections.OrderedDict", "state dicts"),),
    ),
    data_in_remote=None,
    allow_unpushed=True,
    created=CREATED,
    gitckpt_version="0.9.0",
)
# What release.py built as a dict for the same inputs, before records were typed.
RELEASE_DICT: dict[str, Any] = {
    "schema_version": 1,
    "type": "release",
    "tag": "clf@v1.2.0",
    "artifact": {"name": "clf", "kind": "model"},
    "version": "1.2.0",
    "commit": COMMIT,
    "card": {"path": "models/clf.card.md", "blob": BLOB},
    "bytes": {"path": "models/clf.pt", "md5": MD5, "sha256": SHA256, "size": 1234},
    "links": [
        {
            "field": "training_data",
            "artifact": "points",
            "card": "data/points.card.md",
            "release": "points@v0.1.0",
            "sha256": SHA256,
        },
        {
            "field": "base_model",
            "artifact": "elsewhere",
            "card": "",
            "release": None,
            "sha256": None,
        },
    ],
    "checks": {
        "result": "passed-with-warnings",
        "run": ["GC101", "GC102"],
        "off": ["GC601"],
        "warnings": ["GC402 models/clf.card.md:3 links a deprecated artifact"],
        "allowed_globals": [{"global": "collections.OrderedDict", "reason": "state dicts"}],
    },
    "data_in_remote": None,
    "allow_unpushed": True,
    "created": CREATED,
    "gitckpt_version": "0.9.0",
}

STAGE = StageRecord(
    tag="clf#prod!#3",
    artifact=RecordedArtifact("clf"),
    version="1.2.0",
    commit=COMMIT,
    stage="prod",
    action="demote",
    created=CREATED,
    gitckpt_version="0.9.0",
)
STAGE_DICT: dict[str, Any] = {
    "schema_version": 1,
    "type": "stage",
    "tag": "clf#prod!#3",
    "artifact": {"name": "clf"},
    "version": "1.2.0",
    "commit": COMMIT,
    "stage": "prod",
    "action": "demote",
    "created": CREATED,
    "gitckpt_version": "0.9.0",
}

DEPRECATION = DeprecationRecord(
    tag="clf@deprecated",
    commit=COMMIT,
    artifact=RecordedArtifact("clf"),
    created=CREATED,
    gitckpt_version="0.9.0",
    sunset="2026-06-30",
    reason="superseded by clf2",
)
DEPRECATION_DICT: dict[str, Any] = {
    "schema_version": 1,
    "type": "deprecation",
    "tag": "clf@deprecated",
    "commit": COMMIT,
    "artifact": {"name": "clf"},
    "created": CREATED,
    "gitckpt_version": "0.9.0",
    "sunset": "2026-06-30",
    "reason": "superseded by clf2",
}
# Without a sunset or a reason, the old code left both keys out.
BARE_DEPRECATION = DeprecationRecord(
    tag="clf@deprecated",
    commit=COMMIT,
    artifact=RecordedArtifact("clf"),
    created=CREATED,
    gitckpt_version="0.9.0",
)
BARE_DEPRECATION_DICT = {
    key: value for key, value in DEPRECATION_DICT.items() if key not in ("sunset", "reason")
}

CASES = [
    (RELEASE, RELEASE_DICT),
    (STAGE, STAGE_DICT),
    (DEPRECATION, DEPRECATION_DICT),
    (BARE_DEPRECATION, BARE_DEPRECATION_DICT),
]


@pytest.mark.parametrize(("record", "old"), CASES)
def test_a_typed_record_writes_the_message_the_dict_did(
    record: Record, old: dict[str, Any]
) -> None:
    assert list(record.to_json().items()) == list(old.items())  # same keys, same order
    message = render_message("clf v1.2.0: retrained", record, "more words")
    assert message == (
        "clf v1.2.0: retrained\n\nmore words\n\n"
        f"gitckpt-record:\n{json.dumps(old, indent=2, sort_keys=False)}\n"
    )


@pytest.mark.parametrize(("record", "old"), CASES)
def test_a_rendered_record_parses_back_to_itself(record: Record, old: dict[str, Any]) -> None:
    data = parse_record(render_message("summary", record), "test")
    assert data == old and schema_problems(data) == ""
    assert record_from_json(data) == record


def test_a_record_with_only_the_required_fields_reads_and_writes_as_it_came() -> None:
    """Another tool (or an older gitckpt) may leave out what the schema does not require."""
    data: dict[str, Any] = {
        "schema_version": 1,
        "type": "release",
        "artifact": {"name": "clf"},
        "version": "1.2.0",
        "commit": COMMIT,
        "card": {"path": "models/clf.card.md", "blob": BLOB},
        "bytes": {"path": "models", "md5": f"{MD5}.dir", "sha256": SHA256, "size": 9, "files": 2},
        "links": [
            {"field": "base_model", "artifact": "elsewhere", "release": None, "sha256": None}
        ],
        "checks": {"result": "passed", "run": []},
        "data_in_remote": True,
        "allow_unpushed": False,
        "created": CREATED,
        "gitckpt_version": "benchmark",
    }
    assert schema_problems(data) == ""
    record = record_from_json(data)
    assert isinstance(record, ReleaseRecord) and record.tag is None and record.bytes.files == 2
    assert list(record.to_json().items()) == list(data.items())


def test_keys_the_schema_does_not_name_are_not_kept() -> None:
    data = RELEASE_DICT | {"bytes": RELEASE_DICT["bytes"] | {"compressed": True}, "extra": 1}
    assert schema_problems(data) == ""
    assert record_from_json(data) == RELEASE
