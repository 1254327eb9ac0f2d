"""GC405: a known issue names a release (`since`, `fixed_in`) that does not exist among the
artifact's release tags bound to their records (a typo, or a fix claimed for a release not
cut yet: readers would trust a fix they cannot get)."""

from __future__ import annotations

from collections.abc import Iterator

from gitckpt.checks.base import Check
from gitckpt.file_facts import Finding, Inventory
from gitckpt.tags import REGISTER, artifact_in_tag, version_tag

KNOWN_ISSUE_RELEASE = Check(
    id="GC405",
    name="known-issue-release-unknown",
    severity="warning",
    rationale="A known issue said to be fixed in (or present since) a release that does not "
    "exist sends readers to bytes no one can get.",
    fix="Name an existing release (`git ckpt show NAME` lists them), or cut that release "
    "first (`git ckpt tag NAME --version X.Y.Z`).",
)


def check_known_issue_releases(inventory: Inventory) -> Iterator[Finding]:
    """Only the tags the cards name are read (none when no card lists a known issue)."""
    named = {
        (card.path, field, version_tag(artifact_in_tag(card.name), version.removeprefix("v")), line)
        for card in inventory.cards.values()
        if card.name
        for field, version, line in card.known_issue_versions
    }
    if not named:
        return
    from gitckpt.tag_events import read_tag_events  # tag objects: read only when issues name some

    present = [tag for _, _, tag, _ in named if tag in inventory.release_tags]
    events = read_tag_events(inventory.repo, present)
    bound = {
        tag for tag, event in events.items() if event.action == REGISTER and event.problem is None
    }
    for path, field, tag, line in sorted(named):
        if tag not in bound:
            yield KNOWN_ISSUE_RELEASE.finding(
                path,
                f"names release {tag}, which does not exist (no release tag bound to its record)",
                line=line,
                field=field,
            )
