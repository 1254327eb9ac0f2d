"""The release gate looks inside the bytes it releases, not whatever the work tree holds: DVC data
is git-ignored, so a work tree can hold an older version while `git status` is clean."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gitckpt.pointer import parse_pointer
from gitckpt.records import parse_record
from testing.repos import commit_all, dvc, git
from tests.conftest import MODEL, MODEL_BYTES, CliResult
from tests.test_release_checklist import RunsCode

Cli = Callable[..., CliResult]
CONTENT_CHECKS = {"GC701", "GC702"}


def tags(repo: Path) -> list[str]:
    return git(repo, "tag", "--list").split()


def commit_data(repo: Path, cli: Cli, relpath: str, message: str) -> None:
    """Record the data now at `relpath` (pointer and card through `git ckpt add`) and commit it."""
    assert cli("add", relpath, cwd=repo).code == 0
    assert cli(
        "eval", "confirm", "clf", "--reason", "Same model, new bytes for this test.", cwd=repo
    ).code in (0, 1)
    commit_all(repo, message)


def cache_object(repo: Path, md5: str) -> Path:
    """Where DVC's default local cache keeps the object with this md5."""
    return repo / ".dvc/cache/files/md5" / md5[:2] / md5[2:]


def released_record(repo: Path, tag: str) -> dict[str, Any]:
    record = parse_record(git(repo, "for-each-ref", "--format=%(contents)", f"refs/tags/{tag}"))
    assert record is not None
    return record


