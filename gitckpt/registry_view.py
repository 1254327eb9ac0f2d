"""What `git ckpt ls`, `show` and `history` report: the registry read from tags in one pass (plus
the cards in the work tree, for artifacts not yet released), as plain data; no printing."""

from __future__ import annotations

from typing import Any

from gitckpt.errors import GitckptError, UsageError
from gitckpt.inventory import load_inventory
from gitckpt.registry import (
    ArtifactState,
    Event,
    Registry,
    Rejected,
    Release,
    event_order,
    iso,
    read_registry,
)
from gitckpt.repo import Repository
from gitckpt.tags import NAME_RE, parse_tag_name
from gitckpt.trust import trust_root


def list_artifacts(
    repo: Repository,
    *,
    kind: str | None = None,
    stage: str | None = None,
    trust_ref: str | None = None,
) -> list[dict[str, Any]]:
    registry = read_registry(repo, trust_root(repo, trust_ref))
    kinds = {card.name: card.kind for card in load_inventory(repo).cards.values() if card.name}
    rows = []
    for name in sorted(set(registry.artifacts) | set(kinds)):
        state = registry.artifacts.get(name, ArtifactState(name))
        row = _row(state, kinds.get(name), registry.rejected_for(name))
        if (kind is None or row["kind"] == kind) and (stage is None or stage in row["stages"]):
            rows.append(row)
    return rows


def _row(state: ArtifactState, card_kind: str | None, rejected: list[Rejected]) -> dict[str, Any]:
    latest = state.latest
    record_kind = (latest.event.record or {}).get("artifact", {}).get("kind") if latest else None
    return {
        "name": state.name,
        "kind": card_kind or record_kind or "?",
        "latest": latest.version if latest else None,
        "stages": dict(sorted(state.stages.items())),
        "versions": len([release for release in state.releases.values() if not release.withdrawn]),
        "deprecated": state.deprecation is not None,
        "notes": _notes(state, rejected),
    }


def _notes(state: ArtifactState, rejected: list[Rejected]) -> list[str]:
    lightweight = [
        f"{event.tag} is a lightweight tag: it carries no record"
        for event in state.events
        if not event.annotated
    ]
    return lightweight + [f"{item.event.tag} is ignored: {item.reason}" for item in rejected]


def show(repo: Repository, reference: str, *, trust_ref: str | None = None) -> dict[str, Any]:
    """An artifact (NAME), or one release (NAME@vX.Y.Z, NAME@latest, NAME#STAGE)."""
    registry = read_registry(repo, trust_root(repo, trust_ref))
    name, selector = _split_reference(reference)
    state = registry.artifact(name)
    if state is None:
        known = load_inventory(repo).cards.values()
        if any(card.name == name for card in known):
            view: dict[str, Any] = {
                "name": name,
                "releases": [],
                "stages": {},
                "deprecated": None,
                "note": "not released yet: `git ckpt tag NAME`",
                "notes": _notes(ArtifactState(name), registry.rejected_for(name)),
                "trust": _trust(registry),
            }
            return {**view, **baseline_view(repo, name)}
        raise GitckptError(f"no artifact named {name!r} in this repository")
    if selector is None:
        return {**_artifact_view(registry, state), **baseline_view(repo, name)}
    return release_view(registry, state, _select(state, selector, reference))


def baseline_view(repo: Repository, name: str) -> dict[str, Any]:
    """For an eval card naming a baseline: each shared metric's difference and its interval."""
    from gitckpt.card import parse_card
    from gitckpt.evaluation import compare_to_baseline
    from gitckpt.files import CARD_SIZE_LIMIT, read_text

    cards = {
        card.name: card
        for card in load_inventory(repo).cards.values()
        if card.name and card.kind == "eval"
    }
    card = cards.get(name)
    if card is None:
        return {}
    data = parse_card(read_text(repo.root / card.path, CARD_SIZE_LIMIT, card.path), card.path).data
    baseline_name = (
        (data.get("baseline") or {}).get("artifact")
        if isinstance(data.get("baseline"), dict)
        else None
    )
    baseline = cards.get(str(baseline_name))
    if baseline is None:
        return {}
    other = parse_card(
        read_text(repo.root / baseline.path, CARD_SIZE_LIMIT, baseline.path), baseline.path
    ).data
    comparisons = compare_to_baseline(data.get("results") or [], other.get("results") or [])
    return {
        "baseline": {"artifact": baseline_name, "comparisons": [vars(item) for item in comparisons]}
    }


