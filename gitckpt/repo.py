"""The git repository: where it is, which files it holds, and every way gitckpt reaches git.

No other module runs git or imports pygit2 or GitPython (tests/test_architecture.py). The hot
path (`check`) uses the git CLI directly: importing pygit2 or GitPython costs more than the whole
warm check is allowed to take. History is read with pygit2 (`ObjectStore`), imported on first use;
the git CLI, through GitPython where libgit2 cannot, signs and pushes tags.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol, cast

from gitckpt.errors import GitckptError, UsageError

if TYPE_CHECKING:
    import pygit2

DEFAULT_BRANCHES = ("refs/remotes/origin/HEAD", "refs/heads/main", "refs/heads/master")
TREES_CACHED_UP_TO = 16 * 1024 * 1024  # bytes of one tree object; libgit2's default is 4 KiB


class Repository(NamedTuple):
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
            f"{where} is not inside a git work tree.\ngitckpt keeps its registry in git: "
            "run `git init` (or cd into your repository) first."
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


def changed_paths(repo: Repository, base: str, head: str | None = None) -> list[str]:
    """Files that differ between commit `base` and the work tree (committed or not), or that are new
    and not ignored; or, given `head`, between the two commits."""
    if head is not None:
        changed = git(["diff", "--name-only", "-z", base, head, "--"], repo.root).split("\0")
        return sorted({path for path in changed if path})
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
            f"nothing is committed yet: {command} reads the cards of a commit (commit your "
            "cards first)"
        )
    raise UsageError(f"--rev {revision!r} is not a commit in this repository")


class GitObject(Protocol):
    """A tree entry as history readers see it: pygit2's object, unconverted (a walk looks up
    thousands of entries, and compares their ids without reading them)."""

    @property
    def id(self) -> Hashable: ...  # equal ids, equal content; str() gives the hex id

    @property
    def type_str(self) -> str: ...  # "tree", "blob", or "commit" (a submodule)


class Tree(GitObject, Protocol):
    def __getitem__(self, path: str, /) -> GitObject: ...  # KeyError when there is none


def tree_entry(tree: Tree | None, path: str) -> GitObject | None:
    """The entry at `path` (`a/b` looks into subtrees) in `tree` (None: no tree), or None."""
    if tree is None:
        return None
    try:
        return tree[path]
    except KeyError:
        return None


def subtree(entry: GitObject | None) -> Tree | None:
    """`entry` when it is a tree."""
    return cast("Tree", entry) if entry is not None and entry.type_str == "tree" else None


def blob_id(entry: GitObject | None) -> str | None:
    """The id of `entry` when it is a blob."""
    return str(entry.id) if entry is not None and entry.type_str == "blob" else None


class Ident(NamedTuple):
    """Who and when, as git records an author or a committer."""

    name: str
    email: str
    time: int  # unix seconds
    offset: int  # minutes east of UTC


class CommitDetails(NamedTuple):
    id: str
    message: str
    author: Ident
    committer: Ident
    signed: bool  # carries a signature (whether it is good is `commit_signatures`)


class Commit:
    """A commit as history readers see it. A walk meets thousands and looks at most only for
    their trees, so nothing is read from pygit2's commit before it is asked for."""

    __slots__ = ("_commit",)

    def __init__(self, commit: pygit2.Commit) -> None:
        self._commit = commit

    @property
    def id(self) -> str:
        return str(self._commit.id)

    @property
    def time(self) -> int:
        """Committer time, unix seconds."""
        return self._commit.commit_time

    @property
    def tree(self) -> Tree:
        return self._commit.tree

    @property
    def first_parent_tree(self) -> Tree | None:
        parents = self._commit.parents
        return parents[0].tree if parents else None

    @property
    def parent_trees(self) -> list[Tree]:
        return [parent.tree for parent in self._commit.parents]

    @property
    def is_merge(self) -> bool:
        return len(self._commit.parent_ids) > 1

    def details(self) -> CommitDetails:
        commit = self._commit
        return CommitDetails(
            id=str(commit.id),
            message=commit.message,
            author=_ident(commit.author),
            committer=_ident(commit.committer),
            signed=bool(commit.gpg_signature[0]),
        )

    def rename_source(self, path: str) -> str | None:
        """Where `path` was in the first parent, by git's rename detection (costly: a full tree
        diff; only for a path that is new in this commit)."""
        diff = self._commit.parents[0].tree.diff_to_tree(self._commit.tree)
        diff.find_similar()
        return next(
            (
                delta.old_file.path
                for delta in diff.deltas
                if delta.new_file.path == path and delta.old_file.path != path
            ),
            None,
        )


