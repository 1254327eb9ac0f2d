"""`check --data`: the bytes in the work tree, verified through a stat cache that never trusts a
racy entry."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import gitckpt.digests
from gitckpt.cache import RACY_WINDOW_NS, Cache
from gitckpt.hashing import FileDigests, digest_file
from testing.repos import dvc, git
from tests.conftest import DATASET, EVAL_LOG, MODEL, CliResult

Cli = Callable[..., CliResult]


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file gitckpt actually reads to hash it."""
    calls: list[str] = []

    def counting(path: Path, progress: object = None) -> FileDigests:
        calls.append(Path(path).name)
        return digest_file(path, progress)  # type: ignore[arg-type]

    monkeypatch.setattr(gitckpt.digests, "digest_file", counting)
    return calls


def age(repo: Path, *relpaths: str, seconds: float = 60) -> None:
    """Make files look written a while ago, as data usually is (outside the racy window)."""
    for relpath in relpaths:
        then = time.time_ns() - int(seconds * 1e9)
        os.utime(repo / relpath, ns=(then, then))


def findings(result: CliResult) -> list[tuple[str, str]]:
    return [(f["check"], f["path"]) for f in json.loads(result.out)["findings"]]


def test_clean_data_passes_and_is_not_rehashed_when_warm(
    registry: Path, cli: Cli, hashed: list[str]
) -> None:
    age(registry, DATASET, MODEL, EVAL_LOG)
    assert cli("check", "--data", cwd=registry).code == 0
    assert sorted(hashed) == ["clf-eval.jsonl", "clf.bin", "points.csv"]
    hashed.clear()
    assert cli("check", "--data", cwd=registry).code == 0
    assert hashed == [], "unchanged stat: nothing is read again"


def test_no_cache_rehashes_everything(registry: Path, cli: Cli, hashed: list[str]) -> None:
    age(registry, DATASET, MODEL, EVAL_LOG)
    cli("check", "--data", cwd=registry)
    hashed.clear()
    assert cli("check", "--data", "--no-cache", cwd=registry).code == 0
    assert len(hashed) == 3


def test_modified_bytes_are_caught(registry: Path, cli: Cli) -> None:
    (registry / MODEL).write_bytes(b"someone overwrote the weights")
    result = cli("check", "--data", "--json", cwd=registry)
    assert result.code == 1
    assert sorted(findings(result)) == [
        ("GC207", "models/clf.bin.dvc"),
        ("GC207", "models/clf.card.md"),
    ]


def test_change_in_place_with_size_and_mtime_restored_is_caught(registry: Path, cli: Cli) -> None:
    """The racy case: same size, same mtime, other bytes, and the cache already warm."""
    age(registry, MODEL)
    assert cli("check", "--data", cwd=registry).code == 0
    model = registry / MODEL
    before = model.stat()
    tampered = bytearray(model.read_bytes())
    tampered[100] ^= 0xFF
    model.write_bytes(bytes(tampered))
    os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (model.stat().st_size, model.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    result = cli("check", "--data", "--json", cwd=registry)
    assert result.code == 1
    assert ("GC207", "models/clf.card.md") in findings(result)


def test_an_entry_hashed_within_the_timestamp_granularity_is_never_trusted(tmp_path: Path) -> None:
    """git's racy-git rule: bytes may change again within the same timestamp without any stat
    change."""
    data = tmp_path / "w.bin"
    data.write_bytes(b"v1")
    stat = data.stat()
    wrong = FileDigests(md5="0" * 32, sha256="0" * 64, size=2)
    with Cache(tmp_path / "state") as cache:
        cache.put_digests("w.bin", stat, wrong, hashed_at_ns=stat.st_mtime_ns + RACY_WINDOW_NS // 2)
        assert cache.get_digests("w.bin", stat) is None, "racy entry must be re-hashed"
        cache.put_digests("w.bin", stat, wrong, hashed_at_ns=stat.st_mtime_ns + 2 * RACY_WINDOW_NS)
        assert cache.get_digests("w.bin", stat) == wrong, (
            "an entry hashed well after the write is trusted"
        )


def test_a_freshly_written_file_is_rehashed_on_the_next_check(
    registry: Path, cli: Cli, hashed: list[str]
) -> None:
    (registry / MODEL).write_bytes(registry.joinpath(MODEL).read_bytes())
    cli("check", "--data", "--json", cwd=registry)
    hashed.clear()
    cli("check", "--data", "--json", cwd=registry)
    assert "clf.bin" in hashed


def test_corrupt_digest_cache_is_rebuilt(registry: Path, cli: Cli) -> None:
    age(registry, DATASET, MODEL, EVAL_LOG)
    cli("check", "--data", cwd=registry)
    (registry / ".git/gitckpt/cache.sqlite").write_bytes(b"\0garbage" * 1000)
    (registry / MODEL).write_bytes(b"tampered")
    assert cli("check", "--data", cwd=registry).code == 1


def test_missing_data_is_a_warning(registry: Path, cli: Cli) -> None:
    (registry / DATASET).unlink()
    result = cli("check", "--data", "--json", cwd=registry)
    assert result.code == 0
    data = json.loads(result.out)
    assert [(f["check"], f["severity"]) for f in data["findings"]] == [("GC208", "warning")]


def test_digest_file_matches_hashlib_across_chunk_boundaries(tmp_path: Path) -> None:
    from gitckpt.hashing import CHUNK_SIZE

    for size in (0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 5):
        content = os.urandom(size)
        path = tmp_path / f"f{size}"
        path.write_bytes(content)
        seen: list[int] = []
        digests = digest_file(path, seen.append)
        assert digests == FileDigests(
            hashlib.md5(content).hexdigest(), hashlib.sha256(content).hexdigest(), size
        )
        assert seen == sorted(seen) and (not seen or seen[-1] == size)


def test_status_rows(registry: Path, cli: Cli) -> None:
    (registry / MODEL).write_bytes(b"changed")
    (registry / DATASET).unlink()
    card = registry / "evals/clf-eval.card.md"
    card.write_text(card.read_text().replace("task: classification", "task: '<FILL: task>'"))
    rows = {row["name"]: row for row in json.loads(cli("status", "--json", cwd=registry).out)}
    assert {
        name: (row["card_state"], row["data_state"], row["remote_state"])
        for name, row in rows.items()
    } == {
        "clf": ("complete", "modified", "no remote"),
        "clf-eval": ("incomplete", "matches", "no remote"),
        "points": ("complete", "missing", "no remote"),
    }
    human = cli("status", cwd=registry).out
    assert "clf-eval" in human and "incomplete" in human


def test_status_without_a_trusted_revision_says_the_remote_state_is_unknown(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    """A checkout with commits but no branch (CI's `git fetch URL SHA`) has no trusted policy to
    say where bytes may be: the rows say so, and the rest of the status is still reported."""
    dvc(registry, "remote", "add", "-d", "storage", str(tmp_path / "dvc-remote"))
    git(registry, "checkout", "-q", "--detach")
    git(registry, "branch", "-q", "-D", "main")
    result = cli("status", "--json", cwd=registry)
    assert result.code == 0, result.err
    rows = {row["name"]: row for row in json.loads(result.out)}
    assert {row["remote_state"] for row in rows.values()} == {"unknown (no trusted revision)"}
    assert rows["clf"]["data_state"] == "matches"