def test_a_stale_work_tree_is_not_what_the_gate_looks_inside(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    """v1 was a pickle that runs code; v2 replaced it and is committed; the work tree still holds
    v1.
    The gate judges the committed v2 (from the DVC cache), not the stale copy."""
    stale = pickle.dumps(RunsCode(tmp_path / "pwned"))
    (registry / MODEL).write_bytes(stale)
    commit_data(registry, cli, MODEL, "v1: a pickle")
    committed = b"safe weights, version 2" * 100
    (registry / MODEL).write_bytes(committed)
    commit_data(registry, cli, MODEL, "v2: plain bytes")
    (registry / MODEL).write_bytes(stale)
    assert git(registry, "status", "--porcelain") == ""

    result = cli("tag", "clf", "--allow-unpushed", "--json", cwd=registry)
    assert result.code == 0, result.err
    record = json.loads(result.out)["record"]
    assert record["bytes"]["md5"] == hashlib.md5(committed).hexdigest()
    assert record["bytes"]["sha256"] == hashlib.sha256(committed).hexdigest()
    assert set(record["checks"]["run"]) >= CONTENT_CHECKS
    assert (registry / MODEL).read_bytes() == stale, "the work tree is left as it was"
    assert not (tmp_path / "pwned").exists()

    dvc(
        registry, "checkout", MODEL
    )  # the refusal's advice; the committed bytes are now judged in place, no cache needed
    shutil.rmtree(registry / ".dvc/cache")
    git(registry, "commit", "--allow-empty", "-q", "-m", "next release")
    again = cli("tag", "clf", "--allow-unpushed", "--json", cwd=registry)
    assert again.code == 0, again.err
    assert set(json.loads(again.out)["record"]["checks"]["run"]) >= CONTENT_CHECKS


def test_a_committed_code_running_pickle_is_caught_behind_a_harmless_work_tree(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    (registry / MODEL).write_bytes(pickle.dumps(RunsCode(tmp_path / "pwned")))
    commit_data(registry, cli, MODEL, "v2: a pickle that runs code")
    (registry / MODEL).write_bytes(MODEL_BYTES)
    assert git(registry, "status", "--porcelain") == ""

    refused = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert refused.code == 1 and "GC701" in refused.err and "system" in refused.err
    assert tags(registry) == []
    assert not (tmp_path / "pwned").exists(), "the pickle must never be loaded"


def test_a_stale_work_tree_without_the_committed_bytes_is_refused_until_they_are_pulled(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    dvc(registry, "remote", "add", "-d", "storage", str(tmp_path / "remote"))
    committed = b"weights, version 2" * 100
    (registry / MODEL).write_bytes(committed)
    commit_data(registry, cli, MODEL, "v2")
    assert cli("push", cwd=registry).code == 0
    cache_object(registry, hashlib.md5(committed).hexdigest()).unlink()
    (registry / MODEL).write_bytes(MODEL_BYTES)
    assert git(registry, "status", "--porcelain") == ""

    refused = cli("tag", "clf", cwd=registry)
    assert refused.code == 1
    assert "models/clf.bin in the work tree is not the committed version" in refused.err
    assert (
        hashlib.md5(MODEL_BYTES).hexdigest() in refused.err
        and hashlib.md5(committed).hexdigest() in refused.err
    )
    assert "git ckpt pull clf" in refused.err and "dvc checkout models/clf.bin" in refused.err
    assert tags(registry) == []
    assert (registry / MODEL).read_bytes() == MODEL_BYTES

    assert cli("pull", "clf", cwd=registry).code == 0
    released = cli("tag", "clf", "--json", cwd=registry)
    assert released.code == 0, released.err
    record = json.loads(released.out)["record"]
    assert (
        record["bytes"]["md5"] == hashlib.md5(committed).hexdigest()
        and set(record["checks"]["run"]) >= CONTENT_CHECKS
    )


def test_a_damaged_dvc_cache_copy_is_refused(registry: Path, cli: Cli) -> None:
    committed = b"weights, version 2" * 100
    (registry / MODEL).write_bytes(committed)
    commit_data(registry, cli, MODEL, "v2")
    (registry / MODEL).write_bytes(MODEL_BYTES)
    damaged = cache_object(registry, hashlib.md5(committed).hexdigest())
    damaged.chmod(0o644)
    damaged.write_bytes(b"other bytes under the committed name")

    refused = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert (
        refused.code == 1
        and "the DVC cache's copy of models/clf.bin is not the committed version" in refused.err
    )
    assert hashlib.sha256(b"other bytes under the committed name").hexdigest() in refused.err
    assert tags(registry) == []


def test_data_missing_from_the_work_tree_is_judged_from_the_dvc_cache_or_recorded_as_unchecked(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    code_running = pickle.dumps(RunsCode(tmp_path / "pwned"))
    (registry / MODEL).write_bytes(code_running)
    commit_data(registry, cli, MODEL, "a pickle that runs code")
    (registry / MODEL).unlink()

    refused = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert refused.code == 1 and "GC701" in refused.err
    assert tags(registry) == []

    cache_object(registry, hashlib.md5(code_running).hexdigest()).unlink()
    unchecked = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert unchecked.code == 0, unchecked.err
    assert not CONTENT_CHECKS & set(released_record(registry, "clf@v0.1.0")["checks"]["run"])


def make_model_a_directory(repo: Path, cli: Cli, files: dict[str, bytes]) -> None:
    """Turn the registry's model into a directory `models/clf/` holding `files`, committed."""
    card = repo / "models/clf.card.md"
    card.write_text(card.read_text().replace("path: clf.bin", "path: clf"))
    git(repo, "rm", "-q", "--cached", "models/clf.bin.dvc")
    (repo / "models/clf.bin.dvc").unlink()
    (repo / MODEL).unlink()
    write_directory(repo / "models/clf", files)
    commit_data(repo, cli, "models/clf", "the model as a directory")


def write_directory(directory: Path, files: dict[str, bytes]) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    for name, content in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(content)


def test_a_directory_is_judged_as_committed(registry: Path, cli: Cli, tmp_path: Path) -> None:
    v1 = {"config.json": b'{"layers": 2}\n', "shards/weights.bin": MODEL_BYTES}
    make_model_a_directory(registry, cli, v1)
    shutil.rmtree(registry / ".dvc/cache")
    honest = cli("tag", "clf", "--allow-unpushed", "--json", cwd=registry)
    assert honest.code == 0, honest.err
    assert set(json.loads(honest.out)["record"]["checks"]["run"]) >= CONTENT_CHECKS

    write_directory(
        registry / "models/clf",
        {**v1, "shards/extra.bin": pickle.dumps(RunsCode(tmp_path / "pwned"))},
    )
    commit_data(registry, cli, "models/clf", "v2 adds a shard")
    (pointer,) = parse_pointer((registry / "models/clf.dvc").read_text(), "models/clf.dvc")
    committed_md5 = pointer.md5
    write_directory(registry / "models/clf", v1)
    assert git(registry, "status", "--porcelain") == ""
    refused = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert (
        refused.code == 1
        and "GC701" in refused.err
        and "models/clf/shards/extra.bin" in refused.err
    )

    listing = cache_object(registry, committed_md5)
    listing.chmod(0o644)
    listing.write_text('[{"md5": "%s", "relpath": "../../outside"}]' % ("0" * 32))
    tampered = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert tampered.code == 1 and str(listing) in tampered.err and "relative path" in tampered.err

    listing.unlink()
    without_listing = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert without_listing.code == 1
    assert "models/clf in the work tree is not the committed version" in without_listing.err
    assert "git ckpt pull clf" in without_listing.err
    assert tags(registry) == ["clf@v0.1.0"]
    assert not (tmp_path / "pwned").exists()
