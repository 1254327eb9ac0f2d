"""GC206: evaluation results are bound to the bytes they measured.

A model card's evaluation entries record the sha256 of the checkpoint they measured; an eval
card records the sha256 of the model it measured. When the checkpoint changes, those results
describe other bytes until they are re-run or re-confirmed (`git ckpt eval confirm`).
"""

from __future__ import annotations

from collections.abc import Iterator

from gitckpt.card import Card
from gitckpt.checks.base import Check
from gitckpt.file_facts import Finding, Inventory
from gitckpt.strict_yaml import format_field_path

STALE_EVALUATION = Check(
    id="GC206",
    name="evaluation-stale",
    severity="error",
    rationale="A result measured on other bytes says nothing about this checkpoint.",
    fix="Re-run the evaluation on the current checkpoint, or re-confirm it: `git ckpt eval "
    'confirm NAME --reason "..."`.',
)


def check_model_evaluations(card: Card) -> Iterator[Finding]:
    """Within a model card: every evaluation's checkpoint_sha256 equals checkpoint.sha256."""
    checkpoint = card.data.get("checkpoint")
    current = checkpoint.get("sha256") if isinstance(checkpoint, dict) else None
    evaluations = card.data.get("evaluation")
    if card.kind != "model" or not isinstance(current, str) or not isinstance(evaluations, list):
        return
    for index, entry in enumerate(evaluations):
        measured = entry.get("checkpoint_sha256") if isinstance(entry, dict) else None
        if isinstance(measured, str) and measured != current and not measured.startswith("<FILL"):
            field = ("evaluation", index, "checkpoint_sha256")
            yield STALE_EVALUATION.finding(
                card.path,
                f"measured on bytes with sha256 {measured[:12]}…, but the checkpoint is "
                f"now {current[:12]}…",
                line=card.line_of(field),
                field=format_field_path(field),
            )


def check_eval_cards(inventory: Inventory) -> Iterator[Finding]:
    """Across cards: an eval card's model.sha256 equals that model card's checkpoint.sha256."""
    models = {
        card.name: card for card in inventory.cards.values() if card.kind == "model" and card.name
    }
    for card in inventory.cards.values():
        model = models.get(card.model_link or "")
        if (
            card.kind != "eval"
            or model is None
            or model.sha256 is None
            or card.model_sha256 in (None, model.sha256)
        ):
            continue
        yield STALE_EVALUATION.finding(
            card.path,
            f"measured {model.name} with sha256 {str(card.model_sha256)[:12]}…, but "
            f"{model.path} now records {model.sha256[:12]}…",
            line=card.model_sha256_line,
            field="model.sha256",
        )
