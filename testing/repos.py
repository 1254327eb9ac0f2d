"""Real git repositories with real DVC, for tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from gitckpt.pointer import parse_pointer
from gitckpt.repo import no_git_env

IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada Researcher",
    "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_COMMITTER_NAME": "Ada Researcher",
    "GIT_COMMITTER_EMAIL": "ada@example.org",
}


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """No inherited GIT_* variables (we may run inside a hook), a fixed identity, no DVC
    analytics."""
    env = no_git_env()
    env.update(IDENTITY)
    env.update({"DVC_NO_ANALYTICS": "1", "DVC_SITE_CACHE_DIR": env.get("DVC_SITE_CACHE_DIR", "")})
    env = {key: value for key, value in env.items() if value}
    env.update(extra or {})
    return env


def run(
    args: list[str], cwd: Path, *, check: bool = True, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, env=clean_env(env), check=False
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed "
            f"({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        )
    return completed


def git(repo: Path, *args: str, check: bool = True) -> str:
    return run(["git", *args], repo, check=check).stdout


def dvc(repo: Path, *args: str) -> str:
    return run([sys.executable, "-m", "dvc", *args], repo).stdout


def gitckpt(
    repo: Path, *args: str, check: bool = False, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "gitckpt", *args], repo, check=check, env=env)


def make_repo(path: Path, *, with_dvc: bool = True) -> Path:
    """A new git repository (branch main), with DVC initialised unless told otherwise."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "commit.gpgsign", "false")
    if with_dvc:
        dvc(path, "init", "-q")
        dvc(path, "config", "core.analytics", "false")
    return path


def track(repo: Path, files: Mapping[str, bytes]) -> dict[str, dict[str, object]]:
    """Write each file and `dvc add` them all in one call; returns each pointer's out (md5, size,
    path)."""
    for relpath, content in files.items():
        target = repo / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    if files:
        dvc(repo, "add", "-q", *files)
    outs = {}
    for relpath in files:
        pointer = repo / f"{relpath}.dvc"
        (out,) = parse_pointer(pointer.read_text(), str(pointer))
        outs[relpath] = {"path": out.path, "md5": out.md5, "size": out.size}
    return outs


def commit_all(repo: Path, message: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def environ_path_with_venv() -> str:
    """PATH with this interpreter's bin directory first, so `git-ckpt` resolves to this checkout."""
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def age_tag_ref_files(repo: Path) -> None:
    """Date the files git keeps tag refs in an hour back, out of the racy window (so a run
    trusts their fingerprint, as it would an hour after the tags were made)."""
    old = time.time() - 3600
    tags = repo / ".git" / "refs" / "tags"
    for path in [repo / ".git" / "packed-refs", tags, *tags.rglob("*")]:
        if path.exists():
            os.utime(path, (old, old), follow_symlinks=False)
