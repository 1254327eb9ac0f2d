"""The `artifacts:` section of dvc.yaml, where `dvc artifacts get` finds an artifact's path: where
gitckpt keeps each artifact's entry, what the entry says, and reading and writing it.

DVC 3 (`dvc/repo/artifacts.py`) looks an artifact `path/to:name` up under `name` in
`path/to/dvc.yaml`, and one without a directory part in the dvc.yaml at the repository root; the
entry's `path` is relative to that file's directory. It finds an artifact's versions and stages
through GTO's tags (`name@v1.2.3`, `path/to=name#dev#1`), which are gitckpt's; names must match
GTO's name pattern (`gto.constants.assert_name_is_valid`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from gitckpt.cache import Cache
from gitckpt.card import PLACEHOLDER_PATTERN
from gitckpt.errors import GitckptError, InputError
from gitckpt.files import PathGuard, atomic_write, decode_text, read_inside
from gitckpt.hashing import git_blob_id
from gitckpt.sources import Source
from gitckpt.strict_yaml import FieldPath, dump_for_editing, load_for_editing, load_yaml
from gitckpt.tags import DIR_IN_NAME, DIRNAME, NAME

DVC_YAML = "dvc.yaml"
ARTIFACTS_KEY = "artifacts"
DVC_YAML_SIZE_LIMIT = 8 * 1024 * 1024  # evaluation.py's limit for dvc.yaml, which `check` does
# not import (it loads the statistics a warm check never needs)
_NAME, _DIRNAME = re.compile(NAME), re.compile(DIRNAME)
_READER_VERSION = 2  # bump when what `read_declared` keeps changes: older cache entries are unused


class ArtifactEntry(NamedTuple):
    """An artifact's entry in dvc.yaml: the file, the key under `artifacts:`, and what it says
    (DVC's `Artifact`: path, type, desc, labels)."""

    dvc_yaml: str
    key: str
    path: str
    type: str
    desc: str | None = None
    labels: tuple[str, ...] = ()


class DeclaredArtifact(NamedTuple):
    path: str | None
    type: str | None
    line: int


class DeclaredArtifacts(NamedTuple):
    """What one dvc.yaml's `artifacts:` section declares, or why it cannot be read."""

    artifacts: dict[str, DeclaredArtifact]
    problem: str | None = None
    problem_line: int = 0


def dvc_name_problem(name: str) -> str | None:
    """Why DVC cannot take `name` as an artifact name (None when it can)."""
    directory, _, base = name.rpartition(DIR_IN_NAME)
    parts = directory.split("/") if directory else []
    if any(part in ("", ".", "..") for part in parts):
        return (
            f"{name!r}: the directory before ':' must name a folder inside the repository "
            "(no empty, '.' or '..' parts)"
        )
    if _NAME.fullmatch(base) and (not directory or _DIRNAME.fullmatch(directory)):
        return None
    return (
        f"{name!r} cannot be a DVC artifact name, so `dvc artifacts get` cannot fetch it: DVC "
        "takes letters, digits, '_', '-' and '/', starting and ending with a letter or digit "
        "(and `path/to:` before it for an artifact declared in path/to/dvc.yaml)"
    )


def artifact_location(name: str, data_relpath: str) -> tuple[str, str, str]:
    """Where DVC looks the artifact `name` up: its dvc.yaml, its key under `artifacts:`, and the
    data's path as that entry must say it (relative to the dvc.yaml's directory)."""
    directory, _, key = name.rpartition(DIR_IN_NAME)
    if not directory:
        return DVC_YAML, key, data_relpath
    return posixpath.join(directory, DVC_YAML), key, posixpath.relpath(data_relpath, directory)


def entry_for(name: str, kind: str, data_relpath: str, card_data: dict[str, Any]) -> ArtifactEntry:
    """The entry DVC needs for the artifact `name` whose bytes are at `data_relpath`, with the
    card's description (unless still a placeholder) and its `tags` as labels. Raises when DVC
    cannot take the name."""
    problem = dvc_name_problem(name)
    if problem:
        raise GitckptError(problem)
    dvc_yaml, key, path = artifact_location(name, data_relpath)
    description = card_data.get("description")
    tags = card_data.get("tags")
    return ArtifactEntry(
        dvc_yaml=dvc_yaml,
        key=key,
        path=path,
        type=kind,
        desc=description.strip()
        if isinstance(description, str) and not PLACEHOLDER_PATTERN.search(description)
        else None,
        labels=tuple(tag for tag in tags if isinstance(tag, str)) if isinstance(tags, list) else (),
    )


def with_entries(text: str, relpath: str, entries: Sequence[ArtifactEntry]) -> str:
    """dvc.yaml's text (empty when there is none yet) with `entries` written in, in one pass:
    path and type set, desc and labels when the card has them, everything else (stages,
    comments, key order, an entry's other fields) kept. Raises InputError naming the line when
    the file is not a dvc.yaml it can edit."""
    _refuse_uneditable(text, relpath, [entry.key for entry in entries])
    yaml, data = load_for_editing(text)
    if data is None:
        data = {}
    if data.get(ARTIFACTS_KEY) is None:
        data[ARTIFACTS_KEY] = {}
    for entry in entries:
        if data[ARTIFACTS_KEY].get(entry.key) is None:
            data[ARTIFACTS_KEY][entry.key] = {}
        node = data[ARTIFACTS_KEY][entry.key]
        node["path"] = entry.path
        node["type"] = entry.type
        if entry.desc:
            node["desc"] = entry.desc
        if entry.labels:
            node["labels"] = list(entry.labels)
    return dump_for_editing(yaml, data)


def _refuse_uneditable(text: str, relpath: str, keys: Sequence[str]) -> None:
    """Read strictly first (no aliases, bounded), so a wrong shape is refused with its line."""
    if not text.strip():
        return
    document = load_yaml(text, relpath)
    if not isinstance(document.data, dict):
        raise InputError("dvc.yaml must be a mapping", path=relpath, line=1)
    artifacts = document.data.get(ARTIFACTS_KEY)
    if artifacts is not None and not isinstance(artifacts, dict):
        raise InputError(
            "`artifacts:` must be a mapping of names to entries",
            path=relpath,
            line=document.line_of((ARTIFACTS_KEY,)),
            field=ARTIFACTS_KEY,
        )
    for key in keys:
        existing = (artifacts or {}).get(key)
        if existing is not None and not isinstance(existing, dict):
            raise InputError(
                f"the entry of {key!r} must be a mapping (path, type, desc, labels)",
                path=relpath,
                line=document.line_of((ARTIFACTS_KEY, key)),
                field=f"{ARTIFACTS_KEY}.{key}",
            )


def edited_dvc_yamls(root: Path, entries: Sequence[ArtifactEntry]) -> dict[str, str]:
    """The new text of each dvc.yaml that `entries` change (several entries may share a file),
    worked out before anything is written: a dvc.yaml that cannot be edited stops the command
    with nothing changed."""
    by_file: dict[str, list[ArtifactEntry]] = {}
    for entry in entries:
        by_file.setdefault(entry.dvc_yaml, []).append(entry)
    edited: dict[str, str] = {}
    guard = PathGuard(root)
    for relpath, declared in by_file.items():
        unsafe = guard.problem("", relpath)
        if unsafe:  # a symlinked folder, say: the file would be written outside the repository
            names = ", ".join(repr(entry.key) for entry in declared)
            raise GitckptError(f"{relpath}: {unsafe}; not writing the entry of {names} there")
        path = root / relpath
        text = read_inside(root, relpath, DVC_YAML_SIZE_LIMIT) if path.exists() else ""
        updated = with_entries(text, relpath, declared)
        if updated != text:
            edited[relpath] = updated
    return edited


def write_dvc_yamls(root: Path, edited: dict[str, str]) -> None:
    for relpath, text in edited.items():
        atomic_write(root / relpath, text)


def is_dvc_yaml_path(relpath: str) -> bool:
    return posixpath.basename(relpath) == DVC_YAML


def read_declared(
    source: Source, cache: Cache, relpaths: Sequence[str]
) -> dict[str, DeclaredArtifacts]:
    """What each dvc.yaml declares, cached by blob id: a warm `check` reads no dvc.yaml."""
    blob_ids = source.blob_ids(relpaths, lambda _: DVC_YAML_SIZE_LIMIT)
    keys = {path: _cache_key(blob_id) for path, blob_id in blob_ids.items()}
    known = cache.get_results(keys.values())
    unread = [path for path in relpaths if keys.get(path) not in known]
    judged: dict[str, dict[str, Any]] = {}
    contents = source.read(unread, lambda _: DVC_YAML_SIZE_LIMIT)
    for relpath, content in contents.items():
        if isinstance(content, InputError):
            judged[relpath] = {"problem": content.message, "problem_line": content.line}
        else:
            keys[relpath] = _cache_key(git_blob_id(content))
    # a file read only because its stat was too fresh to trust may hold known bytes
    known.update(cache.get_results(keys[path] for path in contents if path in keys))
    for relpath, content in contents.items():
        if isinstance(content, bytes) and keys[relpath] not in known:
            judged[relpath] = _declared_json(content, relpath)
    cache.put_results({keys[path]: facts for path, facts in judged.items() if path in keys})
    found = {path: judged.get(path) or known.get(keys.get(path, "")) for path in relpaths}
    return {path: _declared_from_json(facts) for path, facts in found.items() if facts is not None}


def _cache_key(blob_id: str) -> str:
    return f"dvc-artifacts:{_READER_VERSION}:{blob_id}"


def _declared_json(content: bytes, relpath: str) -> dict[str, Any]:
    try:
        document = load_yaml(decode_text(content, relpath), relpath)
    except InputError as error:
        return {"problem": error.message, "problem_line": error.line}
    artifacts = document.data.get(ARTIFACTS_KEY) if isinstance(document.data, dict) else None
    if not isinstance(artifacts, dict):
        return {"artifacts": {}}
    refused = _refused_entry(artifacts)
    if refused:
        field, message = refused
        return {"problem": message, "problem_line": document.line_of(field)}
    return {
        "artifacts": {
            str(key): {
                "path": _text(value.get("path")),
                "type": _text(value.get("type")),
                "line": document.line_of((ARTIFACTS_KEY, key)),
            }
            for key, value in artifacts.items()
            if isinstance(value, dict)
        }
    }


# What DVC's own schema takes in an entry of `artifacts:` (anything else and DVC refuses the whole
# dvc.yaml, so `dvc artifacts get` fails for every artifact declared in it).
ENTRY_FIELD_TYPES: dict[str, tuple[type, str]] = {
    "path": (str, "a string"),
    "type": (str, "a string"),
    "desc": (str, "a string"),
    "labels": (list, "a list of strings"),
    "meta": (object, "anything"),
}


def _refused_entry(artifacts: dict[str, Any]) -> tuple[FieldPath, str] | None:
    """The first field of an entry DVC's schema would refuse, and why."""
    for key, value in artifacts.items():
        if not isinstance(value, dict):
            return (ARTIFACTS_KEY, key), f"artifacts.{key} must be a mapping (path, type, desc)"
        if "path" not in value:
            return (ARTIFACTS_KEY, key), f"artifacts.{key} has no path"
        unknown = [name for name in value if name not in ENTRY_FIELD_TYPES]
        if unknown:
            known = ", ".join(ENTRY_FIELD_TYPES)
            message = f"artifacts.{key}.{unknown[0]} is not a field DVC knows ({known})"
            return (ARTIFACTS_KEY, key, unknown[0]), message
        for name, (kind, words) in ENTRY_FIELD_TYPES.items():
            item = value.get(name)
            wrong = name in value and not isinstance(item, kind)
            if wrong or (name == "labels" and any(not isinstance(x, str) for x in item or [])):
                field: FieldPath = (ARTIFACTS_KEY, key, name)
                return field, f"artifacts.{key}.{name} must be {words}, as DVC requires"
    return None


def _declared_from_json(data: dict[str, Any]) -> DeclaredArtifacts:
    return DeclaredArtifacts(
        artifacts={
            key: DeclaredArtifact(**value) for key, value in data.get("artifacts", {}).items()
        },
        problem=data.get("problem"),
        problem_line=data.get("problem_line", 0),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
