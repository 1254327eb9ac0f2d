"""`git ckpt add` writes DVC's cache object itself, from the chunks it hashes: the result is what
`dvc add` makes, real DVC works on it, and DVC does not copy the bytes a second time."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repos import commit_all, dvc
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
WEIGHTS = os.urandom(9 * 1024 * 1024 + 5)  # several chunks, the last one short
MD5 = hashlib.md5(WEIGHTS).hexdigest()
FALLBACK = "DVC's cache is not laid out as gitckpt expects"


@pytest.fixture
def twin(tmp_path: Path, _empty_repo_template: Path) -> Path:
    """A second empty repository, for `dvc add` to do the same work in."""
    return Path(shutil.copytree(_empty_repo_template, tmp_path / "twin", symlinks=True))


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every object DVC copies (or links) into a cache in this process, by md5."""
    from dvc_data.hashfile.db import HashFileDB

    added: list[str] = []
    original = HashFileDB.add

    def recording(
        self: HashFileDB, path: object, fs: object, oid: str | list[str], **kw: object
    ) -> int:
        added.extend([oid] if isinstance(oid, str) else oid)
        return original(self, path, fs, oid, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(HashFileDB, "add", recording)
    return added


def cache_objects(repo: Path) -> dict[str, tuple[int, str]]:
    """Every file in DVC's cache, by path inside it: its mode and the sha256 of its bytes."""
    cache = repo / ".dvc/cache"
    return {
        path.relative_to(cache).as_posix(): (
            stat.S_IMODE(path.stat().st_mode),
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(cache.rglob("*"))
        if path.is_file()
    }


def work_file(repo: Path, relpath: str) -> tuple[bool, int, int, str | None]:
    """How the work-tree file relates to the cache: symlink (to where, inside the repository),
    link count and permissions."""
    path = repo / relpath
    target = Path(os.readlink(path)).relative_to(repo).as_posix() if path.is_symlink() else None
    return path.is_symlink(), path.stat().st_nlink, stat.S_IMODE(os.stat(path).st_mode), target


def dvc_links(repo: Path) -> list[str]:
    """The work-tree files DVC's state records as linked (or copied) out of its cache."""
    from dvc.repo import Repo

    with Repo(str(repo)) as dvc_repo, dvc_repo.state.links as links:
        return sorted(links)


def add_both(repo: Path, twin: Path, cli: Cli, relpath: str = "w.bin") -> CliResult:
    for root in (repo, twin):
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_bytes(WEIGHTS)
    dvc(twin, "add", "-q", relpath)
    result = cli("add", relpath, "--kind", "model", cwd=repo)
    assert result.code == 0, result.err
    return result


def test_add_writes_what_dvc_add_writes_and_dvc_copies_nothing(
    repo: Path, twin: Path, cli: Cli, copies: list[str]
) -> None:
    result = add_both(repo, twin, cli)
    assert FALLBACK not in result.err
    assert MD5 not in copies, "DVC found the object in its cache and did not copy it again"
    assert (repo / "w.bin.dvc").read_text() == (twin / "w.bin.dvc").read_text()
    assert f"md5: {MD5}" in (repo / "w.bin.dvc").read_text()
    assert (repo / ".gitignore").read_text() == (twin / ".gitignore").read_text()
    assert (
        cache_objects(repo)
        == cache_objects(twin)
        == {f"files/md5/{MD5[:2]}/{MD5[2:]}": (0o444, hashlib.sha256(WEIGHTS).hexdigest())}
    )
    assert work_file(repo, "w.bin") == work_file(twin, "w.bin")
    assert dvc_links(repo) == dvc_links(twin) == ["w.bin"], "for `dvc checkout` to clean up"
    assert json.loads(dvc(repo, "status", "--json")) == {}


@pytest.mark.parametrize("cache_type", ["copy", "hardlink", "symlink", "reflink,hardlink,copy"])
def test_the_work_file_is_linked_from_the_cache_as_cache_type_says(
    repo: Path, twin: Path, cli: Cli, cache_type: str
) -> None:
    for root in (repo, twin):
        dvc(root, "config", "cache.type", cache_type)
    add_both(repo, twin, cli, "models/w.bin")
    assert work_file(repo, "models/w.bin") == work_file(twin, "models/w.bin")
    assert cache_objects(repo) == cache_objects(twin)
    assert (repo / "models/w.bin.dvc").read_text() == (twin / "models/w.bin.dvc").read_text()
    assert (repo / "models/w.bin").read_bytes() == WEIGHTS
    assert json.loads(dvc(repo, "status", "--json")) == {}


def test_a_file_with_other_links_is_relinked_as_dvc_add_relinks_it(
    repo: Path, twin: Path, cli: Cli, tmp_path: Path
) -> None:
    for root in (repo, twin):
        (root / "w.bin").write_bytes(WEIGHTS)
        os.link(root / "w.bin", tmp_path / f"{root.name}-elsewhere.bin")
    dvc(twin, "add", "-q", "w.bin")
    assert cli("add", "w.bin", "--kind", "model", cwd=repo).code == 0
    assert work_file(repo, "w.bin") == work_file(twin, "w.bin")
    assert (repo / "w.bin").stat().st_nlink == 1, "DVC made the work-tree file a copy of its own"
    assert (tmp_path / "repo-elsewhere.bin").read_bytes() == WEIGHTS
    assert dvc_links(repo) == dvc_links(twin)


def test_push_pull_checkout_and_gc_work_on_what_add_wrote(
    repo: Path, tmp_path: Path, cli: Cli
) -> None:
    dvc(repo, "remote", "add", "-d", "storage", str(tmp_path / "remote"))
    (repo / "w.bin").write_bytes(WEIGHTS)
    assert cli("add", "w.bin", "--kind", "model", cwd=repo).code == 0
    commit_all(repo, "track w.bin")
    dvc(repo, "push")
    assert (tmp_path / "remote/files/md5" / MD5[:2] / MD5[2:]).read_bytes() == WEIGHTS
    shutil.rmtree(repo / ".dvc/cache")
    (repo / "w.bin").unlink()
    dvc(repo, "pull")
    assert (repo / "w.bin").read_bytes() == WEIGHTS
    (repo / "w.bin").unlink()
    dvc(repo, "checkout")
    assert (repo / "w.bin").read_bytes() == WEIGHTS
    dvc(repo, "gc", "-w", "-f")
    assert (repo / ".dvc/cache/files/md5" / MD5[:2] / MD5[2:]).read_bytes() == WEIGHTS
    assert json.loads(dvc(repo, "status", "--json")) == {}


def test_a_directory_gets_every_file_object_without_dvc_copying_them(
    repo: Path, twin: Path, cli: Cli, copies: list[str]
) -> None:
    shards = {"a.safetensors": WEIGHTS, "b.safetensors": WEIGHTS[::-1], "c/empty": b""}
    for root in (repo, twin):
        for name, content in shards.items():
            (root / "ckpt" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "ckpt" / name).write_bytes(content)
    dvc(twin, "add", "-q", "ckpt")
    assert cli("add", "ckpt", "--kind", "model", cwd=repo).code == 0
    assert not {hashlib.md5(content).hexdigest() for content in shards.values()} & set(copies)
    assert (repo / "ckpt.dvc").read_text() == (twin / "ckpt.dvc").read_text()
    assert cache_objects(repo) == cache_objects(twin)
    assert json.loads(dvc(repo, "status", "--json")) == {}


def test_an_object_dvc_already_has_is_kept_and_the_copy_dropped(repo: Path, cli: Cli) -> None:
    (repo / "a.bin").write_bytes(WEIGHTS)
    assert cli("add", "a.bin", "--kind", "model", cwd=repo).code == 0
    before = (repo / ".dvc/cache/files/md5" / MD5[:2] / MD5[2:]).stat()
    (repo / "b.bin").write_bytes(WEIGHTS)
    assert cli("add", "b.bin", "--kind", "model", cwd=repo).code == 0
    after = (repo / ".dvc/cache/files/md5" / MD5[:2] / MD5[2:]).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert list(cache_objects(repo)) == [f"files/md5/{MD5[:2]}/{MD5[2:]}"], "no copy left behind"


def test_fallback_when_dvc_is_not_the_version_whose_cache_gitckpt_writes(
    repo: Path, twin: Path, cli: Cli, copies: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dvc as dvc_package

    monkeypatch.setattr(dvc_package, "__version__", "4.0.0")
    result = add_both(repo, twin, cli)
    assert [line for line in result.err.splitlines() if FALLBACK in line] == [
        f"{FALLBACK} (DVC 4.0.0, not 3.x): DVC copies the bytes into it with a second read"
    ]
    assert MD5 in copies, "DVC copied the bytes itself"
    assert (repo / "w.bin.dvc").read_text() == (twin / "w.bin.dvc").read_text()
    assert cache_objects(repo) == cache_objects(twin)
    assert json.loads(dvc(repo, "status", "--json")) == {}


def test_fallback_when_dvc_keeps_objects_at_another_path(
    repo: Path, cli: Cli, copies: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dvc.cachemgr import CacheManager

    monkeypatch.setattr(CacheManager, "FILES_DIR", "objects")
    (repo / "w.bin").write_bytes(WEIGHTS)
    result = cli("add", "w.bin", "--kind", "model", "--json", cwd=repo)
    assert result.code == 0, result.err
    assert f"{FALLBACK} (an object's path is " in result.err
    assert json.loads(result.out)[0]["size"] == len(WEIGHTS), "the JSON stays on stdout, alone"
    assert MD5 in copies
    assert list(cache_objects(repo)) == [f"objects/md5/{MD5[:2]}/{MD5[2:]}"]
