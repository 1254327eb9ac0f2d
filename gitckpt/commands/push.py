"""`git ckpt push`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, add_transfer, add_trust_ref
from gitckpt.console import print_json
from gitckpt.errors import EXIT_OK
from gitckpt.repo import find_repository
from gitckpt.transfer import push


def register(commands: Subcommands) -> None:
    parser = add_transfer(commands, "push", "push artifacts' bytes to the DVC remote", run)
    add_trust_ref(parser)


def run(args: argparse.Namespace) -> int:
    report = push(find_repository(), args.names, args.remote, args.trust_ref)
    if args.json:
        print_json(report.to_json())
        return EXIT_OK
    where = f" to remote {report.remote!r}" if report.remote else ""
    print(
        f"Pushed {report.files:,} file(s) of {len(report.artifacts):,} artifact(s){where}, "
        "each allowed there by its access level."
    )
    return EXIT_OK
