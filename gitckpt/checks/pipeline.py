"""GC801 and GC802: recorded evaluation results are the numbers their DVC stage produced, and the
stage ran on the checkpoint the model card describes."""

from __future__ import annotations

import math
from collections.abc import Iterator

from gitckpt.checks.base import Check
from gitckpt.errors import InputError
from gitckpt.file_facts import CardFacts, Finding, Inventory
from gitckpt.files import PathGuard, decode_text
from gitckpt.metrics import METRICS_SIZE_LIMIT, parse_metrics
from gitckpt.pointer import POINTER_SUFFIX

NOT_FROM_PIPELINE = Check(
    id="GC801",
    name="evaluation-not-from-pipeline",
    severity="error",
    rationale="A hand-typed number is the one readers trust most and can check least; it must "
    "equal what the stage wrote.",
    fix="Re-record from the pipeline (`git ckpt eval record NAME --stage STAGE`) instead of "
    "editing numbers by hand.",
)
OTHER_BYTES = Check(
    id="GC802",
    name="evaluation-other-bytes",
    severity="error",
    rationale="Results recorded from a stage that consumed other checkpoint bytes describe "
    "another model.",
    fix="Re-run the stage on the current checkpoint (`git ckpt eval run NAME --record`).",
)


def check_pipelines(inventory: Inventory) -> Iterator[Finding]:
    guard = PathGuard(inventory.repo.root, inventory.source.symlinks)
    models = {
        card.name: card for card in inventory.cards.values() if card.kind == "model" and card.name
    }
    evals = {
        card.name: card
        for card in inventory.cards.values()
        if card.kind == "eval" and card.pipeline
    }
    for card in inventory.cards.values():
        if card.pipeline is None:
            continue
        if card.kind == "model":
            yield from _logged_numbers(inventory, guard, card, evals)
            continue
        yield from _numbers(inventory, guard, card)
        model = models.get(card.model_link or "")
        if model is not None:
            yield from _consumed(inventory, card, model)


def _produced(inventory: Inventory, guard: PathGuard, path: str) -> dict[str, float] | str:
    """The numbers in the stage's metrics file, or why they cannot be had: the file must be inside
    the repository, a regular file within the size limit, and strict JSON or YAML."""

    reason = guard.problem("", path)
    if reason:
        return f"{reason}: {path!r}"
    content = inventory.source.read([path], lambda _: METRICS_SIZE_LIMIT).get(path)
    if content is None:
        return f"the stage's metrics file {path} is missing"
    if isinstance(content, InputError):
        return f"the stage's metrics file cannot be read: {content}"
    try:
        return parse_metrics(decode_text(content, path), path)
    except InputError as error:
        return f"the stage's metrics file cannot be read: {error}"


def _mismatch(value: object, actual: float | None) -> bool:
    return (
        actual is None
        or not isinstance(value, (int, float))
        or not math.isclose(float(value), actual, rel_tol=1e-9, abs_tol=1e-12)
    )


def _numbers(inventory: Inventory, guard: PathGuard, card: CardFacts) -> Iterator[Finding]:
    assert card.pipeline is not None
    path = str(card.pipeline.get("metrics"))
    produced = _produced(inventory, guard, path)
    if isinstance(produced, str):
        yield NOT_FROM_PIPELINE.finding(
            card.path, produced, line=card.pipeline["metrics_line"], field="pipeline.metrics"
        )
        return
    for metric, value, line in card.pipeline["results"]:
        if _mismatch(value, produced.get(metric)):
            yield NOT_FROM_PIPELINE.finding(
                card.path,
                f"{metric} is {value} in the card but {produced.get(metric)} in {path}",
                line=line,
                field="results",
            )


def _logged_numbers(
    inventory: Inventory, guard: PathGuard, card: CardFacts, evals: dict[str | None, CardFacts]
) -> Iterator[Finding]:
    """A model card's number for a result its eval card recorded from a pipeline."""
    assert card.pipeline is not None
    for eval_name, metric, value, line in card.pipeline["logged"]:
        source = evals.get(eval_name)
        if source is None or source.pipeline is None:
            continue
        path = str(source.pipeline.get("metrics"))
        produced = _produced(inventory, guard, path)
        found = (
            produced.get(metric) if isinstance(produced, dict) else None
        )  # why not: a finding on the eval card
        if _mismatch(value, found):
            message = f"{metric} is {value} here but {found} in {path} ({eval_name}'s stage)"
            yield NOT_FROM_PIPELINE.finding(card.path, message, line=line, field="evaluation")


def _consumed(inventory: Inventory, card: CardFacts, model: CardFacts) -> Iterator[Finding]:
    assert card.pipeline is not None
    ran_on = card.pipeline["deps"].get(str(model.data_relpath))
    pointer = inventory.pointers.get(f"{model.data_relpath}{POINTER_SUFFIX}")
    current = (
        next(
            (out.md5 for out in pointer.outs if pointer.out_relpath(out) == model.data_relpath),
            None,
        )
        if pointer
        else None
    )
    if ran_on is not None and current is not None and ran_on != current:
        yield OTHER_BYTES.finding(
            card.path,
            f"the stage ran on {model.data_relpath} with md5 {ran_on}; the checkpoint is "
            f"now {current}",
            line=card.pipeline["line"],
            field="pipeline.deps",
        )