def _ident(signature: pygit2.Signature) -> Ident:
    return Ident(signature.name, signature.email, signature.time, signature.offset)


class ObjectStore:
    """The repository's commits, trees and blobs, read with libgit2. pygit2 is imported when a
    store is opened (a warm check must not load it); open one per command and share it."""

    def __init__(self, repo: Repository) -> None:
        import pygit2

        # libgit2 keeps parsed trees of up to 4 KiB only: a folder of 100 cards is larger, and
        # every `a/b/c` lookup through it re-read and re-parsed it (~150 µs each, 1,000 artifacts).
        pygit2.settings.cache_object_limit(pygit2.enums.ObjectType.TREE, TREES_CACHED_UP_TO)
        self._git = pygit2.Repository(str(repo.root))

    def commit(self, revision: str) -> Commit:
        """The commit `revision` names (a tag is peeled); KeyError or ValueError if none."""
        import pygit2

        return Commit(self._git.revparse_single(revision).peel(pygit2.Commit))

    def walk(self, start: Commit) -> Iterator[Commit]:
        """`start` and its ancestors, newest first, each after every commit it is a parent of
        (git log --topo-order)."""
        from pygit2.enums import SortMode

        return map(Commit, self._git.walk(start._commit.id, SortMode.TOPOLOGICAL | SortMode.TIME))

    def ancestry(self, starts: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
        """Each commit that is one of `starts` or an ancestor of one, with its parents' ids, from
        one walk: every commit comes after all the walked commits it is a parent of (git rev-list
        --topo-order). A start that names no commit here (unknown, a tree, a tag) is left out.
        Answers "which of these commits contain which" for many pairs at once, where
        `descendant_of` answers one pair."""
        import pygit2
        from pygit2.enums import SortMode

        walker = self._git.walk(None, SortMode.TOPOLOGICAL)
        for start in starts:
            try:
                found = self._git.get(start)
            except ValueError:
                continue
            if isinstance(found, pygit2.Commit):
                walker.push(found.id)
        for commit in walker:
            yield str(commit.id), [str(parent) for parent in commit.parent_ids]

    def blob(self, oid: str) -> bytes | None:
        """The bytes of blob `oid`, or None where `oid` names no blob here."""
        import pygit2

        try:
            found = self._git[oid]
        except (KeyError, ValueError):
            return None
        return found.data if isinstance(found, pygit2.Blob) else None

    def descendant_of(self, commit: str, ancestor: str) -> bool:
        """Whether `ancestor` is an ancestor of `commit` (not `commit` itself); False where
        either is not a commit here."""
        try:
            return bool(self._git.descendant_of(commit, ancestor))
        except (KeyError, ValueError):
            return False

    def first_parent_line(self) -> dict[str, bool]:
        """The default branch's first-parent line, oldest first: each commit's id, and whether
        it is a merge (empty without a default branch)."""
        import pygit2

        branch = next((ref for ref in DEFAULT_BRANCHES if ref in self._git.references), None)
        if branch is None:
            return {}
        line = []
        commit = self._git.references[branch].peel(pygit2.Commit)
        while True:
            parents = commit.parents
            line.append((str(commit.id), len(parents) > 1))
            if not parents:
                break
            commit = parents[0]
        return dict(reversed(line))


def is_shallow(repo: Repository) -> bool:
    return git(["rev-parse", "--is-shallow-repository"], repo.root).strip() == "true"


def remote_refs(repo: Repository, remote: str) -> dict[str, str]:
    """The branches and tags `remote` has now (`git ls-remote`), by ref, with the object each
    points to (a tag's own object, not the commit it peels to)."""
    output = git(["ls-remote", "--heads", "--tags", remote], repo.root)
    lines = (line.partition("\t") for line in output.splitlines())
    return {name: oid for oid, _, name in lines if name and not name.endswith("^{}")}
