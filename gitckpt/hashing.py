"""md5 and sha256 of a file in one read."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

CHUNK_SIZE = 4 * 1024 * 1024


@dataclass(frozen=True)
class FileDigests:
    md5: str
    sha256: str
    size: int


def digest_file(path: Path) -> FileDigests:
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return FileDigests(md5=md5.hexdigest(), sha256=sha256.hexdigest(), size=size)
