"""`import-card`: a gitckpt model card from what a Hugging Face Hub card says, and nothing it
does not.

Every fact the Hub card states and a gitckpt card can carry is kept (license, language, tags,
pipeline_tag, library_name, base model and relation, datasets, each model-index result with its
names, config and split) along with the whole prose body; every fact it does not state is a
`<FILL …>` for a person, never a guess (no environment from the importer's own interpreter). An
item that cannot be read is dropped with one warning naming its line; a card that cannot be
read at all is refused with the line and what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitckpt.card import is_number, update_front_matter
from gitckpt.errors import GitckptError
from gitckpt.export.hub_card import HubCard, read_hub_card
from gitckpt.export.hub_prose import suggestions
from gitckpt.export.huggingface import HF_RELATIONS
from gitckpt.files import CARD_SIZE_LIMIT, atomic_write, read_text
from gitckpt.licenses import normalize, problem
from gitckpt.scaffold import checked_name, render_template
from gitckpt.strict_yaml import FieldPath, format_field_path

HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9_.-]+)?$")
URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.I)
TEXT_FIELDS = ("pipeline_tag", "library_name")
LIST_FIELDS = ("language", "tags")
ROLE_WORDS = (("test", "test"), ("valid", "val"), ("dev", "val"))


def fill(what: str) -> str:
    """A placeholder for `what` (a `>` inside would end it early)."""
    return f"<FILL: {what.replace('>', '›')}>"


@dataclass
class HubImport:
    """The card fields to set (by path, in order) and what could not be kept, one line each."""

    updates: dict[FieldPath, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportedCard:
    path: Path
    warnings: list[str]


def import_card(source: Path, name: str, output: Path | None) -> ImportedCard:
    """Write the gitckpt card for the Hub card at `source`; nothing is written when the Hub
    card cannot be read or the target exists."""
    hub = read_hub_card(read_text(source, CARD_SIZE_LIMIT, str(source)), str(source))
    target = output or Path(f"{checked_name(name).replace('/', '-')}.card.md")
    if target.exists():
        raise GitckptError(f"{target} already exists; gitckpt never overwrites a card")
    facts = from_hub_card(hub)
    values: dict[str, object] = {
        "name_yaml": name,
        "data_path": fill("path of the checkpoint, relative to this card"),
        "md5": fill("md5 from the DVC pointer"),
        "sha256": fill("sha256 of the checkpoint"),
        "size": fill("size in bytes"),
        "format": fill("file format"),
        "snapshot_time": fill("when the checkpoint was produced"),
        "code_commit": fill("git commit of the training code"),
        "python": fill("Python version the model was trained with"),
    }
    template = render_template("model", name, values)
    card_text = update_front_matter(template, str(target), facts.updates)
    front_matter_end = card_text.index("\n---\n", 4) + len("\n---\n")
    atomic_write(target, card_text[:front_matter_end] + _body(hub))
    return ImportedCard(target, facts.warnings)


def _body(hub: HubCard) -> str:
    return (
        f"<!-- Imported from the Hugging Face card {Path(hub.path).name}: its prose follows as "
        "written. -->\n\n" + hub.body.lstrip("\n")
    )


def from_hub_card(hub: HubCard) -> HubImport:
    """The gitckpt card fields that `hub` states, and a warning for each item it drops."""
    result = HubImport()
    meta = hub.metadata
    result.updates[("environment", "frameworks")] = fill(
        "framework versions the model was trained with, e.g. {torch: 2.3.0}"
    )
    _license(hub, result)
    for key in LIST_FIELDS:
        values = _strings(hub, key, result)
        if values:
            result.updates[(key,)] = values
    for key in TEXT_FIELDS:
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            result.updates[(key,)] = value
        elif value is not None:
            result.warnings.append(f"{hub.where((key,))}: `{key}` is not a text; dropped")
    _base_model(hub, result)
    datasets = [_dataset(text) for text in _strings(hub, "datasets", result)]
    if datasets:
        result.updates[("training_data",)] = datasets
    evaluation = list(_evaluations(hub, result))
    if evaluation:
        result.updates[("evaluation",)] = evaluation
    for path, suggestion in suggestions(hub.body).items():
        result.updates.setdefault(path, suggestion)
    return result


def _strings(hub: HubCard, key: str, result: HubImport) -> list[str]:
    """`key` as a list of texts (the Hub allows one text or a list); other items are dropped
    with a warning."""
    value = hub.metadata.get(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    kept = [str(item) for item in items if isinstance(item, (str, int, float)) and str(item)]
    if len(kept) < len(items):
        result.warnings.append(
            f"{hub.where((key,))}: `{key}` holds {len(items) - len(kept)} item(s) that are not "
            "texts; dropped"
        )
    return kept


def _license(hub: HubCard, result: HubImport) -> None:
    ids = _strings(hub, "license", result)
    link = hub.metadata.get("license_link")
    if ids == ["other"]:
        name = hub.metadata.get("license_name")
        ref = re.sub(r"[^A-Za-z0-9.-]+", "-", str(name)).strip("-") if name else ""
        result.updates[("license",)] = (
            f"LicenseRef-{ref}" if ref else fill("SPDX expression; the Hub card says `other`")
        )
        if isinstance(link, str) and link:
            result.updates[("license_link",)] = link
        return
    spdx = [normalize(item) for item in ids]
    if len(spdx) == 1 and problem(spdx[0], has_link=bool(link)) is None:
        result.updates[("license",)] = spdx[0]
    elif spdx and all(problem(item, has_link=False) is None for item in spdx):
        result.updates[("license",)] = fill(
            f"SPDX expression joining {', '.join(spdx)} with AND or OR (the Hub card lists them)"
        )
    elif ids:
        result.updates[("license",)] = fill(
            f"SPDX expression for the Hub license(s) {', '.join(ids)}, which gitckpt cannot map"
        )
    if isinstance(link, str) and link and ("license",) in result.updates:
        result.updates[("license_link",)] = link


def _base_model(hub: HubCard, result: HubImport) -> None:
    bases = _strings(hub, "base_model", result)
    if not bases:
        return
    if len(bases) > 1:
        result.warnings.append(
            f"{hub.where(('base_model',))}: the card names {len(bases)} base models "
            f"({', '.join(bases)}); gitckpt links one, so {bases[0]} is kept and the rest dropped"
        )
    base: dict[str, Any] = {
        "uri": f"hf://{bases[0]}" if HUB_ID.match(bases[0]) else bases[0],
        "revision": fill("base model revision (a commit of its Hub repository)"),
    }
    relation = hub.metadata.get("base_model_relation")
    if relation in HF_RELATIONS:
        base["relation"] = relation
    elif relation is not None:
        result.warnings.append(
            f"{hub.where(('base_model_relation',))}: base_model_relation {relation!r} is not "
            f"one of {', '.join(HF_RELATIONS)}; dropped"
        )
    result.updates[("base_model",)] = base


def _link(text: str) -> dict[str, str]:
    """A dataset as the Hub card names it: a Hub dataset id links `hf://datasets/ID`, a URL
    stays a `uri`, and free text becomes a note beside a placeholder."""
    if HUB_ID.match(text):
        return {"uri": f"hf://datasets/{text}", "revision": fill("dataset revision")}
    if URL.match(text):
        return {"uri": text, "revision": fill("dataset revision, or its sha256")}
    return {
        "uri": fill("where the dataset lives (a Hub dataset id or URL)"),
        "revision": fill("dataset revision"),
        "note": f"the Hub card names it: {text}",
    }


def _dataset(text: str) -> dict[str, str]:
    lowered = text.lower()
    role = next((role for word, role in ROLE_WORDS if word in lowered), "train")
    return {
        **_link(text),
        "license": fill("the dataset's license"),
        "summary": fill("what the dataset contains"),
        "role": role,
    }


def _evaluations(hub: HubCard, result: HubImport) -> Iterator[dict[str, Any]]:
    """One evaluation entry per metric of each model-index result; a result or metric that
    cannot be read is dropped with a warning naming its line."""
    index = hub.metadata.get("model-index")
    if index is None:
        return
    if not isinstance(index, list):
        _drop(hub, result, ("model-index",), "is not a list")
        return
    for model_at, model in enumerate(index):
        results = model.get("results") if isinstance(model, dict) else None
        if not isinstance(results, list):
            _drop(hub, result, ("model-index", model_at), "has no `results` list")
            continue
        for result_at, entry in enumerate(results):
            yield from _result(hub, result, ("model-index", model_at, "results", result_at), entry)


def _drop(hub: HubCard, result: HubImport, path: FieldPath, why: str) -> None:
    result.warnings.append(f"{hub.where(path)}: {format_field_path(path)} {why}; dropped")


def _result(
    hub: HubCard, result: HubImport, path: FieldPath, entry: Any
) -> Iterator[dict[str, Any]]:
    if not isinstance(entry, dict):
        _drop(hub, result, path, "is not a mapping")
        return
    dataset, task = entry.get("dataset"), entry.get("task")
    if not isinstance(dataset, dict) or not isinstance(dataset.get("type"), str):
        _drop(hub, result, path, "names no dataset (`dataset: {type: ID, split: …}`)")
        return
    metrics = entry.get("metrics")
    if not isinstance(metrics, list):
        _drop(hub, result, path, "has no `metrics` list")
        return
    task = task if isinstance(task, dict) else {}
    for metric_at, metric in enumerate(metrics):
        where = (*path, "metrics", metric_at)
        if not isinstance(metric, dict) or not isinstance(metric.get("type"), str):
            _drop(hub, result, where, "names no metric `type`")
            continue
        yield _evaluation(task, dataset, metric)


def _evaluation(
    task: dict[str, Any], dataset: dict[str, Any], metric: dict[str, Any]
) -> dict[str, Any]:
    value = metric.get("value")
    reference: dict[str, Any] = {
        **_link(dataset["type"]),
        "split": str(dataset.get("split") or fill("the split evaluated (the Hub card omits it)")),
    }
    if dataset.get("revision"):
        reference["revision"] = str(dataset["revision"])
    for key in ("name", "config"):
        if dataset.get(key):
            reference[key] = str(dataset[key])
    entry: dict[str, Any] = {
        "task": str(task.get("type") or fill("task evaluated")),
        "dataset": reference,
        "metric": metric["type"],
        "value": value if is_number(value) else fill(f"measured value (the Hub card says {value})"),
        "n": fill("number of evaluated examples"),
        "confidence_interval": fill("confidence interval (low, high, level, method)"),
        "checkpoint_sha256": fill("sha256 of the checkpoint evaluated"),
    }
    for key, source in (("task_name", task.get("name")), ("metric_name", metric.get("name"))):
        if source:
            entry[key] = str(source)
    if metric.get("config"):
        entry["metric_config"] = str(metric["config"])
    return entry
