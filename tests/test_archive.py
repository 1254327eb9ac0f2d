"""`git ckpt archive` with real DVC: a deprecated artifact past its sunset is copied to the
archive remote, read back and verified (md5 and sha256), tagged NAME@archived; only then does gc
drop its bytes from the primary remote, and `pull NAME@vX.Y.Z` reads them from the archive. A
corrupted archive copy, or an archive tag that is not bound to its record, moves nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gitckpt.records import RECORD_MARKER
from testing.lifecycle import Lifecycle
from testing.repos import commit_all, dvc, git
from tests.conftest import CliResult
from tests.test_gc import _lifecycle_template, deleted, lifecycle, plan
from tests.test_gto_interop import gto

Cli = Callable[..., CliResult]
__all__ = ["_lifecycle_template", "lifecycle"]  # fixtures


@pytest.fixture
def archivable(lifecycle: tuple[Path, Lifecycle], tmp_path: Path) -> tuple[Path, Lifecycle]:
    """The lifecycle registry with a second DVC remote, `archive` (the policy's for internal)."""
    repo, versions = lifecycle
    dvc(repo, "remote", "add", "archive", str(tmp_path / "archive-remote"))
    return repo, versions


def archive_path(repo: Path, md5: str) -> Path:
    return repo.parent / "archive-remote" / "files" / "md5" / md5[:2] / md5[2:]


def test_archive_moves_verifies_and_then_lets_gc_drop_the_primary_copy(
    archivable: tuple[Path, Lifecycle], cli: Cli
) -> None:
    repo, versions = archivable
    released = versions.md5["O1"]
    before = plan(cli, repo, "--remote", "storage")
    assert released not in deleted(before, "storage")
    done = cli("archive", "old", "--json", cwd=repo)
    assert done.code == 0, done.err
    record = json.loads(done.out)
    assert record["type"] == "archive" and record["remote"] == "archive"
    assert [item["md5"] for item in record["bytes"]] == [released]
    assert archive_path(repo, released).is_file()
    assert git(repo, "tag", "-l", "old@archived").strip() == "old@archived"

    after = plan(cli, repo, "--remote", "storage")
    assert deleted(after, "storage") == deleted(before, "storage") | {released}
    assert deleted(after, "cache") == deleted(before, "cache") | {released}
    why = {(row["store"], row["md5"]): row["why"] for row in after["objects"]}  # type: ignore[attr-defined]
    assert why["storage", released] == "archived to archive (old@archived)"
    in_archive = plan(cli, repo, "--remote", "archive")
    assert released not in deleted(in_archive, "archive")

    assert cli("gc", "--remote", "storage", "--yes", cwd=repo).code == 0
    shutil.rmtree(repo / ".dvc/cache")
    pulled = cli("pull", "old@v0.1.0", cwd=repo)
    assert pulled.code == 0, pulled.err
    assert "from the archive: remote 'archive' (old@archived)" in pulled.out
    verified = json.loads(cli("verify", "old@v0.1.0", "--data", "--json", cwd=repo).out)
    assert any("match the recorded sha256 and md5" in line for line in verified["verified"])


def test_a_corrupted_archive_copy_is_refused_and_nothing_moves(
    archivable: tuple[Path, Lifecycle], cli: Cli
) -> None:
    repo, versions = archivable
    released = versions.md5["O1"]
    corrupt = archive_path(repo, released)
    corrupt.parent.mkdir(parents=True)
    corrupt.write_bytes(b"not the released bytes")
    corrupt.chmod(0o444)  # protected as DVC protects its objects: DVC trusts it and skips it
    refused = cli("archive", "old", cwd=repo)
    assert refused.code == 1
    assert "does not verify" in refused.err and "NOT archived" in refused.err
    assert git(repo, "tag", "-l", "old@archived").strip() == ""
    assert released not in deleted(plan(cli, repo, "--remote", "storage"), "storage")


def test_an_archive_tag_not_bound_to_its_record_moves_nothing(
    archivable: tuple[Path, Lifecycle], cli: Cli
) -> None:
    repo, versions = archivable
    assert cli("archive", "old", cwd=repo).code == 0
    message = git(repo, "tag", "-l", "--format=%(contents)", "old@archived")
    git(repo, "tag", "-d", "old@archived")
    git(repo, "tag", "-a", "old@archived", "-m", message, "HEAD~1")  # re-pointed elsewhere
    assert versions.md5["O1"] not in deleted(plan(cli, repo, "--remote", "storage"), "storage")


def test_only_an_artifact_deprecated_past_its_sunset_is_archived(
    archivable: tuple[Path, Lifecycle], cli: Cli
) -> None:
    repo, _ = archivable
    refused = cli("archive", "enc", cwd=repo)
    assert refused.code == 1 and "not deprecated with a sunset date" in refused.err
    unknown = cli("archive", "old", "--to", "nowhere", cwd=repo)
    assert unknown.code == 2 and "'nowhere'" in unknown.err


def test_an_archive_entry_for_an_undefined_level_names_file_line_and_field(
    archivable: tuple[Path, Lifecycle], cli: Cli
) -> None:
    repo, _ = archivable
    config = repo / ".gitckpt/config.yaml"
    config.write_text(config.read_text() + "  vault: deep-freeze\n", encoding="utf-8")
    git(repo, "commit", "-qam", "archive for a level that does not exist")
    refused = cli("archive", "old", cwd=repo)
    assert refused.code == 1
    assert ".gitckpt/config.yaml:6" in refused.err and "[archive.vault]" in refused.err


def test_lowering_the_level_in_the_work_tree_does_not_choose_a_more_open_archive(
    archivable: tuple[Path, Lifecycle], cli: Cli, tmp_path: Path
) -> None:
    repo, _ = archivable
    (repo / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\n"
        "access:\n  levels:\n    public: {remotes: [storage]}\n    internal: {remotes: [storage]}\n"
        "archive:\n  public: public-archive\n  internal: archive\n",
        encoding="utf-8",
    )
    git(repo, "commit", "-qam", "an archive per level")
    dvc(repo, "remote", "add", "public-archive", str(tmp_path / "public-archive"))
    card = repo / "models/old.card.md"
    card.write_text(card.read_text().replace("level: internal", "level: public"), encoding="utf-8")
    done = cli("archive", "old", "--json", cwd=repo)
    assert done.code == 0, done.err
    assert json.loads(done.out)["remote"] == "archive"  # the trusted revision says internal
    assert not (tmp_path / "public-archive").exists()


def test_an_archive_is_an_event_and_runs_the_trusted_hooks(
    archivable: tuple[Path, Lifecycle], cli: Cli, tmp_path: Path
) -> None:
    repo, _ = archivable
    received = tmp_path / "event.json"
    (repo / "hooks").mkdir(exist_ok=True)
    (repo / "hooks/record.sh").write_text('#!/bin/sh\ncat > "$1"\n')
    config = repo / ".gitckpt/config.yaml"
    config.write_text(
        config.read_text()
        + f"hooks:\n  - command: [hooks/record.sh, '{received}']\n    events: [archive]\n"
    )
    commit_all(repo, "a hook for archives")
    assert cli("archive", "old", cwd=repo).code == 0
    event = json.loads(received.read_text())
    assert (event["type"], event["artifact"], event["tag"]) == ("archive", "old", "old@archived")
    assert event["details"]["remote"] == "archive"
    assert [item["release"] for item in event["details"]["releases"]] == ["old@v0.1.0"]
    listed = [json.loads(line) for line in cli("events", "--json", cwd=repo).out.splitlines()]
    assert [item for item in listed if item["type"] == "archive"] == [event]
    # GTO's grammar has no @archived: the real gto passes the tag by and still reads the registry
    history = json.loads(gto(repo, "history", "old", "--json"))
    assert {(row["event"], row["version"]) for row in history} >= {
        ("registration", "v0.1.0"),
        ("deprecation", None),
    }


def test_a_forged_archive_tag_makes_gc_drop_nothing(
    archivable: tuple[Path, Lifecycle], cli: Cli, tmp_path: Path
) -> None:
    """Anyone who can push tags can write a bound `NAME@archived` naming a release's md5: for an
    artifact not deprecated, with junk at that md5 on the archive remote, gc keeps the bytes."""
    repo, versions = archivable
    released = versions.md5["E1"]  # enc@v0.1.0: enc is released, not deprecated
    junk = archive_path(repo, released)
    junk.parent.mkdir(parents=True)
    junk.write_bytes(b"not the released bytes")
    junk.chmod(0o444)
    head = git(repo, "rev-parse", "HEAD").strip()
    record = {
        "schema_version": 1,
        "type": "archive",
        "tag": "enc@archived",
        "artifact": {"name": "enc"},
        "commit": head,
        "remote": "archive",
        "deprecation": "enc@deprecated",
        "created": "2026-01-01T00:00:00Z",
        "bytes": [
            {"release": "enc@v0.1.0", "path": "models/enc.bin", "md5": released,
             "sha256": "0" * 64, "size": 1}
        ],
    }  # fmt: skip
    message = f"Archive enc\n\n{RECORD_MARKER}\n{json.dumps(record, indent=2)}\n"
    git(repo, "tag", "-a", "enc@archived", "-m", message, head)
    after = plan(cli, repo, "--remote", "storage")
    assert released not in deleted(after, "storage") | deleted(after, "cache")
    assert any("enc@archived" in note for note in after["notes"])  # type: ignore[union-attr]

    shutil.rmtree(repo / ".dvc/cache")  # `pull` now fetches from where the forged tag points
    pulled = cli("pull", "enc@v0.1.0", cwd=repo)
    assert pulled.code == 1
    assert "is not the released bytes" in pulled.err and "nothing was checked out" in pulled.err
    cached = repo / ".dvc/cache/files/md5" / released[:2] / released[2:]
    assert not cached.exists()
