"""Evaluation runs (`git ckpt eval record`, `eval run`): results taken from the DVC stage
that produced them, with their intervals, bound to the checkpoint and data the stage consumed."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitckpt.card import PLACEHOLDER_PATTERN, Card, parse_card, update_front_matter
from gitckpt.card_changes import evaluation_key
from gitckpt.errors import GitckptError, InputError, UsageError
from gitckpt.evaluation import Measured, Stage, measure, read_metrics, read_samples, read_stage
from gitckpt.file_facts import CardFacts, Inventory
from gitckpt.files import CARD_SIZE_LIMIT, PathGuard, atomic_write, read_text
from gitckpt.inventory import load_inventory
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.repo import Repository
from gitckpt.storage import reproduce_stage
from gitckpt.strict_yaml import FieldPath, dump_for_editing, load_for_editing


@dataclass(frozen=True)
class EvaluatedData:
    """What was evaluated (`--dataset`, `--split`), when the eval card does not say it (or
    should say otherwise)."""

    dataset: str | None = None
    split: str | None = None


@dataclass(frozen=True)
class Recorded:
    eval_card: str | None  # None: results published straight to the model card
    model_card: str
    results: list[Measured]


def record(
    repo: Repository,
    name: str,
    stage_name: str,
    *,
    samples: Path | None = None,
    evaluated: EvaluatedData = EvaluatedData(),
) -> Recorded:
    """Results of `stage_name` into eval card `name` (and its model's card)."""
    dataset, split = evaluated.dataset, evaluated.split
    inventory = load_inventory(repo)
    card, model = _eval_and_model(inventory, name)
    if dataset and dataset not in {
        other.name for other in inventory.cards.values() if other.kind == "dataset"
    }:
        raise UsageError(f"--dataset {dataset!r} is not a dataset card in this repository")
    stage = read_stage(repo.root, stage_name)
    _require_bytes_consumed(inventory, stage, model)
    metrics = read_metrics(repo.root, stage.metrics[0])
    relative_samples = _relative(repo, samples) if samples else None
    measured = measure(
        metrics, read_samples(repo.root, relative_samples) if relative_samples else {}
    )
    eval_data = parse_card(
        read_text(repo.root / card.path, CARD_SIZE_LIMIT, card.path), card.path
    ).data
    pipeline = {
        "stage": stage.name,
        "command": stage.command,
        "metrics": stage.metrics[0],
        "deps": [{"path": p, "md5": m} for p, m in stage.locked.items()],
    }
    if relative_samples:
        pipeline["samples"] = relative_samples
    updates: dict[FieldPath, Any] = {
        ("results",): [_result(item) for item in measured],
        ("pipeline",): pipeline,
        ("model", "sha256"): model.sha256,
    }
    if dataset:
        updates[("dataset", "artifact")] = eval_data.setdefault("dataset", {})["artifact"] = dataset
    if split:
        updates[("dataset", "split")] = eval_data.setdefault("dataset", {})["split"] = split
    _write(repo, card.path, updates)
    _write(
        repo, model.path, {("evaluation",): _model_entries(repo, model, eval_data, name, measured)}
    )
    return Recorded(card.path, model.path, measured)


@dataclass(frozen=True)
class ResultSource:
    """Where a model card's results come from, for `gitckpt.publish`: the metrics file of a DVC
    stage (`stage`, which must have run on the current bytes) or a metrics file the caller names
    (`file`, relative to the repository's root), with what was measured: the task, the dataset
    card and split; `samples` (JSON lines) gives bootstrap intervals. Numbers typed without a
    source are never recorded.

        >>> source = ResultSource(task="classification", dataset="points", stage="evaluate")
        >>> gitckpt.publish("models/clf.safetensors", metrics=source)
    """

    task: str
    dataset: str
    split: str = "test"
    stage: str | None = None
    file: str | None = None
    samples: str | None = None


def record_model_results(repo: Repository, name: str, source: ResultSource) -> Recorded:
    """The results of `source` into model card `name`'s evaluation entries (replacing the
    entries for the same task, data and metric, and the scaffold's placeholder one)."""
    if (source.stage is None) == (source.file is None):
        raise UsageError("give the results' source: a DVC stage or a metrics file, not both")
    inventory = load_inventory(repo)
    model = next((card for card in inventory.cards.values() if card.name == name), None)
    if model is None or model.kind != "model" or not model.sha256:
        raise UsageError(f"{name!r} is not a model card with a checkpoint sha256")
    metrics_path = source.file
    if source.stage is not None:
        stage = read_stage(repo.root, source.stage)
        _require_bytes_consumed(inventory, stage, model)
        metrics_path = stage.metrics[0]
    assert metrics_path is not None  # one of stage and file, checked above
    measured = measure(
        read_metrics(repo.root, metrics_path),
        read_samples(repo.root, source.samples) if source.samples else {},
    )
    data = parse_card(
        read_text(repo.root / model.path, CARD_SIZE_LIMIT, model.path), model.path
    ).data
    written = [
        dict(entry)
        for entry in data.get("evaluation") or []
        if isinstance(entry, dict) and not PLACEHOLDER_PATTERN.search(str(entry.get("metric")))
    ]
    context = {"task": source.task, "dataset": {"artifact": source.dataset, "split": source.split}}
    fresh = [{**context, **_result(item), "checkpoint_sha256": model.sha256} for item in measured]
    _write(repo, model.path, {("evaluation",): _merged(written, fresh)})
    return Recorded("", model.path, measured)


def _merged(entries: list[dict[str, Any]], fresh: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`entries` with each fresh one replacing the entry for the same task, data and metric, or
    added."""
    for item in fresh:
        key = evaluation_key(item)
        index = next((i for i, entry in enumerate(entries) if evaluation_key(entry) == key), None)
        if index is None:
            entries.append(item)
        else:
            entries[index] = {**entries[index], **item}
    return entries


def _eval_and_model(inventory: Inventory, name: str) -> tuple[CardFacts, CardFacts]:
    card = next((card for card in inventory.cards.values() if card.name == name), None)
    if card is None or card.kind != "eval":
        raise UsageError(f"{name!r} is not an eval card in this repository")
    model = next(
        (other for other in inventory.cards.values() if other.name == card.model_link), None
    )
    if model is None or model.kind != "model" or not model.sha256:
        raise GitckptError(
            f"{card.path} must link the evaluated model (model.artifact) to a model card "
            "with a checkpoint sha256"
        )
    return card, model


def _require_bytes_consumed(inventory: Inventory, stage: Stage, model: CardFacts) -> None:
    """The stage must have run on the checkpoint the model card describes (per dvc.lock)."""
    pointer = inventory.pointers.get(f"{model.data_relpath}{POINTER_SUFFIX}")
    current = (
        next(
            (out.md5 for out in pointer.outs if pointer.out_relpath(out) == model.data_relpath),
            None,
        )
        if pointer
        else None
    )
    ran_on = stage.locked.get(str(model.data_relpath))
    if ran_on is None:
        raise GitckptError(
            f"stage {stage.name!r} does not depend on {model.data_relpath}; add it to the "
            "stage's deps so results bind to the checkpoint"
        )
    if ran_on != current:
        raise GitckptError(
            f"stage {stage.name!r} last ran on {model.data_relpath} with md5 {ran_on}, but "
            f"the checkpoint is now {current}.\n"
            f"Run `dvc repro {stage.name}` (or `git ckpt eval run`) so the results measure "
            "the current bytes."
        )


def _relative(repo: Repository, path: Path) -> str:
    absolute = (Path.cwd() / path).resolve()
    if not absolute.is_relative_to(repo.root):
        raise UsageError(f"{path} is outside the repository")
    return absolute.relative_to(repo.root).as_posix()


def _result(item: Measured) -> dict[str, Any]:
    interval: Any = (
        item.interval.to_card() if item.interval else {"noassertion": item.why_no_interval}
    )
    return {
        "metric": item.metric,
        "value": item.value,
        "n": item.n or 1,
        "confidence_interval": interval,
    }


def _model_entries(
    repo: Repository,
    model: CardFacts,
    eval_data: dict[str, Any],
    eval_name: str,
    measured: list[Measured],
) -> list[dict[str, Any]]:
    """The model card's evaluation list with this eval's results replaced or added."""
    data = parse_card(
        read_text(repo.root / model.path, CARD_SIZE_LIMIT, model.path), model.path
    ).data
    entries = [dict(entry) for entry in data.get("evaluation") or [] if isinstance(entry, dict)]
    dataset = eval_data.get("dataset") if isinstance(eval_data.get("dataset"), dict) else {}
    fresh = [
        {
            "task": eval_data.get("task"),
            "dataset": dataset,
            **_result(item),
            "checkpoint_sha256": model.sha256,
            "log": {"artifact": eval_name},
        }
        for item in measured
    ]
    return _merged(entries, fresh)


def _write(repo: Repository, path: str, updates: dict[FieldPath, Any]) -> None:
    atomic_write(
        repo.root / path,
        update_front_matter(read_text(repo.root / path, CARD_SIZE_LIMIT, path), path, updates),
    )


def evals_to_run(repo: Repository, name: str) -> list[str]:
    """The eval cards `eval run NAME` re-runs: NAME itself when it is an eval card, else every
    eval card whose `model.artifact` is model NAME (a user's first thought is to re-run the
    model's evaluation), in name order."""
    cards = load_inventory(repo).cards.values()
    named = next((card for card in cards if card.name == name), None)
    if named is not None and named.kind == "eval":
        return [name]
    if named is None or named.kind != "model":
        raise UsageError(f"{name!r} is neither an eval card nor a model card in this repository")
    measuring = sorted(
        card.name
        for card in cards
        if card.name is not None and card.kind == "eval" and card.model_link == name
    )
    if not measuring:
        raise GitckptError(
            f"no eval card measures model {name!r}: create one with `git ckpt card new "
            f"EVAL_LOG --kind eval` (model.artifact: {name}), then record its results with "
            "`git ckpt eval record EVAL --stage STAGE`"
        )
    for eval_name in measuring:  # refuse before anything runs (or, with --record, is written)
        _recorded_pipeline(repo, eval_name)
    return measuring


@dataclass(frozen=True)
class Reproduction:
    metric: str
    recorded: float
    now: float
    reproduced: bool
    why: str


def run(
    repo: Repository, name: str, *, record_after: bool = False, tolerance: float = 1e-9
) -> list[Reproduction]:
    """Re-run the recorded stage (forced) and compare its metrics with the card's; with
    `record_after`, record the new results in the cards."""
    card = _recorded_pipeline(repo, name)
    pipeline = card.data["pipeline"]
    metrics = _pipeline_path(repo, card, "metrics")
    samples = _pipeline_path(repo, card, "samples") if pipeline.get("samples") else None
    reproduce_stage(repo.root, str(pipeline["stage"]))
    now = read_metrics(repo.root, metrics)
    comparisons = [
        _compare(result, now, tolerance)
        for result in card.data.get("results") or []
        if isinstance(result, dict)
    ]
    if record_after:
        record(repo, name, str(pipeline["stage"]), samples=repo.root / samples if samples else None)
    return comparisons


def _compare(result: dict[str, Any], now: dict[str, float], tolerance: float) -> Reproduction:
    metric, recorded = str(result.get("metric")), float(result.get("value", 0))
    if metric not in now:
        return Reproduction(
            metric, recorded, float("nan"), False, "the stage no longer reports this metric"
        )
    value = now[metric]
    interval = result.get("confidence_interval")
    if isinstance(interval, dict) and "low" in interval:
        inside = float(interval["low"]) <= value <= float(interval["high"])
        return Reproduction(
            metric,
            recorded,
            value,
            inside,
            "inside the recorded interval" if inside else "outside the recorded interval",
        )
    close = abs(value - recorded) <= tolerance
    return Reproduction(
        metric,
        recorded,
        value,
        close,
        "equal within tolerance" if close else "differs, and no interval was recorded",
    )


@dataclass(frozen=True)
class Spread:
    metric: str
    seeds: int
    minimum: float
    maximum: float
    mean: float
    stdev: float

    def to_card(self) -> dict[str, Any]:
        return {
            "seeds": self.seeds,
            "min": self.minimum,
            "max": self.maximum,
            "mean": self.mean,
            "stdev": self.stdev,
        }


def seed_sensitivity(
    repo: Repository, name: str, seeds: int, *, record_after: bool = False
) -> list[Spread]:
    """Run the recorded stage with seeds 0…N-1 (the DVC parameter `seed` in params.yaml), and
    report each metric's spread; params.yaml and the stage's outputs are restored afterwards."""

    card = _recorded_pipeline(repo, name)
    data = card.data
    stage = read_stage(repo.root, str(data["pipeline"]["stage"]))
    if "seed" not in stage.params:
        raise GitckptError(
            f"stage {stage.name!r} takes no `seed` parameter: add `params: [seed]` to it "
            "in dvc.yaml (and read it from params.yaml)"
        )
    params_path = repo.root / "params.yaml"
    original = params_path.read_text(encoding="utf-8")
    values: dict[str, list[float]] = {}
    try:
        for seed in range(seeds):
            _set_seed(params_path, original, seed)
            reproduce_stage(repo.root, stage.name)
            for metric, value in read_metrics(repo.root, stage.metrics[0]).items():
                values.setdefault(metric, []).append(value)
    finally:
        atomic_write(params_path, original)
        reproduce_stage(repo.root, stage.name)
    spreads = [
        Spread(
            metric,
            len(found),
            min(found),
            max(found),
            statistics.fmean(found),
            statistics.stdev(found) if len(found) > 1 else 0.0,
        )
        for metric, found in values.items()
        if metric != "n"
    ]
    if record_after:
        results = [dict(entry) for entry in data.get("results") or [] if isinstance(entry, dict)]
        by_metric = {spread.metric: spread for spread in spreads}
        for entry in results:
            if entry.get("metric") in by_metric:
                entry["seed_sensitivity"] = by_metric[str(entry["metric"])].to_card()
        _write(repo, card.path, {("results",): results})
    return spreads


def _recorded_pipeline(repo: Repository, name: str) -> Card:
    facts, _ = _eval_and_model(load_inventory(repo), name)
    card = parse_card(read_text(repo.root / facts.path, CARD_SIZE_LIMIT, facts.path), facts.path)
    if not isinstance(card.data.get("pipeline"), dict):
        raise GitckptError(
            f"{card.path} records no pipeline: record it first with `git ckpt eval record "
            f"{name} --stage STAGE`"
        )
    return card


def _pipeline_path(repo: Repository, card: Card, key: str) -> str:
    """`pipeline.<key>` of an eval card: a path from the repository root, refused (naming the
    card's line) when it leaves the repository or runs through a symlink, before anything runs."""
    value = str(card.data["pipeline"].get(key))
    reason = PathGuard(repo.root).problem("", value)
    if reason:
        raise InputError(
            f"{reason}: {value!r}",
            path=card.path,
            line=card.line_of(("pipeline", key)),
            field=f"pipeline.{key}",
        )
    return value


def _set_seed(params_path: Path, original: str, seed: int) -> None:
    yaml, params = load_for_editing(original)
    params = params if isinstance(params, dict) else {}
    params["seed"] = seed
    atomic_write(params_path, dump_for_editing(yaml, params))
