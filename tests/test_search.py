"""`git ckpt search`: facets, metric filters and full text over an index keyed by blob ids."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from gitckpt.repo import Repository
from gitckpt.search import SearchIndex
from gitckpt.sources import RevisionSource
from testing.repos import commit_all, git
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"


def found(cli: Cli, repo: Path, *args: str) -> dict[str, dict[str, object]]:
    result = cli("search", *args, "--json", cwd=repo)
    assert result.code == 0, result.err
    return {hit["name"]: hit for hit in json.loads(result.out)}


def rewrite_description(repo: Path, old: str, new: str) -> None:
    card = repo / MODEL_CARD
    card.write_text(card.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    commit_all(repo, "describe the model anew")


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
    assert set(found(cli, registry, "--metric", "accuracy>=0.8", "--metric", "accuracy<0.9", "--kind", "eval")) == {"clf-eval"}
    assert found(cli, registry, "--metric", "accuracy >= 0.5", "--kind", "model")["clf"]["reasons"] == [
        "kind is model",
        "accuracy = 0.84 (accuracy >= 0.5)",
    ]


def test_full_text_ranks_matches_and_shows_a_snippet(registry: Path, cli: Cli) -> None:
    hits = found(cli, registry, "classifier")
    assert set(hits) == {"clf", "clf-eval"}
    assert "[classifier]" in str(hits["clf"]["snippet"])
    assert set(found(cli, registry, "reviewers")) == {"points", "clf", "clf-eval"}  # the prose, not only the front matter
    assert "\n" not in str(found(cli, registry, "reviewers")["clf"]["snippet"])
    assert set(found(cli, registry, '"synthetic data"')) == {"clf"}
    assert set(found(cli, registry, "classifier NOT accuracy")) == {"clf"}


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
    cards = {path: git(registry, "rev-parse", f"HEAD:{path}").strip() for path in git(registry, "ls-files", "*.card.md").split()}
    with SearchIndex(repo) as index:
        assert index.add_missing(RevisionSource(repo, "HEAD"), cards) == 3
        assert index.add_missing(RevisionSource(repo, "HEAD"), cards) == 0
    rewrite_description(registry, "A small classifier", "A tiny perceptron")
    cards[MODEL_CARD] = git(registry, "rev-parse", f"HEAD:{MODEL_CARD}").strip()
    with SearchIndex(repo) as index:
        assert index.add_missing(RevisionSource(repo, "HEAD"), cards) == 1
    assert set(found(cli, registry, "perceptron")) == {"clf"}


def test_rev_searches_the_registry_as_it_was(registry: Path, cli: Cli) -> None:
    before = git(registry, "rev-parse", "HEAD").strip()
    rewrite_description(registry, "A small classifier", "A tiny perceptron")
    assert set(found(cli, registry, "perceptron")) == {"clf"}
    assert set(found(cli, registry, "perceptron", "--rev", before)) == set()
    assert set(found(cli, registry, "small", "--rev", before)) == {"clf"}


def test_a_corrupt_index_is_rebuilt(registry: Path, cli: Cli) -> None:
    assert set(found(cli, registry, "classifier")) == {"clf", "clf-eval"}
    index = registry / ".git" / "gitckpt" / "search.sqlite"
    index.write_bytes(b"not a database" * 100)
    assert set(found(cli, registry, "classifier")) == {"clf", "clf-eval"}
    with sqlite3.connect(index) as connection:
        assert connection.execute("SELECT count(*) FROM cards").fetchone()[0] == 3


def test_bad_filters_are_usage_errors_that_change_nothing(registry: Path, cli: Cli) -> None:
    for args, expected in (
        (("--metric", "accuracy>>0.9"), "--metric 'accuracy>>0.9': expected NAME OP VALUE"),
        (("--metric", "accuracy>=high"), "expected NAME OP VALUE"),
        (('"unbalanced quote',), "not valid full-text syntax"),
        (("--colour", "red"), "unrecognized arguments: --colour"),
        (("--rev", "no-such-rev"), "'no-such-rev' is not a commit"),
    ):
        result = cli("search", *args, cwd=registry)
        assert result.code in (1, 2), (args, result)
        assert expected in result.err, (args, result.err)
        assert result.out == ""
    assert cli("search", "--metric", "x>>1", cwd=registry).code == 2
    assert cli("search", '"open', cwd=registry).code == 2
    assert git(registry, "status", "--porcelain") == ""
