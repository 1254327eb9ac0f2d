"""md5 and sha256 of large files in one read, and a directory's root digest.

The two digests are computed concurrently from the same chunks: md5 in the reading thread,
sha256 in a worker (hashlib releases the GIL), so both cost about what md5 alone costs.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

CHUNK_SIZE = 4 * 1024 * 1024
ByteProgress = Callable[[int], None]


@dataclass(frozen=True)
class FileDigests:
    md5: str
    sha256: str
    size: int


@dataclass(frozen=True)
class TreeEntry:
    """One file of a directory artifact, by its path relative to the directory."""

    path: str
    sha256: str
    size: int


def digest_file(path: Path, progress: ByteProgress | None = None) -> FileDigests:
    """Both digests in a single pass over the file; `progress` gets the bytes read so far."""

    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    buffers = (bytearray(CHUNK_SIZE), bytearray(CHUNK_SIZE))
    size = 0
    pending: Future[None] | None = None
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as pool,
        open(path, "rb", buffering=0) as handle,
    ):
        turn = 0
        while count := handle.readinto(buffers[turn % 2]):
            chunk = memoryview(buffers[turn % 2])[:count]
            if pending is not None:
                pending.result()  # sha256 is done with the other buffer before it is refilled
            pending = pool.submit(sha256.update, chunk)
            turn += 1
            md5.update(chunk)
            size += count
            if progress:
                progress(size)
        if pending is not None:
            pending.result()
    return FileDigests(md5=md5.hexdigest(), sha256=sha256.hexdigest(), size=size)


def content_digest(data: bytes) -> str:
    """sha1 of small files (cards, pointers, schemas) for cache keys."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def shifted(progress: ByteProgress | None, offset: int) -> ByteProgress | None:
    """Progress of one file inside a larger job that had already read `offset` bytes."""
    if progress is None:
        return None
    return lambda count: progress(offset + count)


def tree_files(directory: Path) -> list[Path]:
    """Every regular file under `directory`, sorted by relative path (symlinks not followed)."""
    found: list[Path] = []
    for parent, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        found.extend(Path(parent) / name for name in filenames)
    return sorted(found, key=lambda path: path.relative_to(directory).as_posix())


def root_digest(entries: list[TreeEntry]) -> str:
    """A directory's digest: sha256 over `<sha256>  <path>` lines sorted by path, so any added,
    removed, renamed or changed file changes it (the scheme OpenSSF model signing uses)."""
    manifest = "".join(
        f"{entry.sha256}  {entry.path}\n" for entry in sorted(entries, key=lambda entry: entry.path)
    )
    return hashlib.sha256(manifest.encode()).hexdigest()
