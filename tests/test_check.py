"""`git ckpt check` over real repositories with real DVC pointers."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.cards import dataset_fields, write_card
from testing.heavy import HEAVY_PACKAGES
from testing.repos import age_tag_ref_files, run, track
from tests.conftest import DATASET, MODEL, CliResult

Cli = Callable[..., CliResult]


def findings(result: CliResult) -> list[dict[str, object]]:
    return json.loads(result.out)["findings"]  # type: ignore[no-any-return]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(
        number
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if needle in line
    )


def test_complete_registry_is_clean(registry: Path, cli: Cli) -> None:
    result = cli("check", cwd=registry)
    assert result.code == 0, result.out
    assert "OK: 3 cards, 3 pointers checked, no findings." in result.out


def test_json_output_has_summary_and_findings(registry: Path, cli: Cli) -> None:
    edit(registry / "models/clf.card.md", "license: Apache-2.0", "license: 42")
    result = cli("check", "--json", cwd=registry)
    data = json.loads(result.out)
    assert result.code == 1
    assert data["ok"] is False
    assert data["summary"] == {"errors": 1, "warnings": 0, "cards": 3, "pointers": 3}
    (finding,) = data["findings"]
    assert finding["path"] == "models/clf.card.md"
    assert finding["check"] == "GC103"
    assert finding["field"] == "license"
    assert finding["line"] == line_of(registry / "models/clf.card.md", "license: 42")
    assert finding["severity"] == "error"


def test_missing_required_field_names_the_field_and_what_it_is_for(
    registry: Path, cli: Cli
) -> None:
    card = registry / "models/clf.card.md"
    text = card.read_text()
    card.write_text(re.sub(r"\nout_of_scope:\n- Any real decision.", "", text))
    result = cli("check", cwd=registry)
    assert result.code == 1
    assert (
        "out_of_scope: required field is missing (Uses the model is not suitable or not "
        "allowed for.)" in result.out
    )
    assert "GC103" in result.out and "How to fix:" in result.out


def test_noassertion_is_an_accepted_gap_but_needs_a_reason(registry: Path, cli: Cli) -> None:
    card = registry / "models/clf.card.md"
    edit(
        card,
        "  accelerator_hours: 0",
        '  accelerator_hours: {noassertion: "cluster logs were lost"}',
    )
    assert cli("check", cwd=registry).code == 0
    edit(card, '{noassertion: "cluster logs were lost"}', '{noassertion: "?"}')
    result = cli("check", "--json", cwd=registry)
    assert [(f["check"], f["field"]) for f in findings(result)] == [
        ("GC103", "compute.accelerator_hours.noassertion")
    ]


def test_pointer_without_card(registry: Path, cli: Cli) -> None:
    track(registry, {"models/orphan.bin": b"orphan bytes"})
    result = cli("check", "--json", cwd=registry)
    assert [(f["check"], f["path"]) for f in findings(result)] == [
        ("GC202", "models/orphan.bin.dvc")
    ]
    # type: ignore[operator]
    assert "git ckpt card new models/orphan.bin" in findings(result)[0]["message"]


def test_card_without_pointer(registry: Path, cli: Cli) -> None:
    (registry / "data/points.csv.dvc").unlink()
    result = cli("check", "--json", cwd=registry)
    assert [(f["check"], f["path"], f["field"]) for f in findings(result)] == [
        ("GC203", "data/points.card.md", "data.path")
    ]


def test_md5_and_size_must_match_the_pointer(registry: Path, cli: Cli) -> None:
    track(registry, {MODEL: b"retrained weights"})
    result = cli("check", "--json", cwd=registry)
    card = registry / "models/clf.card.md"
    assert sorted((f["check"], f["field"], f["line"]) for f in findings(result)) == [
        ("GC204", "checkpoint.md5", line_of(card, "  md5:")),
        ("GC204", "checkpoint.size", line_of(card, "  size:")),
    ]


def test_duplicate_names_in_two_directories(registry: Path, cli: Cli) -> None:
    outs = track(registry, {"other/points.csv": b"a,b\n1,2\n"})
    write_card(
        registry,
        "dataset",
        "points",
        "other/points.csv",
        outs["other/points.csv"],
        dataset_fields(),
    )
    result = cli("check", "--json", cwd=registry)
    assert sorted((f["check"], f["path"]) for f in findings(result)) == [
        ("GC301", "data/points.card.md"),
        ("GC301", "other/points.card.md"),
    ]


def test_naming_pattern_from_config(registry: Path, cli: Cli) -> None:
    (registry / ".gitckpt").mkdir()
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nnaming:\n  pattern: 'clf.*|points'\n"
    )
    result = cli("check", "--json", cwd=registry)
    assert result.code == 0
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nnaming:\n  pattern: 'projx-.*'\n"
    )
    result = cli("check", "--json", cwd=registry)
    assert {(f["check"], f["field"]) for f in findings(result)} == {("GC302", "name")}
    assert len(findings(result)) == 3


def test_severity_override_turns_an_error_into_a_warning(registry: Path, cli: Cli) -> None:
    (registry / ".gitckpt").mkdir()
    (registry / ".gitckpt/config.yaml").write_text("schema_version: 1\nchecks:\n  GC202: warning\n")
    track(registry, {"models/orphan.bin": b"orphan bytes"})
    result = cli("check", cwd=registry)
    assert result.code == 0
    assert "warning GC202" in result.out
    assert "OK with warnings: 0 errors, 1 warning" in result.out


def test_invalid_config_is_an_error_naming_its_line(registry: Path, cli: Cli) -> None:
    (registry / ".gitckpt").mkdir()
    (registry / ".gitckpt/config.yaml").write_text("schema_version: 1\nchecks:\n  GC202: maybe\n")
    result = cli("check", cwd=registry)
    assert result.code == 1
    assert (
        ".gitckpt/config.yaml:3: [checks.GC202] expected one of error, warning, off" in result.err
    )


def test_unresolved_link(registry: Path, cli: Cli) -> None:
    card = registry / "models/clf.card.md"
    edit(card, "- artifact: points", "- artifact: imagenet-1k")
    result = cli("check", "--json", cwd=registry)
    assert [(f["check"], f["field"], f["line"]) for f in findings(result)] == [
        ("GC401", "training_data[0].artifact", line_of(card, "- artifact: imagenet-1k"))
    ]


def test_link_by_uri_with_digest_needs_no_card(registry: Path, cli: Cli) -> None:
    card = registry / "models/clf.card.md"
    edit(card, "- artifact: points", f"- uri: https://example.org/points.csv\n  sha256: {'a' * 64}")
    assert cli("check", cwd=registry).code == 0


def test_paths_limit_the_report_to_those_files_and_their_counterparts(
    registry: Path, cli: Cli
) -> None:
    edit(registry / "models/clf.card.md", "license: Apache-2.0", "license: 42")
    edit(registry / "data/points.card.md", "license: CC-BY-4.0", "license: 43")
    only_data = cli("check", "--json", "data/points.card.md", cwd=registry)
    assert {f["path"] for f in findings(only_data)} == {"data/points.card.md"}
    assert json.loads(only_data.out)["summary"]["cards"] == 1
    by_pointer = cli("check", "--json", "models/clf.bin.dvc", cwd=registry)
    assert {f["path"] for f in findings(by_pointer)} == {"models/clf.card.md"}
    by_data = cli("check", "--json", "clf.bin", cwd=registry / "models")
    assert {f["path"] for f in findings(by_data)} == {"models/clf.card.md"}


def test_a_path_that_is_neither_card_nor_pointer_is_a_usage_error(registry: Path, cli: Cli) -> None:
    assert "missing.card.md does not exist" in cli("check", "missing.card.md", cwd=registry).err
    (registry / "README.md").write_text("# hello\n")
    result = cli("check", "README.md", cwd=registry)
    assert result.code == 2
    assert "README.md is not a card, a DVC pointer, or data tracked by one" in result.err


def test_staged_checks_what_the_next_commit_records(registry: Path, cli: Cli) -> None:
    edit(registry / "models/clf.card.md", "license: Apache-2.0", "license: 42")
    assert cli("check", "--staged", cwd=registry).code == 0
    from testing.repos import git

    git(registry, "add", "models/clf.card.md")
    result = cli("check", "--staged", "--json", cwd=registry)
    assert result.code == 1
    assert {f["path"] for f in findings(result)} == {"models/clf.card.md"}


def test_outside_a_git_repository(tmp_path: Path, cli: Cli) -> None:
    result = cli("check", cwd=tmp_path)
    assert result.code == 1
    assert "is not inside a git work tree" in result.err


def test_warm_cache_gives_the_same_findings_and_tracks_edits(registry: Path, cli: Cli) -> None:
    edit(registry / "models/clf.card.md", "license: Apache-2.0", "license: 42")
    cold = cli("check", "--json", cwd=registry)
    assert (registry / ".git/gitckpt/cache.sqlite").is_file()
    warm = cli("check", "--json", cwd=registry)
    assert findings(cold) == findings(warm) != []
    edit(registry / "models/clf.card.md", "license: 42", "license: Apache-2.0")
    assert cli("check", cwd=registry).code == 0


def test_corrupt_cache_is_rebuilt_not_trusted(registry: Path, cli: Cli) -> None:
    assert cli("check", cwd=registry).code == 0
    cache = registry / ".git/gitckpt/cache.sqlite"
    cache.write_bytes(b"this is not a database" * 100)
    edit(registry / "models/clf.card.md", "license: Apache-2.0", "license: 42")
    result = cli("check", "--json", cwd=registry)
    assert [f["check"] for f in findings(result)] == ["GC103"]
    with sqlite3.connect(cache) as connection:
        assert connection.execute("SELECT count(*) FROM results").fetchone()[0] > 0


def test_cached_entries_are_keyed_by_content_not_trusted_blindly(registry: Path, cli: Cli) -> None:
    assert cli("check", cwd=registry).code == 0
    card = registry / "models/clf.card.md"
    stat = card.stat()
    edit(card, "license: Apache-2.0", "license: Apache 2.0")  # same size, mtime restored
    import os

    os.utime(card, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cli("check", cwd=registry).code == 1


@pytest.mark.parametrize("kind", ["model", "dataset", "eval"])
def test_kind_decides_the_schema(registry: Path, cli: Cli, kind: str) -> None:
    card = {
        "model": "models/clf.card.md",
        "dataset": "data/points.card.md",
        "eval": "evals/clf-eval.card.md",
    }[kind]
    edit(registry / card, f"kind: {kind}", "kind: checkpoint")
    result = cli("check", "--json", cwd=registry)
    assert ("GC103", card, "kind") in [
        (f["check"], f["path"], f["field"]) for f in findings(result)
    ]


def test_dataset_card_path_is_relative_to_the_card(registry: Path, cli: Cli) -> None:
    assert (registry / DATASET).exists()
    edit(registry / "data/points.card.md", "path: points.csv", "path: data/points.csv")
    result = cli("check", "--json", cwd=registry)
    assert ("GC203", "data.path") in [(f["check"], f["field"]) for f in findings(result)]


def test_many_uncached_files_are_read_by_several_processes_with_the_same_findings(
    registry: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gitckpt.inventory

    edit(registry / "models/clf.card.md", "license: Apache-2.0", "license: Not-A-License")
    (registry / "data/broken.card.md").write_text("---\nname: [unclosed\n---\n")
    cache = registry / ".git" / "gitckpt" / "cache.sqlite"
    serial = cli("check", "--all", "--json", cwd=registry)
    assert serial.code == 1 and len(findings(serial)) >= 2
    cache.unlink()
    monkeypatch.setattr(
        gitckpt.inventory, "PARALLEL_READ_FROM", 2
    )  # 3 cards, 3 pointers: read by a process pool
    parallel = cli("check", "--all", "--json", cwd=registry)
    assert (parallel.code, parallel.out) == (serial.code, serial.out)
    monkeypatch.setattr(gitckpt.inventory, "PARALLEL_READ_FROM", 10**9)
    assert (
        cli("check", "--all", "--json", cwd=registry).out == serial.out
    )  # read back from the cache the pool filled


def test_every_check_has_an_id_of_its_own() -> None:
    from gitckpt.checks import ALL_CHECKS, CHECKS

    assert len(ALL_CHECKS) == len(CHECKS), sorted(check.id for check in CHECKS)


def test_a_warm_check_on_a_clean_tree_imports_no_heavy_package(registry: Path) -> None:
    """`git ckpt check` is a pre-commit hook: once the cards are cached it loads none of these."""
    probe = (
        "import json, sys\nfrom gitckpt.cli import "
        "main\nmain(['check'])\nprint(json.dumps(sorted(sys.modules)))"
    )
    run([sys.executable, "-c", probe], registry)  # the first run fills the cache
    loaded = set(json.loads(run([sys.executable, "-c", probe], registry).stdout.splitlines()[-1]))
    assert sorted(name for name in HEAVY_PACKAGES if name in loaded) == []  # testing/heavy.py


def test_a_check_judges_what_git_lists_now_not_what_it_listed_last_time(
    registry: Path, cli: Cli
) -> None:
    """A warm check reads the cards the last run listed while git walks the tree again: a card
    added since is judged, one ignored or deleted since is not, and the inventory is the one a
    cold run builds, in the same order."""
    from gitckpt.file_facts import relative_to_file
    from gitckpt.inventory import load_inventory
    from gitckpt.repo import find_repository

    assert cli("check", cwd=registry).code == 0  # remembers this listing
    stray = registry / "models/extra/clf.card.md"
    stray.parent.mkdir()
    shutil.copy(registry / "models/clf.card.md", stray)
    assert "models/extra/clf.card.md" in {
        str(f["path"]) for f in findings(cli("check", "--json", cwd=registry))
    }
    with (registry / ".gitignore").open("a") as ignore:
        ignore.write("models/extra/\n")
    assert cli("check", cwd=registry).code == 0
    repo = find_repository(registry)
    warm = load_inventory(repo)
    shutil.rmtree(repo.state_dir)
    cold = load_inventory(repo)
    assert (list(warm.cards), list(warm.pointers)) == (list(cold.cards), list(cold.pointers))
    assert (warm.cards, warm.pointers) == (cold.cards, cold.pointers)
    assert [card.data_relpath for card in warm.cards.values()] == [
        relative_to_file(card.path, card.data_path) if card.data_path else None
        for card in cold.cards.values()
    ]
    assert [pointer.out_relpaths for pointer in warm.pointers.values()] == [
        tuple(relative_to_file(pointer.path, out.path) for out in pointer.outs)
        for pointer in cold.pointers.values()
    ]
    assert "models/extra/clf.card.md" not in warm.cards
    (registry / ".gitignore").write_text(
        (registry / ".gitignore").read_text().replace("models/extra/\n", "")
    )
    assert "models/extra/clf.card.md" in {
        str(f["path"]) for f in findings(cli("check", "--json", cwd=registry))
    }
    stray.unlink()
    assert cli("check", cwd=registry).code == 0


def test_tag_names_are_remembered_until_a_tag_changes(
    registry: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm check lists the tags without running git while the tag-ref files are unchanged;
    a deprecation tagged since is seen all the same."""
    real_git = shutil.which("git")
    assert real_git is not None
    shims, log = tmp_path / "shims", tmp_path / "git-calls.log"
    shims.mkdir()
    (shims / "git").write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real_git} "$@"\n')
    (shims / "git").chmod(0o755)
    assert cli("tag", "points", "--allow-unpushed", cwd=registry).code == 0
    age_tag_ref_files(registry)
    assert cli("check", cwd=registry).code == 0
    monkeypatch.setenv("PATH", f"{shims}:{os.environ['PATH']}")
    assert cli("check", cwd=registry).code == 0
    assert "for-each-ref" not in log.read_text()

    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    assert (
        cli("deprecate", "points", "--sunset", future, "--reason", "noise", cwd=registry).code == 0
    )
    age_tag_ref_files(registry)  # as if the tag were an hour old: only the new file tells
    warned = cli("check", "--json", cwd=registry)
    assert "GC402" in {finding["check"] for finding in findings(warned)}
