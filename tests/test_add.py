"""`git ckpt add`: real DVC, one read for both digests, cards written or updated, nothing
half-done."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from gitckpt.card import parse_card
from gitckpt.hashing import TreeEntry, root_digest
from gitckpt.pointer import parse_pointer
from gitckpt.repo import find_repository
from gitckpt.tracking import AddRequest, add
from testing.repos import commit_all, git
from tests.conftest import MODEL, CliResult
from tests.test_bad_input import snapshot

Cli = Callable[..., CliResult]
WEIGHTS = os.urandom(3 * 1024 * 1024 + 17)


def index_state(repo: Path) -> str:
    return git(repo, "ls-files", "--stage")


def test_add_tracks_with_dvc_writes_the_card_and_stages_everything(repo: Path, cli: Cli) -> None:
    (repo / "models").mkdir()
    (repo / "models/ResNet50.safetensors").write_bytes(WEIGHTS)
    result = cli("add", "models/ResNet50.safetensors", "--kind", "model", "--json", cwd=repo)
    assert result.code == 0, result.err
    (added,) = json.loads(result.out)
    assert added["name"] == "resnet50" and added["created"] is True
    (out,) = parse_pointer((repo / "models/ResNet50.safetensors.dvc").read_text(), "pointer")
    assert out.md5 == hashlib.md5(WEIGHTS).hexdigest() and out.size == len(WEIGHTS)
    card = parse_card((repo / "models/resnet50.card.md").read_text(), "card").data
    assert card["checkpoint"]["sha256"] == hashlib.sha256(WEIGHTS).hexdigest() == added["sha256"]
    assert card["checkpoint"]["md5"] == out.md5
    assert card["evaluation"][0]["checkpoint_sha256"] == added["sha256"]
    staged = git(repo, "diff", "--cached", "--name-only").split()
    assert {
        "models/ResNet50.safetensors.dvc",
        "models/resnet50.card.md",
        "models/.gitignore",
    } <= set(staged)
    assert "ResNet50.safetensors" in (repo / "models/.gitignore").read_text()
    assert (repo / "models/ResNet50.safetensors").read_bytes() == WEIGHTS, (
        "the checkpoint itself must never change"
    )


def test_add_hands_dvc_the_md5_so_the_file_is_read_once(
    repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DVC's own hashing must find our md5 in its state DB and not read the file again."""
    from dvc_data.hashfile import hash as dvc_hash

    reads: list[str] = []
    original = dvc_hash.file_md5

    def counting(*args: object, **kwargs: object) -> object:
        reads.append(str(args[0]))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dvc_hash, "file_md5", counting)
    (repo / "w.bin").write_bytes(WEIGHTS)
    assert cli("add", "w.bin", "--kind", "model", cwd=repo).code == 0
    assert not [path for path in reads if path.endswith("w.bin")]


def test_directory_gets_per_file_digests_and_a_root_digest(repo: Path, cli: Cli) -> None:
    shards = {
        "model-00001.safetensors": b"a" * 1000,
        "model-00002.safetensors": b"b" * 2000,
        "tokenizer/vocab.json": b"{}",
    }
    for name, content in shards.items():
        (repo / "ckpt" / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / "ckpt" / name).write_bytes(content)
    assert cli("add", "ckpt", "--kind", "model", "--name", "sharded", cwd=repo).code == 0
    block = parse_card((repo / "sharded.card.md").read_text(), "card").data["checkpoint"]
    expected = [
        TreeEntry(name, hashlib.sha256(content).hexdigest(), len(content))
        for name, content in sorted(shards.items())
    ]
    assert block["files"] == [
        {"path": e.path, "sha256": e.sha256, "size": e.size} for e in expected
    ]
    assert block["sha256"] == root_digest(expected)
    assert block["md5"].endswith(".dir") and block["format"] == "directory"
    assert block["size"] == 3002


def test_re_adding_changed_bytes_updates_pointer_and_card_and_flags_evaluations(
    registry: Path, cli: Cli
) -> None:
    card_path = registry / "models/clf.card.md"
    comment = "# reviewed by the safety team\n"
    card_path.write_text(card_path.read_text().replace("architecture:", comment + "architecture:"))
    (registry / MODEL).write_bytes(b"retrained weights")
    result = cli("add", MODEL, "--json", cwd=registry)
    assert result.code == 0, result.err
    assert json.loads(result.out)[0]["bytes_changed"] is True
    card = parse_card(card_path.read_text(), "card").data
    assert card["checkpoint"]["sha256"] == hashlib.sha256(b"retrained weights").hexdigest()
    assert card["checkpoint"]["md5"] == hashlib.md5(b"retrained weights").hexdigest()
    assert comment in card_path.read_text(), "editing a card keeps the author's comments"
    findings = json.loads(cli("check", "--json", cwd=registry).out)["findings"]
    assert sorted((f["check"], f["path"], f["field"]) for f in findings) == [
        ("GC206", "evals/clf-eval.card.md", "model.sha256"),
        ("GC206", "models/clf.card.md", "evaluation[0].checkpoint_sha256"),
    ]


