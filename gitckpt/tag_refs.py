"""Which tags the repository has, without reading a tag object: the cheap question `check`,
`search` and completion ask on every run. Reading what the tags say is `tag_events.py`'s job,
which a command loads only when it needs it (it brings the records and their schemas)."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from gitckpt.cache import RACY_WINDOW_NS, Cache
from gitckpt.repo import Repository, git

_TAG_NAMES = "tag-names"  # one entry, replaced when the tags change (never one per listing)


def read_tag_names(repo: Repository, cache: Cache | None = None) -> list[str]:
    """Every tag's name, without reading any tag object. With a `cache`, remembered by the
    tag-ref files' fingerprint: while no tag was created, moved or deleted, no git runs."""
    fingerprint = tag_refs_fingerprint(repo) if cache is not None else None
    if cache is None or fingerprint is None:
        return list(read_tag_refs(repo))
    known = cache.get_results([_TAG_NAMES]).get(_TAG_NAMES)
    if isinstance(known, dict) and known.get("fingerprint") == fingerprint:
        return list(known["names"])
    names = list(read_tag_refs(repo))
    cache.put_results({_TAG_NAMES: {"fingerprint": fingerprint, "names": names}})
    return names


def tag_refs_fingerprint(repo: Repository) -> str | None:
    """A digest of the stat of every file and directory git keeps tag refs in (packed-refs and
    refs/tags/**): while it is unchanged, no tag was created, moved or deleted, so a caller that
    kept the tags need not list them. None when that cannot be told: refs kept in a reftable, or
    a ref file touched within the racy window (file times are coarser than two quick writes)."""

    common = _common_dir(repo.git_dir)
    if (common / "reftable").exists():
        return None
    stats = [_stat_row(common / "packed-refs")]
    directories = [common / "refs" / "tags"]
    while directories:
        directory = directories.pop()
        stats.append(_stat_row(directory))
        if not directory.is_dir():
            continue
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    directories.append(Path(entry.path))
                else:
                    stats.append(_stat_row(Path(entry.path)))
    if time.time_ns() - max(row[1] for row in stats) < RACY_WINDOW_NS:
        return None
    return hashlib.sha1(repr(sorted(stats)).encode(), usedforsecurity=False).hexdigest()


def _common_dir(git_dir: Path) -> Path:
    """Where refs live: a linked worktree's git directory names the main one in `commondir`."""
    pointer = git_dir / "commondir"
    return (
        (git_dir / pointer.read_text(encoding="utf-8").strip()).resolve()
        if pointer.is_file()
        else git_dir
    )


def _stat_row(path: Path) -> tuple[str, int, int, int, int]:
    try:
        stat = path.lstat()
    except FileNotFoundError:
        return str(path), 0, 0, -1, 0
    return str(path), stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino


def read_tag_refs(repo: Repository) -> dict[str, str]:
    """Every tag's name and the id of the object it points to, without reading any tag object."""
    refs = {}
    for line in git(
        ["for-each-ref", "--format=%(objectname) %(refname:strip=2)", "refs/tags"], repo.root
    ).splitlines():
        oid, name = line.split(" ", 1)
        refs[name] = oid
    return refs
