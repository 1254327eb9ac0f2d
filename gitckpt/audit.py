"""`git ckpt audit`: the metadata quality of the whole registry, from the cards committed at a
revision and the registry's tags. A report, not a gate:

- honest gaps: every front-matter field holding `{noassertion: "<reason>"}`, grouped by field;
- stale cards: the bytes (the DVC pointer) changed more than N days after the card last did;
- deprecated artifacts that cards which are not deprecated themselves still link to;
- releases whose tag is not signed (or is a lightweight tag, with no record at all);
- access (audit_access.py): every artifact by level, where its bytes are per remote when remote
  holdings are given, embargoes ending within 30 days, restricted datasets without samples.

Card facts come from the inventory (cached by content, as `check` reads them) and the dates
from one history walk for every card and pointer.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import asdict, dataclass
from typing import Any

from gitckpt.audit_access import AccessAudit, AccessInputs, asked_holdings, audit_access
from gitckpt.checks.deprecation import deprecated_links
from gitckpt.errors import UsageError
from gitckpt.file_facts import CardFacts, Inventory
from gitckpt.history import LastChange, last_changes
from gitckpt.inventory import load_inventory
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.registry import RegistryState, iso, read_registry
from gitckpt.repo import Repository, resolve_commit
from gitckpt.tag_events import Event
from gitckpt.tags import REGISTER
from gitckpt.trust import trust_root

REPORT_FORMAT = 1
SECONDS_PER_DAY = 86400
_LIST_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class Gap:
    artifact: str | None
    card: str
    line: int
    exact_field: str  # `training_data[0].license`; the group's field is `training_data[].license`
    reason: str


@dataclass(frozen=True)
class GapGroup:
    field: str
    gaps: tuple[Gap, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "count": len(self.gaps),
            "artifacts": [asdict(gap) for gap in self.gaps],
        }


@dataclass(frozen=True)
class StaleCard:
    artifact: str
    card: str
    pointer: str
    card_changed: str
    card_commit: str
    pointer_changed: str
    pointer_commit: str
    days_behind: int


@dataclass(frozen=True)
class LinkingCard:
    artifact: str
    card: str
    field: str
    line: int


@dataclass(frozen=True)
class DeprecatedLinked:
    artifact: str
    tag: str
    sunset: str | None
    reason: str | None
    linked_from: tuple[LinkingCard, ...]


@dataclass(frozen=True)
class UnverifiedEvent:
    """A registry tag whose signature the trust root does not verify, or that does not count."""

    tag: str
    artifact: str
    version: str | None
    commit: str
    created: str
    author: str
    lightweight: bool  # no tag object: no tagger, no record, nothing to sign
    action: str = REGISTER
    signature: str = "unsigned"
    ignored: str | None = None  # why the registry ignores it, when it does


@dataclass(frozen=True)
class InputUse:
    artifact: str
    card: str
    field: str
    line: int


@dataclass(frozen=True)
class UncardedInput:
    """A dataset, source or base model that cards use but this registry has no card for."""

    name: str  # the artifact name it is linked by, or its URI
    used_by: tuple[InputUse, ...]


@dataclass(frozen=True)
class AuditReport:
    revision: str
    stale_days: int
    cards_audited: int
    noassertion: tuple[GapGroup, ...]
    stale_cards: tuple[StaleCard, ...]
    deprecated_linked: tuple[DeprecatedLinked, ...]
    unsigned_releases: tuple[UnverifiedEvent, ...]
    uncarded_inputs: tuple[UncardedInput, ...] = ()
    unverified_events: tuple[UnverifiedEvent, ...] = ()  # stage moves, withdrawals, deprecations
    ignored_events: tuple[UnverifiedEvent, ...] = ()
    trust: str = ""
    access: AccessAudit | None = None

    def summary(self) -> dict[str, int]:
        return {
            "cards_audited": self.cards_audited,
            "noassertion_gaps": sum(len(group.gaps) for group in self.noassertion),
            "noassertion_fields": len(self.noassertion),
            "stale_cards": len(self.stale_cards),
            "deprecated_linked": len(self.deprecated_linked),
            "unsigned_releases": len(self.unsigned_releases),
            "uncarded_inputs": len(self.uncarded_inputs),
            "unverified_events": len(self.unverified_events),
            "ignored_events": len(self.ignored_events),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "revision": self.revision,
            "stale_days": self.stale_days,
            "summary": self.summary(),
            "noassertion": [group.to_json() for group in self.noassertion],
            "stale_cards": [asdict(card) for card in self.stale_cards],
            "deprecated_linked": [asdict(item) for item in self.deprecated_linked],
            "unsigned_releases": [asdict(release) for release in self.unsigned_releases],
            "uncarded_inputs": [asdict(item) for item in self.uncarded_inputs],
            "unverified_events": [asdict(event) for event in self.unverified_events],
            "ignored_events": [asdict(event) for event in self.ignored_events],
            "trust": self.trust,
            "access": self.access.to_json() if self.access else None,
        }


def audit(
    repo: Repository,
    revision: str = "HEAD",
    stale_days: int | None = None,
    *,
    trust_ref: str | None = None,
    access: AccessInputs | None = None,
) -> AuditReport:
    """The audit of the cards committed at `revision`; `stale_days` defaults to the policy's
    `audit.stale_days` at that revision; `access` what the access section takes from outside
    the repository."""
    if stale_days is not None and stale_days < 0:
        raise UsageError(f"--stale-days {stale_days}: expected a number of days, 0 or more")
    inventory = load_inventory(repo, revision=resolve_commit(repo, revision, "audit"))
    report = audit_inventory(
        inventory, read_registry(repo, trust_root(repo, trust_ref)), stale_days
    )
    access = access or AccessInputs()
    if access.ask_remotes:
        access = dataclasses.replace(access, holdings=asked_holdings(repo.root, inventory))
    return dataclasses.replace(report, access=audit_access(inventory, access))


def audit_inventory(
    inventory: Inventory, registry: RegistryState, stale_days: int | None = None
) -> AuditReport:
    """The audit of cards already read at one commit, and of the registry: for a caller (the
    site) that has read both for its own use."""
    commit = inventory.source.revision
    if commit is None:
        raise ValueError("an audit reads the cards of a commit, not of the work tree")
    days = inventory.config.stale_days if stale_days is None else stale_days
    unverified = _unverified_events(registry)
    return AuditReport(
        revision=commit,
        stale_days=days,
        cards_audited=len(inventory.cards),
        noassertion=_gaps(inventory),
        stale_cards=_stale_cards(inventory.repo, commit, inventory, days),
        deprecated_linked=_deprecated_linked(inventory),
        unsigned_releases=tuple(
            event for event in unverified if event.action == REGISTER and event.ignored is None
        ),
        unverified_events=tuple(
            event for event in unverified if event.action != REGISTER and event.ignored is None
        ),
        ignored_events=tuple(event for event in unverified if event.ignored is not None),
        trust=registry.trust.describe() if registry.trust else "",
        uncarded_inputs=_uncarded_inputs(inventory),
    )


def _gaps(inventory: Inventory) -> tuple[GapGroup, ...]:
    groups: dict[str, list[Gap]] = {}
    for card in sorted(inventory.cards.values(), key=lambda card: card.path):
        for gap in card.gaps:
            groups.setdefault(_LIST_INDEX.sub("[]", gap.field), []).append(
                Gap(card.name, card.path, gap.line, gap.field, gap.reason)
            )
    return tuple(
        GapGroup(field, tuple(gaps))
        for field, gaps in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    )


def _stale_cards(
    repo: Repository, commit: str, inventory: Inventory, days: int
) -> tuple[StaleCard, ...]:
    pairs = {
        card.path: pointer
        for card in inventory.cards.values()
        if (pointer := _pointer_of(card, inventory))
    }
    changes = last_changes(repo, commit, [*pairs, *pairs.values()])
    stale = []
    for card_path, pointer in sorted(pairs.items()):
        card_change, pointer_change = changes.get(card_path), changes.get(pointer)
        if (
            card_change
            and pointer_change
            and pointer_change.time - card_change.time > days * SECONDS_PER_DAY
        ):
            name = inventory.cards[card_path].name or card_path
            stale.append(_stale_card(name, card_path, card_change, pointer, pointer_change))
    return tuple(stale)


def _pointer_of(card: CardFacts, inventory: Inventory) -> str | None:
    pointer = f"{card.data_relpath}{POINTER_SUFFIX}" if card.name and card.data_relpath else None
    return pointer if pointer in inventory.pointers else None


def _stale_card(
    name: str, card_path: str, card_change: LastChange, pointer: str, pointer_change: LastChange
) -> StaleCard:
    return StaleCard(
        artifact=name,
        card=card_path,
        pointer=pointer,
        card_changed=iso(card_change.time),
        card_commit=card_change.commit,
        pointer_changed=iso(pointer_change.time),
        pointer_commit=pointer_change.commit,
        days_behind=(pointer_change.time - card_change.time) // SECONDS_PER_DAY,
    )


def _deprecated_linked(inventory: Inventory) -> tuple[DeprecatedLinked, ...]:
    """Links from cards that are not deprecated themselves, grouped by the deprecated artifact."""
    linking: dict[str, list[LinkingCard]] = {}
    for card, link, deprecation in deprecated_links(inventory):
        if card.name and card.name not in inventory.deprecations:
            linking.setdefault(deprecation.artifact, []).append(
                LinkingCard(card.name, card.path, link.field, link.line)
            )
    return tuple(
        DeprecatedLinked(
            name,
            found.tag,
            found.sunset,
            found.reason,
            tuple(sorted(linking[name], key=lambda item: (item.card, item.line))),
        )
        for name, found in sorted(inventory.deprecations.items())
        if name in linking
    )


def _uncarded_inputs(inventory: Inventory) -> tuple[UncardedInput, ...]:
    """Training data, sources and base models named by URI, or by an artifact with no card here."""
    carded = {card.name for card in inventory.cards.values() if card.name}
    uses: dict[str, list[InputUse]] = {}
    for card in sorted(inventory.cards.values(), key=lambda card: card.path):
        for entry in card.upstream:
            if entry["target"] not in carded:
                use = InputUse(
                    card.name or card.path,
                    card.path,
                    _without_license(entry["field"]),
                    entry["line"],
                )
                uses.setdefault(entry["name"], []).append(use)
    return tuple(UncardedInput(name, tuple(found)) for name, found in sorted(uses.items()))


def _without_license(field: str) -> str:
    """The upstream facts name the license field when one is declared; the input is its parent."""
    return field.removesuffix(".license")


def _unverified_events(registry: RegistryState) -> list[UnverifiedEvent]:
    """Every registry event whose signature is not verified, and every event that does not count."""
    counted = [
        (event, None)
        for name in sorted(registry.artifacts)
        for event in registry.artifacts[name].events
    ]
    rows = [*counted, *((item.event, item.reason) for item in registry.rejected)]
    return [
        _unverified(registry, event, reason)
        for event, reason in rows
        if reason or not registry.signature(event).verified
    ]


def _unverified(registry: RegistryState, event: Event, reason: str | None) -> UnverifiedEvent:
    return UnverifiedEvent(
        event.tag,
        event.artifact,
        event.version,
        event.commit,
        iso(event.created),
        event.author,
        not event.annotated,
        event.action,
        registry.signature(event).describe(),
        reason,
    )
