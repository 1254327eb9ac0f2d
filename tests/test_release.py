"""Releases, stages and deprecation as real git tags; the registry views read them back."""

from __future__ import annotations

import datetime
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gitckpt.records import parse_record
from gitckpt.schema import validate
from testing.repos import commit_all, dvc, git
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def tags(repo: Path) -> list[str]:
    return git(repo, "tag", "--list").split()


def release(repo: Path, cli: Cli, *args: str) -> CliResult:
    result = cli("tag", *args, "--json", cwd=repo)
    assert result.code == 0, result.err
    return result


def test_tag_creates_an_annotated_tag_with_a_valid_record(registry: Path, cli: Cli) -> None:
    created = json.loads(
        release(
            registry,
            cli,
            "clf",
            "--allow-unpushed",
            "-m",
            "First release\nTrained for five epochs.",
        ).out
    )
    assert created["tag"] == "clf@v0.1.0"
    assert git(registry, "cat-file", "-t", "clf@v0.1.0").strip() == "tag"
    assert (
        git(registry, "rev-parse", "clf@v0.1.0^{commit}").strip()
        == git(registry, "rev-parse", "HEAD").strip()
    )
    message = git(registry, "for-each-ref", "--format=%(contents)", "refs/tags/clf@v0.1.0")
    assert message.startswith("clf v0.1.0: First release\n\nTrained for five epochs.")
    record = parse_record(message)
    assert record is not None and validate(record, "tag-message.schema.json") == []
    assert record["card"] == {
        "path": "models/clf.card.md",
        "blob": git(registry, "rev-parse", "HEAD:models/clf.card.md").strip(),
    }
    assert (
        record["bytes"]["path"] == "models/clf.bin"
        and record["bytes"]["size"] == (registry / "models/clf.bin").stat().st_size
    )
    assert {link["artifact"] for link in record["links"]} == {"points", "clf-eval"}
    assert record["checks"]["result"] == "passed" and "GC103" in record["checks"]["run"]
    assert record["allow_unpushed"] is True and record["data_in_remote"] is None
    shown = json.loads(cli("show", "clf@v0.1.0", "--json", cwd=registry).out)
    assert shown == record


def test_versions_increase_and_never_repeat(registry: Path, cli: Cli) -> None:
    release(registry, cli, "clf", "--allow-unpushed")
    again = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert again.code == 1 and "already released from this commit" in again.err
    git(registry, "commit", "--allow-empty", "-q", "-m", "later")
    not_greater = cli("tag", "clf", "--version", "0.0.9", "--allow-unpushed", cwd=registry)
    assert not_greater.code == 1 and "not greater than the latest release v0.1.0" in not_greater.err
    assert cli("tag", "clf", "--version", "banana", "--allow-unpushed", cwd=registry).code == 1
    assert (
        json.loads(release(registry, cli, "clf", "--bump", "minor", "--allow-unpushed").out)["tag"]
        == "clf@v0.2.0"
    )
    git(registry, "commit", "--allow-empty", "-q", "-m", "later still")
    assert json.loads(release(registry, cli, "clf", "--allow-unpushed").out)["tag"] == "clf@v0.2.1"
    assert json.loads(cli("show", "clf@latest", "--json", cwd=registry).out)["version"] == "0.2.1"


def test_uncommitted_card_changes_are_refused(registry: Path, cli: Cli) -> None:
    card = registry / "models/clf.card.md"
    card.write_text(card.read_text().replace("Testing gitckpt.", "Testing gitckpt, edited."))
    result = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert result.code == 1 and "uncommitted changes" in result.err
    assert tags(registry) == []


def test_a_card_that_fails_checks_at_head_is_refused(registry: Path, cli: Cli) -> None:
    card = registry / "data/points.card.md"
    card.write_text(
        card.read_text().replace("license: CC-BY-4.0\n", "license: 'not an spdx id'\n", 1)
    )
    commit_all(registry, "break the dataset card")
    result = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert result.code == 1
    assert (
        "fail checks" in result.err
        and "data/points.card.md" in result.err
        and "GC103" in result.err
    )
    assert tags(registry) == []


