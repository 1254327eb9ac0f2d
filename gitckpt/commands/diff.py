"""`git ckpt diff [BASE [HEAD]]`: its help, its arguments and its output (the review is
gitckpt/review.py: card_diff)."""

from __future__ import annotations

import argparse
import sys

from gitckpt.arguments import Subcommands, subparser
from gitckpt.console import print_json
from gitckpt.errors import EXIT_OK
from gitckpt.repo import find_repository
from gitckpt.review import DEFAULT_SEVERITY, card_diff
from gitckpt.review_report import to_json, to_markdown, to_text

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


def register(commands: Subcommands) -> None:
    listing = "\n".join(f"  {kind:<27} {severity}" for kind, severity in DEFAULT_SEVERITY.items())
    parser = subparser(
        commands,
        "diff",
        "show what changed in meaning in the cards between two revisions",
        DIFF_EPILOG.format(severities=listing),
    )
    parser.add_argument(
        "base",
        nargs="?",
        metavar="BASE",
        help="the revision to compare against (default: merge base with the default branch)",
    )
    parser.add_argument(
        "head", nargs="?", metavar="HEAD", help="the revision to review (default: the work tree)"
    )
    parser.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text", help="output format"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    _, _, diffs = card_diff(find_repository(), args.base, args.head)
    if args.format == "json":
        print_json(to_json(diffs))
    else:
        sys.stdout.write(to_markdown(diffs) if args.format == "markdown" else to_text(diffs))
    return EXIT_OK
