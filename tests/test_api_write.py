"""The API's write side (issue 21): `Registry.track`, `update_card`, `record_evaluation`,
`release`, and the `ls` / `history` / `log` views, called as a training script would, over real
git and DVC repositories; and how results show in a notebook (`_repr_html_`,
`_repr_markdown_`), escaped and with credentials masked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gitckpt import GitckptError, InferredFacts, InputError, Registry, UsageError, collect
from gitckpt.card import parse_card
from testing.repos import commit_all, dvc, git
from tests.conftest import MODEL, CliResult
from tests.test_evaluation import SCRIPT, add_evaluate_stage

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"
GITHUB_TOKEN = "ghp_" + "a1B2" * 9  # what GitHubTokenDetector reports


def front_matter(repo: Path, card: str) -> dict[str, object]:
    return parse_card((repo / card).read_text(encoding="utf-8"), card).data


def staged(repo: Path) -> list[str]:
    return git(repo, "diff", "--cached", "--name-only").split()


def test_track_writes_the_card_with_the_facts_and_stages_it(repo: Path) -> None:
    (repo / "models").mkdir()
    (repo / "models/net.bin").write_bytes(b"weights" * 100)

    artifact = Registry.open(repo).track(
        repo / "models/net.bin",
        kind="model",
        facts={"license": "MIT", "architecture": {"family": "MLP"}},
    )

    assert (artifact.name, artifact.kind, artifact.card, artifact.created) == (
        "net",
        "model",
        "models/net.card.md",
        True,
    )
    assert artifact.sha256 == hashlib.sha256(b"weights" * 100).hexdigest()
    data = front_matter(repo, artifact.card)
    assert data["license"] == "MIT"
    assert data["architecture"] == {  # merged: the scaffold's other field stays
        "family": "MLP",
        "parameters": "<FILL: number of trainable parameters (an integer)>",
    }
    assert {"models/net.bin.dvc", "models/net.card.md"} <= set(staged(repo))


def test_a_persons_hyperparameters_replace_the_scaffolds_examples(repo: Path) -> None:
    (repo / "net.bin").write_bytes(b"weights")

    artifact = Registry.open(repo).track(
        repo / "net.bin", kind="model", facts={"hyperparameters": {"lr": 0.1}}
    )

    assert front_matter(repo, artifact.card)["hyperparameters"] == {"lr": 0.1}


def test_collected_facts_fit_any_kind(repo: Path) -> None:
    """A dataset's card has no seeds or environment: collected facts it has no field for are
    left out, not refused."""
    (repo / "points.csv").write_text("x,y\n1,2\n")
    facts = collect(repo / "points.csv", params={"seed": 1, "rows": 2}, repo=repo)

    artifact = Registry.open(repo).track(repo / "points.csv", kind="dataset", facts=facts)

    assert "seeds" not in front_matter(repo, artifact.card)


def test_track_refuses_an_unknown_field_before_tracking_anything(repo: Path) -> None:
    (repo / "model.bin").write_bytes(b"weights")

    with pytest.raises(InputError, match=r"'colour' is not a field of a model card \(GC103\)"):
        Registry.open(repo).track(repo / "model.bin", kind="model", facts={"colour": "blue"})

    assert not (repo / "model.bin.dvc").exists() and not (repo / "model.card.md").exists()


def test_track_without_a_kind_raises_the_cli_message(repo: Path) -> None:
    (repo / "model.bin").write_bytes(b"weights")

    with pytest.raises(UsageError, match="has no card yet: say what it is with --kind"):
        Registry.open(repo).track(repo / "model.bin")


def test_track_new_bytes_of_an_existing_artifact(registry: Path) -> None:
    (registry / MODEL).write_bytes(b"retrained")

    artifact = Registry.open(registry).track(registry / MODEL)

    assert (artifact.created, artifact.bytes_changed) == (False, True)
    checkpoint = front_matter(registry, MODEL_CARD)["checkpoint"]
    assert checkpoint["sha256"] == hashlib.sha256(b"retrained").hexdigest()  # type: ignore[index]


def test_update_card_keeps_comments_and_prose(registry: Path) -> None:
    card = registry / MODEL_CARD
    text = card.read_text(encoding="utf-8")
    card.write_text(text.replace("license:", "# chosen by legal\nlicense:", 1), encoding="utf-8")

    view = Registry.open(registry).update_card(
        "clf", {"license": "MIT", "hyperparameters": {"epochs": 9}}
    )

    after = card.read_text(encoding="utf-8")
    assert "# chosen by legal\nlicense: MIT" in after
    assert after.endswith("Prose for reviewers.\n")
    assert view.facts["hyperparameters"] == {"optimizer": "sgd", "learning_rate": 0.1, "epochs": 9}


def test_update_card_refuses_an_invalid_value_and_writes_nothing(registry: Path) -> None:
    card = registry / MODEL_CARD
    before = card.read_bytes()

    with pytest.raises(InputError) as refused:
        Registry.open(registry).update_card("clf", {"architecture": {"parameters": "many"}})

    assert refused.value.path == MODEL_CARD and refused.value.field == "architecture.parameters"
    assert refused.value.line > 1 and "(GC103)" in str(refused.value)
    assert card.read_bytes() == before


def test_update_card_refuses_unknown_fields_and_names(registry: Path) -> None:
    opened = Registry.open(registry)

    with pytest.raises(InputError, match="'colour' is not a field of a model card"):
        opened.update_card("clf", {"colour": "blue"})
    with pytest.raises(GitckptError, match="there is no card named 'nothing'"):
        opened.update_card("nothing", {"license": "MIT"})


def test_inferred_facts_never_overwrite_what_a_person_wrote(registry: Path) -> None:
    inferred = InferredFacts(
        {
            "license": "GPL-3.0-only",
            "seeds": {"training": 5, "data": 6},
            "architecture": {"parameters": 99, "details": "2 tensors"},
        }
    )

    view = Registry.open(registry).update_card("clf", inferred)

    assert view.facts["license"] == "Apache-2.0"
    assert view.facts["seeds"] == {"training": 0, "data": 6}
    assert view.facts["architecture"] == {
        "family": "logistic-regression",
        "parameters": 17,
        "details": "2 tensors",
    }


def test_update_card_replaces_the_prose(registry: Path) -> None:
    view = Registry.open(registry).update_card("clf", prose="# clf\n\nNew words.")

    assert view.prose == "# clf\n\nNew words.\n"
    assert front_matter(registry, MODEL_CARD)["license"] == "Apache-2.0"


def test_record_evaluation_takes_results_from_the_stage(registry: Path) -> None:
    (registry / "evaluate.py").write_text(SCRIPT)
    add_evaluate_stage(registry)
    dvc(registry, "repro", "-q", "evaluate")
    commit_all(registry, "evaluation stage")

    recorded = Registry.open(registry).record_evaluation(
        "clf-eval", "evaluate", samples=registry / "samples.jsonl"
    )

    metrics = json.loads((registry / "metrics.json").read_text())
    (result,) = recorded.results
    assert (result.metric, result.value, recorded.eval_card) == (
        "accuracy",
        metrics["accuracy"],
        "evals/clf-eval.card.md",
    )
    assert result.interval is not None and result.interval.method.startswith("bootstrap")


def test_record_evaluation_errors_carry_the_cli_messages(registry: Path) -> None:
    with pytest.raises(UsageError, match="'clf' is not an eval card in this repository"):
        Registry.open(registry).record_evaluation("clf", "evaluate")


def test_release_and_the_registry_views(registry: Path) -> None:
    opened = Registry.open(registry)

    created = opened.release("clf", allow_unpushed=True, message="first")

    assert created.tag == "clf@v0.1.0"
    assert [(row.name, row.latest) for row in opened.ls(kind="model")] == [("clf", "0.1.0")]
    assert [row.event.tag for row in opened.history("clf")] == ["clf@v0.1.0"]
    assert [entry.summary for entry in opened.log("clf")] == ["add dataset, model and eval"]
    with pytest.raises(GitckptError, match=r"v0\.1\.0 is not greater than the latest release"):
        opened.release("clf", version="0.1.0", allow_unpushed=True)


def test_release_refuses_what_the_cli_refuses(registry: Path) -> None:
    card = registry / MODEL_CARD
    card.write_text(card.read_text(encoding="utf-8") + "\nmore\n", encoding="utf-8")

    with pytest.raises(GitckptError, match="uncommitted changes"):
        Registry.open(registry).release("clf", allow_unpushed=True)


def test_a_card_shows_in_a_notebook_escaped_and_masked(registry: Path) -> None:
    card = registry / MODEL_CARD
    text = card.read_text(encoding="utf-8")
    card.write_text(
        text.replace("Prose for reviewers.", f"<script>alert(1)</script> token {GITHUB_TOKEN}"),
        encoding="utf-8",
    )
    view = Registry.open(registry).card("clf")

    shown = view._repr_html_()
    markdown = view._repr_markdown_()

    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert GITHUB_TOKEN not in shown and GITHUB_TOKEN not in markdown
    assert "<td>license</td><td>Apache-2.0</td>" in shown
    assert "| license | Apache-2.0 |" in markdown
    assert markdown.startswith("**model card clf (models/clf.card.md)**")


def test_findings_search_results_and_the_registry_show_in_a_notebook(registry: Path) -> None:
    card = registry / MODEL_CARD
    card.write_text(
        card.read_text(encoding="utf-8").replace("Testing gitckpt.", "<FILL use>", 1),
        encoding="utf-8",
    )
    opened = Registry.open(registry)

    report = opened.check()
    hits = opened.search("synthetic")

    assert "<td>GC104</td>" in report._repr_html_() and "&lt;FILL use&gt;" in report._repr_html_()
    assert report._repr_markdown_().startswith("**1 error(s), 0 warning(s) in 3 card(s)")
    assert "<td>clf</td>" in hits._repr_html_() and "| name | kind |" in hits._repr_markdown_()
    assert "<td>points</td><td>dataset</td><td>unreleased</td>" in opened._repr_html_()
    assert "3 artifact(s)" in opened._repr_markdown_()
