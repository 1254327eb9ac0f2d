"""`git ckpt ls`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.arguments import (
    REGISTRY_EPILOG,
    Subcommands,
    add_registry_filters,
    add_trust_ref,
    subparser,
)
from gitckpt.console import print_json, print_table, stage_versions
from gitckpt.errors import EXIT_OK
from gitckpt.registry_view import list_artifacts
from gitckpt.repo import find_repository


def register(commands: Subcommands) -> None:
    parser = subparser(commands, "ls", "list the artifacts in the registry", REGISTRY_EPILOG)
    add_registry_filters(parser)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rows = list_artifacts(
        find_repository(), kind=args.kind, stage=args.stage, trust_ref=args.trust_ref
    )
    if args.json:
        print_json([row.to_json() for row in rows])
        return EXIT_OK
    table = [
        [
            row.name,
            row.kind,
            f"v{row.latest}" if row.latest else "unreleased",
            stage_versions(row.stages),
            "deprecated" if row.deprecated else "",
        ]
        for row in rows
    ]
    print_table(("name", "kind", "latest", "stages", ""), table)
    for row in rows:
        for note in row.notes:
            print(f"note: {note}")
    return EXIT_OK
