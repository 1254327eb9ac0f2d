"""DVC, which moves the bytes: setting it up, tracking, pushing, pulling, reproducing a stage and
asking a remote what it holds.

Imported only by the commands that need it: importing DVC costs about a second.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from gitckpt.errors import GitckptError, InputError
from gitckpt.hashing import FileDigests
from gitckpt.repo import no_git_env
from gitckpt.strict_json import load_json

LISTING_SIZE_LIMIT = 64 * 1024 * 1024  # a `.dir` listing of about 700,000 files
FILE_MD5 = re.compile(r"[0-9a-f]{32}")
CACHE_LAYOUT_MAJOR = "3"  # the DVC major version whose cache gitckpt writes itself
OBJECT_MODE = 0o444  # DVC protects its cache objects (and trusts them without re-hashing)


@dataclass(frozen=True)
class KnownDigest:
    """An md5 we computed ourselves, handed to DVC so it need not read the file again."""

    path: Path
    md5: str


@contextlib.contextmanager
def open_dvc(root: Path) -> Iterator[Any]:
    """DVC's Repo for the repository at `root`, with DVC's own chatter kept off the terminal."""
    with _dvc_repo(root) as repo, _quiet():
        yield repo


@contextlib.contextmanager
def _dvc_repo(root: Path) -> Iterator[Any]:
    """DVC's Repo for the repository at `root`, its errors as gitckpt's."""
    import logging

    from dvc.exceptions import DvcException, NotDvcRepoError
    from dvc.repo import Repo

    dvc_logger = logging.getLogger("dvc")
    level = dvc_logger.level
    dvc_logger.setLevel(
        logging.WARNING
    )  # DVC's advice to `git add` its files: gitckpt stages them itself
    try:
        with Repo(str(root)) as repo:
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


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()):
        yield


class CacheFill:
    """DVC's cache, filled with the bytes of the files gitckpt reads while it reads them: each
    object is written to a temporary file in the cache and, once every file has been read, renamed
    to the path DVC keeps it at for its md5 (files/md5/ab/cdef…), read-only as DVC keeps it. The
    temporary files sit in the cache's top directory, on the object's file system, because the
    object's own directory depends on an md5 that is known only after the last byte."""

    def __init__(self, odb: Any) -> None:
        self._odb = odb
        self._open: dict[Path, BinaryIO] = {}
        self._read: dict[Path, str] = {}

    def start(self) -> BinaryIO:
        from dvc_objects.fs.utils import tmp_fname

        self._odb.makedirs(self._odb.path)
        temporary = Path(self._odb.path) / tmp_fname()
        copy = temporary.open("xb")
        self._open[temporary] = copy
        return copy

    def finish(self, copy: BinaryIO, digests: FileDigests) -> None:
        temporary = Path(copy.name)
        del self._open[temporary]
        copy.close()
        os.chmod(temporary, OBJECT_MODE)
        self._read[temporary] = digests.md5

    def place(self) -> None:
        """Every object read in full, at DVC's path for it; an object DVC already has is left to
        DVC (it judges its own objects) and the copy dropped."""
        for temporary, md5 in list(self._read.items()):
            target = Path(self._odb.oid_to_path(md5))
            if target.exists():
                temporary.unlink()
            else:
                self._odb.makedirs(str(target.parent))
                os.rename(temporary, target)
            del self._read[temporary]

    def discard(self) -> None:
        """Drop every copy not placed: an interrupted add leaves nothing in the cache."""
        for copy in self._open.values():
            copy.close()
        for temporary in [*self._open, *self._read]:
            temporary.unlink(missing_ok=True)
        self._open.clear()
        self._read.clear()


@dataclass(frozen=True)
class CachePlan:
    """How one `git ckpt add` gets the bytes into DVC's cache: `fill` copies them as gitckpt
    reads them (None: DVC adds them itself); `copies` says DVC links the work tree from its cache
    by copying; `note` says why DVC must copy the bytes itself, when it must."""

    fill: CacheFill | None
    copies: bool
    note: str | None


class TrackingSession:
    """One `git ckpt add` against DVC: `plan.fill` takes the bytes while they are hashed, then
    `track` has DVC track the targets."""

    def __init__(self, repo: Any, sample: Path) -> None:
        self._repo = repo
        self.plan = cache_plan(repo, sample)

    def track(self, targets: Sequence[Path], known: Sequence[KnownDigest]) -> None:
        """`dvc add` the targets, telling DVC's state the md5s we already know (no second read),
        once their objects are in DVC's cache (DVC finds them there and does not copy them).

        DVC 3 replaces a single file it adds with a new copy out of its cache unless cache.type
        starts with copy; where the file already is such a copy (a plain file, no other links),
        DVC is told not to, and records it as its relinking would, for `dvc checkout`."""
        from dvc_data.hashfile.hash_info import HashInfo

        if self.plan.fill is not None:
            self.plan.fill.place()
        self._repo.state.save_many(
            ((str(item.path), HashInfo("md5", item.md5), None) for item in known), self._repo.fs
        )
        kept = [target for target in targets if self.plan.copies and _plain_file(target)]
        relinked = [target for target in targets if target not in kept]
        with _quiet():
            for group, relink in ((relinked, True), (kept, False)):
                if group:
                    self._repo.add([str(target) for target in group], relink=relink)
        for target in kept:
            self._repo.state.save_link(str(target), self._repo.fs)


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink() and path.stat().st_nlink == 1


