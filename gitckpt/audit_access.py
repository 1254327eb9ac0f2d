"""The access section of `git ckpt audit`: every artifact by its card's level, where its bytes are
per DVC remote (when remote holdings are given), embargoes ending soon, and restricted datasets
that state no samples (GC507).

Where bytes are is not read here: a remote is slow to ask and may need credentials. `holdings`
is the seam: what `check --remote` found, by artifact and remote, passed in by the caller (the
command reads it from `--holdings FILE`). Without it the audit says the places are unknown."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gitckpt import storage
from gitckpt.access_routes import NO_REMOTE, utc_today
from gitckpt.checks.access import restricted_level, states_samples
from gitckpt.checks.remote import pointer_md5s
from gitckpt.errors import GitckptError, InputError
from gitckpt.file_facts import CardFacts, Inventory
from gitckpt.files import CARD_SIZE_LIMIT, read_limited
from gitckpt.strict_json import load_json

EMBARGO_WINDOW_DAYS = 30
NO_LEVEL = "(none)"
# artifact name -> DVC remote -> whether the artifact's bytes are there
Holdings = Mapping[str, Mapping[str, bool]]


@dataclass(frozen=True)
class AccessInputs:
    """What the access section takes from outside the repository: what `check --remote` found
    (None: unknown) or whether to ask the remotes now, and the day embargoes are counted from
    (None: today in UTC)."""

    holdings: Holdings | None = None
    today: datetime.date | None = None
    ask_remotes: bool = False


@dataclass(frozen=True)
class AuditedArtifact:
    artifact: str
    kind: str | None
    card: str
    line: int
    until: str | None
    remotes: dict[str, bool] | None  # None: no holdings were given for it


@dataclass(frozen=True)
class LevelGroup:
    level: str
    defined: bool  # whether the policy defines the level
    allowed_remotes: tuple[str, ...] | None  # None: any remote
    artifacts: tuple[AuditedArtifact, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "defined": self.defined,
            "allowed_remotes": self.allowed_remotes,
            "count": len(self.artifacts),
            "artifacts": [asdict(item) for item in self.artifacts],
        }


@dataclass(frozen=True)
class Embargo:
    artifact: str
    card: str
    line: int
    level: str | None
    until: str
    days_left: int


@dataclass(frozen=True)
class AccessAudit:
    levels: tuple[LevelGroup, ...]
    embargoes_ending: tuple[Embargo, ...]
    without_samples: tuple[AuditedArtifact, ...]
    today: str
    holdings_given: bool

    def summary(self) -> dict[str, int]:
        return {
            **{f"level_{group.level}": len(group.artifacts) for group in self.levels},
            "embargoes_ending": len(self.embargoes_ending),
            "restricted_without_samples": len(self.without_samples),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "today": self.today,
            "embargo_window_days": EMBARGO_WINDOW_DAYS,
            "holdings_given": self.holdings_given,
            "summary": self.summary(),
            "levels": [group.to_json() for group in self.levels],
            "embargoes_ending": [asdict(item) for item in self.embargoes_ending],
            "restricted_without_samples": [asdict(item) for item in self.without_samples],
        }


def audit_access(inventory: Inventory, inputs: AccessInputs) -> AccessAudit:
    """The access section for the cards of `inventory`."""
    holdings, today = inputs.holdings, inputs.today or utc_today()
    cards = sorted((card for card in inventory.cards.values() if card.name), key=_by_name)
    audited = {card.path: _audited(card, holdings) for card in cards}
    closed = restricted_level(inventory)
    return AccessAudit(
        levels=_levels(inventory, cards, audited),
        embargoes_ending=tuple(_embargoes(cards, today)),
        without_samples=tuple(
            audited[card.path]
            for card in cards
            if card.kind == "dataset" and card.access_level == closed and not states_samples(card)
        ),
        today=today.isoformat(),
        holdings_given=holdings is not None,
    )


def _by_name(card: CardFacts) -> tuple[str, str]:
    return str(card.name), card.path


def _audited(card: CardFacts, holdings: Holdings | None) -> AuditedArtifact:
    held = None if holdings is None else dict(holdings.get(str(card.name), {}))
    return AuditedArtifact(
        str(card.name), card.kind, card.path, card.access_level_line, card.access_until, held
    )


def _levels(
    inventory: Inventory, cards: list[CardFacts], audited: dict[str, AuditedArtifact]
) -> tuple[LevelGroup, ...]:
    """The policy's levels in its order (most open first), empty ones too; then any level a card
    states that the policy does not define, and cards that state none."""
    groups = [
        LevelGroup(
            level.name,
            True,
            level.remotes,
            tuple(audited[card.path] for card in cards if card.access_level == level.name),
        )
        for level in inventory.config.access_levels
    ]
    defined = {level.name for level in inventory.config.access_levels}
    others = sorted({card.access_level or NO_LEVEL for card in cards} - defined)
    groups += [
        LevelGroup(
            other,
            False,
            (),
            tuple(audited[card.path] for card in cards if (card.access_level or NO_LEVEL) == other),
        )
        for other in others
    ]
    return tuple(groups)


def _embargoes(cards: list[CardFacts], today: datetime.date) -> list[Embargo]:
    """Embargoes ending within the window from today (today included), soonest first."""
    found = []
    for card in cards:
        end = _date(card.access_until)
        if end is not None and 0 <= (end - today).days <= EMBARGO_WINDOW_DAYS:
            found.append(
                Embargo(
                    str(card.name),
                    card.path,
                    card.access_level_line,
                    card.access_level,
                    str(card.access_until),
                    (end - today).days,
                )
            )
    return sorted(found, key=lambda item: (item.until, item.artifact))


def _date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None  # the schema (GC103) reports a malformed date


def asked_holdings(root: Path, inventory: Inventory) -> Holdings:
    """`--remote`: where each artifact's bytes are, asked of every DVC remote this checkout
    configures (as `check --remote` asks them, through DVC's own status): {artifact: {remote:
    true when it holds all of them}}."""
    remotes, _ = storage.configured_remotes(root)
    if not remotes:
        raise GitckptError(NO_REMOTE)
    md5s = pointer_md5s(inventory, inventory.cards.values())
    wanted = sorted(set(md5s.values()))
    shares = storage.remote_shares(root, {remote: wanted for remote in sorted(remotes)})
    return {
        str(inventory.cards[path].name): {
            remote: shares[remote][md5] == "all" for remote in sorted(remotes)
        }
        for path, md5 in md5s.items()
        if inventory.cards[path].name
    }


def read_holdings(path: Path) -> Holdings:
    """`--holdings FILE`: a JSON object {artifact: {remote: true|false}}, what `check --remote`
    found; an InputError naming the file and the entry otherwise."""
    display = str(path)
    data = load_json(
        read_limited(path, CARD_SIZE_LIMIT, display), display, max_bytes=CARD_SIZE_LIMIT
    )
    if not isinstance(data, dict):
        raise InputError("expected a JSON object {artifact: {remote: true|false}}", path=display)
    for artifact, remotes in data.items():
        if not isinstance(remotes, dict) or not all(
            isinstance(held, bool) for held in remotes.values()
        ):
            raise InputError(
                "expected an object {remote: true|false}", path=display, field=str(artifact)
            )
    return data
