"""Redacted samples and the access audit (issue 19, points 6 and 7): a restricted dataset links a
more open dataset of samples, or says why there are none (GC507); `lineage` shows the relation;
`card new` says so; `git ckpt audit` lists artifacts by level, where their bytes are (from the
holdings `check --remote` found), embargoes ending within 30 days and restricted datasets without
samples. Real git and DVC."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitckpt.audit import audit
from gitckpt.audit_access import AccessInputs
from gitckpt.repo import find_repository
from testing.cards import dataset_fields, write_card
from testing.repos import commit_all, dvc, track
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
DATASET_CARD = "data/points.card.md"
SAMPLES_DATA = "data/points-synthetic.csv"
SAMPLES_CARD = "data/points-synthetic.card.md"
INTERNAL = "access:\n  level: internal\n"
SYNTHETIC = (
    "samples:\n  artifact: points-synthetic\n  method: synthetic\n"
    "  description: Points drawn from the fitted class distributions; no original row.\n"
)
NO_SAMPLES = 'samples: {noassertion: "Every row identifies a patient; none can be shared."}\n'


def set_level(repo: Path, card: str, level: str) -> None:
    path = repo / card
    text = path.read_text()
    assert INTERNAL in text
    path.write_text(text.replace(INTERNAL, f"access:\n  level: {level}\n", 1))


def set_front_matter(repo: Path, card: str, lines: str) -> None:
    """Add `lines` at the end of the card's front matter (replacing any samples there)."""
    path = repo / card
    head, _, body = path.read_text().partition("\n---\n")
    head = head.split("\nsamples:")[0]
    path.write_text(f"{head}\n{lines.rstrip()}\n---\n{body}")


def findings(cli: Cli, repo: Path, check: str) -> list[dict[str, Any]]:
    result = cli("check", "--json", cwd=repo)
    return [item for item in json.loads(result.out)["findings"] if item["check"] == check]


@pytest.fixture
def samples(registry: Path) -> Path:
    """The registry with a public dataset of synthetic samples, `points-synthetic`, made from
    `points` (its card names points as a source), and `points` restricted, linking it."""
    outs = track(registry, {SAMPLES_DATA: b"x,y,label\n1,2,0\n3,4,1\n"})
    fields = dataset_fields()
    fields["access"] = {"level": "public", "reason": "Synthetic rows: no person is represented."}
    fields["sources"] = [
        {"artifact": "points", "license": "CC-BY-4.0", "summary": "Fitted class distributions."}
    ]
    write_card(registry, "dataset", "points-synthetic", SAMPLES_DATA, outs[SAMPLES_DATA], fields)
    set_level(registry, DATASET_CARD, "restricted")
    set_front_matter(registry, DATASET_CARD, SYNTHETIC)
    commit_all(registry, "points is restricted; points-synthetic is its public sample")
    return registry


def test_a_restricted_dataset_must_state_its_samples(samples: Path, cli: Cli) -> None:
    assert findings(cli, samples, "GC507") == []
    assert cli("check", cwd=samples).code == 0
    path = samples / DATASET_CARD
    path.write_text(path.read_text().replace(SYNTHETIC, ""))
    [finding] = findings(cli, samples, "GC507")
    assert finding["path"] == DATASET_CARD and finding["field"] == "samples"
    assert "dataset 'points' is restricted but states no samples" in finding["message"]
    assert finding["line"] == path.read_text().splitlines().index("  level: restricted") + 1
    assert cli("check", cwd=samples).code == 1
    set_front_matter(samples, DATASET_CARD, NO_SAMPLES)  # an honest gap is an answer
    assert findings(cli, samples, "GC507") == []


@pytest.mark.parametrize(
    ("target", "sample_level", "message"),
    [
        ("nowhere", "public", "samples name 'nowhere', which has no card in this repository"),
        ("clf", "public", "samples name 'clf', a model, not a dataset"),
        (
            "points-synthetic",
            "restricted",
            "samples 'points-synthetic' are restricted, not more open than the restricted dataset",
        ),
    ],
)
def test_samples_must_name_a_more_open_dataset_card(
    samples: Path, cli: Cli, target: str, sample_level: str, message: str
) -> None:
    set_front_matter(samples, DATASET_CARD, SYNTHETIC.replace("points-synthetic", target))
    path = samples / SAMPLES_CARD
    path.write_text(path.read_text().replace("level: public", f"level: {sample_level}", 1))
    # (restricted samples must state samples of their own: that finding is on their card)
    [finding] = [item for item in findings(cli, samples, "GC507") if item["path"] == DATASET_CARD]
    assert message in finding["message"]
    assert finding["field"] == "samples.artifact"
    assert (samples / DATASET_CARD).read_text().splitlines()[finding["line"] - 1].endswith(target)


def test_internal_samples_of_a_restricted_dataset_pass_and_a_bad_method_is_refused(
    samples: Path, cli: Cli
) -> None:
    path = samples / SAMPLES_CARD
    path.write_text(path.read_text().replace("level: public", "level: internal", 1))
    assert findings(cli, samples, "GC507") == []
    set_front_matter(samples, DATASET_CARD, SYNTHETIC.replace("synthetic\n", "blurred\n"))
    [schema] = findings(cli, samples, "GC103")
    assert schema["path"] == DATASET_CARD and "samples" in schema["field"]


