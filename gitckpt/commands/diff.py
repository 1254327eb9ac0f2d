"""`git ckpt diff [BASE [HEAD]]`: the semantic diff of the cards changed between two revisions
(defaults: the merge base with the default branch, and the work tree)."""

from __future__ import annotations

import argparse
import sys

from gitckpt.arguments import subparser
from gitckpt.errors import EXIT_OK, GitckptError, UsageError
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


DIFF_EPILOG = """\
The semantic diff of every card changed between BASE (default: the merge base with the default
branch) and HEAD (default: the work tree), grouped per artifact: bytes, license and redistribution,
limitations / risks / out-of-scope uses removed or changed, evaluation changes judged against their
confidence intervals (significant vs within noise), new noassertion gaps, contributors, other
fields, and the prose as a unified diff. Added, deleted and renamed cards are paired by name.

Each kind of change has a severity, set under `review:` in .gitckpt/config.yaml:
{severities}

Examples:
  git ckpt diff                              # this branch's card changes, work tree included
  git ckpt diff origin/main HEAD --format markdown
  git ckpt diff v1.0 --format json
"""


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from gitckpt.review import DEFAULT_SEVERITY

    listing = "\n".join(f"  {kind:<27} {severity}" for kind, severity in DEFAULT_SEVERITY.items())
    parser = subparser(
        commands, "diff", "show what changed in meaning in the cards between two revisions", DIFF_EPILOG.format(severities=listing)
    )
    parser.add_argument(
        "base", nargs="?", metavar="BASE", help="the revision to compare against (default: merge base with the default branch)"
    )
    parser.add_argument("head", nargs="?", metavar="HEAD", help="the revision to review (default: the work tree)")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="output format")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository
    from gitckpt.review_report import to_json, to_markdown, to_text

    _, _, diffs = card_diff(find_repository(), args.base, args.head)
    if args.format == "json":
        print_json(to_json(diffs))
    else:
        sys.stdout.write(to_markdown(diffs) if args.format == "markdown" else to_text(diffs))
    return EXIT_OK
