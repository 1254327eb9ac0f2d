"""DVC's own `dvc artifacts get` fetches a gitckpt release: `add` and `card new` declare each
artifact in dvc.yaml's `artifacts:` section, GTO-grammar tags give DVC its versions and stages,
and `check` (GC210) reports an entry that is missing or points elsewhere."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

from testing.repos import commit_all, dvc, git, run
from tests.conftest import MODEL, MODEL_BYTES, CliResult

Cli = Callable[..., CliResult]
DATA_PATHS = ("data/points.csv", MODEL, "evals/clf-eval.jsonl")


def gc210(cli: Cli, repo: Path) -> list[tuple[str, str]]:
    findings = json.loads(cli("check", "--json", cwd=repo).out)["findings"]
    return [(item["path"], item["message"]) for item in findings if item["check"] == "GC210"]


def dvc_get(repo: Path, name: str, *options: str, out: Path) -> bytes:
    """`dvc artifacts get REPO NAME` run as a user would, from outside the repository."""
    command = [sys.executable, "-m", "dvc", "artifacts", "get", str(repo), name, *options]
    run(
        [*command, "-o", str(out)],
        out.parent,
        env={"DVC_STUDIO_OFFLINE": "true"},
    )
    return out.read_bytes()


def test_dvc_artifacts_get_fetches_the_released_bytes_by_version_and_stage(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    dvc(registry, "remote", "add", "-d", "storage", str(tmp_path / "dvc-remote"))
    assert cli("add", *DATA_PATHS, cwd=registry).code == 0
    commit_all(registry, "declare the artifacts for DVC")
    assert cli("push", "clf", cwd=registry).code == 0
    assert cli("tag", "clf", cwd=registry).code == 0
    assert cli("promote", "clf@v0.1.0", "dev", cwd=registry).code == 0
    record = json.loads(cli("show", "clf@v0.1.0", "--json", cwd=registry).out)
    released = record["bytes"]["sha256"]
    assert released == hashlib.sha256(MODEL_BYTES).hexdigest()
    # Later bytes on the branch, tracked by DVC alone: the release and its stage must not move.
    (registry / MODEL).write_bytes(b"retrained" * 100)
    dvc(registry, "add", "-q", MODEL)
    dvc(registry, "push", "-q")
    commit_all(registry, "retrained")

    by_version = dvc_get(registry, "clf", "--rev", "v0.1.0", out=tmp_path / "v0.1.0.bin")
    by_stage = dvc_get(registry, "clf", "--stage", "dev", out=tmp_path / "dev.bin")
    assert hashlib.sha256(by_version).hexdigest() == released
    assert hashlib.sha256(by_stage).hexdigest() == released


def test_monorepo_artifact_is_fetched_as_dir_colon_name(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    """A name with GTO's directory part (`models:clf`) is declared in models/dvc.yaml, where DVC
    looks it up; GTO releases it as `models=clf@v0.1.0` (gitckpt writes no such names itself),
    and DVC fetches that release."""
    config = registry / ".gitckpt/config.yaml"
    config.parent.mkdir(exist_ok=True)
    config.write_text("schema_version: 1\nnaming:\n  pattern: '([a-z]+:)?[a-z0-9-]+'\n")
    card = registry / "models/clf.card.md"
    card.write_text(card.read_text().replace("name: clf\n", "name: models:clf\n", 1))
    (registry / "dvc.yaml").unlink()
    assert cli("add", MODEL, cwd=registry).code == 0
    assert (
        (registry / "models/dvc.yaml")
        .read_text()
        .startswith(
            "artifacts:\n  clf:\n    path: clf.bin\n    type: model\n    desc: A small classifier"
        )
    )
    assert "models/clf.card.md" not in {path for path, _ in gc210(cli, registry)}
    dvc(registry, "remote", "add", "-d", "storage", str(tmp_path / "dvc-remote"))
    dvc(registry, "push", "-q", MODEL)
    commit_all(registry, "a monorepo name")
    gto = str(Path(sys.executable).parent / "gto")
    run([gto, "register", "models:clf", "--version", "v0.1.0"], registry)
    run([gto, "assign", "models:clf", "--version", "v0.1.0", "--stage", "dev"], registry)
    assert "models=clf@v0.1.0" in git(registry, "tag", "--list").split()

    by_version = dvc_get(registry, "models:clf", "--rev", "v0.1.0", out=tmp_path / "clf.bin")
    by_stage = dvc_get(registry, "models:clf", "--stage", "dev", out=tmp_path / "dev.bin")
    assert by_version == by_stage == MODEL_BYTES


def test_check_reports_a_missing_or_disagreeing_entry(registry: Path, cli: Cli) -> None:
    assert gc210(cli, registry) == []
    dvc_yaml = registry / "dvc.yaml"
    declared = dvc_yaml.read_text()

    dvc_yaml.write_text(declared.replace("path: models/clf.bin", "path: models/old.bin"))
    ((card, message),) = gc210(cli, registry)
    assert card == "models/clf.card.md" and "artifacts.clf.path is 'models/old.bin'" in message

    dvc_yaml.write_text(declared.replace("type: model", "type: dataset"))
    ((card, message),) = gc210(cli, registry)
    assert "artifacts.clf.type is 'dataset'; the card is a model" in message

    dvc_yaml.unlink()
    assert {card for card, _ in gc210(cli, registry)} == {
        "data/points.card.md",
        "models/clf.card.md",
        "evals/clf-eval.card.md",
    }
    assert cli("check", cwd=registry).code == 1
    assert cli("add", MODEL, cwd=registry).code == 0
    assert "models/clf.card.md" not in {card for card, _ in gc210(cli, registry)}
    assert git(registry, "diff", "--cached", "--name-only").split().count("dvc.yaml") == 1


ORIGINAL = """\
# Pipeline and registry of the lab
stages:
  train:  # writes models/
    cmd: python train.py
    outs:
      - models/other.bin
