"""`git ckpt search`: facets, metric filters and full text over an index keyed by blob ids."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from gitckpt.config import parse_config
from gitckpt.records import RECORD_MARKER
from gitckpt.repo import Repository
from gitckpt.search.index import KEPT_REVISIONS, SearchIndex
from gitckpt.sources import RevisionSource
from gitckpt.tag_refs import read_tag_refs, tag_refs_fingerprint
from gitckpt.trust import trust_root
from testing.repos import age_tag_ref_files, commit_all, git
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"
EVAL_CARD = "evals/clf-eval.card.md"
NAMING_CONFIG = """\
schema_version: 1
naming:
  pattern: '(?P<family>[a-z]+)(-(?P<role>[a-z]+))?'
"""


def found(cli: Cli, repo: Path, *args: str) -> dict[str, dict[str, object]]:
    result = cli("search", *args, "--json", cwd=repo)
    assert result.code == 0, result.err
    return {hit["name"]: hit for hit in json.loads(result.out)}


def rewrite_card(repo: Path, old: str, new: str, path: str = MODEL_CARD) -> None:
    card = repo / path
    assert old in card.read_text(encoding="utf-8"), old
    card.write_text(card.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    commit_all(repo, f"change {path}")


def release_to_dev(cli: Cli, repo: Path) -> None:
    assert cli("tag", "clf", "--allow-unpushed", cwd=repo).code == 0
    assert cli("promote", "clf@v0.1.0", "dev", cwd=repo).code == 0


def tags_read(repo_path: Path) -> int:
    """How many tag objects the search index reads to catch up with the repository's tags."""
    repo = Repository(root=repo_path, git_dir=repo_path / ".git")
    with SearchIndex(repo) as index:
        return index.add_new_tags(repo, trust_root(repo), read_tag_refs(repo))


def test_facets_narrow_the_registry_and_say_why(registry: Path, cli: Cli) -> None:
    assert set(found(cli, registry)) == {"points", "clf", "clf-eval"}
    assert set(found(cli, registry, "--kind", "model")) == {"clf"}
    assert set(found(cli, registry, "--dataset", "points")) == {"clf", "clf-eval"}
    assert set(found(cli, registry, "--license", "CC-BY-4.0")) == {"points"}
    assert set(found(cli, registry, "--license", "MIT")) == set()
    hit = found(cli, registry, "--kind", "dataset", "--license", "cc-by-4.0")["points"]
    assert hit["reasons"] == ["kind is dataset", "license CC-BY-4.0 includes CC-BY-4.0"]


def test_metric_filters_compare_reported_values(registry: Path, cli: Cli) -> None:
    assert set(found(cli, registry, "--metric", "accuracy>=0.84")) == {"clf", "clf-eval"}
    assert set(found(cli, registry, "--metric", "accuracy>0.84")) == set()
    assert set(
        found(
            cli, registry, "--metric", "accuracy>=0.8", "--metric", "accuracy<0.9", "--kind", "eval"
        )
    ) == {"clf-eval"}
    assert found(cli, registry, "--metric", "accuracy >= 0.5", "--kind", "model")["clf"][
        "reasons"
    ] == [
        "kind is model",
        "accuracy = 0.84 (accuracy >= 0.5)",
    ]


def test_full_text_ranks_matches_and_shows_a_snippet(registry: Path, cli: Cli) -> None:
    hits = found(cli, registry, "classifier")
    assert set(hits) == {"clf", "clf-eval"}
    assert "[classifier]" in str(hits["clf"]["snippet"])
    assert set(found(cli, registry, "reviewers")) == {
        "points",
        "clf",
        "clf-eval",
    }  # the prose, not only the front matter
    assert "\n" not in str(found(cli, registry, "reviewers")["clf"]["snippet"])
    assert set(found(cli, registry, '"synthetic data"')) == {"clf"}
    assert set(found(cli, registry, "classifier NOT accuracy")) == {"clf"}


