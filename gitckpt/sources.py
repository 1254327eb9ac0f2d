"""Where cards and pointers are read from: the work tree, or the tree of a commit (to check
what a release is cut from, or what a tag recorded), through the same interface."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property

from gitckpt.errors import GitckptError, InputError
from gitckpt.files import read_limited
from gitckpt.repo import Repository, commit_id, git, list_work_tree_files, read_objects

SYMLINK_MODE = "120000"
LimitOf = Callable[[str], int]


class WorkTreeSource:
    """Files as they are on disk (tracked, plus untracked ones git does not ignore)."""

    revision: str | None = None
    symlinks: frozenset[str] | None = None  # None: ask the filesystem

    def __init__(self, repo: Repository) -> None:
        self.repo = repo

    def files(self) -> list[str]:
        return list_work_tree_files(self.repo)

    def read(self, relpaths: Sequence[str], limit_of: LimitOf) -> dict[str, bytes | InputError]:
        """Each file's bytes, or the InputError saying why not (too big, a FIFO, a device); files
        that vanished are left out."""
        found: dict[str, bytes | InputError] = {}
        for relpath in relpaths:
            path = self.repo.root / relpath
            try:
                found[relpath] = read_limited(path, limit_of(relpath), relpath)
            except InputError as error:
                if path.exists():
                    found[relpath] = error
        return found


class RevisionSource:
    """Files as committed in `revision`: one `git ls-tree` (on first use: a caller that knows the
    tree already, such as the search index, never runs it) and one `git cat-file --batch`."""

    def __init__(self, repo: Repository, revision: str, *, resolved: bool = False) -> None:
        """`resolved`: `revision` is a commit id the caller has already resolved (no rev-parse)."""
        self.repo = repo
        self.revision = revision if resolved else _commit_of(repo, revision)

    @cached_property
    def _entries(self) -> dict[str, tuple[str, str, int]]:
        entries = {}
        for line in git(
            ["ls-tree", "-r", "-z", "-l", "--full-tree", self.revision], self.repo.root
        ).split("\0"):
            if line:
                meta, path = line.split("\t", 1)
                mode, kind, oid, size = meta.split()
                if kind == "blob":
                    entries[path] = (mode, oid, int(size) if size.isdigit() else 0)
        return entries

    @cached_property
    def symlinks(self) -> frozenset[str]:
        return frozenset(
            path for path, (mode, _, _) in self._entries.items() if mode == SYMLINK_MODE
        )

    def files(self) -> list[str]:
        return list(self._entries)

    def blob_id(self, relpath: str) -> str | None:
        entry = self._entries.get(relpath)
        return entry[1] if entry else None

    def read(self, relpaths: Sequence[str], limit_of: LimitOf) -> dict[str, bytes | InputError]:
        found: dict[str, bytes | InputError] = {}
        wanted = []
        for relpath in relpaths:
            if relpath not in self._entries:
                continue
            _, oid, size = self._entries[relpath]
            if size > limit_of(relpath):
                found[relpath] = InputError(
                    f"file is {size:,} bytes, over the {limit_of(relpath):,}-byte limit "
                    "for this kind of file",
                    path=relpath,
                )
            else:
                wanted.append((relpath, oid))
        found.update(
            zip(
                (relpath for relpath, _ in wanted),
                self._cat([oid for _, oid in wanted]),
                strict=True,
            )
        )
        return found

    def _cat(self, oids: Sequence[str]) -> list[bytes]:
        return [found[1] if found else b"" for found in read_objects(self.repo, oids)]


Source = WorkTreeSource | RevisionSource


def _commit_of(repo: Repository, revision: str) -> str:
    commit = commit_id(repo, revision)
    if not commit:
        raise GitckptError(f"{revision!r} is not a commit in this repository")
    return commit
