"""`gitckpt.publish` after a training run (issue 21): the example script end to end in a real git
+ DVC repository, results only from a source, and refusal with the findings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import gitckpt
from gitckpt import PublishRefused, ResultSource, UsageError
from gitckpt.card import parse_card
from testing.repos import commit_all, dvc, git
from tests.conftest import MODEL, CliResult
from tests.test_evaluation import SCRIPT, add_evaluate_stage

Cli = Callable[..., CliResult]
EXAMPLE = Path(__file__).parent.parent / "examples" / "train_and_publish.py"


def staged(repo: Path) -> list[str]:
    return git(repo, "diff", "--cached", "--name-only").split()


def test_the_example_trains_and_publishes_end_to_end(repo: Path, cli: Cli) -> None:
    commit_all(repo, "the training code")  # the card's code_commit
    env = {**os.environ, "PYTHONPATH": str(Path(gitckpt.__file__).parent.parent)}
    completed = subprocess.run(
        [sys.executable, str(EXAMPLE), str(repo)], capture_output=True, text=True, env=env
    )

    assert completed.returncode == 0, completed.stderr
    assert "staged dvc.yaml, models/.gitignore, models/clf.card.md" in completed.stdout
    assert {
        "data/points.card.md",
        "data/points.csv.dvc",
        "models/clf.card.md",
        "models/clf.safetensors.dvc",
    } <= set(staged(repo))
    card = parse_card((repo / "models/clf.card.md").read_text(), "card").data
    metrics = json.loads((repo / "metrics/eval.json").read_text())
    (entry,) = card["evaluation"]
    assert (entry["value"], entry["n"]) == (metrics["accuracy"], metrics["n"])
    assert entry["confidence_interval"]["method"] == "wilson"
    assert card["architecture"]["parameters"] == 3  # inferred from the safetensors header
    assert card["seeds"] == {"train": 0, "data": 1}  # and from params.yaml
    assert cli("check", cwd=repo).code == 0


def test_numbers_without_a_source_are_refused(repo: Path) -> None:
    (repo / "model.bin").write_bytes(b"weights")

    with pytest.raises(UsageError, match="metrics must say where they come from"):
        gitckpt.publish(repo / "model.bin", kind="model", metrics={"accuracy": 0.9}, repo=repo)  # type: ignore[arg-type]

    assert not (repo / "model.bin.dvc").exists()


def test_an_incomplete_card_is_refused_with_its_findings_and_nothing_staged(repo: Path) -> None:
    (repo / "model.bin").write_bytes(b"weights")
    before = staged(repo)

    with pytest.raises(PublishRefused, match=r"not staged: model\.card\.md has \d+ error") as why:
        gitckpt.publish(repo / "model.bin", kind="model", facts={"license": "MIT"}, repo=repo)

    checks = {item.finding.check for item in why.value.report.findings}
    assert "GC104" in checks and "GC104" in str(why.value)
    assert staged(repo) == before
    assert (repo / "model.card.md").exists()  # left for a person to complete


def test_results_come_from_a_dvc_stage(registry: Path, cli: Cli) -> None:
    (registry / "evaluate.py").write_text(SCRIPT)
    add_evaluate_stage(registry)
    dvc(registry, "repro", "-q", "evaluate")
    commit_all(registry, "evaluation stage")
    source = ResultSource(task="classification", dataset="points", stage="evaluate")

    published = gitckpt.publish(registry / MODEL, metrics=source, repo=registry)

    metrics = json.loads((registry / "metrics.json").read_text())
    card = parse_card((registry / "models/clf.card.md").read_text(), "card").data
    (entry,) = [item for item in card["evaluation"] if item["value"] == metrics["accuracy"]]
    assert entry["dataset"] == {"artifact": "points", "split": "test"}
    assert "models/clf.card.md" in published.staged and "models/clf.card.md" in staged(registry)
    assert cli("check", cwd=registry).code == 0


def test_a_stage_that_ran_on_other_bytes_is_refused(registry: Path) -> None:
    (registry / "evaluate.py").write_text(SCRIPT)
    add_evaluate_stage(registry)
    dvc(registry, "repro", "-q", "evaluate")
    (registry / MODEL).write_bytes(b"retrained")
    source = ResultSource(task="classification", dataset="points", stage="evaluate")

    with pytest.raises(gitckpt.GitckptError, match=r"last ran on models/clf\.bin with md5"):
        gitckpt.publish(registry / MODEL, metrics=source, repo=registry)