def test_version_facet_matches_the_latest_release_or_its_series(registry: Path, cli: Cli) -> None:
    assert cli("tag", "clf", "--version", "1.2.0", "--allow-unpushed", cwd=registry).code == 0
    assert cli("tag", "points", "--version", "0.1.0", "--allow-unpushed", cwd=registry).code == 0
    assert set(found(cli, registry, "--version", "1")) == {"clf"}
    assert found(cli, registry, "--version", "v1.2")["clf"]["reasons"] == [
        "latest release v1.2.0 is in 1.2"
    ]
    assert set(found(cli, registry, "--version", "1.20")) == set()
    assert set(found(cli, registry, "--version", "0.1.0")) == {"points"}
    rewrite_card(registry, "A small classifier", "A retrained classifier")
    assert cli("tag", "clf", "--version", "2.0.0", "--allow-unpushed", cwd=registry).code == 0
    assert (
        set(found(cli, registry, "--version", "1")) == set()
    )  # the latest release, not any release
    bad = cli("search", "--version", "1.x", cwd=registry)
    assert bad.code == 2 and "expected X, X.Y or X.Y.Z" in bad.err


def test_stage_and_latest_version_come_from_tags(registry: Path, cli: Cli) -> None:
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0
    assert cli("promote", "clf@v0.1.0", "dev", cwd=registry).code == 0
    hits = found(cli, registry, "--stage", "dev")
    assert set(hits) == {"clf"}
    assert hits["clf"]["latest"] == "0.1.0" and hits["clf"]["stages"] == {"dev": "0.1.0"}
    table = cli("search", "--stage", "dev", cwd=registry).out
    assert "clf" in table and "v0.1.0" in table and "v0.1.0 is in dev" in table


def test_reindexing_reads_only_cards_whose_blob_changed(registry: Path, cli: Cli) -> None:
    repo = Repository(root=registry, git_dir=registry / ".git")
    with SearchIndex(repo) as index:
        assert index.add_missing(RevisionSource(repo, "HEAD")) == 3
        assert index.add_missing(RevisionSource(repo, "HEAD")) == 0
    rewrite_card(registry, "A small classifier", "A tiny perceptron")
    with SearchIndex(repo) as index:
        assert index.add_missing(RevisionSource(repo, "HEAD")) == 1
    assert set(found(cli, registry, "perceptron")) == {"clf"}


