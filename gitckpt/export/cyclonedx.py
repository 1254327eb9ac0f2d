"""A CycloneDX 1.6 JSON ML-BOM from a model card: the model as a machine-learning-model component
(hashes, license, modelCard), its datasets as data components it depends on.

Built with cyclonedx-python-lib. That library does not yet model `modelCard`, so the block is
added to the serialized component and the whole BOM is then checked by the library's strict
CycloneDX 1.6 JSON validator before it is returned.
"""

from __future__ import annotations

import json
from typing import Any

from gitckpt.card import mapping
from gitckpt.errors import GitckptError
from gitckpt.export.huggingface import Export
from gitckpt.licenses import normalize

MODEL_REF = "model"


def to_cyclonedx(card: dict[str, Any], datasets: dict[str, dict[str, Any]]) -> Export:
    """`datasets`: the cards of linked datasets in this repository, by name."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.output.json import JsonV1Dot6

    bom = Bom()
    model = _component(card, "machine-learning-model", MODEL_REF)
    bom.components.add(model)
    refs = []
    for index, entry in enumerate(card.get("training_data") or []):
        linked = datasets.get(str(entry.get("artifact", "")).split("@")[0], {})
        component = _component(
            {
                **linked,
                "name": entry.get("artifact") or entry.get("uri"),
                "license": linked.get("license") or entry.get("license"),
            },
            "data",
            f"dataset-{index}",
        )
        bom.components.add(component)
        refs.append(component)
    bom.register_dependency(model, refs)
    document = json.loads(JsonV1Dot6(bom).output_as_string())
    for component in document["components"]:
        if component.get("bom-ref") == MODEL_REF:
            component["modelCard"] = _model_card(card, [ref.bom_ref.value for ref in refs])
    text = json.dumps(document, indent=2) + "\n"
    _validate(text)
    unexpressed = [
        "release_checklist",
        "seeds",
        "hyperparameters (only as properties)",
        "evaluation n",
        "redistribution terms",
    ]
    return Export(text, unexpressed)


def _component(card: dict[str, Any], kind: str, ref: str) -> Any:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.license import LicenseExpression

    block: dict[str, Any] = next(
        (card[key] for key in ("checkpoint", "data") if isinstance(card.get(key), dict)), {}
    )
    hashes = (
        [HashType(alg=HashAlgorithm.SHA_256, content=block["sha256"])]
        if block.get("sha256")
        else []
    )
    if block.get("md5") and not str(block["md5"]).endswith(".dir"):
        hashes.append(HashType(alg=HashAlgorithm.MD5, content=block["md5"]))
    licenses = (
        [LicenseExpression(normalize(str(card["license"])))]
        if isinstance(card.get("license"), str)
        else []
    )
    properties = [
        Property(name=f"gitckpt:hyperparameter:{key}", value=str(value))
        for key, value in (card.get("hyperparameters") or {}).items()
    ]
    return Component(
        name=str(card.get("name")),
        version=str(card["version"]) if card.get("version") else None,
        type=ComponentType.MACHINE_LEARNING_MODEL
        if kind == "machine-learning-model"
        else ComponentType.DATA,
        bom_ref=ref,
        description=card.get("description"),
        hashes=hashes,
        licenses=licenses,
        properties=properties,
    )


def _model_card(card: dict[str, Any], dataset_refs: list[str]) -> dict[str, Any]:
    evaluations = [entry for entry in card.get("evaluation") or [] if isinstance(entry, dict)]
    architecture = mapping(card, "architecture")
    compute = mapping(card, "compute")
    metrics = []
    for entry in evaluations:
        dataset = entry.get("dataset") or {}
        metric: dict[str, Any] = {
            "type": str(entry.get("metric")),
            "value": str(entry.get("value")),
            "slice": f"{dataset.get('artifact') or dataset.get('uri')}/{dataset.get('split')}",
        }
        interval = entry.get("confidence_interval")
        if isinstance(interval, dict) and "low" in interval:
            metric["confidenceInterval"] = {
                "lowerBound": str(interval["low"]),
                "upperBound": str(interval["high"]),
            }
        metrics.append(metric)
    return {
        "modelParameters": {
            "approach": {"type": "supervised"},
            "task": str(evaluations[0].get("task")) if evaluations else "unspecified",
            "architectureFamily": str(architecture.get("family")),
            "modelArchitecture": str(architecture.get("details") or architecture.get("family")),
            "datasets": [{"ref": ref} for ref in dataset_refs],
        },
        "quantitativeAnalysis": {"performanceMetrics": metrics},
        "considerations": {
            "useCases": [str(item) for item in card.get("intended_use") or []],
            "technicalLimitations": [
                f"{item.get('description')} {item.get('failure_mode')}"
                for item in card.get("limitations") or []
            ],
            "ethicalConsiderations": [
                {
                    "name": str(item.get("description")),
                    "mitigationStrategy": str(item.get("mitigation")),
                }
                for item in card.get("risks") or []
            ],
            "environmentalConsiderations": {
                "properties": [{"name": "hardware", "value": str(compute.get("hardware"))}]
            },
        },
    }


def _validate(text: str) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise GitckptError(f"the CycloneDX export does not validate (a bug in gitckpt): {error}")
