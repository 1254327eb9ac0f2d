"""Digests of the data in the work tree, through the stat cache: a file is hashed again only
when its stat changed or its cache entry is racy."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitckpt.cache import Cache, stat_key
from gitckpt.hashing import (
    ByteProgress,
    Copier,
    FileDigests,
    TreeEntry,
    digest_file,
    root_digest,
    shifted,
    tree_files,
)


@dataclass(frozen=True)
class TreeDigests:
    """A directory artifact: its root digest and each file's digests."""

    sha256: str
    size: int
    files: tuple[TreeEntry, ...]
    md5s: dict[str, str]


class DigestReader:
    """Hashes files of one repository, remembering results in its cache unless told not to, and
    handing a copier a copy of every file it reads."""

    def __init__(self, root: Path, cache: Cache | None, copier: Copier | None = None) -> None:
        self.root = root
        self.cache = cache
        self.copier = copier

    def file(self, relpath: str, progress: ByteProgress | None = None) -> FileDigests:
        path = self.root / relpath
        before = os.stat(path)
        if self.cache is not None:
            cached = self.cache.get_digests(relpath, before)
            if cached is not None:
                if progress:
                    progress(cached.size)
                return cached
        hashed_at_ns = time.time_ns()
        digests = self._read(path, progress)
        if self.cache is not None and stat_key(os.stat(path)) == stat_key(before):
            self.cache.put_digests(relpath, before, digests, hashed_at_ns)
        return digests

    def _read(self, path: Path, progress: ByteProgress | None) -> FileDigests:
        if self.copier is None:
            return digest_file(path, progress)
        copy = self.copier.start()
        digests = digest_file(path, progress, copy)
        self.copier.finish(copy, digests)
        return digests

    def tree(self, relpath: str, progress: ByteProgress | None = None) -> TreeDigests:
        directory = self.root / relpath

        def measured() -> Iterator[tuple[str, FileDigests]]:
            done = 0
            for path in tree_files(directory):
                inner = path.relative_to(directory).as_posix()
                digests = self.file(f"{relpath}/{inner}", shifted(progress, done))
                done += digests.size
                yield inner, digests

        return tree_digests(measured())

    def measure(
        self, relpath: str, progress: ByteProgress | None = None
    ) -> FileDigests | TreeDigests:
        """Digests of a file, or of a directory and each file in it."""
        if (self.root / relpath).is_dir():
            return self.tree(relpath, progress)
        return self.file(relpath, progress)

    def size_of(self, relpath: str) -> int:
        """Bytes to read for `relpath` (file or directory), for sizing a progress bar."""
        path = self.root / relpath
        if path.is_dir():
            return sum(file.stat().st_size for file in tree_files(path))
        return path.stat().st_size


def tree_digests(files: Iterable[tuple[str, FileDigests]]) -> TreeDigests:
    """A directory's digests from each file's, by path inside the directory."""
    entries, md5s = [], {}
    for inner, digests in files:
        entries.append(TreeEntry(path=inner, sha256=digests.sha256, size=digests.size))
        md5s[inner] = digests.md5
    return TreeDigests(
        sha256=root_digest(entries),
        size=sum(entry.size for entry in entries),
        files=tuple(entries),
        md5s=md5s,
    )


def bytes_block_values(digests: FileDigests | TreeDigests) -> dict[str, Any]:
    """What a card's bytes block records of measured data (md5 comes from the pointer)."""
    values: dict[str, Any] = {"sha256": digests.sha256, "size": digests.size}
    if isinstance(digests, TreeDigests):
        values["files"] = [
            {"path": entry.path, "sha256": entry.sha256, "size": entry.size}
            for entry in digests.files
        ]
    return values
