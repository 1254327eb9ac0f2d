"""DVC, which moves the bytes: tracking, pushing, pulling and asking a remote what it holds.

Imported only by the commands that need it: importing DVC costs about a second.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitckpt.errors import GitckptError


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
    dvc_logger.setLevel(logging.WARNING)  # DVC's advice to `git add` its files: gitckpt stages them itself
    try:
        with Repo(str(root)) as repo, contextlib.redirect_stdout(io.StringIO()):
            yield repo
    except NotDvcRepoError as exc:
        raise GitckptError(f"{root} is not set up for DVC: run `git ckpt init` first") from exc
    except DvcException as exc:
        raise GitckptError(f"DVC: {exc}") from exc
    finally:
        dvc_logger.setLevel(level)


def track(root: Path, targets: Sequence[Path], known: Sequence[KnownDigest]) -> None:
    """`dvc add` the targets, telling DVC's state the md5s we already know (no second read)."""
    from dvc_data.hashfile.hash_info import HashInfo

    with open_dvc(root) as repo:
        repo.state.save_many(((str(item.path), HashInfo("md5", item.md5), None) for item in known), repo.fs)
        repo.add([str(target) for target in targets])


def push(root: Path, targets: Sequence[Path], remote: str | None) -> int:
    with open_dvc(root) as repo:
        return int(repo.push(targets=[str(target) for target in targets] or None, remote=remote))


def pull(root: Path, targets: Sequence[Path], remote: str | None) -> int:
    with open_dvc(root) as repo:
        result = repo.pull(targets=[str(target) for target in targets] or None, remote=remote)
        return int(result.get("fetched", 0)) if isinstance(result, dict) else 0


def default_remote(root: Path) -> str | None:
    with open_dvc(root) as repo:
        return repo.config["core"].get("remote")


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
        path = Path(repo.cache.local.oid_to_path(md5))
        if not path.exists():
            repo.cloud.pull([HashInfo("md5", md5)], remote=remote)
    if not path.exists():
        raise GitckptError(f"the bytes with md5 {md5} are neither in the DVC cache nor in the remote")
    return path
