"""md5 and sha256 of large files in one read, and a directory's root digest.

The two digests are computed concurrently from the same chunks: md5 in the reading thread,
sha256 in a worker (hashlib releases the GIL), so both cost about what md5 alone costs. A copy of
the bytes (`git ckpt add` filling DVC's cache) is written from the same chunks by another worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, Protocol

if TYPE_CHECKING:  # annotations only: the pools are imported where they run
    from concurrent.futures import Future, ThreadPoolExecutor

CHUNK_SIZE = 4 * 1024 * 1024
BUFFERS = 4  # chunks in flight: a slow write or sha256 does not stall the read at once
ByteProgress = Callable[[int], None]


class FileDigests(NamedTuple):
    md5: str
    sha256: str
    size: int


class Copier(Protocol):
    """Takes a copy of each file that is read to digest it: a handle to write the file's bytes
    to, and the file's digests once every byte is written."""

    def start(self) -> BinaryIO: ...

    def finish(self, copy: BinaryIO, digests: FileDigests) -> None: ...


class TreeEntry(NamedTuple):
    """One file of a directory artifact, by its path relative to the directory."""

    path: str
    sha256: str
    size: int


def digest_file(
    path: Path, progress: ByteProgress | None = None, copy_to: BinaryIO | None = None
) -> FileDigests:
    """Both digests in a single pass over the file; `progress` gets the bytes read so far, and
    `copy_to`, if given, every byte, from the same chunks."""

    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    consumers = [sha256.update] + ([copy_to.write] if copy_to else [])
    buffers = [bytearray(CHUNK_SIZE) for _ in range(BUFFERS)]
    pending: list[list[Future[object]]] = [[] for _ in buffers]
    size = 0
    with (
        _workers(len(consumers)) as workers,
        open(path, "rb", buffering=0) as handle,
    ):
        turn = 0
        while True:
            slot = turn % BUFFERS
            for job in pending[slot]:
                job.result()  # the workers are done with this buffer before it is refilled
            count = handle.readinto(buffers[slot])
            if not count:
                break
            chunk = memoryview(buffers[slot])[:count]
            pending[slot] = [
                worker.submit(consume, chunk)
                for worker, consume in zip(workers, consumers, strict=True)
            ]
            turn += 1
            md5.update(chunk)
            size += count
            if progress:
                progress(size)
        for jobs in pending:
            for job in jobs:
                job.result()
    return FileDigests(md5=md5.hexdigest(), sha256=sha256.hexdigest(), size=size)


@contextlib.contextmanager
def _workers(count: int) -> Iterator[list[ThreadPoolExecutor]]:
    """One thread per consumer of the chunks, so each sees them in order."""
    from concurrent.futures import ThreadPoolExecutor

    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(ThreadPoolExecutor(max_workers=1)) for _ in range(count)]


def content_digest(data: bytes) -> str:
    """sha1 of small files (cards, pointers, schemas) for cache keys."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def git_blob_id(data: bytes) -> str:
    """The id git gives `data` as a blob: a file in the work tree and the same bytes committed
    share one key in the cache, and a commit's files are looked up without reading them."""
    digest = hashlib.sha1(b"blob %d\0" % len(data), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()


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
