"""What changed in meaning between two versions of one card's front matter, field by field: the
bytes, license, limitations and risks, evaluations (inside or outside their confidence interval,
or not rerun for new bytes), new gaps, contributors, and every other field. `review.py` pairs the
cards of two trees and rates these changes; `provenance.py` lists them in `log`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gitckpt.card import BYTES_FIELD, iter_noassertions
from gitckpt.human_text import human_value
from gitckpt.known_issues import (
    ISSUE_CHANGE_WORDS,
    KNOWN_ISSUES_FIELD,
    issue_changes,
    known_issues,
)
from gitckpt.schema import NOASSERTION_KEY
from gitckpt.strict_yaml import format_field_path

HANDLED = {
    "license",
    "redistribution",
    "limitations",
    "risks",
    "out_of_scope",
    "evaluation",
    "results",
    "contributors",
    "checkpoint",
    "data",
    "log",
    KNOWN_ISSUES_FIELD,
}


@dataclass(frozen=True)
class Change:
    kind: str
    field: str
    summary: str
    old: Any = None
    new: Any = None
    severity: str = "info"


def semantic_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = [*_bytes_changes(old, new)]
    changes += _scalar_change("license-changed", "license", old.get("license"), new.get("license"))
    changes += _scalar_change(
        "redistribution-changed",
        "redistribution",
        old.get("redistribution"),
        new.get("redistribution"),
    )
    changes += _item_changes(
        "limitation", "limitations", old.get("limitations"), new.get("limitations")
    )
    changes += _item_changes("risk", "risks", old.get("risks"), new.get("risks"))
    changes += [
        Change(
            "out-of-scope-removed", "out_of_scope", f"no longer out of scope: {item!r}", item, None
        )
        for item in _as_list(old.get("out_of_scope"))
        if item not in _as_list(new.get("out_of_scope"))
    ]
    changes += _evaluation_changes(old, new)
    changes += _noassertion_changes(old, new)
    changes += _contributor_changes(old.get("contributors"), new.get("contributors"))
    changes += _known_issue_changes(old, new)
    changes += _other_changes(old, new)
    return changes


def _bytes_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    key = next(
        (BYTES_FIELD[kind] for kind in (new.get("kind"), old.get("kind")) if kind in BYTES_FIELD),
        "checkpoint",
    )
    before, after = old.get(key) or {}, new.get(key) or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return
    if before.get("sha256") != after.get("sha256") or before.get("md5") != after.get("md5"):
        yield Change(
            "bytes-changed",
            key,
            f"bytes changed: sha256 {_digest(before)} → {_digest(after)}, size "
            f"{before.get('size')} → {after.get('size')}",
            {k: before.get(k) for k in ("md5", "sha256", "size")},
            {k: after.get(k) for k in ("md5", "sha256", "size")},
        )


def _digest(block: dict[str, Any]) -> str:
    return f"{str(block.get('sha256'))[:12]}…"


def _scalar_change(kind: str, name: str, old: Any, new: Any) -> list[Change]:
    return (
        []
        if old == new
        else [Change(kind, name, f"{name}: {_short(old)} → {_short(new)}", old, new)]
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _item_changes(noun: str, key: str, old: Any, new: Any) -> list[Change]:
    """Items matched by description: missing ones removed, others with other text changed."""
    before = {
        str(item.get("description")): item for item in _as_list(old) if isinstance(item, dict)
    }
    after = {str(item.get("description")): item for item in _as_list(new) if isinstance(item, dict)}
    changes = [
        Change(f"{noun}-removed", key, f"{noun} removed: {description!r}", item, None)
        for description, item in before.items()
        if description not in after
    ]
    changes += [
        Change(
            f"{noun}-changed", key, f"{noun} changed: {description!r}", before[description], item
        )
        for description, item in after.items()
        if description in before and before[description] != item
    ]
    return changes


def evaluation_key(entry: dict[str, Any]) -> tuple[str, ...]:
    dataset = entry.get("dataset") if isinstance(entry.get("dataset"), dict) else {}
    assert isinstance(dataset, dict)
    return (
        str(entry.get("task")),
        str(dataset.get("artifact") or dataset.get("uri")),
        str(dataset.get("split")),
        str(entry.get("metric")),
    )


def _evaluation_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    key = "evaluation" if "evaluation" in old or "evaluation" in new else "results"
    before = {evaluation_key(entry): entry for entry in _entries_in_context(old, key)}
    after = {evaluation_key(entry): entry for entry in _entries_in_context(new, key)}
    changes = [
        Change("evaluation-removed", key, f"evaluation removed: {_label(k)}", entry, None)
        for k, entry in before.items()
        if k not in after
    ]
    changes += [
        Change(
            "evaluation-added",
            key,
            f"evaluation added: {_label(k)} = {entry.get('value')}",
            None,
            entry,
        )
        for k, entry in after.items()
        if k not in before
    ]
    for k in before.keys() & after.keys():
        if before[k].get("value") != after[k].get("value"):
            changes.append(_metric_change(key, k, before[k], after[k]))
    changes += _stale_evaluations(old, new, key, before, after)
    return changes


def _entries_in_context(card: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """A model card's evaluations as they are; an eval card's results with the task and dataset
    the card states once for all of them."""
    entries = [entry for entry in _as_list(card.get(key)) if isinstance(entry, dict)]
    if key != "results":
        return entries
    context: dict[str, Any] = {field: card[field] for field in ("task", "dataset") if field in card}
    return [{**context, **entry} for entry in entries]


def _metric_change(
    key: str, label: tuple[str, ...], before: dict[str, Any], after: dict[str, Any]
) -> Change:
    old_value, new_value = before.get("value"), after.get("value")
    outside = _outside(new_value, before.get("confidence_interval")) or _outside(
        old_value, after.get("confidence_interval")
    )
    dropped = (
        isinstance(old_value, (int, float))
        and isinstance(new_value, (int, float))
        and new_value < old_value
    )
    kind = (
        ("metric-drop-significant" if dropped else "metric-change-significant")
        if outside
        else "metric-change-within-noise"
    )
    verdict = "significant: outside the confidence interval" if outside else "within noise"
    return Change(
        kind, key, f"{_label(label)}: {old_value} → {new_value} ({verdict})", old_value, new_value
    )


def _outside(value: Any, interval: Any) -> bool:
    if (
        not isinstance(value, (int, float))
        or not isinstance(interval, dict)
        or NOASSERTION_KEY in interval
    ):
        return False
    low, high = interval.get("low"), interval.get("high")
    return (
        isinstance(low, (int, float))
        and isinstance(high, (int, float))
        and not low <= value <= high
    )


def _stale_evaluations(
    old: dict[str, Any],
    new: dict[str, Any],
    key: str,
    before: dict[Any, Any],
    after: dict[Any, Any],
) -> list[Change]:
    """The checkpoint changed, but evaluations were carried over untouched."""
    checkpoint_old, checkpoint_new = (old.get("checkpoint") or {}), (new.get("checkpoint") or {})
    if (
        not isinstance(checkpoint_old, dict)
        or not isinstance(checkpoint_new, dict)
        or checkpoint_old.get("sha256") == checkpoint_new.get("sha256")
    ):
        return []
    return [
        Change(
            "evaluation-not-rerun",
            key,
            f"checkpoint changed but this evaluation did not: {_label(k)} still measures "
            "the old bytes",
            None,
            entry,
        )
        for k, entry in after.items()
        if k in before and before[k] == entry
    ]


def _noassertion_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before = {format_field_path(path) for path, _ in iter_noassertions(old)}
    after = {format_field_path(path): reason for path, reason in iter_noassertions(new)}
    return [
        Change(
            "noassertion-added", path, f"new gap: {path} is noassertion ({reason})", None, reason
        )
        for path, reason in after.items()
        if path not in before
    ]


def _contributor_changes(old: Any, new: Any) -> list[Change]:
    before = {str(person.get("name")) for person in _as_list(old) if isinstance(person, dict)}
    after = {str(person.get("name")) for person in _as_list(new) if isinstance(person, dict)}
    if before == after:
        return []
    return [
        Change(
            "contributors-changed",
            "contributors",
            f"contributors: +{human_value(sorted(after - before))} "
            f"−{human_value(sorted(before - after))}",
            sorted(before),
            sorted(after),
        )
    ]


def _known_issue_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Issues added, fixed, or dropped from the card (matched by summary), their text masked:
    `diff`, `log` and `events` show them."""
    found = issue_changes(old, new)
    remaining = {issue.summary for issue in known_issues(new)}
    removed = [issue.masked() for issue in known_issues(old) if issue.summary not in remaining]
    changes = [
        Change(
            "known-issue-added",
            KNOWN_ISSUES_FIELD,
            f"{ISSUE_CHANGE_WORDS['known-issue-added']}: {issue.describe()}",
            None,
            issue.to_json(),
        )
        for issue in (item.masked() for item in found.added)
    ]
    changes += [
        Change(
            "known-issue-resolved",
            KNOWN_ISSUES_FIELD,
            f"{ISSUE_CHANGE_WORDS['known-issue-resolved']}: {issue.describe()}",
            None,
            issue.to_json(),
        )
        for issue in (item.masked() for item in found.fixed)
    ]
    return changes + [
        Change(
            "known-issue-removed",
            KNOWN_ISSUES_FIELD,
            f"{ISSUE_CHANGE_WORDS['known-issue-removed']}: {issue.describe()}",
            issue.to_json(),
            None,
        )
        for issue in removed
    ]


def _other_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before, after = dict(_leaves(old, ())), dict(_leaves(new, ()))
    changes = []
    for path in sorted(set(before) | set(after)):
        if (
            path.split(".")[0].split("[")[0] in HANDLED
            or before.get(path) == after.get(path)
            or _is_gap(after.get(path))
        ):
            continue  # handled by a dedicated change kind (new gaps by noassertion-added)
        changes.append(
            Change(
                "field-changed",
                path,
                f"{path}: {_short(before.get(path))} → {_short(after.get(path))}",
                before.get(path),
                after.get(path),
            )
        )
    return changes


def _is_gap(value: Any) -> bool:
    return isinstance(value, dict) and NOASSERTION_KEY in value


def _leaves(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict) and node and NOASSERTION_KEY not in node:
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list) and node:
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield format_field_path(path), node


def _label(key: tuple[str, ...]) -> str:
    task, dataset, split, metric = key
    return f"{metric} on {dataset}/{split} ({task})"


def _short(value: Any) -> str:
    text = human_value(value)
    return text if len(text) <= 80 else text[:77] + "…"
