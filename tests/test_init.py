"""`git ckpt init`: DVC, policy and hooks, merged into what the repository already has."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from gitckpt.config import CONFIG_PATH, Config, parse_config
from testing.cards import dataset_fields, write_card
from testing.repos import clean_env, git, make_repo, track
from tests.conftest import CliResult

Cli = Callable[..., CliResult]

USER_PRE_COMMIT_CONFIG = """\
# Our team's hooks: keep this comment.
default_stages: [pre-commit]
repos:
-   repo: https://example.org/pre-commit/pre-commit-hooks
    rev: v4.6.0
    hooks:
    -   id: trailing-whitespace  # keep tidy
    -   id: end-of-file-fixer
"""


def files_state(repo: Path) -> dict[str, tuple[bytes, int]]:
    return {
        path.relative_to(repo).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in repo.rglob("*")
        if path.is_file() and path.relative_to(repo).parts[0] != ".git"
    }


def test_init_outside_git_is_refused(tmp_path: Path, cli: Cli) -> None:
    result = cli("init", cwd=tmp_path)
    assert result.code == 1
    assert "not inside a git work tree" in result.err and "git init" in result.err
    assert list(tmp_path.iterdir()) == []


def test_init_sets_up_dvc_config_and_pre_commit(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", with_dvc=False)
    result = cli("init", "--json", cwd=repo)
    assert result.code == 0, result.err
    assert len(json.loads(result.out)["changed"]) == 3
    assert (repo / ".dvc/config").is_file()
    assert parse_config((repo / CONFIG_PATH).read_text()) == Config()
    assert (
        "# A regular expression every artifact name must match" in (repo / CONFIG_PATH).read_text()
    )
    validate = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=repo,
        env=clean_env(),
    )
    assert validate.returncode == 0
    assert "id: gitckpt-check" in (repo / ".pre-commit-config.yaml").read_text()


def test_init_twice_changes_nothing(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", with_dvc=False)
    cli("init", cwd=repo)
    before = files_state(repo)
    result = cli("init", cwd=repo)
    assert result.code == 0
    assert "Nothing to do" in result.out
    assert files_state(repo) == before


def test_init_merges_into_an_existing_pre_commit_config(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", with_dvc=False)
    (repo / ".pre-commit-config.yaml").write_text(USER_PRE_COMMIT_CONFIG)
    assert cli("init", cwd=repo).code == 0
    merged = (repo / ".pre-commit-config.yaml").read_text()
    assert merged.startswith(USER_PRE_COMMIT_CONFIG)
    assert "-   repo: local" in merged and "    -   id: gitckpt-check" in merged


def test_init_refuses_an_invalid_pre_commit_config(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", with_dvc=False)
    (repo / ".pre-commit-config.yaml").write_text("repos:\n  - repo: [unclosed\n")
    result = cli("init", cwd=repo)
    assert result.code == 1
    assert ".pre-commit-config.yaml:" in result.err and "invalid YAML" in result.err
    assert (repo / ".pre-commit-config.yaml").read_text() == "repos:\n  - repo: [unclosed\n"


def test_git_hooks_are_installed_instead_of_pre_commit(repo: Path, cli: Cli) -> None:
    result = cli("init", "--git-hooks", cwd=repo)
    assert result.code == 0, result.err
    hook = repo / ".git/hooks/pre-commit"
    assert hook.stat().st_mode & stat.S_IXUSR
    assert "gitckpt-hook" in hook.read_text()
    assert not (repo / ".pre-commit-config.yaml").exists()
    before = hook.read_bytes(), hook.stat().st_mtime_ns
    assert "Nothing to do" in cli("init", "--git-hooks", cwd=repo).out
    assert (hook.read_bytes(), hook.stat().st_mtime_ns) == before


def test_git_hooks_refuse_to_overwrite_a_foreign_hook(repo: Path, cli: Cli) -> None:
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho team hook\n")
    result = cli("init", "--git-hooks", cwd=repo)
    assert result.code == 1
    assert "pre-commit.local" in result.err
    assert hook.read_text() == "#!/bin/sh\necho team hook\n"


def commit(repo: Path) -> subprocess.CompletedProcess[str]:
    git(repo, "add", "-A")
    env = {**clean_env(), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["git", "commit", "-m", "add data"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_plain_git_hook_refuses_an_incomplete_card_and_accepts_a_complete_one(
    repo: Path, cli: Cli
) -> None:
    assert cli("init", "--git-hooks", cwd=repo).code == 0
    outs = track(repo, {"data/points.csv": b"x,y\n1,2\n"})
    assert cli("card", "new", "data/points.csv", "--kind", "dataset", cwd=repo).code == 0
    refused = commit(repo)
    assert refused.returncode != 0
    assert "GC104" in refused.stdout + refused.stderr
    assert git(repo, "rev-list", "--all").strip() == ""
    write_card(
        repo, "dataset", "points", "data/points.csv", outs["data/points.csv"], dataset_fields()
    )
    accepted = commit(repo)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "data/points.card.md" in git(repo, "show", "--name-only", "HEAD")


def test_plain_git_hook_runs_a_chained_local_hook_first(repo: Path, cli: Cli) -> None:
    assert cli("init", "--git-hooks", cwd=repo).code == 0
    local = repo / ".git/hooks/pre-commit.local"
    local.write_text("#!/bin/sh\necho local hook says no >&2\nexit 1\n")
    local.chmod(0o755)
    (repo / "notes.txt").write_text("hello\n")
    refused = commit(repo)
    assert refused.returncode != 0
    assert "local hook says no" in refused.stderr
