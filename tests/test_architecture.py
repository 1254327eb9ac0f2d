"""The shape of the code: what `lint-imports` cannot see (git run by subprocess) or may miss."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gitckpt"
GIT_PACKAGES = ("pygit2", "git")  # libgit2's binding, and GitPython


def git_accesses(source: str) -> list[str]:
    """Each import of pygit2 or GitPython (inside a function too) and each call that runs `git`,
    as `line: what`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            names = []
        found += [
            f"{node.lineno}: import {name}" for name in names if name.split(".")[0] in GIT_PACKAGES
        ]
        if isinstance(node, ast.Call) and _runs_git(node):
            found.append(f"{node.lineno}: runs git")
    return found


def _runs_git(call: ast.Call) -> bool:
    """A call given a command that starts with `git` (`subprocess.run(["git", …])`, whichever
    way the function was imported)."""
    command = call.args[0] if call.args else None
    return (
        isinstance(command, (ast.List, ast.Tuple))
        and bool(command.elts)
        and isinstance(command.elts[0], ast.Constant)
        and command.elts[0].value == "git"
    )


def test_only_repo_py_reaches_git() -> None:
    """repo.py is the one way into git: nothing else imports pygit2 or GitPython, or runs git."""
    found = {
        path.relative_to(PACKAGE.parent).as_posix(): accesses
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "repo.py" and (accesses := git_accesses(path.read_text()))
    }
    assert found == {}


@pytest.mark.parametrize(
    "source",
    [
        "def read():\n    import pygit2\n",
        "from pygit2.enums import SortMode\n",
        "import git\n",
        "from git import Repo\n",
        "import subprocess\nsubprocess.run(['git', 'log'], check=True)\n",
        "from subprocess import check_output\ncheck_output(('git', 'rev-parse', 'HEAD'))\n",
    ],
)
def test_a_way_into_git_is_seen(source: str) -> None:
    assert git_accesses(source)


def test_repo_py_is_seen_to_reach_git() -> None:
    assert git_accesses((PACKAGE / "repo.py").read_text())
