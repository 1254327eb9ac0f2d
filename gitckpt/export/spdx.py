"""An SPDX 3.0.1 JSON-LD document from a model card: an AIPackage (hashes, licenses, type of
model, hyperparameters, metrics, limitations) and a DatasetPackage per training and evaluation
dataset, linked by trainedOn / testedOn relationships. Built with spdx-python-model, the SPDX
project's generated bindings."""

from __future__ import annotations

import datetime
import io
from typing import Any

from gitckpt.card import mapping
from gitckpt.export.huggingface import Export
from gitckpt.licenses import normalize

PROFILES = ("core", "software", "ai", "dataset", "simpleLicensing")


def to_spdx(card: dict[str, Any], datasets: dict[str, dict[str, Any]]) -> Export:
    from spdx_python_model import v3_0_1 as spdx

    builder = _Builder(
        spdx, f"https://gitckpt.dev/spdx/{card.get('name')}/{card.get('version')}", _time(card)
    )
    model = builder.element(spdx.ai_AIPackage, "model")
    model.name = str(card.get("name"))
    model.software_packageVersion = str(card.get("version"))
    model.software_primaryPurpose = spdx.software_SoftwarePurpose.model
    model.releaseTime = builder.created
    model.suppliedBy = builder.agent
    _describe_model(spdx, model, card)
    builder.license(model, str(card.get("license") or "NOASSERTION"))
    trained = [
        builder.dataset(entry, datasets)
        for entry in card.get("training_data") or []
        if isinstance(entry, dict)
    ]
    tested = [
        builder.dataset(entry.get("dataset") or {}, datasets)
        for entry in card.get("evaluation") or []
        if isinstance(entry, dict)
    ]
    builder.relate(model, spdx.RelationshipType.trainedOn, trained)
    builder.relate(model, spdx.RelationshipType.testedOn, tested)
    document = builder.element(spdx.SpdxDocument, "document")
    document.name = f"{card.get('name')} v{card.get('version')}"
    document.rootElement.append(model)
    document.profileConformance.extend(
        getattr(spdx.ProfileIdentifierType, profile) for profile in PROFILES
    )
    for element in builder.elements:
        if element is not document:
            document.element.append(element)
    stream = io.BytesIO()
    spdx.JSONLDSerializer().write(builder.objects, stream)
    unexpressed = [
        "confidence intervals (metrics carry values only)",
        "release_checklist",
        "redistribution terms",
        "evaluation n",
        "seeds",
    ]
    return Export(stream.getvalue().decode("utf-8"), unexpressed)


class _Builder:
    """Elements that share one creation info and one namespace."""

    def __init__(self, spdx: Any, namespace: str, created: datetime.datetime) -> None:
        self.spdx = spdx
        self.namespace = namespace
        self.objects = spdx.SHACLObjectSet()
        self.elements: list[Any] = []
        self.created = created
        self.info = spdx.CreationInfo()
        self.info.specVersion = "3.0.1"
        self.info.created = created
        self.agent = self.element(spdx.SoftwareAgent, "agent/gitckpt")
        self.agent.name = "gitckpt"
        self.info.createdBy.append(self.agent)
        self._datasets: dict[str, Any] = {}

    def element(self, cls: Any, suffix: str) -> Any:
        element = cls()
        element._id = f"{self.namespace}/{suffix}"
        element.creationInfo = self.info
        self.objects.add(element)
        self.elements.append(element)
        return element

    def license(self, subject: Any, expression: str) -> None:
        license_element = self.element(
            self.spdx.simplelicensing_LicenseExpression, f"license/{len(self.elements)}"
        )
        license_element.simplelicensing_licenseExpression = normalize(expression)
        for kind in (
            self.spdx.RelationshipType.hasDeclaredLicense,
            self.spdx.RelationshipType.hasConcludedLicense,
        ):
            self.relate(subject, kind, [license_element])

    def relate(self, source: Any, kind: Any, targets: list[Any]) -> None:
        if not targets:
            return
        relationship = self.element(self.spdx.Relationship, f"relationship/{len(self.elements)}")
        relationship.from_ = source
        relationship.relationshipType = kind
        relationship.to.extend(dict.fromkeys(targets))

    def dataset(self, entry: dict[str, Any], cards: dict[str, dict[str, Any]]) -> Any:
        name = str(entry.get("artifact") or entry.get("uri") or "unknown").split("@")[0]
        if name in self._datasets:
            return self._datasets[name]
        card = cards.get(name, {})
        dataset = self.element(self.spdx.dataset_DatasetPackage, f"dataset/{len(self._datasets)}")
        dataset.name = name
        dataset.software_primaryPurpose = self.spdx.software_SoftwarePurpose.data
        dataset.dataset_datasetType.append(self.spdx.dataset_DatasetType.noAssertion)
        dataset.releaseTime = _time(card) if card else self.created
        dataset.builtTime = dataset.releaseTime
        dataset.originatedBy.append(self.agent)
        block = mapping(card, "data")
        sha256 = block.get("sha256") or entry.get("sha256")
        if sha256:
            digest = self.spdx.Hash()
            digest.algorithm = self.spdx.HashAlgorithm.sha256
            digest.hashValue = str(sha256)
            dataset.verifiedUsing.append(digest)
        if card.get("collection"):
            dataset.dataset_dataCollectionProcess = str(card["collection"])
        self.license(dataset, str(card.get("license") or entry.get("license") or "NOASSERTION"))
        self._datasets[name] = dataset
        return dataset


def _describe_model(spdx: Any, model: Any, card: dict[str, Any]) -> None:
    checkpoint = mapping(card, "checkpoint")
    if checkpoint.get("sha256"):
        digest = spdx.Hash()
        digest.algorithm = spdx.HashAlgorithm.sha256
        digest.hashValue = str(checkpoint["sha256"])
        model.verifiedUsing.append(digest)
    architecture = mapping(card, "architecture")
    if architecture.get("family"):
        model.ai_typeOfModel.append(str(architecture["family"]))
    for key, value in (card.get("hyperparameters") or {}).items():
        entry = spdx.DictionaryEntry()
        entry.key, entry.value = str(key), str(value)
        model.ai_hyperparameter.append(entry)
    for evaluation in card.get("evaluation") or []:
        dataset = evaluation.get("dataset") or {}
        entry = spdx.DictionaryEntry()
        entry.key = (
            f"{evaluation.get('metric')} "
            f"({dataset.get('artifact') or dataset.get('uri')}/{dataset.get('split')})"
        )
        entry.value = str(evaluation.get("value"))
        model.ai_metric.append(entry)
    limitations = [
        f"{item.get('description')} {item.get('failure_mode')}"
        for item in card.get("limitations") or []
    ]
    if limitations:
        model.ai_limitation = " | ".join(limitations)
    if card.get("intended_use"):
        model.ai_informationAboutApplication = "; ".join(str(item) for item in card["intended_use"])
    if isinstance(card.get("preprocessing"), list):
        model.ai_modelDataPreprocessing.extend(str(step) for step in card["preprocessing"])


def _time(card: dict[str, Any]) -> datetime.datetime:
    text = str(card.get("snapshot_time") or "1970-01-01T00:00:00Z").replace("Z", "+00:00")
    try:
        return datetime.datetime.fromisoformat(text).astimezone(datetime.UTC).replace(microsecond=0)
    except ValueError:
        return datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
