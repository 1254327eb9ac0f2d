"""The hooks through the real pre-commit framework."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from gitckpt.repository_setup import HOOK_FILES_PATTERN, pre_commit_hook_entry
from testing.cards import dataset_fields, write_card
from testing.repos import clean_env, git, make_repo, track
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
PROJECT = Path(__file__).resolve().parent.parent
MATCHES = [
    "models/resnet50.card.md",
    "resnet50.card.md",
    "models/resnet50.pt.dvc",
    "data/shards.dvc",
    "a/b/c/eval-log.jsonl.dvc",
]
DOES_NOT_MATCH = [
    "README.md",
    "card.md.bak",
    "models/resnet50.pt",
    ".dvc/config",
    ".dvcignore",
    "dvc.yaml",
    "dvc.lock",
    "models/x.dvc.bak",
]


def hook_definitions() -> list[dict[str, object]]:
    return YAML(typ="safe").load((PROJECT / ".pre-commit-hooks.yaml").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("filename", MATCHES)
def test_hook_files_pattern_matches_cards_and_pointers(filename: str) -> None:
    (hook,) = hook_definitions()
    assert re.search(str(hook["files"]), filename)


@pytest.mark.parametrize("filename", DOES_NOT_MATCH)
def test_hook_files_pattern_ignores_other_files(filename: str) -> None:
    (hook,) = hook_definitions()
    assert not re.search(str(hook["files"]), filename)


def test_init_hook_and_published_hook_agree() -> None:
    (hook,) = hook_definitions()
    local = pre_commit_hook_entry()
    assert hook["id"] == local["id"] and hook["files"] == local["files"] == HOOK_FILES_PATTERN
    assert hook["entry"] == local["entry"]


def snapshot_of_project(destination: Path) -> str:
    """This checkout, uncommitted changes included, as a commit in a new repository
    (what `pre-commit try-repo` does), so the hook under test is the code under test."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    )
    for relpath in filter(None, listed.stdout.split("\0")):
        source = PROJECT / relpath
        if source.is_file() or source.is_symlink():
            target = destination / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    make_repo(destination, with_dvc=False)
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "snapshot")
    return git(destination, "rev-parse", "HEAD").strip()


def commit_env(pre_commit_home: Path) -> dict[str, str]:
    return {
        **clean_env(),
        "PRE_COMMIT_HOME": str(pre_commit_home),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }


def commit(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    git(repo, "add", "-A")
    return subprocess.run(
        ["git", "commit", "-m", "add dataset"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=1200,
    )


def refuse_incomplete_then_accept_complete(repo: Path, cli: Cli, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
    )
    outs = track(repo, {"data/points.csv": b"x,y\n1,2\n"})
    assert cli("card", "new", "data/points.csv", "--kind", "dataset", cwd=repo).code == 0
    refused = commit(repo, env)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "gitckpt: model cards complete" in output and "Failed" in output
    assert "GC104" in output
    assert git(repo, "rev-list", "--all").strip() == ""
    write_card(
        repo, "dataset", "points", "data/points.csv", outs["data/points.csv"], dataset_fields()
    )
    accepted = commit(repo, env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr
    assert "data/points.card.md" in git(repo, "show", "--name-only", "HEAD")


@pytest.mark.xdist_group("pre-commit")
def test_published_hook_through_the_pre_commit_framework(
    tmp_path: Path, repo: Path, cli: Cli
) -> None:
    """The hook other repositories use: pre-commit builds its own environment from this project."""
    hook_repo = tmp_path / "gitckpt-snapshot"
    revision = snapshot_of_project(hook_repo)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hook_repo}\n  rev: {revision}\n  hooks:\n  - id: gitckpt-check\n"
    )
    refuse_incomplete_then_accept_complete(repo, cli, commit_env(tmp_path / "pre-commit-home"))


def test_hook_written_by_init_through_the_pre_commit_framework(
    tmp_path: Path, repo: Path, cli: Cli
) -> None:
    assert cli("init", cwd=repo).code == 0
    refuse_incomplete_then_accept_complete(repo, cli, commit_env(tmp_path / "pre-commit-home"))
