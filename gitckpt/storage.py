"""DVC, which moves the bytes: setting it up, tracking, pushing, pulling, reproducing a stage and
asking a remote what it holds.

Imported only by the commands that need it: importing DVC costs about a second.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitckpt.errors import GitckptError, InputError
from gitckpt.repo import no_git_env
from gitckpt.strict_json import load_json

LISTING_SIZE_LIMIT = 64 * 1024 * 1024  # a `.dir` listing of about 700,000 files
FILE_MD5 = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class KnownDigest:
    """An md5 we computed ourselves, handed to DVC so it need not read the file again."""

    path: Path
    md5: str


@contextlib.contextmanager
def open_dvc(root: Path) -> Iterator[Any]:
    """DVC's Repo for the repository at `root`, with DVC's own chatter kept off the terminal."""
    from dvc.exceptions import DvcException, NotDvcRepoError
    from dvc.repo import Repo

    dvc_logger = logging.getLogger("dvc")
    level = dvc_logger.level
    dvc_logger.setLevel(
        logging.WARNING
    )  # DVC's advice to `git add` its files: gitckpt stages them itself
    try:
        with Repo(str(root)) as repo, contextlib.redirect_stdout(io.StringIO()):
            yield repo
    except NotDvcRepoError as exc:
        raise GitckptError(f"{root} is not set up for DVC: run `git ckpt init` first") from exc
    except DvcException as exc:
        raise GitckptError(f"DVC: {exc}") from exc
    finally:
        dvc_logger.setLevel(level)


def init_dvc(root: Path) -> None:
    """`dvc init` at `root`."""
    completed = _run_dvc(root, "init", "--quiet")
    if completed.returncode != 0:
        raise GitckptError(
            f"`dvc init` failed:\n{completed.stderr.strip() or completed.stdout.strip()}"
        )


def reproduce_stage(root: Path, stage: str) -> None:
    """`dvc repro` the one pipeline stage `stage`, even if DVC thinks it is up to date."""
    completed = _run_dvc(root, "repro", "--force", "--single-item", stage)
    if completed.returncode != 0:
        raise GitckptError(
            f"`dvc repro {stage}` failed:\n{(completed.stderr or completed.stdout).strip()[-2000:]}"
        )


def _run_dvc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """DVC's command line, in its own process (a stage runs the user's code; init writes files
    DVC's API has no call for), outside any git hook's environment."""
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=no_git_env(),
        check=False,
    )


def track(root: Path, targets: Sequence[Path], known: Sequence[KnownDigest]) -> None:
    """`dvc add` the targets, telling DVC's state the md5s we already know (no second read)."""
    from dvc_data.hashfile.hash_info import HashInfo

    with open_dvc(root) as repo:
        repo.state.save_many(
            ((str(item.path), HashInfo("md5", item.md5), None) for item in known), repo.fs
        )
        repo.add([str(target) for target in targets])


def push_data(root: Path, targets: Sequence[Path], remote: str | None) -> int:
    with open_dvc(root) as repo:
        return int(repo.push(targets=[str(target) for target in targets] or None, remote=remote))


def pull_data(root: Path, targets: Sequence[Path], remote: str | None) -> int:
    with open_dvc(root) as repo:
        result = repo.pull(targets=[str(target) for target in targets] or None, remote=remote)
        return int(result.get("fetched", 0)) if isinstance(result, dict) else 0


def default_remote(root: Path) -> str | None:
    with open_dvc(root) as repo:
        remote = repo.config["core"].get("remote")
        return str(remote) if remote else None


def remote_holdings(root: Path, md5s: Sequence[str], remote: str | None) -> dict[str, bool] | None:
    """For each md5 (file or `.dir`), whether the remote holds all of its bytes; None when no
    remote is configured."""
    from dvc.config import NoRemoteError
    from dvc_data.hashfile.hash_info import HashInfo

    with open_dvc(root) as repo:
        try:
            repo.cloud.get_remote_odb(remote, "status")
        except NoRemoteError:
            return None
        holdings = {}
        for md5 in md5s:
            status = repo.cloud.status([HashInfo("md5", md5)], remote=remote)
            holdings[md5] = not status.new and not status.missing
        return holdings


def cached_object(root: Path, md5: str, remote: str | None) -> Path:
    """The DVC cache file holding the bytes with this md5, fetched from the remote if needed."""
    from dvc_data.hashfile.hash_info import HashInfo

    with open_dvc(root) as repo:
        path = _object_path(repo, md5)
        if not path.exists():
            repo.cloud.pull([HashInfo("md5", md5)], remote=remote)
    if not path.exists():
        raise GitckptError(
            f"the bytes with md5 {md5} are neither in the DVC cache nor in the remote"
        )
    return path


def local_object(root: Path, md5: str) -> Path | None:
    """The local DVC cache file holding the bytes with this md5, or None: never fetched."""
    with open_dvc(root) as repo:
        path = _object_path(repo, md5)
    return path if path.is_file() else None


def local_directory(root: Path, md5: str) -> list[tuple[str, Path]] | None:
    """Each file of the directory whose DVC md5 is `md5` (`<md5>.dir`), by its path inside the
    directory, with the local DVC cache file holding it; None when the cache lacks the directory's
    listing or any of its files (never fetched)."""
    with open_dvc(root) as repo:
        listing = _object_path(repo, md5)
        if not listing.is_file():
            return None
        files = [
            (relpath, _object_path(repo, file_md5))
            for relpath, file_md5 in _listing_entries(listing)
        ]
    return files if all(path.is_file() for _, path in files) else None


def directory_md5(md5s: Mapping[str, str]) -> str:
    """DVC's md5 of a directory (`<md5>.dir`) holding files with these md5s, by path inside it:
    computed by DVC's own code, so it always agrees with the pointers DVC writes."""
    from dvc_data.hashfile.hash_info import HashInfo
    from dvc_data.hashfile.tree import Tree

    tree_class: Any = Tree  # dvc-data does not annotate its constructor
    tree = tree_class()
    for relpath, md5 in md5s.items():
        tree.add(tuple(relpath.split("/")), None, HashInfo("md5", md5))
    tree.digest()
    return str(tree.hash_info.value)


def _object_path(repo: Any, md5: str) -> Path:
    return Path(repo.cache.local.oid_to_path(md5))


def _listing_entries(listing: Path) -> list[tuple[str, str]]:
    """(path inside the directory, md5) of each file a DVC `.dir` listing names; a listing that is
    not a list of safe relative paths with file md5s is an error naming it."""

    with listing.open("rb") as handle:
        entries = load_json(
            handle.read(LISTING_SIZE_LIMIT + 1),
            str(listing),
            max_bytes=LISTING_SIZE_LIMIT,
            max_depth=2,
        )
    if not isinstance(entries, list):
        raise InputError("a DVC directory listing must be a JSON list", path=str(listing))
    found = []
    for number, entry in enumerate(entries, start=1):
        relpath = entry.get("relpath") if isinstance(entry, dict) else None
        md5 = entry.get("md5") if isinstance(entry, dict) else None
        if (
            not isinstance(relpath, str)
            or not isinstance(md5, str)
            or not FILE_MD5.fullmatch(md5)
            or not _inside(relpath)
        ):
            raise InputError(
                f"entry {number} is not {{relpath, md5}} with a relative path and a file md5",
                path=str(listing),
            )
        found.append((relpath, md5))
    return found


def _inside(relpath: str) -> bool:
    return all(part not in ("", ".", "..") for part in relpath.split("/"))
