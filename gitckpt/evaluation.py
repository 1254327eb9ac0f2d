"""Evaluation results from the DVC pipeline that produced them: the stage (dvc.yaml), the bytes
it consumed (dvc.lock), its metrics file and, optionally, per-sample results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitckpt.errors import GitckptError, InputError
from gitckpt.files import read_inside
from gitckpt.intervals import Interval, bootstrap, wilson
from gitckpt.metrics import METRICS_SIZE_LIMIT, parse_metrics
from gitckpt.schema import load_mapping
from gitckpt.strict_json import load_json

PIPELINE_SIZE_LIMIT = 8 * 1024 * 1024  # dvc.yaml, dvc.lock
SAMPLES_SIZE_LIMIT = 64 * 1024 * 1024  # a JSON line per sample: millions of samples
PIPELINE_SCHEMA = "dvc-pipeline.schema.json"


@dataclass(frozen=True)
class Stage:
    name: str
    command: str
    deps: tuple[str, ...]
    metrics: tuple[str, ...]
    locked: dict[str, str] = field(default_factory=dict)  # dependency path → md5 in dvc.lock
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measured:
    metric: str
    value: float
    n: int | None
    interval: Interval | None
    why_no_interval: str = ""


def _load(root: Path, relpath: str) -> dict[str, Any]:
    """dvc.yaml or dvc.lock, read as strictly as a card (no aliases, bounded size and depth), in
    the shape gitckpt reads (schemas/dvc-pipeline.schema.json): a wrong shape names its line."""

    if not (root / relpath).is_file():
        raise GitckptError(
            f"{relpath} not found: the evaluation must come from a DVC pipeline (dvc stage "
            "add …, dvc repro)"
        )
    text = read_inside(root, relpath, PIPELINE_SIZE_LIMIT)
    return dict(load_mapping(text, relpath, PIPELINE_SCHEMA, "a mapping with `stages:`").data)


def read_stage(root: Path, name: str) -> Stage:
    """The stage `name` of dvc.yaml, with the md5 of each dependency it last ran on (dvc.lock)."""
    stages = _load(root, "dvc.yaml").get("stages") or {}
    if name not in stages:
        raise GitckptError(f"dvc.yaml has no stage {name!r}; stages: {', '.join(stages) or 'none'}")
    stage = stages[name]
    metrics = tuple(
        next(iter(item)) if isinstance(item, dict) else str(item)
        for item in stage.get("metrics") or []
    )
    if not metrics:
        raise GitckptError(f"stage {name!r} declares no metrics file (`metrics:` in dvc.yaml)")
    lock = (
        (_load(root, "dvc.lock").get("stages") or {}).get(name)
        if (root / "dvc.lock").is_file()
        else None
    )
    if lock is None:
        raise GitckptError(
            f"stage {name!r} has not run yet (no entry in dvc.lock): run `dvc repro {name}` first"
        )
    locked = {str(dep["path"]): str(dep.get("md5", "")) for dep in lock.get("deps") or []}
    command = stage.get("cmd")
    deps = tuple(map(str, stage.get("deps") or []))
    listed = stage.get("params")
    params = (
        tuple(entry for entry in listed if isinstance(entry, str))
        if isinstance(listed, list)
        else ()
    )
    return Stage(
        name,
        " && ".join(command) if isinstance(command, list) else str(command),
        deps,
        metrics,
        locked,
        params,
    )


def read_metrics(root: Path, relpath: str) -> dict[str, float]:
    """A DVC metrics file (JSON or YAML) in the repository, flattened to `name` / `group.name` →
    number."""
    if not (root / relpath).exists():
        raise GitckptError(f"metrics file {relpath} not found: run the stage (`dvc repro`) first")
    return parse_metrics(read_inside(root, relpath, METRICS_SIZE_LIMIT), relpath)


def read_samples(root: Path, relpath: str) -> dict[str, list[float]]:
    """Per-sample results (JSON lines) in the repository: each numeric or boolean field becomes a
    column."""
    columns: dict[str, list[float]] = {}
    for number, line in enumerate(
        read_inside(root, relpath, SAMPLES_SIZE_LIMIT).splitlines(), start=1
    ):
        if line.strip():
            for key, value in _sample(line, relpath, number).items():
                if isinstance(value, (int, float)):
                    columns.setdefault(key, []).append(float(value))
    return columns


def _sample(line: str, display: str, number: int) -> dict[str, Any]:
    try:
        row = load_json(line, display, max_bytes=SAMPLES_SIZE_LIMIT)
    except InputError as error:
        raise InputError(error.message, path=display, line=number) from error
    if not isinstance(row, dict):
        raise InputError(
            "each line must be a JSON object holding one sample's results",
            path=display,
            line=number,
        )
    return row


def measure(
    metrics: dict[str, float], samples: dict[str, list[float]], *, seed: int = 0
) -> list[Measured]:
    """Each metric with its interval: a seeded bootstrap over the per-sample column of the same
    name; else Wilson for a proportion with a known `n`; else no interval, and why."""
    n_total = int(metrics["n"]) if "n" in metrics else None
    measured = []
    for name, value in metrics.items():
        if name == "n":
            continue
        column = samples.get(name)
        if column:
            measured.append(Measured(name, value, len(column), bootstrap(column, seed=seed)))
        elif n_total and 0.0 <= value <= 1.0:
            measured.append(Measured(name, value, n_total, wilson(round(value * n_total), n_total)))
        else:
            measured.append(
                Measured(
                    name,
                    value,
                    n_total,
                    None,
                    "no per-sample results and not a proportion with a known n",
                )
            )
    return measured


@dataclass(frozen=True)
class Comparison:
    """A result against the baseline's result for the same metric: the difference, an interval
    for it (the widest the two intervals allow), and whether it is outside noise."""

    metric: str
    value: float
    baseline: float
    difference: float
    low: float | None
    high: float | None
    verdict: str


def compare_to_baseline(
    results: list[dict[str, Any]], baseline: list[dict[str, Any]]
) -> list[Comparison]:
    by_metric = {str(entry.get("metric")): entry for entry in baseline if isinstance(entry, dict)}
    comparisons = []
    for entry in results:
        other = by_metric.get(str(entry.get("metric")))
        if (
            other is None
            or not isinstance(entry.get("value"), (int, float))
            or not isinstance(other.get("value"), (int, float))
        ):
            continue
        value, base = float(entry["value"]), float(other["value"])
        mine, theirs = entry.get("confidence_interval"), other.get("confidence_interval")
        low: float | None = None
        high: float | None = None
        if (
            isinstance(mine, dict)
            and "low" in mine
            and isinstance(theirs, dict)
            and "low" in theirs
        ):
            low, high = (
                float(mine["low"]) - float(theirs["high"]),
                float(mine["high"]) - float(theirs["low"]),
            )
            verdict = (
                "within noise"
                if low <= 0 <= high
                else ("better, outside noise" if value > base else "worse, outside noise")
            )
        else:
            verdict = "no intervals to judge noise"
        comparisons.append(
            Comparison(str(entry.get("metric")), value, base, value - base, low, high, verdict)
        )
    return comparisons


def describe(comparison: Comparison) -> str:
    known = comparison.low is not None and comparison.high is not None
    bounds = f" [{comparison.low:+.4g}, {comparison.high:+.4g}]" if known else ""
    values = f"{comparison.value:.4g} vs baseline {comparison.baseline:.4g}"
    return (
        f"{comparison.metric}: {values}, difference {comparison.difference:+.4g}{bounds} "
        f"({comparison.verdict})"
    )
