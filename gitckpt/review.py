"""The semantic diff of cards between two revisions: what changed in meaning, and how serious
each change is under the repository's review policy (`review:` in .gitckpt/config.yaml)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gitckpt.card import BYTES_FIELD, Card, iter_noassertions, parse_card
from gitckpt.checks.sensitive import mask_secrets
from gitckpt.errors import GitckptError, InputError, UsageError
from gitckpt.evaluation import compare_to_baseline, describe
from gitckpt.files import CARD_SIZE_LIMIT, decode_text
from gitckpt.repo import Repository, commit_id, default_branch, git
from gitckpt.schema import NOASSERTION_KEY
from gitckpt.sources import RevisionSource, Source, WorkTreeSource
from gitckpt.strict_yaml import format_field_path
from gitckpt.trust import policy_at

DEFAULT_SEVERITY = {
    "bytes-changed": "info",
    "license-changed": "error",
    "redistribution-changed": "warning",
    "limitation-removed": "error",
    "limitation-changed": "warning",
    "risk-removed": "error",
    "risk-changed": "warning",
    "out-of-scope-removed": "error",
    "metric-drop-significant": "warning",
    "metric-change-significant": "info",
    "metric-change-within-noise": "info",
    "evaluation-removed": "warning",
    "evaluation-added": "info",
    "evaluation-not-rerun": "error",
    "noassertion-added": "warning",
    "contributors-changed": "info",
    "field-changed": "info",
    "prose-changed": "info",
    "card-added": "info",
    "card-deleted": "warning",
    "card-renamed": "info",
    "card-invalid": "error",
    "baseline-comparison": "info",
}
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
}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2, "off": 3}


@dataclass(frozen=True)
class Change:
    kind: str
    field: str
    summary: str
    old: Any = None
    new: Any = None
    severity: str = "info"


@dataclass
class CardDiff:
    name: str
    old_path: str | None
    new_path: str | None
    changes: list[Change] = field(default_factory=list)
    prose: str = ""

    @property
    def status(self) -> str:
        if self.old_path is None:
            return "added"
        if self.new_path is None:
            return "deleted"
        return "renamed" if self.old_path != self.new_path else "modified"

    @property
    def worst(self) -> str:
        return min(
            (change.severity for change in self.changes),
            key=SEVERITY_ORDER.__getitem__,
            default="info",
        )


def diff_sources(base: Source, head: Source, severities: dict[str, str]) -> list[CardDiff]:
    """Every card that differs between the two trees, paired by name across renames."""
    old_cards, new_cards = _cards(base), _cards(head)
    old_by_name = {
        card.data.get("name"): path for path, card in old_cards.items() if isinstance(card, Card)
    }
    new_by_name = {
        card.data.get("name"): path for path, card in new_cards.items() if isinstance(card, Card)
    }
    pairs: list[tuple[str | None, str | None]] = []
    for path in sorted(set(old_cards) | set(new_cards)):
        if path in old_cards and path in new_cards:
            pairs.append((path, path))
        elif path in new_cards:
            old = _renamed_from(new_cards[path], old_by_name, new_cards)
            pairs.append((old, path))
        elif not _renamed_to(old_cards[path], new_by_name, old_cards):
            pairs.append((path, None))
    diffs = [
        _diff_pair(
            old_cards.get(old) if old else None, new_cards.get(new) if new else None, old, new
        )
        for old, new in pairs
    ]
    heads = {
        str(card.data.get("name")): card.data
        for card in new_cards.values()
        if isinstance(card, Card)
    }
    for diff in diffs:
        if diff.changes and diff.new_path is not None:
            diff.changes.extend(_baseline_changes(heads.get(diff.name, {}), heads))
    changed = [diff for diff in diffs if diff.changes]
    for diff in changed:
        diff.changes = [
            Change(
                c.kind,
                c.field,
                c.summary,
                c.old,
                c.new,
                severities.get(c.kind, DEFAULT_SEVERITY[c.kind]),
            )
            for c in diff.changes
        ]
        diff.changes = [change for change in diff.changes if change.severity != "off"]
    return [diff for diff in changed if diff.changes]


def _baseline_changes(card: dict[str, Any], heads: dict[str, dict[str, Any]]) -> list[Change]:
    """An eval card that names a baseline: how each result compares, inside or outside noise."""

    baseline = card.get("baseline")
    if not isinstance(baseline, dict):
        return []
    against = baseline.get("artifact")
    other = heads.get(str(against))
    if other is None:
        return []
    comparisons = compare_to_baseline(card.get("results") or [], other.get("results") or [])
    return [
        Change("baseline-comparison", "results", f"against {against}: {describe(item)}")
        for item in comparisons
    ]


def _cards(source: Source) -> dict[str, Card | InputError]:
    """Every card of `source` as a review shows it: parsed from its text with credentials masked,
    so no value, summary, prose line or error message of the review can carry one."""

    paths = [path for path in source.files() if path.endswith(".card.md")]
    parsed: dict[str, Card | InputError] = {}
    for path, content in source.read(paths, lambda _: CARD_SIZE_LIMIT).items():
        try:
            parsed[path] = (
                parse_card(mask_secrets(decode_text(content, path)), path)
                if isinstance(content, bytes)
                else content
            )
        except InputError as error:
            parsed[path] = error
    return parsed


def _renamed_from(
    card: Card | InputError, old_by_name: dict[Any, str], new_cards: dict[str, Card | InputError]
) -> str | None:
    if not isinstance(card, Card):
        return None
    old = old_by_name.get(card.data.get("name"))
    return old if old is not None and old not in new_cards else None


def _renamed_to(
    card: Card | InputError, new_by_name: dict[Any, str], old_cards: dict[str, Card | InputError]
) -> bool:
    if not isinstance(card, Card):
        return False
    new = new_by_name.get(card.data.get("name"))
    return new is not None and new not in old_cards


def _diff_pair(
    old: Card | InputError | None,
    new: Card | InputError | None,
    old_path: str | None,
    new_path: str | None,
) -> CardDiff:
    name = next(
        (str(card.data.get("name")) for card in (new, old) if isinstance(card, Card)),
        new_path or old_path or "?",
    )
    diff = CardDiff(name=name, old_path=old_path, new_path=new_path)
    for side, card in (("base", old), ("head", new)):
        if isinstance(card, InputError):
            diff.changes.append(
                Change("card-invalid", "", f"the card cannot be read on the {side} side: {card}")
            )
    if isinstance(old, InputError) or isinstance(new, InputError):
        return diff
    if old is None and isinstance(new, Card):
        diff.changes.append(Change("card-added", "", f"new card {new_path}"))
        return diff
    if new is None and isinstance(old, Card):
        diff.changes.append(Change("card-deleted", "", f"card {old_path} deleted"))
        return diff
    assert isinstance(old, Card) and isinstance(new, Card)
    if old_path != new_path:
        diff.changes.append(
            Change("card-renamed", "", f"moved {old_path} → {new_path}", old_path, new_path)
        )
    diff.changes.extend(semantic_changes(old.data, new.data))
    if old.body != new.body:
        diff.prose = "".join(
            difflib.unified_diff(
                old.body.splitlines(True),
                new.body.splitlines(True),
                f"a/{old_path}",
                f"b/{new_path}",
                n=2,
            )
        )
        diff.changes.append(
            Change("prose-changed", "", f"prose changed ({_count_lines(diff.prose)})")
        )
    return diff


def _count_lines(patch: str) -> str:
    added = sum(
        1 for line in patch.splitlines() if line.startswith("+") and not line.startswith("+++")
    )
    removed = sum(
        1 for line in patch.splitlines() if line.startswith("-") and not line.startswith("---")
    )
    return f"+{added} −{removed} lines"


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
            f"contributors: +{sorted(after - before)} −{sorted(before - after)}",
            sorted(before),
            sorted(after),
        )
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
    text = "(none)" if value is None else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def resolve_base(repo: Repository, base: str | None) -> str:
    """The commit to compare against; a clear error when it does not exist (or a shallow clone lacks
    it)."""
    if base is None:
        branch = default_branch(repo)
        if branch is None:
            raise UsageError(
                "no default branch (origin/HEAD, main or master) to compare with: name the "
                "base, e.g. `git ckpt diff origin/develop`"
            )
        merge_base = git(["merge-base", branch, "HEAD"], repo.root, check=False).strip()
        if not merge_base:
            raise GitckptError(
                f"HEAD shares no history with {branch}; name the base revision explicitly"
            )
        return merge_base
    commit = commit_id(repo, base)
    if commit:
        return commit
    if git(["rev-parse", "--is-shallow-repository"], repo.root).strip() == "true":
        raise UsageError(
            f"{base!r} is not in this shallow clone.\n"
            "Fetch it first, e.g. `git fetch --unshallow` or `git fetch origin "
            f"{base.removeprefix('origin/')} --depth=50`\n"
            "(in GitHub Actions: actions/checkout with `fetch-depth: 0`)."
        )
    raise UsageError(f"{base!r} is not a revision in this repository")


def card_diff(
    repo: Repository, base: str | None = None, head: str | None = None
) -> tuple[str, str, list[CardDiff]]:
    """The card review between `base` and `head`, rated by the base revision's `review:` policy
    (a change must not choose the severities it is judged by)."""
    base_commit = resolve_base(repo, base)
    head_source: Source = (
        RevisionSource(repo, resolve_base(repo, head), resolved=True)
        if head
        else WorkTreeSource(repo)
    )
    diffs = diff_sources(
        RevisionSource(repo, base_commit, resolved=True),
        head_source,
        policy_at(repo, base_commit).review,
    )
    return base_commit, head_source.revision or "work tree", diffs
