"""Croissant 1.1 JSON-LD for a dataset card, with the responsible-AI (RAI) fields the card holds.
Built with mlcroissant's Metadata model and validated by loading it back with mlcroissant."""

from __future__ import annotations

import json
from typing import Any

from gitckpt.card import mapping
from gitckpt.export.huggingface import Export
from gitckpt.licenses import normalize

CROISSANT_1_1 = "http://mlcommons.org/croissant/1.1"
MEDIA_TYPES = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "jsonl": "application/jsonlines",
    "json": "application/json",
    "parquet": "application/x-parquet",
}


def to_croissant(card: dict[str, Any], name: str) -> Export:
    import mlcroissant as mlc

    data = mapping(card, "data")
    limitations = [
        f"{item.get('description')} {item.get('failure_mode')} ({item.get('conditions')})"
        for item in card.get("limitations") or []
    ]
    personal = mapping(card, "personal_data")
    file_object = mlc.FileObject(
        id="data",
        name=str(data.get("path", name)),
        content_url=str(data.get("path", name)),
        encoding_formats=[MEDIA_TYPES.get(str(data.get("format")), "application/octet-stream")],
        sha256=str(data.get("sha256", "")),
        content_size=f"{data.get('size', 0)} B",
    )
    metadata = mlc.Metadata(
        name=name,
        conforms_to=CROISSANT_1_1,
        cite_as=str(mapping(card, "redistribution").get("attribution") or name),
        description=str(card.get("description")),
        license=[f"https://spdx.org/licenses/{normalize(str(card.get('license')))}.html"],
        url=f"https://gitckpt.dev/datasets/{name}",
        version=str(card.get("version")),
        date_published=str(card.get("snapshot_time")),
        creators=[
            mlc.Person(name=str(person.get("name"))) for person in card.get("contributors") or []
        ],
        distribution=[file_object],
        data_collection=str(card.get("collection")),
        data_preprocessing_protocol=[str(step) for step in card.get("preprocessing") or []]
        if isinstance(card.get("preprocessing"), list)
        else None,
        data_limitations=limitations or None,
        data_biases=[
            f"{risk.get('description')} Mitigation: {risk.get('mitigation')}"
            for risk in card.get("risks") or []
        ]
        or None,
        data_use_cases=[str(item) for item in card.get("intended_use") or []] or None,
        personal_sensitive_information=[
            f"contains personal data: {personal.get('contains')}. {personal.get('handling')}"
        ]
        if personal
        else None,
    )
    document = metadata.to_json()
    unexpressed = [
        "md5 (DVC)",
        "splits (no record sets are described)",
        "sources with their licenses",
        "out_of_scope",
        "redistribution terms",
    ]
    return Export(json.dumps(document, indent=2, default=str) + "\n", unexpressed)