def test_lineage_shows_the_samples_without_a_false_cycle(samples: Path, cli: Cli) -> None:
    graph = json.loads(cli("lineage", "clf", "--format", "json", cwd=samples).out)
    edges = {(edge["from"], edge["relation"], edge["to"]) for edge in graph["edges"]}
    assert ("points", "has samples", "points-synthetic") in edges
    assert graph["cycles"] == []  # points-synthetic names points as its source
    assert graph["nodes"]["points-synthetic"]["kind"] == "dataset"
    dependents = json.loads(
        cli("lineage", "points-synthetic", "--dependents", "--format", "json", cwd=samples).out
    )
    assert {"from": "points", "to": "points-synthetic", "relation": "has samples"} in dependents[
        "edges"
    ]
    assert "points —has samples→ points-synthetic" in cli("lineage", "points", cwd=samples).out


def test_a_dataset_scaffold_says_how_to_state_samples(repo: Path, cli: Cli) -> None:
    track(repo, {"a/data.csv": b"d"})
    assert cli("card", "new", "a/data.csv", "--kind", "dataset", "--name", "d", cwd=repo).code == 0
    text = (repo / "a/d.card.md").read_text()
    assert "# samples:" in text and "synthetic | de-identified | redacted" in text
    assert "GC507" in text


def audit_access_json(cli: Cli, repo: Path, *args: str) -> dict[str, Any]:
    result = cli("audit", "--json", *args, cwd=repo)
    assert result.code == 0, result.err
    return json.loads(result.out)["access"]  # type: ignore[no-any-return]


def test_audit_lists_artifacts_by_level_and_restricted_datasets_without_samples(
    samples: Path, cli: Cli
) -> None:
    access = audit_access_json(cli, samples)
    assert [
        (group["level"], [item["artifact"] for item in group["artifacts"]])
        for group in access["levels"]
    ] == [
        ("public", ["points-synthetic"]),
        ("internal", ["clf", "clf-eval"]),
        ("restricted", ["points"]),
    ]
    assert access["holdings_given"] is False
    assert access["levels"][2]["artifacts"][0]["remotes"] is None
    assert access["restricted_without_samples"] == []
    path = samples / DATASET_CARD
    path.write_text(path.read_text().replace(SYNTHETIC, ""))
    commit_all(samples, "drop the samples")
    [missing] = audit_access_json(cli, samples)["restricted_without_samples"]
    assert (missing["artifact"], missing["card"]) == ("points", DATASET_CARD)
    text = cli("audit", cwd=samples).out
    assert "restricted datasets without samples: 1" in text and "artifacts by access level" in text


def test_audit_shows_where_bytes_are_from_the_holdings_given(
    samples: Path, cli: Cli, tmp_path: Path
) -> None:
    holdings = tmp_path / "holdings.json"
    holdings.write_text(json.dumps({"points": {"vault": True, "hub": False}}))
    access = audit_access_json(cli, samples, "--holdings", str(holdings))
    assert access["holdings_given"] is True
    by_name = {item["artifact"]: item for group in access["levels"] for item in group["artifacts"]}
    assert by_name["points"]["remotes"] == {"vault": True, "hub": False}
    assert by_name["clf"]["remotes"] == {}
    assert "vault" in cli("audit", "--holdings", str(holdings), cwd=samples).out
    holdings.write_text(json.dumps({"points": {"vault": "yes"}}))
    refused = cli("audit", "--holdings", str(holdings), cwd=samples)
    assert refused.code == 1 and str(holdings) in refused.err and "points" in refused.err
    assert "Traceback" not in refused.err


def test_audit_lists_embargoes_ending_within_30_days(samples: Path, cli: Cli) -> None:
    today = datetime.date(2026, 3, 1)
    for card, until in (("models/clf.card.md", "2026-03-20"), (SAMPLES_CARD, "2026-04-15")):
        path = samples / card
        text = path.read_text()
        level = "internal" if card.startswith("models") else "public"
        path.write_text(
            text.replace(f"  level: {level}\n", f"  level: {level}\n  until: '{until}'\n", 1)
        )
    commit_all(samples, "embargoes")
    report = audit(find_repository(samples), access=AccessInputs(today=today))
    assert report.access is not None
    [ending] = report.access.embargoes_ending  # 2026-04-15 is 45 days away
    assert (ending.artifact, ending.until, ending.days_left) == ("clf", "2026-03-20", 19)
    late = audit(find_repository(samples), access=AccessInputs(today=datetime.date(2026, 4, 1)))
    assert late.access is not None
    assert [item.artifact for item in late.access.embargoes_ending] == ["points-synthetic"]


def test_audit_remote_asks_every_remote_where_the_bytes_are(
    samples: Path, cli: Cli, tmp_path: Path
) -> None:
    for remote in ("hub", "vault"):
        dvc(samples, "remote", "add", remote, str(tmp_path / remote))
    dvc(samples, "push", "-r", "vault", "data/points.csv.dvc")
    access = audit_access_json(cli, samples, "--remote")
    assert access["holdings_given"] is True
    by_name = {item["artifact"]: item for group in access["levels"] for item in group["artifacts"]}
    assert by_name["points"]["remotes"] == {"hub": False, "vault": True}
    assert by_name["clf"]["remotes"] == {"hub": False, "vault": False}
    both = cli("audit", "--remote", "--holdings", str(tmp_path / "h.json"), cwd=samples)
    assert both.code == 2  # one or the other


def test_audit_remote_without_a_remote_says_how_to_add_one(samples: Path, cli: Cli) -> None:
    refused = cli("audit", "--remote", cwd=samples)
    assert refused.code == 1 and "dvc remote add" in refused.err
