"""A Hugging Face Hub model card (README.md) from a gitckpt card, and back.

Front matter is built with huggingface_hub's ModelCardData (so the Hub's own validation
applies); the body follows the sections of the Hub's model-card template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gitckpt.card import mapping
from gitckpt.export.hub_body import (
    checkpoint_section,
    evaluation_section,
    known_issues_section,
)
from gitckpt.licenses import hugging_face_id, normalize
from gitckpt.registry import Release

PIPELINE_TAGS = frozenset(
    {
        "image-classification",
        "text-classification",
        "token-classification",
        "object-detection",
        "image-segmentation",
        "automatic-speech-recognition",
        "text-generation",
        "translation",
        "summarization",
        "question-answering",
        "fill-mask",
        "feature-extraction",
        "tabular-classification",
        "tabular-regression",
    }
)
HF_RELATIONS = {
    "finetune": "finetune",
    "adapter": "adapter",
    "quantized": "quantized",
    "merge": "merge",
}


@dataclass
class Export:
    text: str
    unexpressed: list[str] = field(default_factory=list)


def to_hugging_face(card: dict[str, Any], body: str, release: Release | None) -> Export:
    """`release`: the release the card was read from (None: the work tree), named in the body
    beside the checkpoint's digests; n and confidence intervals, which `model-index` has no field
    for, are in the body's evaluation table."""
    from huggingface_hub import ModelCardData
    from huggingface_hub.repocard_data import EvalResult

    unexpressed = [
        "seeds",
        "release_checklist",
        "redistribution (prose only)",
    ]
    license_fields = _license(card)
    evaluations = [entry for entry in card.get("evaluation") or [] if isinstance(entry, dict)]
    results = [
        EvalResult(
            task_type=str(entry.get("task")),
            dataset_type=_ref(entry.get("dataset")),
            dataset_name=_ref(entry.get("dataset")),
            dataset_split=(entry.get("dataset") or {}).get("split"),
            dataset_revision=(entry.get("dataset") or {}).get("revision"),
            metric_type=str(entry.get("metric")),
            metric_name=str(entry.get("metric")),
            metric_value=entry.get("value"),
        )
        for entry in evaluations
    ]
    base = card.get("base_model") if isinstance(card.get("base_model"), dict) else None
    relation = HF_RELATIONS.get(str((base or {}).get("relation")))
    if base and base.get("relation") and relation is None:
        unexpressed.append(f"base_model relation {base['relation']!r}")
    tasks = {str(entry.get("task")) for entry in evaluations}
    metadata: dict[str, Any] = {
        **license_fields,
        **({"base_model_relation": relation} if relation else {}),
    }
    data = ModelCardData(
        model_name=str(card.get("name")),
        base_model=_ref(base) if base else None,
        datasets=[
            _ref(entry) for entry in card.get("training_data") or [] if isinstance(entry, dict)
        ]
        or None,
        eval_results=results or None,
        pipeline_tag=next(iter(sorted(tasks & PIPELINE_TAGS)), None),
        tags=[
            "gitckpt",
            str(card.get("kind")),
            *(
                [str(card["architecture"]["family"])]
                if isinstance(card.get("architecture"), dict)
                else []
            ),
        ],
        **metadata,
    )
    return Export(f"---\n{data.to_yaml()}\n---\n{_body(card, body, release)}", unexpressed)


def _license(card: dict[str, Any]) -> dict[str, str]:
    spdx = normalize(str(card.get("license") or ""))
    hub_id = hugging_face_id(spdx)
    if hub_id:
        return {"license": hub_id}
    link = card.get("license_link") or f"https://spdx.org/licenses/{spdx}.html"
    return {
        "license": "other",
        "license_name": spdx.lower().replace(" ", "-"),
        "license_link": str(link),
    }


def _ref(entry: Any) -> str:
    if not isinstance(entry, dict):
        return ""
    return str(entry.get("artifact") or entry.get("uri") or "")


def _items(values: Any) -> str:
    return "\n".join(f"- {value}" for value in values or []) or "- (none stated)"


def _release(release: Release | None) -> str:
    return f"v{release.version} (`{release.event.tag}`)" if release else "none (work tree)"


def _body(card: dict[str, Any], prose: str, release: Release | None) -> str:
    compute = mapping(card, "compute")
    architecture = mapping(card, "architecture")
    limitations = "\n".join(
        f"- **{item.get('description')}** {item.get('failure_mode')} ({item.get('conditions')})"
        for item in card.get("limitations") or []
    )
    risks = "\n".join(
        f"- {item.get('description')} Mitigation: {item.get('mitigation')}"
        for item in card.get("risks") or []
    )
    data = "\n".join(
        f"- {_ref(item)} ({item.get('license')}, {item.get('role')}): {item.get('summary')}"
        for item in card.get("training_data") or []
    )
    contributors = ", ".join(
        f"{person.get('name')} ({', '.join(person.get('roles', []))})"
        for person in card.get("contributors") or []
    )
    return f"""# Model Card for {card.get("name")}

{card.get("description")}

## Model Details

### Model Description

- **Developed by:** {contributors}
- **Model type:** {architecture.get("family")}
- **License:** {card.get("license")}
- **Version:** {card.get("version")} (the card's)
- **Release:** {_release(release)}

## Uses

### Direct Use

{_items(card.get("intended_use"))}

### Out-of-Scope Use

{_items(card.get("out_of_scope"))}

## Bias, Risks, and Limitations

{limitations}

{risks}{known_issues_section(card)}

## Training Details

### Training Data

{data}

### Training Procedure

{_items(card.get("preprocessing") if isinstance(card.get("preprocessing"), list) else [])}

{evaluation_section(card)}

{checkpoint_section(card, release)}

## Environmental Impact

- **Hardware Type:** {compute.get("hardware")}
- **Hours used:** {compute.get("accelerator_hours")}

## Model Card Contact

{card.get("contact")}

{prose.strip()}
"""
