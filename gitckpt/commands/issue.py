"""`git ckpt issue`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, positive, subparser
from gitckpt.console import print_json
from gitckpt.errors import EXIT_OK
from gitckpt.known_issue_edits import EditedIssue, NewIssue, add_known_issue, fix_known_issue
from gitckpt.repo import find_repository

ISSUE_ADD_EPILOG = """\
Appends a known issue (status open) to the artifact's card in the work tree, keeping the card's
comments and key order. Commit the card as usual: `git ckpt diff` reports the added issue,
`git ckpt events` lists it once the commit is on the trusted branch, and `show`, `log`, the site
and the Hugging Face export display it.

Examples:
  git ckpt issue add resnet50 --summary "Wrong labels for class 17" --since v1.2.0
  git ckpt issue add resnet50 --summary "NaN on fp16" --link https://github.com/lab/r/issues/42
"""

ISSUE_FIX_EPILOG = """\
Marks known issue N (as `git ckpt show NAME` numbers them) fixed in a release: status fixed,
fixed_in vX.Y.Z. `git ckpt check` warns (GC405) while that release does not exist.

Examples:
  git ckpt issue fix resnet50 1 --in v1.3.0
"""


def register(commands: Subcommands) -> None:
    group = subparser(
        commands,
        "issue",
        "record known issues found after release in an artifact's card",
        'Examples:\n  git ckpt issue add resnet50 --summary "..."\n'
        "  git ckpt issue fix resnet50 1 --in v1.3.0\n",
    )
    issue_commands = group.add_subparsers(
        title="issue commands", metavar="ISSUE_COMMAND", required=True, help="add or fix"
    )
    add = subparser(issue_commands, "add", "add a known issue (open) to a card", ISSUE_ADD_EPILOG)
    add.add_argument("name", metavar="NAME", help="the artifact")
    add.add_argument("--summary", required=True, help="what is wrong, in a sentence")
    add.add_argument("--since", metavar="vX.Y.Z", help="the first release it affects")
    add.add_argument("--link", metavar="URL", help="the issue in your tracker (http or https)")
    add.add_argument("--json", action="store_true", help="print the card and the issue as JSON")
    add.set_defaults(handler=run_add)
    fix = subparser(
        issue_commands, "fix", "mark a known issue fixed in a release", ISSUE_FIX_EPILOG
    )
    fix.add_argument("name", metavar="NAME", help="the artifact")
    fix.add_argument("number", metavar="N", type=positive, help="the issue's number, from 1")
    fix.add_argument(
        "--in", dest="fixed_in", metavar="vX.Y.Z", required=True, help="the release that fixes it"
    )
    fix.add_argument("--json", action="store_true", help="print the card and the issue as JSON")
    fix.set_defaults(handler=run_fix)


def run_add(args: argparse.Namespace) -> int:
    request = NewIssue(args.name, args.summary, args.since, args.link)
    _report(add_known_issue(find_repository(), request), args.json, "added to")
    return EXIT_OK


def run_fix(args: argparse.Namespace) -> int:
    edited = fix_known_issue(find_repository(), args.name, args.number, args.fixed_in)
    _report(edited, args.json, "updated in")
    return EXIT_OK


def _report(edited: EditedIssue, as_json: bool, verb: str) -> None:
    if as_json:
        print_json(edited.to_json())
        return
    print(f"Known issue {edited.issue.describe()}")
    print(f"  {verb} {edited.card}; commit it to record it.")
