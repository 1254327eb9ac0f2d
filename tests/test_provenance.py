"""`git ckpt log`, `lineage` and `attest` on repositories built commit by commit: renames,
merges, trailers, signed commits, releases."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repos import commit_all, git
from tests.conftest import MODEL, CliResult
from tests.test_signing import allow, make_key

Cli = Callable[..., CliResult]
CARD = "models/clf.card.md"


@pytest.fixture
def history(registry: Path, cli: Cli, tmp_path: Path) -> Path:
    """main: the registry; a branch retrains the model (merged with a merge commit); then the card
    is renamed, and a signed commit with trailers edits it; a release is tagged."""
    repo = registry
    git(repo, "checkout", "-q", "-b", "retrain")
    (repo / MODEL).write_bytes(b"retrained weights, epoch 9")
    assert cli("add", MODEL, cwd=repo).code == 0
    assert (
        cli(
            "eval",
            "confirm",
            "clf",
            "--reason",
            "Same architecture, more epochs; re-evaluated offline.",
            cwd=repo,
        ).code
        == 0
    )
    commit_all(repo, "Retrain for nine epochs\n\nReviewed-by: Grace Reviewer <grace@example.org>")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge branch 'retrain'", "retrain")
    git(repo, "mv", CARD, "models/classifier.card.md")
    commit_all(repo, "Rename the card")
    key = make_key(tmp_path, "ada")
    allow(repo, "ada@example.org", key)
    card = repo / "models/classifier.card.md"
    card.write_text(card.read_text().replace("license: Apache-2.0", "license: MIT"))
    git(repo, "add", "-A")
    git(
        repo,
        "-c",
        "gpg.format=ssh",
        "-c",
        f"user.signingkey={key}",
        "commit",
        "-q",
        "-S",
        "-m",
        "Relicense\n\nSigned-off-by: Ada Researcher <ada@example.org>\nApproved-by: Lab "
        "Lead <lead@example.org>",
    )
    assert cli("tag", "clf", "--allow-unpushed", cwd=repo).code == 0
    return repo


def log(repo: Path, cli: Cli) -> list[dict[str, object]]:
    result = cli("log", "clf", "--json", cwd=repo)
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def test_log_follows_renames_merges_trailers_and_signatures(history: Path, cli: Cli) -> None:
    entries = log(history, cli)
    summaries = [entry["summary"] for entry in entries]
    assert summaries == [
        "Relicense",
        "Rename the card",
        "Retrain for nine epochs",
        "add dataset, model and eval",
    ]
    relicense, rename, retrain, created = entries
    assert relicense["trailers"] == {
        "Signed-off-by": ["Ada Researcher <ada@example.org>"],
        "Approved-by": ["Lab Lead <lead@example.org>"],
    }
    assert relicense["signature"] == "good signature by ada@example.org"
    assert relicense["fields_changed"] == ["license"] and relicense["tags"] == ["clf@v0.1.0"]
    assert rename["renamed_from"] == CARD and rename["card_path"] == "models/classifier.card.md"
    assert retrain["trailers"] == {"Reviewed-by": ["Grace Reviewer <grace@example.org>"]}
    assert retrain["merged_by"] == git(history, "rev-parse", "HEAD~2").strip()
    assert retrain["bytes_changed"]["new"]["size"] == len(b"retrained weights, epoch 9")
    assert retrain["card_path"] == CARD
    assert created["fields_changed"] == ["(card created)"] and created["signature"] == "unsigned"
    human = cli("log", "clf", cwd=history).out
    assert "Reviewed-by: Grace Reviewer" in human and "renamed from models/clf.card.md" in human


def test_one_walk_for_every_artifact_gives_each_its_own_log(history: Path) -> None:
    from dataclasses import asdict

    from gitckpt.provenance import artifact_log, artifact_logs
    from gitckpt.repo import find_repository

    repo = find_repository(history)
    cards = {
        "clf": "models/classifier.card.md",
        "points": "data/points.card.md",
        "clf-eval": "evals/clf-eval.card.md",
    }
    together = artifact_logs(repo, cards)
    for name, card_path in cards.items():
        alone = artifact_log(repo, name, card_path=card_path)
        assert [asdict(entry) for entry in together[name]] == [asdict(entry) for entry in alone], (
            name
        )
    created = "add dataset, model and eval"
    assert [entry.summary for entry in together["clf"]] == [
        "Relicense",
        "Rename the card",
        "Retrain for nine epochs",
        created,
    ]
    assert (
        [entry.summary for entry in together["points"]]
        == [created]
        == [entry.summary for entry in together["clf-eval"]][-1:]
    )


def test_log_of_an_unknown_artifact(registry: Path, cli: Cli) -> None:
    result = cli("log", "nothing", cwd=registry)
    assert result.code == 1 and "no committed card named 'nothing'" in result.err


def test_lineage_upstream_and_dependents(registry: Path, cli: Cli) -> None:
    graph = json.loads(cli("lineage", "clf", "--format", "json", cwd=registry).out)
    assert {(edge["from"], edge["relation"], edge["to"]) for edge in graph["edges"]} >= {
        ("clf", "trained on", "points"),
        ("clf", "evaluated with", "clf-eval"),
        ("clf-eval", "evaluated on", "points"),
        ("clf", "built by code", "commit:000000000000"),
    }
    assert graph["nodes"]["points"]["license"] == "CC-BY-4.0" and graph["cycles"] == []
    dependents = json.loads(
        cli("lineage", "points", "--dependents", "--format", "json", cwd=registry).out
    )
    assert {edge["from"] for edge in dependents["edges"] if edge["to"] == "points"} == {
        "clf",
        "clf-eval",
    }
    shallow = json.loads(
        cli("lineage", "clf", "--depth", "1", "--format", "json", cwd=registry).out
    )
    assert not any(
        edge["from"] == "clf-eval" and edge["to"] == "points" for edge in shallow["edges"]
    )
    mermaid = cli("lineage", "clf", "--format", "mermaid", cwd=registry).out
    assert mermaid.startswith("```mermaid\ngraph LR\n") and "-->|trained on|" in mermaid
    assert cli("lineage", "clf", "--format", "dot", cwd=registry).out.startswith(
        "digraph lineage {"
    )


def test_lineage_reports_cycles_and_stops(registry: Path, cli: Cli) -> None:
    card = registry / "data/points.card.md"
    card.write_text(
        card.read_text().replace(
            "- uri: generated://testing", "- artifact: clf\n  uri: generated://testing"
        )
    )
    result = cli("lineage", "clf", "--format", "json", cwd=registry)
    assert result.code == 0
    assert ["clf", "points", "clf"] in json.loads(result.out)["cycles"]
    assert "CYCLE: clf → points → clf" in cli("lineage", "clf", cwd=registry).out


def test_lineage_of_a_release_reads_that_commit(history: Path, cli: Cli) -> None:
    graph = json.loads(cli("lineage", "clf@v0.1.0", "--format", "json", cwd=history).out)
    assert (
        graph["nodes"]["clf"]["card"] == "models/classifier.card.md"
        and graph["nodes"]["clf"]["license"] == "MIT"
    )
    assert cli("lineage", "clf@v9.0.0", cwd=history).code == 1
    assert cli("lineage", "nothing", cwd=history).code == 1


def test_links_to_releases_must_exist(registry: Path, cli: Cli) -> None:
    card = registry / CARD
    card.write_text(card.read_text().replace("- artifact: points", "- artifact: points@v0.1.0"))
    findings = json.loads(cli("check", "--json", cwd=registry).out)["findings"]
    assert [(f["check"], f["field"]) for f in findings] == [("GC404", "training_data[0].artifact")]
    git(registry, "stash", "-q")
    assert cli("tag", "points", "--allow-unpushed", cwd=registry).code == 0
    git(registry, "stash", "pop", "-q")
    assert cli("check", cwd=registry).code == 0


def attestation(repo: Path, cli: Cli, tmp_path: Path, *extra: str) -> Path:
    output = tmp_path / "clf.intoto.json"
    result = cli("attest", "clf@v0.1.0", "-o", str(output), *extra, cwd=repo)
    assert result.code == 0, result.err
    return output


def test_attestation_is_a_valid_in_toto_statement_with_slsa_provenance(
    history: Path, cli: Cli, tmp_path: Path
) -> None:
    from google.protobuf import json_format
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    statement = json.loads(attestation(history, cli, tmp_path).read_text())
    Statement.copy_from_pb(json_format.ParseDict(statement, statement_pb2.Statement())).validate()
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    import hashlib

    assert statement["subject"] == [
        {
            "name": MODEL,
            "digest": {"sha256": hashlib.sha256(b"retrained weights, epoch 9").hexdigest()},
        }
    ]
    dependencies = {
        dep["name"]: dep
        for dep in statement["predicate"]["buildDefinition"]["resolvedDependencies"]
    }
    assert dependencies["points"]["digest"]["sha256"] and dependencies["code"]["digest"] == {
        "gitCommit": "0" * 40
    }
    assert (
        statement["predicate"]["buildDefinition"]["externalParameters"]["hyperparameters"][
            "optimizer"
        ]
        == "sgd"
    )
    assert statement["predicate"]["runDetails"]["metadata"]["invocationId"] == "clf@v0.1.0"


def test_signed_attestation_verifies_and_tampering_is_caught(
    history: Path, cli: Cli, tmp_path: Path
) -> None:
    key = tmp_path / "ada"
    git(history, "config", "user.signingkey", str(key))
    path = attestation(history, cli, tmp_path, "--sign")
    assert cli("verify", "--attestation", str(path), cwd=history).code == 0
    original = path.read_text()
    path.write_text(
        original.replace(json.loads(original)["subject"][0]["digest"]["sha256"], "0" * 64)
    )
    tampered = cli("verify", "--attestation", str(path), "--json", cwd=history)
    assert tampered.code == 1 and any(
        "does not verify" in problem for problem in json.loads(tampered.out)["problems"]
    )
    path.write_text(original)
    mallory = make_key(tmp_path, "mallory")
    path.with_name(path.name + ".sig").unlink()
    subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-f", str(mallory), "-n", "gitckpt", str(path)],
        check=True,
        capture_output=True,
    )
    forged = cli("verify", "--attestation", str(path), "--json", cwd=history)
    assert forged.code == 1 and any(
        "not made by a key" in problem for problem in json.loads(forged.out)["problems"]
    )


def test_attestation_subjects_are_checked_against_the_bytes(
    history: Path, cli: Cli, tmp_path: Path
) -> None:
    git(history, "config", "user.signingkey", str(tmp_path / "ada"))
    path = attestation(history, cli, tmp_path, "--sign")
    (history / MODEL).write_bytes(b"swapped after release")
    result = cli("verify", "--attestation", str(path), "--json", cwd=history)
    assert result.code == 1 and any(
        "has sha256" in problem for problem in json.loads(result.out)["problems"]
    )


def test_attest_refuses_what_it_cannot_attest(registry: Path, cli: Cli) -> None:
    assert cli("attest", "clf@v0.1.0", cwd=registry).code == 1
    git(registry, "tag", "clf@v0.1.0")
    result = cli("attest", "clf@v0.1.0", cwd=registry)
    assert result.code == 1 and "no gitckpt release record" in result.err


def test_many_changed_fields_are_grouped_by_block_for_reading() -> None:
    from gitckpt.provenance import summarize_fields

    few = ["license", "limitations[0].description"]
    assert summarize_fields(few) == few
    checklist = [f"release_checklist.item_{index}.confirmed_at" for index in range(6)]
    grouped = summarize_fields([*checklist, "license", "evaluation[0].value"])
    assert grouped == ["release_checklist (6 fields)", "license", "evaluation[0].value"]
