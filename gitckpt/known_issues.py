"""Known issues: problems found after a release, listed in the card's `known_issues` (each a
summary, the release it affects since, a link to the tracker, and `status: open`, or
`status: fixed` with `fixed_in`: the schema in card-common.schema.json is the authority).

Here they are read from a card's front matter, compared between two versions of a card, and
added or resolved in a card's text round-trip (comments and key order survive)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from gitckpt.card import edit_front_matter
from gitckpt.errors import UsageError
from gitckpt.secrets import mask_secrets
from gitckpt.tags import Version

KNOWN_ISSUES_FIELD = "known_issues"
OPEN, FIXED = "open", "fixed"
# The change kinds `diff` and `log` report (card_changes.py), as a reader says them.
ISSUE_CHANGE_WORDS = {
    "known-issue-added": "known issue added",
    "known-issue-resolved": "known issue resolved",
    "known-issue-removed": "known issue removed from the card",
}


@dataclass(frozen=True)
class KnownIssue:
    """One known issue; `number` counts from 1 in the card's order (what `issue fix` names)."""

    number: int
    summary: str
    status: str
    since: str | None = None
    link: str | None = None
    fixed_in: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "summary": self.summary,
            "since": self.since,
            "link": self.link,
            "status": self.status,
            "fixed_in": self.fixed_in,
        }

    def masked(self) -> KnownIssue:
        """This issue with any credential in its own text masked, as every output shows it
        (only its text is scanned: scanning a whole card would load the secret detectors)."""
        return replace(
            self,
            summary=mask_secrets(self.summary),
            link=mask_secrets(self.link) if self.link else None,
        )

    def describe(self) -> str:
        """One line, as `show`, `log` and the exports print it."""
        since = f" since {self.since}" if self.since else ""
        state = f"fixed in {self.fixed_in}" if self.status == FIXED else OPEN
        link = f" ({self.link})" if self.link else ""
        return f"#{self.number} [{state}]{since}: {self.summary}{link}"


def known_issues(data: dict[str, Any]) -> list[KnownIssue]:
    """The card's known issues; entries that are not mappings with a text summary are left to
    `check` (GC103 reports them)."""
    entries = data.get(KNOWN_ISSUES_FIELD)
    if not isinstance(entries, list):
        return []
    return [
        KnownIssue(
            number=index + 1,
            summary=entry["summary"],
            status=FIXED if entry.get("status") == FIXED else OPEN,
            since=_text(entry.get("since")),
            link=_text(entry.get("link")),
            fixed_in=_text(entry.get("fixed_in")),
        )
        for index, entry in enumerate(entries)
        if isinstance(entry, dict) and isinstance(entry.get("summary"), str)
    ]


def named_versions(data: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each release a known issue names (`since`, `fixed_in`) with its field path."""
    entries = data.get(KNOWN_ISSUES_FIELD)
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        for key in ("since", "fixed_in"):
            if isinstance(entry.get(key), str):
                yield (KNOWN_ISSUES_FIELD, index, key), entry[key]


@dataclass(frozen=True)
class IssueChanges:
    """Known issues that appeared, and ones that became fixed, between two versions of a card."""

    added: list[KnownIssue]
    fixed: list[KnownIssue]


def issue_changes(old: dict[str, Any], new: dict[str, Any]) -> IssueChanges:
    """Issues are matched by summary: one whose summary is new was added; one that was open
    (or absent) and is now fixed was resolved."""
    before = {issue.summary: issue for issue in known_issues(old)}
    after = known_issues(new)
    return IssueChanges(
        added=[issue for issue in after if issue.summary not in before],
        fixed=[
            issue
            for issue in after
            if issue.status == FIXED
            and (issue.summary not in before or before[issue.summary].status != FIXED)
        ],
    )


def release_version(text: str, option: str) -> str:
    """`vX.Y.Z` (or `X.Y.Z`) as a card writes a release, or a usage error naming the option."""
    version = Version.parse(text)
    if version is None or "+" in text:
        raise UsageError(f"{option} must be a release version vX.Y.Z, got {text!r}")
    return f"v{version}"


def with_issue_added(text: str, display: str, entry: dict[str, str]) -> str:
    """The card with `entry` appended to its known issues (the list created when absent)."""

    def append(data: Any) -> None:
        issues = data.get(KNOWN_ISSUES_FIELD)
        if issues is None:
            data[KNOWN_ISSUES_FIELD] = [entry]
        elif isinstance(issues, list):
            issues.append(entry)
        else:
            raise UsageError(f"{display}: {KNOWN_ISSUES_FIELD} is not a list; fix it by hand first")

    return edit_front_matter(text, display, append)


def with_issue_fixed(text: str, display: str, number: int, fixed_in: str) -> str:
    """The card with known issue `number` (from 1) marked fixed in `fixed_in`."""

    def resolve(data: Any) -> None:
        issues = data.get(KNOWN_ISSUES_FIELD)
        count = len(issues) if isinstance(issues, list) else 0
        if not 1 <= number <= count or not isinstance(issues[number - 1], dict):
            raise UsageError(
                f"{display} has no known issue #{number} ({count} listed); "
                "`git ckpt show NAME` numbers them"
            )
        issue = issues[number - 1]
        if issue.get("status") == FIXED:
            raise UsageError(
                f"known issue #{number} of {display} is already fixed in {issue.get('fixed_in')}"
            )
        issue["status"] = FIXED
        issue["fixed_in"] = fixed_in

    return edit_front_matter(text, display, resolve)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
