"""Where cards and pointers are read from: the work tree, or the tree of a commit (to check
what a release is cut from, or what a tag recorded), through the same interface."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path

from gitckpt.cache import Cache
from gitckpt.errors import GitckptError, InputError
from gitckpt.files import read_limited
from gitckpt.hashing import git_blob_id
from gitckpt.repo import Repository, commit_id, git, list_work_tree_files, read_objects

SYMLINK_MODE = "120000"
LimitOf = Callable[[str], int]


class WorkTreeSource:
    """Files as they are on disk (tracked, plus untracked ones git does not ignore). Given a
    cache, it remembers the blob id of each file it reads by the file's stat."""

    revision: str | None = None
    symlinks: frozenset[str] | None = None  # None: ask the filesystem

    def __init__(self, repo: Repository, cache: Cache | None = None) -> None:
        self.repo = repo
        self.cache = cache

    def files(self) -> list[str]:
        return list_work_tree_files(self.repo)

    def start_listing(self) -> Callable[[], list[str]]:
        """`files`, answered later: git walks the tree while the caller reads the cache."""
        return BackgroundListing(self.repo).files

    def blob_ids(self, relpaths: Sequence[str], limit_of: LimitOf) -> dict[str, str]:
        """The blob id of each regular file within its limit whose stat is the one recorded when
        it was last read (and not racy): known without reading the file."""
        if self.cache is None:
            return {}
        stats = {}
        root = f"{self.repo.root}{os.sep}"  # joined as strings: a Path per file costs more
        for relpath in relpaths:
            try:
                status = os.stat(root + relpath)
            except OSError:
                continue
            if stat.S_ISREG(status.st_mode) and status.st_size <= limit_of(relpath):
                stats[relpath] = status
        return self.cache.get_blob_ids(stats)

    def read(self, relpaths: Sequence[str], limit_of: LimitOf) -> dict[str, bytes | InputError]:
        """Each file's bytes, or the InputError saying why not (too big, a FIFO, a device); files
        that vanished are left out."""
        seen_at_ns = time.time_ns()
        found: dict[str, bytes | InputError] = {}
        for relpath in relpaths:
            path = self.repo.root / relpath
            try:
                found[relpath] = read_limited(path, limit_of(relpath), relpath)
            except InputError as error:
                if not _vanished(path):
                    found[relpath] = error
        self._remember_blob_ids(found, seen_at_ns)
        return found

    def _remember_blob_ids(self, found: dict[str, bytes | InputError], seen_at_ns: int) -> None:
        """Record each file's id with its stat taken after reading it: had it changed after
        `seen_at_ns`, its modification time makes the entry racy (see gitckpt/cache.py)."""
        if self.cache is None:
            return
        seen = {}
        for relpath, data in found.items():
            if isinstance(data, bytes):
                try:
                    seen[relpath] = (os.stat(self.repo.root / relpath), git_blob_id(data))
                except OSError:
                    continue
        self.cache.put_blob_ids(seen, seen_at_ns)


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

    def start_listing(self) -> Callable[[], list[str]]:
        return self.files  # a commit's tree is listed at once

    def blob_id(self, relpath: str) -> str | None:
        entry = self._entries.get(relpath)
        return entry[1] if entry else None

    def blob_ids(self, relpaths: Sequence[str], limit_of: LimitOf) -> dict[str, str]:
        """The blob id of each file within its limit (from the tree: nothing is read)."""
        return {
            relpath: entry[1]
            for relpath in relpaths
            if (entry := self._entries.get(relpath)) and entry[2] <= limit_of(relpath)
        }

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


def _vanished(path: Path) -> bool:
    """Whether `path` is gone (or never was). One that cannot be looked at (a directory without
    permission) is there: reading it is refused with the reason, not skipped, nor a crash."""
    try:
        path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


class BackgroundListing:
    """`list_work_tree_files` in a thread: git walks the work tree on another core while the
    caller reads the files it expects to find; `files()` waits for git's answer (a warm `check`
    spends ~25 ms of its 0.2 s in this walk)."""

    def __init__(self, repo: Repository) -> None:
        self._files: list[str] = []
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._list, args=(repo,), daemon=True)
        self._thread.start()

    def _list(self, repo: Repository) -> None:
        try:
            self._files = list_work_tree_files(repo)
        except Exception as exc:  # raised in the caller's thread by files(), never swallowed
            self._error = exc

    def files(self) -> list[str]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._files


Source = WorkTreeSource | RevisionSource


def _commit_of(repo: Repository, revision: str) -> str:
    commit = commit_id(repo, revision)
    if not commit:
        raise GitckptError(f"{revision!r} is not a commit in this repository")
    return commit
