"""The semantic diff of cards between two revisions: each card paired with itself across renames,
what changed in meaning (card_changes.py, field by field), and how serious each change is under
the base revision's review policy (`review:` in .gitckpt/config.yaml)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from gitckpt.cache import Cache
from gitckpt.card import Card, parse_card
from gitckpt.card_changes import Change, semantic_changes
from gitckpt.errors import GitckptError, InputError, UsageError
from gitckpt.evaluation import compare_to_baseline, describe
from gitckpt.files import CARD_SIZE_LIMIT, decode_text
from gitckpt.hashing import git_blob_id
from gitckpt.parsed_cards import ParsedCards
from gitckpt.repo import Repository, commit_id, default_branch, git
from gitckpt.review_access import access_changes
from gitckpt.secrets import mask_secrets
from gitckpt.sources import RevisionSource, Source, WorkTreeSource
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
    "known-issue-added": "info",
    "known-issue-resolved": "info",
    "known-issue-removed": "warning",
    "field-changed": "info",
    "prose-changed": "info",
    "card-added": "info",
    "card-deleted": "warning",
    "card-renamed": "info",
    "card-invalid": "error",
    "baseline-comparison": "info",
}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2, "off": 3}


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


def diff_sources(
    base: Source, head: Source, severities: dict[str, str], parses: ParsedCards
) -> list[CardDiff]:
    """Every card that differs between the two trees, paired by name across renames."""
    old_cards, new_cards = _cards(base, parses), _cards(head, parses)
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


def _cards(source: Source, parses: ParsedCards) -> dict[str, Card | InputError]:
    """Every card of `source` as a review shows it: parsed from its text with credentials masked,
    so no value, summary, prose line or error message of the review can carry one."""

    paths = [path for path in source.files() if path.endswith(".card.md")]
    parsed: dict[str, Card | InputError] = {}
    for path, content in source.read(paths, lambda _: CARD_SIZE_LIMIT).items():
        try:
            parsed[path] = (
                _masked_card(path, content, parses) if isinstance(content, bytes) else content
            )
        except InputError as error:
            parsed[path] = error
    return parsed


def _masked_card(path: str, content: bytes, parses: ParsedCards) -> Card:
    """The card with its credentials masked; one that holds none is the card as committed, whose
    parse other commands share."""
    text = decode_text(content, path)
    masked = mask_secrets(text)
    if masked != text:
        return parse_card(masked, path)
    return parses.card(git_blob_id(content), text, path)


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
    repo: Repository,
    base: str | None = None,
    head: str | None = None,
    trust_ref: str | None = None,
) -> tuple[str, str, list[CardDiff]]:
    """The card review between `base` and `head`, rated by the base revision's `review:` policy
    (a change must not choose the severities it is judged by), with every lowered access level
    judged against the trust root (GC506, not a severity anyone may turn off)."""
    base_commit = resolve_base(repo, base)
    head_commit = resolve_base(repo, head) if head else None
    head_source: Source = (
        RevisionSource(repo, head_commit, resolved=True) if head_commit else WorkTreeSource(repo)
    )
    with Cache(repo.state_dir) as cache:
        parses = ParsedCards(cache)
        diffs = diff_sources(
            RevisionSource(repo, base_commit, resolved=True),
            head_source,
            policy_at(repo, base_commit).review,
            parses,
        )
        parses.save()
    _add_changes(diffs, access_changes(repo, base_commit, head_commit, trust_ref))
    return base_commit, head_source.revision or "work tree", diffs


def _add_changes(diffs: list[CardDiff], changes: dict[str, tuple[str, Change]]) -> None:
    """Each change (by card path: artifact name and change) on its card's diff; a new diff for a
    card whose own text did not change (it names bytes whose more closed card was deleted)."""
    by_path = {diff.new_path: diff for diff in diffs}
    for path, (name, change) in changes.items():
        diff = by_path.get(path)
        if diff is None:
            diff = by_path[path] = CardDiff(name=name, old_path=path, new_path=path)
            diffs.append(diff)
        diff.changes.append(change)
