"""`git ckpt audit`: noassertion gaps by field, stale cards, deprecated artifacts still linked and
unsigned releases, read from the cards at a revision and the registry's tags."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gitckpt.card import update_front_matter
from gitckpt.registry import iso
from testing.cards import dataset_fields, model_fields, write_card
from testing.repos import commit_all, dvc, git, make_repo, run, track
from tests.conftest import DATASET, MODEL, CliResult
from tests.test_signing import allow, make_key

Cli = Callable[..., CliResult]
DAY = 86400
MODEL_CARD = "models/clf.card.md"
DATASET_CARD = "data/points.card.md"


def audit_json(cli: Cli, repo: Path, *args: str) -> dict[str, Any]:
    result = cli("audit", *args, "--json", cwd=repo)
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def edit_front_matter(repo: Path, card: str, updates: dict[tuple[str | int, ...], Any]) -> None:
    path = repo / card
    path.write_text(
        update_front_matter(path.read_text(encoding="utf-8"), card, updates), encoding="utf-8"
    )


def head_time(repo: Path) -> int:
    return int(git(repo, "log", "-1", "--format=%ct").strip())


def dated(seconds: int) -> dict[str, str]:
    when = f"@{seconds} +0000"
    return {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}


def commit_at(repo: Path, seconds: int, message: str) -> None:
    git(repo, "add", "-A")
    run(["git", "commit", "-q", "-m", message], repo, env=dated(seconds))


def retrain(repo: Path, data_path: str) -> None:
    """New bytes for tracked data: its DVC pointer changes."""
    (repo / data_path).write_bytes((repo / data_path).read_bytes() + b"retrained\n")
    dvc(repo, "add", "-q", data_path)


def test_noassertion_gaps_are_grouped_by_field_with_artifacts_and_reasons(
    registry: Path, cli: Cli
) -> None:
    edit_front_matter(
        registry,
        MODEL_CARD,
        {("training_data", 0, "license"): {"noassertion": "upstream states no license"}},
    )
    commit_all(registry, "the training data's license is unknown")
    report = audit_json(cli, registry)
    groups = {group["field"]: group for group in report["noassertion"]}
    assert set(groups) == {"training_data[].license", "compute.energy_kwh"}
    assert groups["training_data[].license"]["count"] == 1
    (gap,) = groups["training_data[].license"]["artifacts"]
    assert (
        gap["artifact"] == "clf"
        and gap["card"] == MODEL_CARD
        and gap["exact_field"] == "training_data[0].license"
    )
    assert gap["reason"] == "upstream states no license"
    assert (registry / MODEL_CARD).read_text().splitlines()[gap["line"] - 1].strip() == "license:"
    assert groups["compute.energy_kwh"]["artifacts"][0]["reason"] == "not measured on a laptop"
    assert report["summary"]["cards_audited"] == 3 and report["summary"]["noassertion_gaps"] == 2
    text = cli("audit", cwd=registry).out
    assert (
        "training_data[].license" in text
        and "upstream states no license" in text
        and f"{MODEL_CARD}:{gap['line']}" in text
    )


def test_a_card_not_touched_within_n_days_of_its_bytes_is_stale(registry: Path, cli: Cli) -> None:
    start = head_time(registry)
    retrain(registry, MODEL)  # the model's card is left as it was
    retrain(registry, DATASET)
    edit_front_matter(
        registry, DATASET_CARD, {("description",): "Synthetic points, regenerated with more noise."}
    )
    commit_at(
        registry, start + 120 * DAY, "retrain the model; regenerate the dataset and describe it"
    )
    report = audit_json(cli, registry)
    assert report["stale_days"] == 90
    assert report["stale_cards"] == [
        {
            "artifact": "clf",
            "card": MODEL_CARD,
            "pointer": f"{MODEL}.dvc",
            "card_changed": iso(start),
            "card_commit": git(registry, "rev-parse", "HEAD~1").strip(),
            "pointer_changed": iso(start + 120 * DAY),
            "pointer_commit": git(registry, "rev-parse", "HEAD").strip(),
            "days_behind": 120,
        }
    ]
    assert audit_json(cli, registry, "--stale-days", "200")["stale_cards"] == []
    assert [
        card["artifact"] for card in audit_json(cli, registry, "--stale-days", "0")["stale_cards"]
    ] == ["clf"]
    config = registry / ".gitckpt/config.yaml"
    config.parent.mkdir(exist_ok=True)
    config.write_text("schema_version: 1\naudit:\n  stale_days: 150\n", encoding="utf-8")
    commit_at(registry, start + 121 * DAY, "a longer grace period for cards")
    assert audit_json(cli, registry)["stale_cards"] == []
    assert [
        card["artifact"] for card in audit_json(cli, registry, "--stale-days", "90")["stale_cards"]
    ] == ["clf"]
    assert (
        "stale cards (bytes changed over 150 days after the card): 0"
        in cli("audit", cwd=registry).out
    )


def test_a_card_edit_merged_late_dates_from_when_it_was_made(registry: Path, cli: Cli) -> None:
    """A merge that took the card from its branch did not change the card itself."""
    start = head_time(registry)
    git(registry, "checkout", "-q", "-b", "old-edit")
    edit_front_matter(
        registry, MODEL_CARD, {("description",): "A small classifier, described again."}
    )
    commit_at(registry, start + DAY, "describe the model again")
    git(registry, "checkout", "-q", "main")
    retrain(registry, MODEL)
    commit_at(registry, start + 120 * DAY, "retrain the model")
    run(
        ["git", "merge", "-q", "--no-ff", "-m", "merge the old edit", "old-edit"],
        registry,
        env=dated(start + 130 * DAY),
    )
    (stale,) = audit_json(cli, registry)["stale_cards"]
    assert (
        stale["artifact"] == "clf"
        and stale["card_changed"] == iso(start + DAY)
        and stale["days_behind"] == 119
    )


def test_deprecated_artifacts_still_linked_by_cards_that_are_not_deprecated(
    registry: Path, cli: Cli
) -> None:
    outs = track(registry, {"data/spare.csv": b"a,b\n1,2\n"})
    write_card(
        registry, "dataset", "spare", "data/spare.csv", outs["data/spare.csv"], dataset_fields()
    )
    commit_all(registry, "a dataset nothing uses")
    for name, reason in (
        ("points", "label noise"),
        ("clf-eval", "wrong split"),
        ("spare", "unused"),
    ):
        assert (
            cli("deprecate", name, "--reason", reason, "--sunset", "2030-01-01", cwd=registry).code
            == 0
        )
    linked = {item["artifact"]: item for item in audit_json(cli, registry)["deprecated_linked"]}
    assert set(linked) == {"points", "clf-eval"}  # spare: no card links it
    points = linked["points"]
    assert (
        points["tag"] == "points@deprecated"
        and points["reason"] == "label noise"
        and points["sunset"] == "2030-01-01"
    )
    # clf-eval links points too, but is deprecated itself
    assert {(link["artifact"], link["field"]) for link in points["linked_from"]} == {
        ("clf", "training_data[0].artifact"),
        ("clf", "evaluation[0].dataset.artifact"),
    }
    assert [
        (link["artifact"], link["card"], link["field"])
        for link in linked["clf-eval"]["linked_from"]
    ] == [("clf", MODEL_CARD, "evaluation[0].log.artifact")]


def test_releases_without_a_signature_are_listed(registry: Path, cli: Cli, tmp_path: Path) -> None:
    key = make_key(tmp_path, "ada")
    git(registry, "config", "user.signingkey", str(key))
    allow(registry, "ada@example.org", key)
    commit_all(registry, "allowed signers")
    assert cli("tag", "clf", "--sign", "--allow-unpushed", cwd=registry).code == 0
    assert cli("tag", "points", "--allow-unpushed", cwd=registry).code == 0
    assert (
        cli("promote", "points@v0.1.0", "dev", cwd=registry).code == 0
    )  # a stage tag is not a release
    git(registry, "tag", "clf-eval@v0.1.0")
    unsigned = {
        release["tag"]: release for release in audit_json(cli, registry)["unsigned_releases"]
    }
    assert set(unsigned) == {"points@v0.1.0", "clf-eval@v0.1.0"}
    assert (
        unsigned["points@v0.1.0"]["lightweight"] is False
        and unsigned["points@v0.1.0"]["author"] == "Ada Researcher"
    )
    assert unsigned["clf-eval@v0.1.0"]["lightweight"] is True
    assert unsigned["points@v0.1.0"]["commit"] == git(registry, "rev-parse", "HEAD").strip()
    text = cli("audit", cwd=registry).out
    assert (
        "releases without a signature: 2" in text
        and "lightweight" in text
        and "clf@v0.1.0" not in text
    )


def test_json_report_shape(registry: Path, cli: Cli) -> None:
    assert cli("deprecate", "points", "--reason", "label noise", cwd=registry).code == 0
    git(registry, "tag", "clf@v0.1.0")
    report = audit_json(cli, registry)
    assert list(report) == [
        "format",
        "revision",
        "stale_days",
        "summary",
        "noassertion",
        "stale_cards",
        "deprecated_linked",
        "unsigned_releases",
        "uncarded_inputs",
        "unverified_events",
        "ignored_events",
        "trust",
        "access",
    ]
    assert (
        report["format"] == 1 and report["revision"] == git(registry, "rev-parse", "HEAD").strip()
    )
    assert report["summary"] == {
        "cards_audited": 3,
        "noassertion_gaps": 1,
        "noassertion_fields": 1,
        "stale_cards": 0,
        "deprecated_linked": 1,
        "unsigned_releases": 1,
        "uncarded_inputs": 1,
        "unverified_events": 1,  # the unsigned deprecation
        "ignored_events": 0,
    }
    assert set(report["noassertion"][0]) == {"field", "count", "artifacts"}
    assert set(report["noassertion"][0]["artifacts"][0]) == {
        "artifact",
        "card",
        "line",
        "exact_field",
        "reason",
    }
    assert set(report["deprecated_linked"][0]) == {
        "artifact",
        "tag",
        "sunset",
        "reason",
        "linked_from",
    }
    assert set(report["deprecated_linked"][0]["linked_from"][0]) == {
        "artifact",
        "card",
        "field",
        "line",
    }
    assert set(report["unsigned_releases"][0]) == {
        "tag",
        "artifact",
        "version",
        "commit",
        "created",
        "author",
        "lightweight",
        "action",
        "signature",
        "ignored",
    }
    assert report["unsigned_releases"][0]["created"].endswith("Z")


def test_inputs_without_a_card_in_the_registry_are_listed_with_who_uses_them(
    registry: Path, cli: Cli
) -> None:
    [found] = audit_json(cli, registry)["uncarded_inputs"]
    [use] = found["used_by"]
    assert found["name"] == "generated://testing"
    assert (use["artifact"], use["card"], use["field"]) == ("points", DATASET_CARD, "sources[0]")
    entry_lines = (
        (registry / DATASET_CARD)
        .read_text(encoding="utf-8")
        .splitlines()[use["line"] - 3 : use["line"] + 2]
    )
    assert any(
        "generated://testing" in line for line in entry_lines
    )  # the line is within that entry
    cifar = {
        "uri": "https://example.org/cifar10",
        "license": "MIT",
        "summary": "CIFAR-10.",
        "role": "train",
    }
    edit_front_matter(
        registry,
        MODEL_CARD,
        {("training_data",): [*model_fields("points")["training_data"], cifar]},
    )
    commit_all(registry, "train on CIFAR-10 too")
    found = {item["name"]: item["used_by"] for item in audit_json(cli, registry)["uncarded_inputs"]}
    assert set(found) == {
        "generated://testing",
        "https://example.org/cifar10",
    }  # points has a card: not listed
    assert [(use["artifact"], use["field"]) for use in found["https://example.org/cifar10"]] == [
        ("clf", "training_data[1]")
    ]
    assert "https://example.org/cifar10" in cli("audit", cwd=registry).out


def test_rev_audits_the_cards_as_they_were(registry: Path, cli: Cli) -> None:
    before = git(registry, "rev-parse", "HEAD").strip()
    edit_front_matter(registry, MODEL_CARD, {("compute", "energy_kwh"): 0.2})
    commit_all(registry, "energy measured")
    assert audit_json(cli, registry)["noassertion"] == []
    assert audit_json(cli, registry, "--rev", before)["summary"]["noassertion_gaps"] == 1


def test_bad_input_is_a_usage_error(registry: Path, cli: Cli, tmp_path: Path) -> None:
    for args, expected in (
        (("--rev", "no-such-rev"), "--rev 'no-such-rev' is not a commit"),
        (("--stale-days", "-1"), "--stale-days -1: expected a number of days, 0 or more"),
        (("--stale-days", "soon"), "invalid int value: 'soon'"),
    ):
        result = cli("audit", *args, cwd=registry)
        assert result.code == 2, (args, result)
        assert expected in result.err and result.out == "", (args, result.err)
    empty = make_repo(tmp_path / "empty", with_dvc=False)
    result = cli("audit", cwd=empty)
    assert result.code == 2 and "nothing is committed yet" in result.err
    assert git(registry, "status", "--porcelain") == ""
