"""An artifact's data as this machine holds it, measured: the copy in the work tree, or the object
in the local DVC cache that a pointer's md5 names. DVC data is git-ignored, so a clean `git
status` says nothing about which version the work tree holds; whoever checks committed bytes
compares both digests before trusting a copy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitckpt import storage
from gitckpt.digests import DigestReader, TreeDigests, tree_digests
from gitckpt.hashing import digest_file


@dataclass(frozen=True)
class HeldBytes:
    """Measured data: DVC's md5 (`<md5>.dir` for a directory), our sha256 (a directory's root
    digest), and each file by its path in the repository with where its bytes are read."""

    md5: str
    sha256: str
    files: tuple[tuple[str, Path], ...]

    def are(self, md5: str, sha256: str | None) -> bool:
        """Whether these are the bytes a pointer's md5 and a card's sha256 describe."""
        return self.md5 == md5 and self.sha256 == sha256


def in_work_tree(reader: DigestReader, relpath: str) -> HeldBytes | None:
    """The data at `relpath` in the work tree, measured through the stat cache; None if absent."""
    path = reader.root / relpath
    if not path.exists():
        return None
    measured = reader.measure(relpath)
    if isinstance(measured, TreeDigests):
        files = tuple((f"{relpath}/{entry.path}", path / entry.path) for entry in measured.files)
        return HeldBytes(
            md5=storage.directory_md5(measured.md5s), sha256=measured.sha256, files=files
        )
    return HeldBytes(md5=measured.md5, sha256=measured.sha256, files=((relpath, path),))


def in_dvc_cache(root: Path, relpath: str, md5: str) -> HeldBytes | None:
    """The local DVC cache's copy of the data with this md5 (a file, or a directory's listing and
    every file in it), measured; None when the cache lacks any of it. Nothing is fetched."""
    if md5.endswith(".dir"):
        objects = storage.local_directory(root, md5)
        if objects is None:
            return None
        measured = tree_digests((inner, digest_file(path)) for inner, path in objects)
        files = tuple((f"{relpath}/{inner}", path) for inner, path in objects)
        return HeldBytes(
            md5=storage.directory_md5(measured.md5s), sha256=measured.sha256, files=files
        )
    path = storage.local_object(root, md5)
    if path is None:
        return None
    digests = digest_file(path)
    return HeldBytes(md5=digests.md5, sha256=digests.sha256, files=((relpath, path),))
