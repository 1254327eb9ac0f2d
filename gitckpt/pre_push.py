"""What `git ckpt hook pre-push` checks: a release tag whose bytes the DVC remote lacks is not
pushed.

git runs the pre-push hook with the remote's name and URL, and one line per ref on standard
input: `<local ref> <local sha> <remote ref> <remote sha>`.
"""

from __future__ import annotations

from collections.abc import Iterable

from gitckpt.access_routes import Placing, access_policy, level_claims, place, utc_today
from gitckpt.errors import GitckptError
from gitckpt.inventory import load_inventory
from gitckpt.records import ReleaseRecord
from gitckpt.registry import read_registry
from gitckpt.repo import Repository
from gitckpt.tags import REGISTER, parse_tag_name

TAG_PREFIX = "refs/tags/"
DELETED = "0" * 40


def unpushed_releases(repo: Repository, ref_lines: Iterable[str]) -> list[str]:
    """Problems with the release tags being pushed; empty when every one's bytes are whole on a
    remote its access level allows (under the trusted policy, as `tag` asks) and on none it
    forbids."""

    pushed = [
        line.split()[0][len(TAG_PREFIX) :]
        for line in ref_lines
        if line.startswith(TAG_PREFIX) and line.split()[1:2] != [DELETED]
    ]
    releases = [
        (tag, parsed)
        for tag in pushed
        if (parsed := parse_tag_name(tag)) is not None and parsed.action == REGISTER
    ]
    if not releases:
        return []
    registry = read_registry(repo)
    by_commit: dict[str, list[tuple[str, ReleaseRecord]]] = {}
    problems = []
    for tag, parsed in releases:
        state = registry.artifact(parsed.artifact)
        release = state.releases.get(parsed.version or "") if state else None
        record = release.record if release else None
        if record is None:
            problems.append(
                f"{tag} carries no gitckpt record, so its bytes cannot be checked; push it "
                "with --no-verify if that is intended"
            )
        else:
            by_commit.setdefault(record.commit, []).append((tag, record))
    for commit, tagged in by_commit.items():
        problems += _placement_problems(repo, commit, tagged)
    return problems


def _placement_problems(
    repo: Repository, commit: str, tagged: list[tuple[str, ReleaseRecord]]
) -> list[str]:
    """Where the bytes of the releases cut from `commit` are, judged by the cards there."""
    inventory = load_inventory(repo, revision=commit)
    md5s = {record.card.path: record.bytes.md5 for _, record in tagged}
    try:
        placing = Placing(
            access_policy(repo, inventory, None), level_claims(inventory), utc_today(), True
        )
        found = {
            placement.card.path: placement
            for placement in place(
                repo, inventory, {p: m for p, m in md5s.items() if p in inventory.cards}, placing
            )
        }
    except GitckptError as error:
        return [f"the release bytes cannot be checked: {error}"]
    problems = []
    for tag, record in tagged:
        placement = found.get(record.card.path)
        if placement is None:
            problems.append(f"{tag}: its card {record.card.path} is not at {commit[:12]}")
        elif misplaced := placement.misplaced():
            where = ", ".join(item.remote for item in misplaced)
            problems.append(
                f"{tag}: its bytes (md5 {record.bytes.md5}) are on {where}, which its level "
                "does not allow (GC505); remove them there before publishing the release"
            )
        elif not placement.allowed_holders():
            problems.append(
                f"{tag}: its bytes (md5 {record.bytes.md5}) are not on {placement.looked_in()}; "
                f"run `git ckpt push {record.artifact.name}` first"
            )
    return problems
