"""A CycloneDX JSON ML-BOM (1.7 by default, 1.6 on request) from a model card: the model as a
machine-learning-model component (hashes, license, authors, modelCard; each metric's n and
interval level and method, which a performance metric has no field for, as modelCard
properties), its datasets as data components it depends on. In 1.7 the BOM also says who
supplied its figures (`citations`): the model card is attributed to the card's contributors, its
performance metrics to those who evaluated (role `evaluated`).

Built with cyclonedx-python-lib. That library does not yet model `modelCard`, authors' bom-refs
or citations, so they are added to the serialized BOM, and the whole BOM is then checked by the
library's strict JSON validator for the chosen version before it is returned.
"""

from __future__ import annotations

import json
from typing import Any

from gitckpt.card import mapping
from gitckpt.errors import GitckptError
from gitckpt.export.huggingface import Export
from gitckpt.licenses import normalize

MODEL_REF = "model"
SPEC_VERSIONS = ("1.7", "1.6")
DEFAULT_SPEC_VERSION = "1.7"
CITING_VERSIONS = frozenset({"1.7"})


def to_cyclonedx(
    card: dict[str, Any], datasets: dict[str, dict[str, Any]], spec_version: str
) -> Export:
    """`datasets`: the cards of linked datasets in this repository, by name; `spec_version`:
    one of SPEC_VERSIONS."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.output.json import BY_SCHEMA_VERSION
    from cyclonedx.schema import SchemaVersion

    schema = SchemaVersion.from_version(spec_version)
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
    document = json.loads(BY_SCHEMA_VERSION[schema](bom).output_as_string())
    index = next(
        at for at, item in enumerate(document["components"]) if item.get("bom-ref") == MODEL_REF
    )
    model_json = document["components"][index]
    model_json["modelCard"] = _model_card(card, [ref.bom_ref.value for ref in refs])
    authors = [
        {"bom-ref": _person_ref(at), "name": str(person.get("name"))}
        for at, person in enumerate(_contributors(card))
    ]
    if authors:
        model_json["authors"] = authors
    if spec_version in CITING_VERSIONS:
        citations = _citations(card, f"/components/{index}", document["metadata"]["timestamp"])
        if citations:
            document["citations"] = citations
    text = json.dumps(document, indent=2) + "\n"
    _validate(text, schema)
    unexpressed = [
        "release_checklist",
        "seeds",
        "hyperparameters (only as properties)",
        "evaluation n and each interval's level and method (only as modelCard properties)",
        "redistribution terms",
    ]
    return Export(text, unexpressed)


def _contributors(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [person for person in card.get("contributors") or [] if isinstance(person, dict)]


def _person_ref(index: int) -> str:
    return f"contributor-{index}"


def _citations(card: dict[str, Any], model: str, timestamp: str) -> list[dict[str, Any]]:
    """Who supplied what (CycloneDX 1.7): the model card, by each contributor, and its performance
    metrics, by each contributor who evaluated. `timestamp`: the BOM's, when the attribution was
    made; the card does not say when each fact was supplied."""
    metrics = [
        f"{model}/modelCard/quantitativeAnalysis/performanceMetrics/{at}"
        for at, _ in enumerate(_evaluations(card))
    ]
    citations = []
    for at, person in enumerate(_contributors(card)):
        roles = [str(role) for role in person.get("roles") or []]
        pointers = [f"{model}/modelCard"] if set(roles) - {"evaluated"} else []
        pointers += metrics if "evaluated" in roles else []
        if pointers:
            citations.append(
                {"pointers": pointers, "attributedTo": _person_ref(at), "timestamp": timestamp}
            )
    return citations


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


def _evaluations(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for entry in card.get("evaluation") or [] if isinstance(entry, dict)]


def _evaluation_properties(evaluations: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What a performance metric has no field for, named by the metric's index: n, and the
    interval's level and method."""
    properties = []
    for at, entry in enumerate(evaluations):
        interval = entry.get("confidence_interval")
        stated = interval if isinstance(interval, dict) and "low" in interval else {}
        facts = {
            "n": entry.get("n"),
            "confidence_level": stated.get("level"),
            "confidence_method": stated.get("method"),
        }
        properties += [
            {"name": f"gitckpt:evaluation:{at}:{key}", "value": str(value)}
            for key, value in facts.items()
            if isinstance(value, (int, float, str))
        ]
    return properties


def _model_card(card: dict[str, Any], dataset_refs: list[str]) -> dict[str, Any]:
    evaluations = _evaluations(card)
    properties = _evaluation_properties(evaluations)
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
        **({"properties": properties} if properties else {}),
    }


def _validate(text: str, schema: Any) -> None:
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(schema).validate_str(text)
    if error is not None:
        raise GitckptError(f"the CycloneDX export does not validate (a bug in gitckpt): {error}")
