"""The git repository: where it is, which files it holds, and small wrappers around the git CLI.

The hot path (`check`) uses the git CLI directly: importing pygit2 or GitPython costs more
than the whole warm check is allowed to take.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gitckpt.errors import GitckptError, UsageError

DEFAULT_BRANCHES = ("refs/remotes/origin/HEAD", "refs/heads/main", "refs/heads/master")


@dataclass(frozen=True)
class Repository:
    root: Path
    git_dir: Path

    @property
    def state_dir(self) -> Path:
        """gitckpt's private, never-committed state (caches)."""
        return self.git_dir / "gitckpt"

    def relpath(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()


def no_git_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without inherited `GIT_*` variables, for running git in another
    repository from inside a git hook (which sets GIT_DIR, GIT_INDEX_FILE, …)."""
    source = os.environ if env is None else env
    return {
        key: value
        for key, value in source.items()
        if not key.startswith("GIT_")
        or key in ("GIT_EXEC_PATH", "GIT_SSH_COMMAND", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")
    }


def git(args: Sequence[str], cwd: Path, *, check: bool = True) -> str:
    """Run git and return its standard output; a failure becomes a GitckptError with git's words."""
    try:
        completed = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise GitckptError("git is not installed or not on PATH") from exc
    if check and completed.returncode != 0:
        raise GitckptError(
            f"git {' '.join(args)} failed: {completed.stderr.strip() or completed.stdout.strip()}"
        )
    return completed.stdout


def read_objects(repo: Repository, names: Sequence[str]) -> list[tuple[str, bytes] | None]:
    """Each named object's id and bytes (`<commit>:<path>` names a file at a commit), or None
    where it names nothing: one `git cat-file --batch` for all of them."""
    if not names:
        return []
    if any("\n" in name for name in names):
        raise GitckptError("an object name cannot contain a newline")
    completed = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo.root,
        input="".join(f"{name}\n" for name in names).encode(),
        capture_output=True,
        check=True,
    )
    output, position = completed.stdout, 0
    found: list[tuple[str, bytes] | None] = []
    for _ in names:
        header_end = output.index(b"\n", position)
        header = output[position:header_end].split(b" ")
        if not header[-1].isdigit():  # `<name> missing` or `<name> ambiguous`
            found.append(None)
            position = header_end + 1
            continue
        size = int(header[-1])
        found.append((header[0].decode(), output[header_end + 1 : header_end + 1 + size]))
        position = header_end + 1 + size + 1
    return found


def create_tag(repo: Repository, tag: str, commit: str, message: str, *, sign: bool) -> None:
    """An annotated tag on `commit`, SSH-signed with the user's key when `sign` (GitPython runs
    `git tag`: libgit2 cannot sign)."""
    from git import GitCommandError
    from git import Repo as GitRepo

    try:
        git_repo = GitRepo(repo.root)
        if sign:
            git_repo.git.execute(
                ["git", "-c", "gpg.format=ssh", "tag", "-s", "-m", message, tag, commit]
            )
        else:
            git_repo.git.tag("-a", "-m", message, tag, commit)
    except GitCommandError as exc:
        raise GitckptError(f"git could not create {tag}: {str(exc.stderr).strip()}") from exc


def push_tag(repo: Repository, remote: str, tag: str) -> None:
    from git import GitCommandError
    from git import Repo as GitRepo

    try:
        GitRepo(repo.root).git.push(remote, f"refs/tags/{tag}")
    except GitCommandError as exc:
        raise GitckptError(
            f"{tag} was created locally but NOT pushed to {remote!r}: {str(exc.stderr).strip()}\n"
            f"Push it when the remote is reachable: git push {remote} refs/tags/{tag}"
        ) from exc


def verify_tag(repo: Repository, oid: str, allowed_signers: Path) -> tuple[int, str]:
    """`git verify-tag` of a tag object by its id (a name could resolve to another ref first),
    against `allowed_signers`: its exit status and its words, untranslated so they can be read."""
    completed = subprocess.run(
        [
            "git",
            "-c",
            "gpg.format=ssh",
            "-c",
            f"gpg.ssh.allowedSignersFile={allowed_signers}",
            "verify-tag",
            oid,
        ],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C", "LANGUAGE": "C"},
    )
    return completed.returncode, completed.stderr + completed.stdout


