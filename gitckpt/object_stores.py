"""DVC's object stores as `gc` and `archive` use them: list, size, remove, copy and read back
objects by md5 in the local cache or a remote, always through DVC's own object-store API (never
by deleting files DVC manages)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitckpt.hashing import FileDigests, digest_file
from gitckpt.storage import open_dvc, parsed_listing


def _store(repo: Any, remote: str | None) -> Any:
    """DVC's object store: the local cache (`remote` None), or the named remote's md5 store."""
    return repo.cache.local if remote is None else repo.cloud.get_remote_odb(remote, "gc")


def stored_objects(root: Path, remote: str | None) -> list[str]:
    """Every object id (md5, `md5.dir` for a listing) the local cache or the remote holds, as
    DVC's own gc lists them."""
    with open_dvc(root) as repo:
        return sorted(str(oid) for oid in _store(repo, remote).all())


def object_sizes(root: Path, md5s: Sequence[str], remote: str | None) -> dict[str, int]:
    """The size of each stored object, asked of the store itself."""
    with open_dvc(root) as repo:
        odb = _store(repo, remote)
        return {md5: int(odb.fs.size(odb.oid_to_path(md5))) for md5 in md5s}


def directory_listings(
    root: Path, md5s: Sequence[str], remote: str | None
) -> dict[str, list[str] | None]:
    """For each directory listing `md5`, the md5 of each file it names, read from the local
    cache, else from `remote` (None: DVC's default remote, if any); None when neither holds
    the listing."""
    found: dict[str, list[str] | None] = {}
    with open_dvc(root) as repo:
        fallback = remote or repo.config["core"].get("remote")
        stores = (repo.cache.local, *([_store(repo, fallback)] if fallback else []))
        for md5 in md5s:
            found[md5] = None
            for odb in stores:
                path = odb.oid_to_path(md5)
                if odb.fs.exists(path):
                    listing = parsed_listing(odb.fs.cat_file(path), f"{md5} in {odb.path}")
                    found[md5] = [child for _, child in listing]
                    break
    return found


def remove_objects(root: Path, md5s: Sequence[str], remote: str | None) -> None:
    """Remove exactly these objects from the local cache or the remote, under DVC's lock, as
    DVC's own gc removes them (dvc_data.hashfile.gc). DVC's gc removes whatever is not in a
    `used` set; this removes only the objects planned, so an object pushed meanwhile is never
    deleted by a plan that did not know it."""
    from dvc_data.hashfile.db import get_index

    with open_dvc(root) as repo, repo.lock:
        odb = _store(repo, remote)
        for md5 in md5s:
            if md5.endswith(".dir"):
                odb._remove_unpacked_dir(md5)  # what DVC's own gc does for a listing
        paths = [odb.oid_to_path(md5) for md5 in md5s]
        if paths:
            odb.fs.remove(paths)
        if remote is not None:
            get_index(odb).clear()


def copy_to_remote(root: Path, md5s: Sequence[str], remote: str) -> None:
    """Push these objects (a listing with its files) from the local cache to `remote`."""
    from dvc_data.hashfile.hash_info import HashInfo

    with open_dvc(root) as repo:
        repo.cloud.push([HashInfo("md5", md5) for md5 in md5s], remote=remote)


def fetch_objects(root: Path, md5s: Sequence[str], remote: str | None) -> None:
    """Fetch these objects from `remote` into the local cache (those it lacks)."""
    from dvc_data.hashfile.hash_info import HashInfo

    with open_dvc(root) as repo:
        repo.cloud.pull([HashInfo("md5", md5) for md5 in md5s], remote=remote)


def remote_copy_digests(root: Path, md5: str, remote: str) -> FileDigests | None:
    """md5 and sha256 of the copy of object `md5` that `remote` holds, read back from it (not
    from the local cache); None when the remote does not hold it."""
    import tempfile

    with open_dvc(root) as repo:
        odb = _store(repo, remote)
        path = odb.oid_to_path(md5)
        if not odb.fs.exists(path):
            return None
        with tempfile.TemporaryDirectory(prefix="gitckpt-archive-") as folder:
            local = Path(folder) / "copy"
            odb.fs.get_file(path, str(local))
            return digest_file(local)


def local_cache_dir(root: Path) -> Path:
    """Where this repository's DVC cache is (`cache.dir`, `.dvc/cache` by default)."""
    with open_dvc(root) as repo:
        return Path(repo.cache.local.path)