def test_unpushed_bytes_are_refused_unless_allowed(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    dvc(registry, "remote", "add", "-d", "storage", str(tmp_path / "remote"))
    commit_all(registry, "remote")
    refused = cli("tag", "clf", cwd=registry)
    assert (
        refused.code == 1
        and "not in the DVC remote" in refused.err
        and "git ckpt push clf" in refused.err
    )
    assert cli("push", "clf", cwd=registry).code == 0
    record = json.loads(release(registry, cli, "clf").out)["record"]
    assert record["data_in_remote"] is True and record["allow_unpushed"] is False


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [(["Bad Name"], 1, "not a valid artifact name"), (["nope"], 1, "no card named 'nope'")],
)
def test_bad_names(registry: Path, cli: Cli, args: list[str], code: int, message: str) -> None:
    result = cli("tag", *args, "--allow-unpushed", cwd=registry)
    assert result.code == code and message in result.err
    assert tags(registry) == []


def test_stages_follow_the_configured_order(registry: Path, cli: Cli) -> None:
    release(registry, cli, "clf", "--allow-unpushed")
    skipped = cli("promote", "clf@v0.1.0", "prod", cwd=registry)
    assert skipped.code == 1 and "never held stage 'staging'" in skipped.err
    assert cli("promote", "clf@v0.1.0", "qa", cwd=registry).code == 1
    assert cli("promote", "clf@1.0", "dev", cwd=registry).code == 1
    assert cli("promote", "clf@v9.9.9", "dev", cwd=registry).code == 1
    for stage in ("dev", "staging", "prod"):
        assert cli("promote", "clf@v0.1.0", stage, cwd=registry).code == 0
    assert {"clf#dev#1", "clf#staging#2", "clf#prod#3"} <= set(tags(registry))
    assert json.loads(cli("show", "clf#prod", "--json", cwd=registry).out)["version"] == "0.1.0"
    assert [
        row["name"] for row in json.loads(cli("ls", "--stage", "prod", "--json", cwd=registry).out)
    ] == ["clf"]
    not_there = cli("demote", "clf@v0.1.0", "qa", cwd=registry)
    assert not_there.code == 1
    assert cli("demote", "clf@v0.1.0", "prod", cwd=registry).code == 0
    assert "clf#prod!#4" in tags(registry)
    assert json.loads(cli("show", "clf", "--json", cwd=registry).out)["stages"] == {
        "dev": "0.1.0",
        "staging": "0.1.0",
    }
    again = cli("demote", "clf@v0.1.0", "prod", cwd=registry)
    assert again.code == 1 and "not in stage 'prod'" in again.err


def test_order_can_be_relaxed(registry: Path, cli: Cli) -> None:
    (registry / ".gitckpt").mkdir()
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nstages:\n  allowed: [dev, prod]\n  enforce_order: false\n"
    )
    commit_all(registry, "policy")
    release(registry, cli, "clf", "--allow-unpushed")
    assert cli("promote", "clf@v0.1.0", "prod", cwd=registry).code == 0


