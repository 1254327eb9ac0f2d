"""`git ckpt history`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.arguments import REGISTRY_EPILOG, Subcommands, add_trust_ref, subparser
from gitckpt.console import print_json, print_table
from gitckpt.errors import EXIT_OK
from gitckpt.registry import iso
from gitckpt.registry_view import history
from gitckpt.repo import find_repository


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands,
        "history",
        "list registry events: releases, stage changes, deprecations",
        REGISTRY_EPILOG,
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="only this artifact's events")
    parser.add_argument(
        "--all",
        action="store_true",
        help="also list the tags that do not count (unbound, badly signed, refused by policy) "
        "and why",
    )
    parser.add_argument("--json", action="store_true", help="print the events as JSON")
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    events = history(
        find_repository(), args.name, include_rejected=args.all, trust_ref=args.trust_ref
    )
    if args.json:
        print_json([row.to_json() for row in events])
        return EXIT_OK
    rows = [
        [
            iso(row.event.created),
            row.event.artifact,
            row.event.action,
            f"v{row.version}" if row.version else "",
            row.event.stage or "",
            row.event.author,
            row.event.tag,
            row.signature.describe() if row.rejected is None else f"IGNORED: {row.rejected}",
        ]
        for row in events
    ]
    print_table(("when", "artifact", "event", "version", "stage", "by", "tag", "signature"), rows)
    if events:
        print(f"signatures checked against the {events[0].trust}")
    return EXIT_OK