def test_a_cold_index_parsed_by_several_processes_finds_the_same(
    registry: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gitckpt.search.index

    query = ("classifier", "--metric", "accuracy>=0.8")
    serial = found(cli, registry, *query)
    (registry / ".git" / "gitckpt" / "search.sqlite").unlink()
    monkeypatch.setattr(
        gitckpt.search.index, "PARALLEL_FROM", 2
    )  # 3 cards: parsed by a process pool
    assert found(cli, registry, *query) == serial and set(serial) == {"clf", "clf-eval"}


def forge_release(repo: Path, tag: str, commit: str, record: dict[str, object]) -> None:
    message = f"Release\n\n{RECORD_MARKER}\n{json.dumps({**record, 'tag': tag})}\n"
    git(repo, "tag", "-a", "-m", message, tag, commit)


def test_a_cold_search_binds_release_records_to_their_cards_as_ls_does(
    registry: Path, cli: Cli
) -> None:
    """A cold index reads each card's name once, for the search and for binding release records
    to their cards (a card whose text masking changed is read again): the registry a fresh
    clone's first search shows is the one `ls` shows."""
    release_to_dev(cli, registry)
    message = git(registry, "for-each-ref", "--format=%(contents)", "refs/tags/clf@v0.1.0")
    record = json.loads(message.split(f"{RECORD_MARKER}\n", 1)[1])
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    rewrite_card(registry, "A small classifier", f"A small classifier ({token})")
    commit = git(registry, "rev-parse", "HEAD").strip()
    blob = git(registry, "rev-parse", f"HEAD:{MODEL_CARD}").strip()
    card = {"path": MODEL_CARD, "blob": blob}
    forge_release(
        registry,
        "clf@v0.2.0",
        commit,
        {**record, "version": "0.2.0", "commit": commit, "card": card},
    )
    points = {**record, "artifact": {"name": "points", "kind": "dataset"}}
    forge_release(registry, "points@v0.1.0", record["commit"], points)
    for command in ("search", "ls"):
        shutil.rmtree(registry / ".git" / "gitckpt")
        result = cli(command, "--json", cwd=registry)
        latest = {row["name"]: row["latest"] for row in json.loads(result.out)}
        assert (latest["clf"], latest["points"]) == ("0.2.0", None), command


def test_a_warm_search_reads_no_tag_object_and_a_new_tag_only_itself(
    registry: Path, cli: Cli
) -> None:
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0
    assert found(cli, registry)["clf"]["latest"] == "0.1.0"
    assert tags_read(registry) == 0
    assert cli("promote", "clf@v0.1.0", "dev", cwd=registry).code == 0
    git(registry, "tag", "not-a-registry-tag")
    assert tags_read(registry) == 1
    assert tags_read(registry) == 0
    assert found(cli, registry, "--stage", "dev")["clf"]["stages"] == {"dev": "0.1.0"}


def test_unchanged_tag_files_are_not_even_listed_and_any_change_is_seen(
    registry: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    release_to_dev(cli, registry)
    repo = Repository(root=registry, git_dir=registry / ".git")
    assert tag_refs_fingerprint(repo) is None  # just written: inside the racy window, never trusted
    age_tag_ref_files(registry)
    fingerprint = tag_refs_fingerprint(repo)
    assert fingerprint is not None
    trust = trust_root(repo)
    with SearchIndex(repo) as index:
        index.sync_tags(repo, trust)
        with monkeypatch.context() as without_git:
            without_git.setenv("PATH", "")  # listing the tags would need git: it is not run at all
            assert index.sync_tags(repo, trust) == 0
    assert cli("promote", "clf@v0.1.0", "staging", cwd=registry).code == 0
    age_tag_ref_files(
        registry
    )  # a new ref file, even dated like the others, changes the fingerprint
    assert tag_refs_fingerprint(repo) not in (None, fingerprint)
    with SearchIndex(repo) as index:
        assert index.sync_tags(repo, trust) == 1
    git(registry, "pack-refs", "--all")
    git(registry, "tag", "-d", "clf#staging#2")
    age_tag_ref_files(registry)
    assert found(cli, registry)["clf"]["stages"] == {"dev": "0.1.0"}


def test_a_deleted_or_moved_tag_is_reflected(registry: Path, cli: Cli) -> None:
    release_to_dev(cli, registry)
    assert set(found(cli, registry, "--stage", "dev")) == {"clf"}
    rewrite_card(registry, "A small classifier", "A tiny perceptron")
    git(
        registry, "tag", "-f", "-a", "-m", "moved to the new commit", "clf@v0.1.0"
    )  # same name, new object
    assert tags_read(registry) == 1
    hits = found(cli, registry)
    assert (
        hits["clf"]["latest"] == "0.1.0" and hits["clf"]["stages"] == {}
    )  # dev was assigned on the old commit
    git(registry, "tag", "-d", "clf@v0.1.0")
    assert found(cli, registry)["clf"]["latest"] is None


def test_rev_searches_the_registry_as_it_was(registry: Path, cli: Cli) -> None:
    before = git(registry, "rev-parse", "HEAD").strip()
    rewrite_card(registry, "A small classifier", "A tiny perceptron")
    assert set(found(cli, registry, "perceptron")) == {"clf"}
    assert set(found(cli, registry, "perceptron", "--rev", before)) == set()
    assert set(found(cli, registry, "small", "--rev", before)) == {"clf"}


def test_the_index_keeps_the_file_lists_of_the_last_commits_searched(
    registry: Path, cli: Cli
) -> None:
    first = git(registry, "rev-parse", "HEAD").strip()
    for number in range(KEPT_REVISIONS + 1):
        git(registry, "commit", "-q", "--allow-empty", "-m", f"experiment {number}")
        assert set(found(cli, registry, "classifier")) == {"clf", "clf-eval"}
    with sqlite3.connect(registry / ".git" / "gitckpt" / "search.sqlite") as connection:
        assert connection.execute("SELECT count(*) FROM revisions").fetchone()[0] == KEPT_REVISIONS
        assert (
            connection.execute("SELECT count(DISTINCT commit_id) FROM revision_files").fetchone()[0]
            == KEPT_REVISIONS
        )
    assert set(found(cli, registry, "classifier", "--rev", first)) == {"clf", "clf-eval"}


def test_a_corrupt_index_is_rebuilt(registry: Path, cli: Cli) -> None:
    release_to_dev(cli, registry)
    assert set(found(cli, registry, "classifier", "--stage", "dev")) == {"clf"}
    index = registry / ".git" / "gitckpt" / "search.sqlite"
    index.write_bytes(b"not a database" * 100)
    assert set(found(cli, registry, "classifier", "--stage", "dev")) == {"clf"}
    with sqlite3.connect(index) as connection:
        assert connection.execute("SELECT count(*) FROM cards").fetchone()[0] == 3
        assert connection.execute("SELECT count(*) FROM tags").fetchone()[0] == 2


def test_deprecated_filters_on_the_registry_state(registry: Path, cli: Cli) -> None:
    assert cli("deprecate", "points", "--reason", "superseded by points-v2", cwd=registry).code == 0
    assert set(found(cli, registry, "--deprecated")) == {"points"}
    assert found(cli, registry, "--deprecated")["points"]["reasons"] == ["deprecated"]
    assert set(found(cli, registry, "--no-deprecated")) == {"clf", "clf-eval"}
    assert found(cli, registry, "--no-deprecated", "--kind", "eval")["clf-eval"]["reasons"] == [
        "kind is eval",
        "not deprecated",
    ]


def test_commercial_keeps_only_licenses_known_to_permit_it(registry: Path, cli: Cli) -> None:
    assert set(found(cli, registry, "--commercial")) == {"points", "clf", "clf-eval"}
    rewrite_card(registry, "license: Apache-2.0", "license: CC-BY-NC-4.0 OR CC-BY-NC-SA-4.0")
    rewrite_card(registry, "license: Apache-2.0", "license: LicenseRef-internal", path=EVAL_CARD)
    hits = found(cli, registry, "--commercial")
    assert set(hits) == {"points"}
    assert hits["points"]["reasons"] == ["license CC-BY-4.0 permits commercial use"]


def test_fields_are_the_named_groups_of_the_naming_pattern(registry: Path, cli: Cli) -> None:
    assert found(cli, registry)["clf"]["fields"] == {}
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt" / "config.yaml").write_text(NAMING_CONFIG, encoding="utf-8")
    commit_all(registry, "name artifacts by family and role")
    hits = found(cli, registry, "--field", "family=clf")
    assert set(hits) == {"clf", "clf-eval"}
    assert hits["clf"]["fields"] == {"family": "clf"} and hits["clf-eval"]["fields"] == {
        "family": "clf",
        "role": "eval",
    }
    assert set(found(cli, registry, "--field", "family=clf", "--field", "role=eval")) == {
        "clf-eval"
    }
    assert found(cli, registry, "--field", "role=eval")["clf-eval"]["reasons"] == ["role is eval"]
    unknown = cli("search", "--field", "project=projx", cwd=registry)
    assert unknown.code == 2 and "known fields: family, role" in unknown.err and unknown.out == ""


def test_the_documented_naming_convention_parses_into_fields() -> None:
    pattern = (
        r"(?P<project>[a-z0-9]+)-(?P<architecture>[a-z0-9]+)-v(?P<version>[0-9]+)"
        r"-(?P<stage>[a-z]+)-(?P<date>\d{4}-\d\d-\d\d)"
    )
    config = parse_config(f"schema_version: 1\nnaming:\n  pattern: '{pattern}'\n")
    assert config.name_fields == ("project", "architecture", "version", "stage", "date")
    assert config.parse_name("projx-resnet50-v3-prod-2025-07-01") == {
        "project": "projx",
        "architecture": "resnet50",
        "version": "3",
        "stage": "prod",
        "date": "2025-07-01",
    }
    assert config.parse_name("resnet50") == {}


def test_bad_filters_are_usage_errors_that_change_nothing(registry: Path, cli: Cli) -> None:
    for args, expected in (
        (("--metric", "accuracy>>0.9"), "--metric 'accuracy>>0.9': expected NAME OP VALUE"),
        (("--metric", "accuracy>=high"), "expected NAME OP VALUE"),
        (('"unbalanced quote',), "not valid full-text syntax"),
        (("--colour", "red"), "unrecognized arguments: --colour"),
        (("--rev", "no-such-rev"), "'no-such-rev' is not a commit"),
        (("--field", "family"), "--field 'family': expected NAME=VALUE"),
        (("--field", "=clf"), "expected NAME=VALUE"),
        (
            ("--field", "family=clf"),
            "known fields: none: naming.pattern in .gitckpt/config.yaml has no named groups",
        ),
        (("--deprecated", "--no-deprecated", "--stage"), "--stage: expected one argument"),
    ):
        result = cli("search", *args, cwd=registry)
        assert result.code in (1, 2), (args, result)
        assert expected in result.err, (args, result.err)
        assert result.out == ""
    assert cli("search", "--metric", "x>>1", cwd=registry).code == 2
    assert cli("search", '"open', cwd=registry).code == 2
    assert cli("search", "--field", "family", cwd=registry).code == 2
    assert cli("search", "--field", "family=clf", cwd=registry).code == 2
    assert git(registry, "status", "--porcelain") == ""