artifacts:
  # kept by hand
  other:
    path: models/other.bin
    type: model
    labels: [legacy]
"""


def test_entry_round_trips_and_dvc_reads_it(repo: Path, cli: Cli) -> None:
    (repo / "models").mkdir()
    (repo / MODEL).write_bytes(MODEL_BYTES)
    (repo / "dvc.yaml").write_text(ORIGINAL)
    dvc(repo, "add", "-q", MODEL)
    created = cli("card", "new", MODEL, "--kind", "model", cwd=repo)
    assert created.code == 0, created.err
    assert "Declared it under `artifacts:` in dvc.yaml" in created.out
    text = (repo / "dvc.yaml").read_text()
    assert text.startswith(ORIGINAL)  # comments, stages and the other entry as they were
    assert text[len(ORIGINAL) :] == "  clf:\n    path: models/clf.bin\n    type: model\n"

    # The person fills in the description and labels the entry; `add` keeps the labels.
    card = repo / "models/clf.card.md"
    placeholder = '"<FILL: one paragraph saying what this model is and what it does>"'
    card.write_text(card.read_text().replace(placeholder, '"A linear classifier of points."'))
    entry = "  clf:\n    path: models/clf.bin\n    type: model\n"
    (repo / "dvc.yaml").write_text(text.replace(entry, f"{entry}    labels: [cv]\n"))
    assert cli("add", MODEL, cwd=repo).code == 0
    assert (
        (repo / "dvc.yaml")
        .read_text()
        .endswith(
            "  clf:\n    path: models/clf.bin\n    type: model\n    labels: [cv]\n"
            "    desc: A linear classifier of points.\n"
        )
    )

    from dvc.repo import Repo

    with Repo(str(repo)) as project:
        read = project.artifacts.read()["dvc.yaml"]
    assert read["clf"].path == "models/clf.bin" and read["clf"].type == "model"
    assert read["clf"].desc == "A linear classifier of points." and read["clf"].labels == ["cv"]
    assert read["other"].labels == ["legacy"]


def test_a_dvc_yaml_that_cannot_be_edited_stops_add_with_nothing_written(
    repo: Path, cli: Cli
) -> None:
    (repo / "models").mkdir()
    (repo / MODEL).write_bytes(MODEL_BYTES)
    (repo / "dvc.yaml").write_text("artifacts:\n  - not a mapping\n")
    result = cli("add", MODEL, "--kind", "model", cwd=repo)
    assert result.code == 1
    assert "dvc.yaml:1: [artifacts]" in result.err and "must be a mapping" in result.err
    assert not (repo / "models/clf.card.md").exists() and not (repo / f"{MODEL}.dvc").exists()
    assert (repo / "dvc.yaml").read_text() == "artifacts:\n  - not a mapping\n"


def test_a_name_dvc_cannot_take_is_said_not_crashed_on(registry: Path, cli: Cli) -> None:
    card = registry / "models/clf.card.md"
    card.write_text(card.read_text().replace("name: clf\n", "name: clf.v2\n", 1))
    before = (registry / "dvc.yaml").read_text()
    added = cli("add", MODEL, cwd=registry)
    assert added.code == 0, added.err
    assert "'clf.v2' cannot be a DVC artifact name" in added.err
    assert (registry / "dvc.yaml").read_text() == before
    assert any(
        "'clf.v2' cannot be a DVC artifact name" in message for _, message in gc210(cli, registry)
    )


def test_no_name_writes_a_dvc_yaml_outside_the_repository(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    """A card's name chooses its dvc.yaml (`dir:name` -> dir/dvc.yaml): `..` in it, or a folder
    that is a symlink out of the repository, must not make `add` write there."""
    card = registry / "models/clf.card.md"
    original = card.read_text()
    outside = tmp_path / "outside"
    card.write_text(original.replace("name: clf\n", "name: ../outside/evil:clf\n", 1))
    added = cli("add", MODEL, cwd=registry)
    assert "no empty, '.' or '..' parts" in added.err
    assert not outside.exists()

    outside.mkdir()
    (registry / "sub").symlink_to(outside)
    card.write_text(original.replace("name: clf\n", "name: sub:clf\n", 1))
    refused = cli("add", MODEL, cwd=registry)
    assert refused.code == 1
    assert "sub/dvc.yaml: path runs through a symlinked directory" in refused.err
    assert list(outside.iterdir()) == []


def test_check_reports_an_entry_dvc_would_refuse(registry: Path, cli: Cli) -> None:
    """DVC refuses a whole dvc.yaml whose `artifacts:` entry has a field of the wrong type or one
    it does not know: `dvc artifacts get` would fail for every artifact it declares."""
    dvc_yaml = registry / "dvc.yaml"
    original = dvc_yaml.read_text()
    entry_type = "    type: model\n"
    assert entry_type in original
    for extra, message in (
        ("    desc: 1\n", "artifacts.clf.desc must be a string, as DVC requires"),
        ("    owner: me\n", "artifacts.clf.owner is not a field DVC knows"),
        ("    labels: [1]\n", "artifacts.clf.labels must be a list of strings"),
    ):
        dvc_yaml.write_text(original.replace(entry_type, entry_type + extra, 1))
        found = gc210(cli, registry)
        assert any(message in text for _, text in found), found
    dvc_yaml.write_text(original)
    assert gc210(cli, registry) == []
