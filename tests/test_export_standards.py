"""The exports speak the current standards, checked by the standards' own libraries: CycloneDX 1.7
(1.6 on request) by cyclonedx-python-lib's strict validator, and the Hub card's body, with its
evaluation table, digests and release, read back by huggingface_hub."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import ModelCard, ModelCardData

from gitckpt.card import parse_card
from gitckpt.records import parse_record
from testing.cards import SHARED, model_fields, render_card
from testing.repos import commit_all, git
from tests.conftest import MODEL_BYTES, CliResult

Cli = Callable[..., CliResult]
MODEL_SHA256 = hashlib.sha256(MODEL_BYTES).hexdigest()


def export_cyclonedx(registry: Path, cli: Cli, tmp_path: Path, *options: str) -> str:
    output = tmp_path / "clf.cdx.json"
    result = cli(
        "export", "clf", "--format", "cyclonedx", *options, "-o", str(output), cwd=registry
    )
    assert result.code == 0, result.err
    return output.read_text()


def resolve(document: Any, pointer: str) -> Any:
    """The value a JSON Pointer (RFC 6901) names in `document`."""
    for token in pointer.lstrip("/").split("/"):
        document = document[int(token) if isinstance(document, list) else token]
    return document


def test_cyclonedx_is_1_7_by_default_and_cites_who_supplied_the_metrics(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = export_cyclonedx(registry, cli, tmp_path)
    assert JsonStrictValidator(SchemaVersion.V1_7).validate_str(text) is None
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is not None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.7"
    model = next(item for item in bom["components"] if item["bom-ref"] == "model")
    assert model["authors"] == [{"bom-ref": "contributor-0", "name": "Ada Researcher"}]
    (citation,) = bom["citations"]
    assert citation["attributedTo"] == "contributor-0"
    assert citation["timestamp"] == bom["metadata"]["timestamp"]
    cited = [resolve(bom, pointer) for pointer in citation["pointers"]]
    assert cited == [
        model["modelCard"],
        model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"][0],
    ]
    assert cited[1]["confidenceInterval"] == {"lowerBound": "0.81", "upperBound": "0.87"}
    assert model["modelCard"]["properties"] == [
        {"name": "gitckpt:evaluation:0:n", "value": "500"},
        {"name": "gitckpt:evaluation:0:confidence_level", "value": "0.95"},
        {"name": "gitckpt:evaluation:0:confidence_method", "value": "wilson"},
    ]


def test_cyclonedx_1_6_on_request_validates_against_1_6(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = export_cyclonedx(registry, cli, tmp_path, "--spec-version", "1.6")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6" and "citations" not in bom
    model = next(item for item in bom["components"] if item["bom-ref"] == "model")
    assert model["authors"] == [{"bom-ref": "contributor-0", "name": "Ada Researcher"}]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--format", "cyclonedx", "--spec-version", "1.5"],
            "unknown CycloneDX spec version '1.5'; versions: 1.7, 1.6",
        ),
        (
            ["--format", "cyclonedx", "--spec-version", "v1.7"],
            "unknown CycloneDX spec version 'v1.7'; versions: 1.7, 1.6",
        ),
        (["--format", "hf", "--spec-version", "1.6"], "--spec-version is for --format cyclonedx"),
    ],
)
def test_a_spec_version_it_cannot_write_is_refused_and_nothing_is_written(
    registry: Path, cli: Cli, tmp_path: Path, options: list[str], message: str
) -> None:
    output = tmp_path / "out"
    result = cli("export", "clf", *options, "-o", str(output), cwd=registry)
    assert result.code == 1 and message in result.err and not output.exists()


def released_hub_card(registry: Path, cli: Cli, tmp_path: Path) -> ModelCard:
    """Release clf as v0.1.0, then export that release as a Hub card."""
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0
    output = tmp_path / "hub" / "README.md"
    result = cli("export", "clf@v0.1.0", "--format", "hf", "-o", str(output), cwd=registry)
    assert result.code == 0, result.err
    return ModelCard.load(output)


def test_hub_card_body_carries_n_intervals_digests_and_release(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    hub = released_hub_card(registry, cli, tmp_path)
    assert isinstance(hub.data, ModelCardData) and hub.data.model_name == "clf"
    (result,) = hub.data.eval_results or []
    assert (result.metric_type, result.metric_value, result.dataset_split) == (
        "accuracy",
        0.84,
        "test",
    )
    assert (
        "| Metric | Value | n | Confidence interval | Dataset / split | Task |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        "| accuracy | 0.84 | 500 | [0.81, 0.87] (95%, wilson) | points / test | classification |"
    ) in hub.text
    assert f"| `clf.bin` | `{MODEL_SHA256}` | {len(MODEL_BYTES)} |" in hub.text
    assert "Exported from release **v0.1.0** (tag `clf@v0.1.0`, commit `" in hub.text
    assert "- **Release:** v0.1.0 (`clf@v0.1.0`)" in hub.text


def test_released_digest_is_the_release_records(registry: Path, cli: Cli, tmp_path: Path) -> None:
    hub = released_hub_card(registry, cli, tmp_path)
    message = git(registry, "for-each-ref", "--format=%(contents)", "refs/tags/clf@v0.1.0")
    record = parse_record(message)
    assert record is not None and record["bytes"]["sha256"] == MODEL_SHA256
    assert f"| `clf.bin` | `{record['bytes']['sha256']}` |" in hub.text
    assert "The release record states" not in hub.text


def test_work_tree_hub_card_says_it_is_not_a_release(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    result = cli("export", "clf", "--format", "hf", cwd=registry)
    assert result.code == 0, result.err
    hub = ModelCard(result.out)
    assert "Exported from the work tree, not from a release." in hub.text
    assert "- **Release:** none (work tree)" in hub.text
    assert f"| `clf.bin` | `{MODEL_SHA256}` | {len(MODEL_BYTES)} |" in hub.text


def test_directory_checkpoint_lists_each_file_with_its_sha256(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    shards = {"model-00001.safetensors": b"a" * 1000, "tokenizer/vocab.json": b"{}"}
    for name, content in shards.items():
        (registry / "models/sharded" / name).parent.mkdir(parents=True, exist_ok=True)
        (registry / "models/sharded" / name).write_bytes(content)
    added = cli("add", "models/sharded", "--kind", "model", "--name", "sharded", cwd=registry)
    assert added.code == 0, added.err
    card = registry / "models/sharded.card.md"
    block = parse_card(card.read_text(), "card").data["checkpoint"]
    fields = model_fields("points")
    fields["evaluation"] = [{**fields["evaluation"][0], "checkpoint_sha256": block["sha256"]}]
    front_matter = {
        "schema_version": 2,
        "access": SHARED["access"],
        "name": "sharded",
        "kind": "model",
        "version": "1.0.0",
        "snapshot_time": "2025-07-01T12:00:00Z",
        "license": "Apache-2.0",
        "contributors": [{"name": "Ada Researcher", "roles": ["trained"]}],
        "contact": "ml-team@example.org",
        "checkpoint": block,
        **fields,
    }
    card.write_text(render_card(front_matter))
    commit_all(registry, "a sharded model")
    result = cli("export", "sharded", "--format", "hf", cwd=registry)
    assert result.code == 0, result.err
    for name, content in shards.items():
        row = f"| `sharded/{name}` | `{hashlib.sha256(content).hexdigest()}` | {len(content)} |"
        assert row in result.out
    assert f"Root digest of the directory (sha256): `{block['sha256']}`" in result.out