def test_deprecation_warns_then_fails_linking_cards(registry: Path, cli: Cli) -> None:
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    assert (
        cli(
            "deprecate", "points", "--sunset", future, "--reason", "label noise found", cwd=registry
        ).code
        == 0
    )
    warned = cli("check", "--json", cwd=registry)
    assert warned.code == 0
    checks = {(f["check"], f["path"], f["severity"]) for f in json.loads(warned.out)["findings"]}
    assert ("GC402", "models/clf.card.md", "warning") in checks and (
        "GC402",
        "evals/clf-eval.card.md",
        "warning",
    ) in checks
    git(registry, "tag", "-d", "points@deprecated")
    past = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    assert (
        cli(
            "deprecate", "points", "--sunset", past, "--reason", "label noise found", cwd=registry
        ).code
        == 0
    )
    failed = cli("check", "--json", cwd=registry)
    assert failed.code == 1
    assert {f["check"] for f in json.loads(failed.out)["findings"]} == {"GC403"}
    shown = json.loads(cli("show", "points", "--json", cwd=registry).out)
    assert (
        shown["deprecated"]["sunset"] == past
        and shown["deprecated"]["reason"] == "label noise found"
    )
    assert cli("deprecate", "points", cwd=registry).code == 1
    assert cli("deprecate", "points", "--sunset", "soon", cwd=registry).code == 2


def test_ls_show_history(registry: Path, cli: Cli) -> None:
    release(registry, cli, "clf", "--allow-unpushed")
    cli("promote", "clf@v0.1.0", "dev", cwd=registry)
    git(registry, "tag", "points@v1.0.0")  # a lightweight tag, as some tools make
    rows = {row["name"]: row for row in json.loads(cli("ls", "--json", cwd=registry).out)}
    assert (
        rows["clf"]["latest"] == "0.1.0"
        and rows["clf"]["stages"] == {"dev": "0.1.0"}
        and rows["clf"]["kind"] == "model"
    )
    assert rows["clf-eval"]["latest"] is None and rows["points"]["latest"] == "1.0.0"
    assert any("lightweight" in note for note in rows["points"]["notes"])
    assert [
        row["name"] for row in json.loads(cli("ls", "--kind", "eval", "--json", cwd=registry).out)
    ] == ["clf-eval"]
    events = json.loads(cli("history", "clf", "--json", cwd=registry).out)
    assert [(event["action"], event["version"], event["stage"]) for event in events] == [
        ("register", "0.1.0", None),
        ("assign", "0.1.0", "dev"),
    ]
    human = cli("ls", cwd=registry).out
    assert "clf" in human and "dev: v0.1.0" in human and "lightweight" in human
    assert "clf@v0.1.0" in cli("show", "clf@v0.1.0", cwd=registry).out
    assert cli("show", "nothing", cwd=registry).code == 1
    assert cli("show", "Bad Name", cwd=registry).code == 2


def test_push_says_what_was_and_was_not_pushed(registry: Path, cli: Cli, tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(registry, "remote", "add", "origin", str(bare))
    created = json.loads(release(registry, cli, "clf", "--allow-unpushed", "--push", "origin").out)
    assert created["pushed"] is True
    assert (
        "clf@v0.1.0"
        in subprocess.run(["git", "tag"], cwd=bare, capture_output=True, text=True).stdout
    )
    git(registry, "commit", "--allow-empty", "-q", "-m", "next")
    failed = cli("tag", "clf", "--allow-unpushed", "--push", "nowhere", cwd=registry)
    assert failed.code == 1
    assert (
        "clf@v0.1.1 was created locally but NOT pushed to 'nowhere'" in failed.err
        and "git push nowhere refs/tags/clf@v0.1.1" in failed.err
    )


def test_an_existing_tag_is_never_moved(registry: Path, cli: Cli) -> None:
    release(registry, cli, "clf", "--allow-unpushed")
    git(registry, "commit", "--allow-empty", "-q", "-m", "withdrawn experiment")
    git(registry, "tag", "-a", "-m", "withdrawn", "clf@v0.2.0!")
    git(registry, "tag", "-a", "-m", "was released, then withdrawn", "clf@v0.2.0", "HEAD~1")
    before = tags(registry)
    git(registry, "commit", "--allow-empty", "-q", "-m", "retry")
    result = cli("tag", "clf", "--version", "0.2.0", "--allow-unpushed", cwd=registry)
    assert result.code == 1 and "clf@v0.2.0 already exists" in result.err
    assert tags(registry) == before
