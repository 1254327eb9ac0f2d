"""`git ckpt diff [BASE [HEAD]]`: the semantic diff of the cards changed between two revisions
(defaults: the merge base with the default branch, and the work tree)."""

from __future__ import annotations

from gitckpt.errors import GitckptError, UsageError
from gitckpt.repo import Repository, commit_id, default_branch, git
from gitckpt.review import CardDiff, diff_sources
from gitckpt.sources import RevisionSource, Source, WorkTreeSource
from gitckpt.trust import policy_at


def resolve_base(repo: Repository, base: str | None) -> str:
    """The commit to compare against; a clear error when it does not exist (or a shallow clone lacks it)."""
    if base is None:
        branch = default_branch(repo)
        if branch is None:
            raise UsageError(
                "no default branch (origin/HEAD, main or master) to compare with: name the base, e.g. `git ckpt diff origin/develop`"
            )
        merge_base = git(["merge-base", branch, "HEAD"], repo.root, check=False).strip()
        if not merge_base:
            raise GitckptError(f"HEAD shares no history with {branch}; name the base revision explicitly")
        return merge_base
    commit = commit_id(repo, base)
    if commit:
        return commit
    if git(["rev-parse", "--is-shallow-repository"], repo.root).strip() == "true":
        raise UsageError(
            f"{base!r} is not in this shallow clone.\n"
            f"Fetch it first, e.g. `git fetch --unshallow` or `git fetch origin {base.removeprefix('origin/')} --depth=50`\n"
            "(in GitHub Actions: actions/checkout with `fetch-depth: 0`)."
        )
    raise UsageError(f"{base!r} is not a revision in this repository")


def card_diff(repo: Repository, base: str | None = None, head: str | None = None) -> tuple[str, str, list[CardDiff]]:
    """The card review between `base` and `head`, rated by the base revision's `review:` policy
    (a change must not choose the severities it is judged by)."""
    base_commit = resolve_base(repo, base)
    head_source: Source = RevisionSource(repo, resolve_base(repo, head), resolved=True) if head else WorkTreeSource(repo)
    diffs = diff_sources(RevisionSource(repo, base_commit, resolved=True), head_source, policy_at(repo, base_commit).review)
    return base_commit, head_source.revision or "work tree", diffs