def commit_signatures(
    repo: Repository, commits: Sequence[str], allowed_signers: Path
) -> dict[str, tuple[str, str]]:
    """Each commit's signature status (git's %G? letter) and signer, from one `git log`, against
    `allowed_signers`."""
    output = git(
        [
            "-c",
            f"gpg.ssh.allowedSignersFile={allowed_signers}",
            "log",
            "--no-walk=unsorted",
            "--format=%H %G? %GS",
            *commits,
        ],
        repo.root,
        check=False,
    )
    found = {}
    for line in output.splitlines():
        commit, _, rest = line.partition(" ")
        code, _, signer = rest.partition(" ")
        found[commit] = (code, signer)
    return found


def default_branch(repo: Repository) -> str | None:
    """The default branch's ref: the remote's HEAD when there is one, else main or master."""
    return next(
        (
            ref
            for ref in DEFAULT_BRANCHES
            if git(["rev-parse", "--verify", "--quiet", ref], repo.root, check=False).strip()
        ),
        None,
    )


def find_repository(start: Path | None = None) -> Repository:
    """The work tree containing `start` (default: the current directory)."""
    where = (start or Path.cwd()).resolve()
    completed = subprocess.run(
        ["git", "rev-parse", "--show-toplevel", "--absolute-git-dir"],
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = completed.stdout.splitlines()
    if completed.returncode != 0 or len(lines) != 2 or not lines[0]:
        raise GitckptError(
            f"{where} is not inside a git work tree.\ngitckpt keeps its registry in git: run `git init` (or cd into your repository) first."
        )
    return Repository(root=Path(lines[0]).resolve(), git_dir=Path(lines[1]).resolve())


def list_work_tree_files(repo: Repository) -> list[str]:
    """Tracked files plus untracked files git does not ignore, relative to the root."""
    output = git(
        ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate"], repo.root
    )
    return [path for path in output.split("\0") if path]


def list_staged_paths(repo: Repository) -> list[str]:
    """Files added, copied, modified or renamed in the index (what a commit would record)."""
    output = git(["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR"], repo.root)
    return [path for path in output.split("\0") if path]


def changed_paths(repo: Repository, base: str) -> list[str]:
    """Files that differ between commit `base` and the work tree (committed or not), or that are new and not ignored."""
    changed = git(["diff", "--name-only", "-z", base, "--"], repo.root).split("\0")
    untracked = git(["ls-files", "-z", "--others", "--exclude-standard"], repo.root).split("\0")
    return sorted({path for path in changed + untracked if path})


def head_commit(repo: Repository) -> str | None:
    output = git(["rev-parse", "--verify", "--quiet", "HEAD"], repo.root, check=False).strip()
    return output or None


def git_path(repo: Repository, name: str) -> Path:
    """`git rev-parse --git-path NAME`: honours core.hooksPath and worktrees."""
    return (repo.root / git(["rev-parse", "--git-path", name], repo.root).strip()).resolve()


def identity(repo: Repository) -> str:
    """`Name <email>` of whoever git would record as committer here."""
    ident = git(["var", "GIT_COMMITTER_IDENT"], repo.root).strip()
    return ident.rsplit(" ", 2)[0] if ident.count(" ") >= 2 else ident


def commit_id(repo: Repository, revision: str) -> str | None:
    """The full id of the commit `revision` names (a tag is peeled), or None if it names none."""
    return (
        git(
            ["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], repo.root, check=False
        ).strip()
        or None
    )


def resolve_commit(repo: Repository, revision: str, command: str) -> str:
    """The commit `revision` names, for a read command's --rev; a usage error that says what is
    wrong otherwise: nothing committed yet, or no such commit."""
    commit = commit_id(repo, revision)
    if commit:
        return commit
    if revision == "HEAD":
        raise UsageError(
            f"nothing is committed yet: {command} reads the cards of a commit (commit your cards first)"
        )
    raise UsageError(f"--rev {revision!r} is not a commit in this repository")
