"""`git ckpt check`: its help, its arguments and its output (the checking is
gitckpt/checking.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitckpt.api import Registry
from gitckpt.arguments import Subcommands, add_trust_ref, subparser
from gitckpt.checking import CheckOptions
from gitckpt.checks import ALL_CHECKS
from gitckpt.console import print_check_report, print_json, progress_bar
from gitckpt.errors import EXIT_FINDINGS, EXIT_OK

CHECK_EPILOG = """\
With no paths, checks every card and pointer in the work tree (as --all does).
With paths (as the pre-commit framework passes them), checks those cards and pointers
and their counterparts: a card's pointer, a pointer's card.

Checks (configure severities under `checks:` in .gitckpt/config.yaml):
{checks}

Exit status: 0 clean (warnings allowed), 1 findings, 2 usage error.

Examples:
  git ckpt check                         # the whole work tree
  git ckpt check models/resnet50.card.md # one card and its pointer
  git ckpt check --staged                # what the next commit records (git hook)
  git ckpt check --data                  # also the bytes in the work tree (stat-cached)
  git ckpt check --data --no-cache --remote   # CI: re-hash everything, and ask the remote
  git ckpt check --remote --trust-ref origin/main   # also: restricted bytes in an open bucket?
  git ckpt check --json | jq '.findings[] | select(.severity == "error")'
"""


def register(commands: Subcommands) -> None:
    listing = "\n".join(
        f"  {check.id}  {check.name:<22} {check.rationale}" for check in ALL_CHECKS.values()
    )
    parser = subparser(
        commands,
        "check",
        "check cards and pointers: complete, valid and matching",
        CHECK_EPILOG.format(checks=listing),
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        type=Path,
        help="cards, pointers or tracked data to check",
    )
    parser.add_argument(
        "--all", action="store_true", help="check every card and pointer in the work tree"
    )
    parser.add_argument(
        "--staged",
        action="store_true",
        help="check the cards and pointers staged for the next commit",
    )
    parser.add_argument(
        "--data",
        action="store_true",
        help="also verify the bytes in the work tree against card and pointer digests",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="with --data, re-hash every file instead of trusting the stat cache (for CI)",
    )
    parser.add_argument(
        "--remote",
        action="store_true",
        help="also verify that the DVC remote holds every artifact's bytes (GC209) and that no "
        "remote the trusted access policy names holds bytes their level forbids (GC505)",
    )
    parser.add_argument(
        "--remote-name",
        metavar="NAME",
        help="with --remote, the DVC remote to ask (default: the configured default)",
    )
    add_trust_ref(parser)
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    options = CheckOptions(
        paths=[] if args.all else args.paths,
        staged=args.staged and not args.all,
        data=args.data,
        use_cache=not args.no_cache,
        remote=args.remote,
        remote_name=args.remote_name,
        trust_ref=args.trust_ref,
    )
    with progress_bar("Checking") as progress:
        report = Registry.open().check(options=options, progress=progress)
    if args.json:
        print_json(report.to_json())
    else:
        print_check_report(report)
    return EXIT_FINDINGS if report.errors else EXIT_OK
