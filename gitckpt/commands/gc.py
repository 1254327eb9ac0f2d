"""`git ckpt gc`: its help, its arguments and its output (what it keeps and why is
gitckpt/garbage.py)."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, add_trust_ref, subparser
from gitckpt.console import print_json, print_table
from gitckpt.errors import EXIT_OK
from gitckpt.garbage import GcPlan, plan_gc, run_gc
from gitckpt.repo import find_repository

GC_EPILOG = """\
Removes DVC objects nothing in the registry needs from the local DVC cache, and with --remote
from that DVC remote too. Without --yes it only prints the plan: one row per stored object
(store, artifact, version or commit, size, keep/delete, why) and the total it would free.

Kept: every object a release or stage tag needs (the record's bytes and the pointer at the tag's
commit), everything a branch, remote-tracking branch, work tree HEAD or the work tree names, and the
unreleased versions the trusted policy retains (retention.keep_unreleased: the last N of each
artifact and those younger than D days; default last 3, 90 days). An artifact archived with
`git ckpt archive` is kept only on its archive remote. A directory keeps all of its files.

gc refuses, deleting nothing, when a release or stage tag is not bound to its record or its
record's bytes are not what the pointer at its commit names, in a shallow clone, and when a git
remote has branches or tags this clone has not fetched (fetch first).

Examples:
  git ckpt gc                          # dry run: what would go from the local cache, and why
  git ckpt gc --remote team-s3         # dry run for the cache and the remote
  git ckpt gc --remote team-s3 --yes   # delete
  git ckpt gc --json | jq '.objects[] | select(.action == "delete")'
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "gc", "remove DVC objects no release, stage, branch or retention needs", GC_EPILOG
    )
    parser.add_argument(
        "-r", "--remote", metavar="REMOTE", help="also collect this DVC remote (by name)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--dry-run", action="store_true", help="only print what would be deleted (the default)"
    )
    mode.add_argument("--yes", action="store_true", help="delete what the plan says")
    parser.add_argument("--json", action="store_true", help="print the plan (and result) as JSON")
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    repo = find_repository()
    plan = plan_gc(repo, args.remote, args.trust_ref)
    deleted = run_gc(repo, plan) if args.yes else None
    if args.json:
        print_json({**plan.to_json(), "deleted": deleted})
        return EXIT_OK
    _print_plan(plan)
    if deleted is None:
        print("Dry run: nothing was deleted. Run again with --yes to delete.")
    else:
        print(f"Deleted {deleted:,} object(s).")
    return EXIT_OK


def _print_plan(plan: GcPlan) -> None:
    print_table(
        ("store", "artifact", "version", "size", "action", "why"),
        [
            (row.store, row.artifact, row.version, _size(row.size), row.action, row.why)
            for row in sorted(
                plan.rows,
                key=lambda row: (row.remote is not None, row.store, row.action, row.artifact),
            )
        ],
    )
    for note in plan.notes:
        print(f"note: {note}")
    print(
        f"{len(plan.deletions):,} of {len(plan.rows):,} stored object(s) to delete, "
        f"{_size(plan.freed)} in all; {plan.trust.describe()}"
    )


def _size(size: int | None) -> str:
    return "?" if size is None else f"{size:,} B"
