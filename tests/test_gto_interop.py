"""gitckpt and GTO read each other's registries (the real `gto` package)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repos import clean_env, git, make_repo
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
GTO = str(Path(sys.executable).parent / "gto")


def gto(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        [GTO, *args], cwd=repo, capture_output=True, text=True, env=clean_env(), check=True
    )
    return completed.stdout


def test_gto_reads_a_registry_released_with_gitckpt(
    registry: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each step a minute apart, as in real use: tag times have one-second resolution, and GTO
    orders events by time alone."""
    steps = iter(range(1_750_000_000, 1_760_000_000, 60))

    def at_next_minute(*args: str) -> int:
        monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{next(steps)} +0000")
        return cli(*args, cwd=registry).code

    assert at_next_minute("tag", "clf", "--allow-unpushed") == 0
    assert at_next_minute("promote", "clf@v0.1.0", "dev") == 0
    assert at_next_minute("promote", "clf@v0.1.0", "staging") == 0
    git(registry, "commit", "--allow-empty", "-q", "-m", "retrain")
    assert at_next_minute("tag", "clf", "--bump", "minor", "--allow-unpushed") == 0
    assert at_next_minute("promote", "clf@v0.2.0", "dev") == 0
    assert json.loads(cli("show", "clf", "--json", cwd=registry).out)["stages"] == {
        "dev": "0.2.0",
        "staging": "0.1.0",
    }
    shown = json.loads(gto(registry, "show", "--json"))
    assert shown["clf"]["version"] == "v0.2.0"
    assert shown["clf"]["stage"] == {"dev": "v0.2.0", "staging": "v0.1.0"}
    versions = {entry["version"] for entry in json.loads(gto(registry, "show", "clf", "--json"))}
    assert versions == {"v0.1.0", "v0.2.0"}


def test_gitckpt_reads_a_registry_built_with_gto(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "gto-repo", with_dvc=False)
    git(repo, "commit", "--allow-empty", "-q", "-m", "model v1")
    gto(repo, "register", "segmenter", "--version", "v1.0.0")
    gto(repo, "assign", "segmenter", "--version", "v1.0.0", "--stage", "prod")
    git(repo, "commit", "--allow-empty", "-q", "-m", "model v2")
    gto(repo, "register", "segmenter", "--bump-minor")
    gto(repo, "assign", "segmenter", "--version", "v1.1.0", "--stage", "dev")
    gto(repo, "deprecate", "segmenter")
    (row,) = json.loads(cli("ls", "--json", cwd=repo).out)
    assert (row["name"], row["latest"], row["stages"], row["deprecated"]) == (
        "segmenter",
        "1.1.0",
        {"dev": "1.1.0", "prod": "1.0.0"},
        True,
    )
    actions = [
        event["action"] for event in json.loads(cli("history", "segmenter", "--json", cwd=repo).out)
    ]
    # GTO's tags have one-second timestamps: events within a second may list in either order
    assert sorted(actions) == ["assign", "assign", "deprecate", "register", "register"]
    assert actions[0] == "register" and actions[-1] == "deprecate"
    shown = json.loads(cli("show", "segmenter@v1.0.0", "--json", cwd=repo).out)
    assert shown is None or shown == {}, "GTO's tags carry no gitckpt record"
    assert "no gitckpt record" in cli("show", "segmenter@v1.0.0", cwd=repo).out


def test_gitckpt_lists_gto_names_beyond_its_own_naming_pattern(tmp_path: Path, cli: Cli) -> None:
    """GTO accepts upper case, `_` and monorepo artifacts (`dir:name`, tagged `dir=name`);
    gitckpt lists them under GTO's names."""
    repo = make_repo(tmp_path / "gto-repo", with_dvc=False)
    git(repo, "commit", "--allow-empty", "-q", "-m", "models")
    gto(repo, "register", "ResNet_50", "--version", "v1.0.0")
    gto(repo, "assign", "ResNet_50", "--version", "v1.0.0", "--stage", "Prod_EU")
    gto(repo, "register", "models/vision:cnn", "--version", "v0.1.0-rc.1")
    gto(repo, "assign", "models/vision:cnn", "--version", "v0.1.0-rc.1", "--stage", "dev")
    assert "models/vision=cnn#dev#1" in git(repo, "tag").split()
    # GTO's grammar has `name@created`, though its CLI writes none
    git(repo, "tag", "-a", "Legacy_Model@created", "-m", "created")
    rows = json.loads(cli("ls", "--json", cwd=repo).out)
    assert [(row["name"], row["latest"], row["stages"]) for row in rows] == [
        ("Legacy_Model", None, {}),
        ("ResNet_50", "1.0.0", {"Prod_EU": "1.0.0"}),
        ("models/vision:cnn", "0.1.0-rc.1", {"dev": "0.1.0-rc.1"}),
    ]
    shown = json.loads(cli("show", "models/vision:cnn", "--json", cwd=repo).out)
    assert [release["tag"] for release in shown["releases"]] == ["models/vision=cnn@v0.1.0-rc.1"]
    assert json.loads(cli("show", "ResNet_50", "--json", cwd=repo).out)["stages"] == {
        "Prod_EU": "1.0.0"
    }
    release = cli("show", "models/vision:cnn#dev", cwd=repo)
    assert release.code == 0 and "models/vision=cnn@v0.1.0-rc.1" in release.out