def _split_reference(reference: str) -> tuple[str, str | None]:
    for separator in ("@", "#"):
        if separator in reference:
            name, rest = reference.split(separator, 1)
            selector = separator + rest
            break
    else:
        name, selector = reference, None
    if not NAME_RE.match(name):
        raise UsageError(
            f"expected NAME, NAME@vX.Y.Z, NAME@latest or NAME#STAGE; got {reference!r}"
        )
    return name, selector


def _select(state: ArtifactState, selector: str, reference: str) -> Release:
    if selector == "@latest":
        release = state.latest
    elif selector.startswith("#"):
        version = state.stages.get(selector[1:])
        release = state.releases.get(version) if version else None
    else:
        parsed = parse_tag_name(f"{state.name}{selector}")
        release = state.releases.get(parsed.version) if parsed and parsed.version else None
    if release is None:
        raise GitckptError(f"{reference} names no release; `git ckpt show {state.name}` lists them")
    return release


def _artifact_view(registry: Registry, state: ArtifactState) -> dict[str, Any]:
    return {
        "name": state.name,
        "latest": state.latest.version if state.latest else None,
        "stages": dict(sorted(state.stages.items())),
        "deprecated": _deprecation(state.deprecation),
        "releases": [_release_summary(registry, release) for release in _by_version(state)],
        "notes": _notes(state, registry.rejected_for(state.name)),
        "trust": _trust(registry),
    }


def _trust(registry: Registry) -> dict[str, str]:
    assert registry.trust is not None  # read_registry judged it
    return {**registry.trust.to_json(), "description": registry.trust.describe()}


def _by_version(state: ArtifactState) -> list[Release]:
    from gitckpt.tags import Version

    return sorted(
        state.releases.values(),
        key=lambda release: Version.parse(release.version) or Version(0, 0, 0),
        reverse=True,
    )


def _release_summary(registry: Registry, release: Release) -> dict[str, Any]:
    event = release.event
    signature = registry.signature(event)
    return {
        "version": release.version,
        "tag": event.tag,
        "commit": event.commit,
        "created": iso(event.created),
        "author": event.author,
        "signed": signature.verified,
        "signature": signature.to_json(),
        "withdrawn": release.withdrawn,
        "stages": sorted(set(release.stages)),
        "has_record": event.record is not None,
    }


def release_view(registry: Registry, state: ArtifactState, release: Release) -> dict[str, Any]:
    current = sorted(stage for stage, version in state.stages.items() if version == release.version)
    return {
        **_release_summary(registry, release),
        "name": state.name,
        "current_stages": current,
        "record": release.event.record,
        "trust": _trust(registry),
    }


def _deprecation(event: Event | None) -> dict[str, Any] | None:
    if event is None:
        return None
    record = event.record or {}
    return {
        "tag": event.tag,
        "created": iso(event.created),
        "sunset": record.get("sunset"),
        "reason": record.get("reason"),
    }


def history(
    repo: Repository,
    name: str | None = None,
    *,
    include_rejected: bool = False,
    trust_ref: str | None = None,
) -> list[dict[str, Any]]:
    """The events that count, oldest first; with `include_rejected`, also those that do not, with why."""
    registry = read_registry(repo, trust_root(repo, trust_ref))
    rejected = registry.rejected_for(name) if name else registry.rejected
    if name is not None and registry.artifact(name) is None and not rejected:
        raise GitckptError(f"no releases, stages or deprecation recorded for {name!r}")
    states = (
        [registry.artifacts[name]]
        if name and name in registry.artifacts
        else []
        if name
        else list(registry.artifacts.values())
    )
    rows: list[tuple[Event, str | None]] = [
        (event, None) for state in states for event in state.events
    ]
    rows += [(item.event, item.reason) for item in rejected] if include_rejected else []
    return [
        _history_row(registry, event, reason)
        for event, reason in sorted(rows, key=lambda row: (row[0].created, event_order(row[0])))
    ]


def _history_row(registry: Registry, event: Event, rejected: str | None) -> dict[str, Any]:
    signature = registry.signature(event)
    return {
        **event.to_json(),
        "created": iso(event.created),
        "version": _event_version(registry, event),
        "signed": signature.verified,
        "signature": signature.to_json(),
        "counts": rejected is None,
        "rejected": rejected,
        "trust": registry.trust.describe() if registry.trust else "",
    }


def _event_version(registry: Registry, event: Event) -> str | None:
    if event.version or event.stage is None:
        return event.version
    state = registry.artifacts.get(event.artifact)
    return state.version_at(event.commit) if state else None