def test_eval_confirm_rebinds_stale_results_and_records_who_and_why(
    registry: Path, cli: Cli
) -> None:
    old = hashlib.sha256((registry / MODEL).read_bytes()).hexdigest()
    (registry / MODEL).write_bytes(b"same weights, re-saved")
    assert cli("add", MODEL, cwd=registry).code == 0
    result = cli(
        "eval",
        "confirm",
        "clf",
        "--reason",
        "Re-saved with a newer serializer; weights identical.",
        "--json",
        cwd=registry,
    )
    assert result.code == 0, result.err
    assert {item["card"] for item in json.loads(result.out)} == {
        "models/clf.card.md",
        "evals/clf-eval.card.md",
    }
    assert cli("check", cwd=registry).code == 0
    entry = parse_card((registry / "models/clf.card.md").read_text(), "card").data["evaluation"][0]
    assert entry["reconfirmed"]["measured_sha256"] == old
    assert entry["reconfirmed"]["by"] == "Ada Researcher <ada@example.org>"
    again = cli(
        "eval",
        "confirm",
        "clf",
        "--reason",
        "Re-saved with a newer serializer; weights identical.",
        cwd=registry,
    )
    assert again.code == 1 and "nothing to confirm" in again.err


def test_add_requires_kind_for_a_new_artifact_and_changes_nothing(repo: Path, cli: Cli) -> None:
    (repo / "w.bin").write_bytes(b"weights")
    before = snapshot(repo), index_state(repo)
    result = cli("add", "w.bin", cwd=repo)
    assert result.code == 2 and "--kind" in result.err
    assert (snapshot(repo), index_state(repo)) == before


@pytest.mark.parametrize(
    ("setup", "argument", "message"),
    [
        (
            lambda repo, tmp: (tmp / "outside.bin").write_bytes(b"x"),
            "../outside.bin",
            "is outside the repository",
        ),
        (lambda repo, tmp: None, "missing.bin", "does not exist"),
        (lambda repo, tmp: None, ".git/config", "inside .git/"),
        (
            lambda repo, tmp: (repo / "link").symlink_to(tmp, target_is_directory=True),
            "link/outside.bin",
            "symlinked directory",
        ),
        (
            lambda repo, tmp: (repo / "alias.bin").symlink_to(tmp / "outside.bin"),
            "alias.bin",
            "symlink",
        ),
    ],
    ids=["outside", "missing", "under-git", "through-symlinked-dir", "symlink"],
)
def test_add_refuses_paths_it_must_not_track(
    repo: Path,
    cli: Cli,
    tmp_path: Path,
    setup: Callable[[Path, Path], object],
    argument: str,
    message: str,
) -> None:
    (tmp_path / "outside.bin").write_bytes(b"outside")
    setup(repo, tmp_path)
    before = snapshot(repo), index_state(repo)
    result = cli("add", argument, "--kind", "model", cwd=repo)
    assert result.code == 1, result.out
    assert message in result.err
    assert (snapshot(repo), index_state(repo)) == before


def test_add_refuses_a_file_committed_to_git(repo: Path, cli: Cli) -> None:
    (repo / "small.pt").write_bytes(b"committed by mistake")
    commit_all(repo, "oops")
    before = snapshot(repo), index_state(repo)
    result = cli("add", "small.pt", "--kind", "model", cwd=repo)
    assert result.code == 1
    assert (
        "committed to git as a plain file" in result.err
        and "git rm -r --cached small.pt" in result.err
    )
    assert (snapshot(repo), index_state(repo)) == before


def test_interrupted_add_leaves_nothing_behind(repo: Path) -> None:
    """A real SIGINT arrives mid-hash: no card, no pointer, no cache entry, nothing staged."""
    big = repo / "big.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024))
    before = snapshot(repo), index_state(repo)
    calls: list[int] = []

    def interrupt_after_first_chunk(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)

    os.chdir(repo)
    with pytest.raises(KeyboardInterrupt):
        add(
            find_repository(repo),
            [Path("big.bin")],
            AddRequest(kind="model"),
            progress=interrupt_after_first_chunk,
        )
    assert calls and calls[0] < big.stat().st_size, "the interrupt must land mid-hash"
    assert (snapshot(repo), index_state(repo)) == before
    cache = repo / ".git/gitckpt/cache.sqlite"
    if cache.exists():
        with sqlite3.connect(cache) as connection:
            assert connection.execute("SELECT count(*) FROM digests").fetchone()[0] == 0
