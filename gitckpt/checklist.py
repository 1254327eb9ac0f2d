"""The responsible-release checklist a model card carries (`release_checklist`): items a person
confirms before `git ckpt tag` will release the model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CHECKLIST_FIELD = "release_checklist"
ITEMS = {
    "sensitive_content_audited": "the card and the files shipped with it were checked for "
    "credentials and personal data",
    "licenses_aligned": "the license is compatible with the training data's and base model's, "
    "and redistribution terms are set",
    "third_party_dependencies_listed": "third-party code, data and models the release depends on "
    "are listed",
    "evaluation_environment_documented": "the evaluation's code, data, hardware and software are "
    "documented",
    "training_deviations_documented": "deviations from the published training recipe are "
    "documented",
    "export_controls_stated": "export controls and use restrictions are stated",
}


@dataclass(frozen=True)
class ItemState:
    item: str
    description: str
    confirmed_by: str | None
    confirmed_at: str | None
    note: str | None

    @property
    def confirmed(self) -> bool:
        return bool(self.confirmed_by and self.confirmed_at)


def checklist_state(card_data: dict[str, Any]) -> list[ItemState]:
    recorded = card_data.get(CHECKLIST_FIELD)
    if not isinstance(recorded, dict):
        recorded = {}
    states = []
    for item, description in ITEMS.items():
        entry = recorded.get(item)
        if not isinstance(entry, dict):
            entry = {}
        states.append(
            ItemState(
                item,
                description,
                entry.get("confirmed_by"),
                entry.get("confirmed_at"),
                entry.get("note"),
            )
        )
    return states
