"""Exports read back by their own libraries: the Hugging Face card by huggingface_hub."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from huggingface_hub import ModelCard
from huggingface_hub.repocard_data import model_index_to_eval_results

from gitckpt.card import parse_card
from testing.repos import commit_all
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"


def export_hf(
    repo: Path, cli: Cli, tmp_path: Path, reference: str = "clf"
) -> tuple[Path, dict[str, object]]:
    output = tmp_path / "hub" / "README.md"
    result = cli("export", reference, "--format", "hf", "-o", str(output), "--json", cwd=repo)
    assert result.code == 0, result.err
    return output, json.loads(result.out)


def test_hugging_face_card_loads_and_its_results_read_back(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    output, report = export_hf(registry, cli, tmp_path)
    hub = ModelCard.load(output)
    assert hub.data.license == "apache-2.0" and hub.data.datasets == ["points"]
    assert "gitckpt" in hub.data.tags and hub.data.model_name == "clf"
    name, results = model_index_to_eval_results(hub.data.to_dict()["model-index"])
    assert name == "clf"
    (result,) = results
    assert (
        result.task_type,
        result.dataset_name,
        result.dataset_split,
        result.metric_type,
        result.metric_value,
    ) == (
        "classification",
        "points",
        "test",
        "accuracy",
        0.84,
    )
    assert "## Out-of-Scope Use" in hub.text and "Any real decision." in hub.text
    assert report["unexpressed"] == ["seeds", "release_checklist", "redistribution (prose only)"]


def test_a_license_the_hub_does_not_know_becomes_other_with_a_link(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    card = registry / MODEL_CARD
    card.write_text(
        card.read_text().replace(
            "license: Apache-2.0",
            "license: LicenseRef-acme-research\nlicense_link: https://example.org/acme",
        )
    )
    output, _ = export_hf(registry, cli, tmp_path)
    hub = ModelCard.load(output)
    assert (hub.data.license, hub.data.license_name, hub.data.license_link) == (
        "other",
        "licenseref-acme-research",
        "https://example.org/acme",
    )


def test_round_trip_keeps_what_the_hub_can_carry(registry: Path, cli: Cli, tmp_path: Path) -> None:
    output, _ = export_hf(registry, cli, tmp_path)
    imported = tmp_path / "imported.card.md"
    result = cli(
        "import-card", str(output), "--name", "clf-from-hub", "-o", str(imported), cwd=tmp_path
    )
    assert result.code == 0, result.err
    card = parse_card(imported.read_text(), "imported").data
    assert card["name"] == "clf-from-hub" and card["license"] == "Apache-2.0"
    assert [entry["uri"] for entry in card["training_data"]] == ["hf://datasets/points"]
    (evaluation,) = card["evaluation"]
    assert (
        evaluation["task"],
        evaluation["metric"],
        evaluation["value"],
        evaluation["dataset"]["split"],
    ) == (
        "classification",
        "accuracy",
        0.84,
        "test",
    )
    assert "<FILL" in str(evaluation["n"]) and "<FILL" in str(card["checkpoint"]["sha256"])


def test_imported_card_lists_what_is_left_to_fill_in(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    output, _ = export_hf(registry, cli, tmp_path)
    assert (
        cli(
            "import-card",
            str(output),
            "--name",
            "from-hub",
            "-o",
            str(registry / "models/from-hub.card.md"),
            cwd=registry,
        ).code
        == 0
    )
    findings = json.loads(cli("check", "--json", "models/from-hub.card.md", cwd=registry).out)[
        "findings"
    ]
    assert {f["check"] for f in findings} >= {"GC104"}
    assert (
        cli(
            "import-card",
            str(output),
            "--name",
            "from-hub",
            "-o",
            str(registry / "models/from-hub.card.md"),
            cwd=registry,
        ).code
        == 1
    )


def test_json_export_is_the_front_matter(registry: Path, cli: Cli) -> None:
    result = cli("export", "clf", "--format", "json", cwd=registry)
    assert json.loads(result.out) == parse_card((registry / MODEL_CARD).read_text(), "card").data


def test_an_output_path_that_cannot_be_written_is_an_error_naming_it(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    in_the_way = tmp_path / "notes.txt"
    in_the_way.write_text("a file where a folder would go")
    result = cli(
        "export", "clf", "--format", "json", "-o", str(in_the_way / "clf.json"), cwd=registry
    )
    assert (
        result.code == 1
        and f"{in_the_way}/clf.json: cannot write there" in result.err
        and str(in_the_way) in result.err
    )
    previous_umask = os.umask(0o022)
    try:
        assert (
            cli(
                "export", "clf", "--format", "json", "-o", str(tmp_path / "clf.json"), cwd=registry
            ).code
            == 0
        )
    finally:
        os.umask(previous_umask)
    assert (
        tmp_path / "clf.json"
    ).stat().st_mode & 0o777 == 0o644  # a new file: the umask's, not mkstemp's 0600


def test_export_of_a_release_reads_the_released_card(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0
    card = registry / MODEL_CARD
    card.write_text(card.read_text().replace("license: Apache-2.0", "license: MIT"))
    commit_all(registry, "relicense")
    output, _ = export_hf(registry, cli, tmp_path, "clf@v0.1.0")
    assert ModelCard.load(output).data.license == "apache-2.0"


def test_export_refuses_a_card_that_fails_its_checks(registry: Path, cli: Cli) -> None:
    card = registry / MODEL_CARD
    card.write_text(card.read_text().replace("license: Apache-2.0", "license: 42"))
    result = cli("export", "clf", "--format", "hf", cwd=registry)
    assert result.code == 1 and "fails its checks" in result.err and "GC103" in result.err


def test_unknown_format_and_non_model_cards(registry: Path, cli: Cli) -> None:
    unknown = cli("export", "clf", "--format", "onnx", cwd=registry)
    assert unknown.code == 1 and "unknown export format 'onnx'" in unknown.err
    result = cli("export", "points", "--format", "hf", cwd=registry)
    assert result.code == 1 and "dataset card" in result.err


def test_a_malformed_model_index_result_is_dropped_with_a_warning(tmp_path: Path, cli: Cli) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "---\nlicense: mit\nmodel-index:\n- name: x\n  results:\n  - task: 7\n---\n# x\n"
    )
    result = cli("import-card", str(readme), "--name", "x", cwd=tmp_path)
    assert result.code == 0 and "README.md:6: model-index[0].results[0] names no dataset" in (
        result.err
    )
    assert parse_card((tmp_path / "x.card.md").read_text(), "x").data["license"] == "MIT"


def test_cyclonedx_bom_validates_and_carries_the_model_card(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    output = tmp_path / "clf.cdx.json"
    result = cli(
        "export",
        "clf",
        "--format",
        "cyclonedx",
        "--spec-version",
        "1.6",
        "-o",
        str(output),
        cwd=registry,
    )
    assert result.code == 0, result.err
    text = output.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    components = {component["bom-ref"]: component for component in bom["components"]}
    model = components["model"]
    assert model["type"] == "machine-learning-model" and model["licenses"] == [
        {"expression": "Apache-2.0"}
    ]
    assert {item["alg"] for item in model["hashes"]} == {"SHA-256", "MD5"}
    (metric,) = model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
    interval = {"lowerBound": "0.81", "upperBound": "0.87"}
    assert metric == {
        "type": "accuracy",
        "value": "0.84",
        "slice": "points/test",
        "confidenceInterval": interval,
    }
    (dataset_ref,) = model["modelCard"]["modelParameters"]["datasets"]
    assert components[dataset_ref["ref"]]["type"] == "data" and components[dataset_ref["ref"]][
        "licenses"
    ] == [{"expression": "CC-BY-4.0"}]
    assert {"ref": "model", "dependsOn": [dataset_ref["ref"]]} in bom["dependencies"]
    assert "release_checklist" in result.err


def test_spdx_document_reads_back_with_the_spdx_bindings(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    from spdx_python_model import v3_0_1 as spdx

    output = tmp_path / "clf.spdx.jsonld"
    result = cli("export", "clf", "--format", "spdx", "-o", str(output), cwd=registry)
    assert result.code == 0, result.err
    objects = spdx.SHACLObjectSet()
    with output.open("rb") as stream:
        spdx.JSONLDDeserializer().read(stream, objects)
    (model,) = list(objects.foreach_type(spdx.ai_AIPackage))
    assert model.name == "clf" and model.software_packageVersion == "1.0.0"
    assert [digest.hashValue for digest in model.verifiedUsing] == [
        json.loads(cli("export", "clf", "--format", "json", cwd=registry).out)["checkpoint"][
            "sha256"
        ]
    ]
    relationships = list(objects.foreach_type(spdx.Relationship))
    trained = [
        rel for rel in relationships if rel.relationshipType == spdx.RelationshipType.trainedOn
    ]
    assert [target.name for rel in trained for target in rel.to] == ["points"]
    assert any(rel.relationshipType == spdx.RelationshipType.testedOn for rel in relationships)
    licenses = {
        rel.from_.name: target.simplelicensing_licenseExpression
        for rel in relationships
        if rel.relationshipType == spdx.RelationshipType.hasDeclaredLicense
        for target in rel.to
    }
    assert licenses == {"clf": "Apache-2.0", "points": "CC-BY-4.0"}
    (document,) = list(objects.foreach_type(spdx.SpdxDocument))
    assert document.rootElement[0] is model


def test_croissant_validates_with_mlcroissant_and_carries_rai_fields(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    import mlcroissant as mlc

    output = tmp_path / "points.croissant.json"
    result = cli("export", "points", "--format", "croissant", "-o", str(output), cwd=registry)
    assert result.code == 0, result.err
    dataset = mlc.Dataset(jsonld=output)
    assert dataset.metadata.name == "points" and dataset.metadata.license == [
        "https://spdx.org/licenses/CC-BY-4.0.html"
    ]
    document = json.loads(output.read_text())
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert document["rai:dataCollection"] == "Generated by a seeded random generator."
    limitations = document["rai:dataLimitations"]
    assert "Trained on synthetic data only." in (
        limitations if isinstance(limitations, str) else " ".join(limitations)
    )
    (file_object,) = document["distribution"]
    assert (
        file_object["sha256"]
        == json.loads(cli("export", "points", "--format", "json", cwd=registry).out)["data"][
            "sha256"
        ]
    )
    assert cli("export", "clf", "--format", "croissant", cwd=registry).code == 1
