"""A warm `check` and the brief command's exit in odd situations: a directory that became
unreadable, standard output closed, a damaged cache file (real git, real files, the program run
as users run it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from testing.repos import clean_env


def _git_ckpt(
    repo: Path, *args: str, prefix: tuple[str, ...] = (), **options: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "gitckpt", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=clean_env({"PYTHONPATH": str(Path(__file__).resolve().parents[1])}),
        check=False,
        **options,  # type: ignore[call-overload]
    )


def _without_privileges() -> tuple[str, ...]:
    """A prefix that runs a command without the permission-bypassing capabilities root has (so a
    mode-000 directory is unreadable to it, as to any other user)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) drops root's capabilities for this test"
    return (setpriv, "--inh-caps=-all", "--bounding-set=-all")


def test_a_card_listed_last_time_in_a_directory_now_unreadable_does_not_crash_check(
    registry: Path,
) -> None:
    """An untracked card the last run listed, whose directory is now unreadable: git no longer
    lists it (it warns and walks on), so `check` judges the tree git lists. The warm path reads
    the previous listing while git walks; the refused read must neither crash nor count."""
    private = registry / "private"
    private.mkdir()
    card = (registry / "models/clf.card.md").read_text()
    (private / "clf2.card.md").write_text(card.replace("name: clf\n", "name: clf2\n"))
    first = _git_ckpt(registry, "check")
    assert "private/clf2.card.md" in first.stdout  # listed, judged, remembered
    private.chmod(0)
    try:
        warm = _git_ckpt(registry, "check", prefix=_without_privileges())
    finally:
        private.chmod(0o755)
    assert "internal error" not in warm.stderr, warm.stderr
    assert (warm.returncode, warm.stdout.strip().splitlines()[-1]) == (
        0,
        "OK: 3 cards, 3 pointers checked, no findings.",
    )


def test_check_with_stdout_closed_ends_without_a_traceback_or_a_findings_status(
    registry: Path,
) -> None:
    """`git ckpt check >&-` (standard output closed: Python sets `sys.stdout` to None): no
    traceback, and not the status that means "findings" on a clean tree."""
    closed = _git_ckpt(registry, "check", "--json", preexec_fn=lambda: os.close(1))
    assert "Traceback" not in closed.stderr, closed.stderr
    assert closed.returncode != 1


def test_a_damaged_cache_file_is_rebuilt_by_the_next_check(registry: Path) -> None:
    """A cache file damaged past its first page is found when it is opened and rebuilt; left as
    it was, every read that reached a bad page would be a miss, and every warm `check` as slow
    as a cold one."""
    import sqlite3

    from gitckpt.cache import Cache
    from gitckpt.repo import find_repository

    state_dir = find_repository(registry).state_dir
    with Cache(state_dir) as cache:
        cache.put_results({f"filler:{index}": "x" * 1000 for index in range(2000)})
    connection = sqlite3.connect(state_dir / "cache.sqlite")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size, pages = (
        connection.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_size", "page_count")
    )
    connection.close()
    assert pages > 100
    with (state_dir / "cache.sqlite").open("r+b") as damaged:
        for page in range(pages // 4, pages * 3 // 4, 7):
            damaged.seek(page * page_size)
            damaged.write(b"\xff" * page_size)
    assert _git_ckpt(registry, "check").returncode == 0
    connection = sqlite3.connect(state_dir / "cache.sqlite")
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        connection.close()
