"""GC901: a pull request that changes `.gitckpt/` (the policy and the allowed signers).

CI judges a pull request by the base revision's policy; a change to that policy would otherwise
be judged by itself, so `git ckpt ci` reports it as an error that only a reviewed merge carries."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from gitckpt.checks.base import Check
from gitckpt.file_facts import Finding

POLICY_DIR = ".gitckpt/"

POLICY_CHANGED = Check(
    "GC901",
    "policy-changed",
    "error",
    "a pull request must not be judged by a policy or allowed signers it writes itself",
    "have a maintainer review the change to .gitckpt/ and merge it on its own; until then "
    "CI fails on purpose",
)


def check_policy_changes(changed_paths: Sequence[str]) -> Iterator[Finding]:
    for path in changed_paths:
        if path.startswith(POLICY_DIR):
            yield POLICY_CHANGED.finding(
                path,
                "changes the trusted policy; CI judged this pull request by the base "
                "revision's policy, not this one",
            )
