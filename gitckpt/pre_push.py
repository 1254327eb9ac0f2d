"""What `git ckpt hook pre-push` checks: a release tag whose bytes the DVC remote lacks is not
pushed.

git runs the pre-push hook with the remote's name and URL, and one line per ref on standard
input: `<local ref> <local sha> <remote ref> <remote sha>`.
"""

from __future__ import annotations

from collections.abc import Iterable

from gitckpt import storage
from gitckpt.registry import read_registry
from gitckpt.repo import Repository
from gitckpt.tags import REGISTER, parse_tag_name

TAG_PREFIX = "refs/tags/"
DELETED = "0" * 40


def unpushed_releases(repo: Repository, ref_lines: Iterable[str]) -> list[str]:
    """Problems with the release tags being pushed; empty when every one's bytes are in the
    remote."""

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
    wanted: dict[str, str] = {}
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
            wanted[tag] = record.bytes.md5
    holdings = (
        storage.remote_holdings(repo.root, sorted(set(wanted.values())), None) if wanted else {}
    )
    if holdings is None:
        return [
            *problems,
            "no DVC remote is configured, so the release bytes cannot be in one: `dvc "
            "remote add -d NAME URL`, then `git ckpt push`",
        ]
    problems += [
        f"{tag}: its bytes (md5 {md5}) are not in the DVC remote; run `git ckpt push` first"
        for tag, md5 in wanted.items()
        if not holdings.get(md5)
    ]
    return problems
