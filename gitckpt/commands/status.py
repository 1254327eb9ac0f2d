"""`git ckpt status`: its help, its arguments and its output (what it does is
gitckpt/status_report.py)."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, subparser
from gitckpt.console import print_json, print_table, progress_bar
from gitckpt.errors import EXIT_OK
from gitckpt.repo import find_repository
from gitckpt.status_report import status

STATUS_EPILOG = """\
One row per artifact:
  card    complete | incomplete (fields missing or placeholders)
          | out of sync (with its pointer or bytes)
  data    matches | modified | missing (not in the work tree) | untracked (no pointer)
  remote  in remote | not pushed | no remote (none configured)
Reading the bytes goes through the stat cache, so a second run is fast.

Examples:
  git ckpt status
  git ckpt status --no-remote         # skip asking the DVC remote
  git ckpt status --json | jq '.[] | select(.remote_state == "not pushed") | .name'
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "status", "show each artifact's card, data and remote state", STATUS_EPILOG
    )
    parser.add_argument(
        "--no-remote", action="store_true", help="do not ask the DVC remote what it holds"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with progress_bar("Reading") as progress:
        rows = status(find_repository(), remote=not args.no_remote, progress=progress)
    if args.json:
        print_json([vars(row) for row in rows])
    else:
        columns = ("name", "kind", "card_state", "data_state", "remote_state")
        print_table(
            ("name", "kind", "card", "data", "remote"),
            [[getattr(row, column) for column in columns] for row in rows],
        )
    return EXIT_OK
