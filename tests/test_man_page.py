"""`git ckpt --help` makes git run `man git-ckpt`: the wheel ships the pages, and man finds them
from the environment's bin on PATH. Built and installed for real, read with the real man."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from testing.man_pages import stale_pages

ROOT = Path(__file__).resolve().parent.parent


def test_committed_pages_match_the_parser() -> None:
    assert stale_pages() == [], "man pages are stale: run `make man` and commit man/man1"


@pytest.fixture(scope="module")
def installed_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the built wheel installed; its dependencies come from the test
    run's own environment (a .pth line), which keeps the install to seconds."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(work)],
        check=True,
    )
    (wheel,) = work.glob("gitckpt-*.whl")
    env_dir = work / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True)
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site_packages, "test-run-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    return env_dir / "bin"


def _read_man(bin_dir: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "MANPATH"}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", MANPAGER="cat", MANWIDTH="80")
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_man_is_installed() -> None:
    assert shutil.which("man"), "man is missing: `make browser` installs Debian's man-db"


def test_git_ckpt_help_shows_the_man_page(installed_bin: Path) -> None:
    shown = _read_man(installed_bin, "git", "ckpt", "--help")

    assert shown.returncode == 0, shown.stderr
    assert "GIT-CKPT(1)" in shown.stdout
    for command in ("git ckpt init", "git ckpt tag", "git ckpt promote", "git ckpt import-card"):
        assert command in shown.stdout


def test_each_command_has_its_page(installed_bin: Path) -> None:
    shown = _read_man(installed_bin, "man", "git-ckpt-tag")

    assert shown.returncode == 0, shown.stderr
    words = " ".join(shown.stdout.split())  # man justifies lines with extra spaces
    assert "git-ckpt-tag - cut a release" in words
    for option in ("--bump {major,minor,patch}", "--allow-unpushed", "--trust-ref REF"):
        assert option in words
    assert "git ckpt tag resnet50 --bump minor --sign --push origin" in words
