"""Plain git hooks (pre-push) and the CI templates in hooks/."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

from gitckpt.cli import build_parser
from testing.repos import clean_env, dvc, git
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
HOOKS = Path(__file__).resolve().parent.parent / "hooks"


def push(repo: Path, *refs: str) -> subprocess.CompletedProcess[str]:
    env = {**clean_env(), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["git", "push", "origin", *refs],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_pre_push_refuses_a_release_whose_bytes_are_not_in_the_remote(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(registry, "remote", "add", "origin", str(bare))
    dvc(registry, "remote", "add", "-d", "storage", str(tmp_path / "dvc-remote"))
    git(registry, "commit", "-q", "-am", "dvc remote")
    assert cli("init", "--git-hooks", cwd=registry).code == 0
    assert (registry / ".git/hooks/pre-push").exists()
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0
    refused = push(registry, "main", "clf@v0.1.0")
    assert refused.returncode != 0
    assert "clf@v0.1.0: its bytes" in refused.stderr and "git ckpt push" in refused.stderr
    assert (
        "clf@v0.1.0"
        not in subprocess.run(["git", "tag"], cwd=bare, capture_output=True, text=True).stdout
    )
    assert cli("push", "clf", cwd=registry).code == 0
    accepted = push(registry, "main", "clf@v0.1.0")
    assert accepted.returncode == 0, accepted.stderr
    assert (
        "clf@v0.1.0"
        in subprocess.run(["git", "tag"], cwd=bare, capture_output=True, text=True).stdout
    )


def test_pre_push_lets_branches_through(registry: Path, cli: Cli, tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(registry, "remote", "add", "origin", str(bare))
    assert cli("init", "--git-hooks", cwd=registry).code == 0
    assert push(registry, "main").returncode == 0


def ckpt_commands(template: str, command: str) -> list[str]:
    """The arguments of each `git ckpt COMMAND …` line in a CI template (COMMAND included)."""
    text = (HOOKS / template).read_text()
    return [
        line.split("git ckpt ", 1)[1] for line in text.splitlines() if f"git ckpt {command}" in line
    ]


def test_ci_templates_are_valid_and_call_real_options() -> None:
    github = YAML(typ="safe").load((HOOKS / "github-actions.yml").read_text())
    steps = github["jobs"]["review"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    gitlab = YAML(typ="safe").load((HOOKS / "gitlab-ci.yml").read_text())
    assert gitlab["gitckpt-review"]["variables"]["GIT_DEPTH"] == "0"
    ci_parser = build_parser("ci")
    for template in ("github-actions.yml", "gitlab-ci.yml"):
        (command,) = ckpt_commands(template, "ci")
        words = shlex.split(command.split(" || ")[0])
        args = ci_parser.parse_args(words)
        assert args.base and args.report
        assert args.trust_ref == args.base  # GC506 reads lowered_by from the target branch
    assert steps[0]["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"


def test_pages_templates_are_valid_and_publish_what_site_writes() -> None:
    github = YAML(typ="safe").load((HOOKS / "github-pages.yml").read_text())
    build = github["jobs"]["build"]["steps"]
    assert build[0]["with"]["fetch-depth"] == 0
    gitlab = YAML(typ="safe").load((HOOKS / "gitlab-pages.yml").read_text())
    assert gitlab["pages"]["variables"]["GIT_DEPTH"] == "0"
    published = {
        "github-pages.yml": next(
            step["with"]["path"]
            for step in build
            if "upload-pages-artifact" in step.get("uses", "")
        ),
        "gitlab-pages.yml": gitlab["pages"]["artifacts"]["paths"][0],
    }
    site_parser = build_parser("site")
    for template, directory in published.items():
        (command,) = ckpt_commands(template, "site")
        args = site_parser.parse_args(shlex.split(command))
        assert str(args.output) == directory, template
    (gitlab_site,) = ckpt_commands("gitlab-pages.yml", "site")
    assert (
        site_parser.parse_args(shlex.split(gitlab_site)).trust_ref == "origin/$CI_DEFAULT_BRANCH"
    )  # a detached checkout has no main