@contextlib.contextmanager
def tracking_session(root: Path, sample: Path) -> Iterator[TrackingSession]:
    """A `TrackingSession` for data at `root`; `sample` is one of the targets, where DVC would
    link from its cache (so where links are tried)."""
    with _dvc_repo(root) as repo:
        session = TrackingSession(repo, sample)
        try:
            yield session
        finally:
            if session.plan.fill is not None:
                session.plan.fill.discard()


def cache_plan(repo: Any, sample: Path) -> CachePlan:
    """gitckpt copies the bytes into DVC's cache as it reads them unless DVC's cache is not laid
    out as it expects (then a note says so) or DVC does better itself: it reflinks, or hardlinks
    when cache.type puts hardlink first. Links are tried as DVC tries them when it checks out."""
    from dvc_objects.fs.generic import test_links

    odb = repo.cache.local
    problem = _layout_problem(odb)
    if problem:
        note = f"DVC's cache is not laid out as gitckpt expects ({problem}): "
        return CachePlan(None, False, note + "DVC copies the bytes into it with a second read")
    kinds = list(dict.fromkeys(["reflink", *odb.cache_types]))
    try:
        odb.makedirs(odb.path)
        working = test_links(kinds, odb.fs, odb.path, repo.fs, str(sample))
    except OSError:  # a cache DVC cannot write to: DVC says so when it adds
        return CachePlan(None, False, None)
    link = next((kind for kind in odb.cache_types if kind in working), None)
    if "reflink" in working or link not in ("copy", "symlink"):
        return CachePlan(None, False, None)
    return CachePlan(CacheFill(odb), link == "copy", None)


def _layout_problem(odb: Any) -> str | None:
    """Why gitckpt must not write objects into this DVC cache itself, or None."""
    import dvc
    from dvc_data.hashfile.db.local import LocalHashFileDB

    probe = "0123456789abcdef" * 2
    located = str(odb.oid_to_path(probe))
    if dvc.__version__.split(".")[0] != CACHE_LAYOUT_MAJOR:
        return f"DVC {dvc.__version__}, not {CACHE_LAYOUT_MAJOR}.x"
    if not isinstance(odb, LocalHashFileDB) or odb.hash_name != "md5":
        return "not a local md5 cache"
    if odb.CACHE_MODE != OBJECT_MODE:
        return f"objects kept with mode {odb.CACHE_MODE!r}"
    expected = os.path.join(odb.path, probe[:2], probe[2:])
    if Path(odb.path).parts[-2:] != ("files", "md5") or located != expected:
        return f"an object's path is {located}"
    return None


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


def configured_remotes(root: Path) -> tuple[frozenset[str], str | None]:
    """The names of the DVC remotes this checkout's DVC config defines, and its default one."""
    with open_dvc(root) as repo:
        default = repo.config["core"].get("remote")
        return frozenset(repo.config["remote"]), str(default) if default else None


def remote_shares(root: Path, asked: Mapping[str, Sequence[str]]) -> dict[str, dict[str, str]]:
    """For each remote named, how much of each md5's bytes (file or `.dir`) it holds: "all",
    "some" or "none", by DVC's own status of the remote, in one DVC session."""
    from dvc_data.hashfile.hash_info import HashInfo

    shares: dict[str, dict[str, str]] = {}
    with open_dvc(root) as repo:
        for remote, md5s in asked.items():
            shares[remote] = {}
            for md5 in md5s:
                status = repo.cloud.status([HashInfo("md5", md5)], remote=remote)
                held = status.ok | status.deleted  # deleted: on the remote, not in the cache
                missing = status.new or status.missing
                shares[remote][md5] = "none" if not held else "some" if missing else "all"
    return shares


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
        return parsed_listing(handle.read(LISTING_SIZE_LIMIT + 1), str(listing))


def parsed_listing(data: bytes, display: str) -> list[tuple[str, str]]:
    entries = load_json(data, display, max_bytes=LISTING_SIZE_LIMIT, max_depth=2)
    if not isinstance(entries, list):
        raise InputError("a DVC directory listing must be a JSON list", path=display)
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
                path=display,
            )
        found.append((relpath, md5))
    return found


def _inside(relpath: str) -> bool:
    return all(part not in ("", ".", "..") for part in relpath.split("/"))


def remote_names(root: Path) -> list[str]:
    """The DVC remotes configured here, by name."""
    with open_dvc(root) as repo:
        return sorted(repo.config.get("remote", {}))
