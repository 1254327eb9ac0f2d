"""`git ckpt push`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, add_transfer
from gitckpt.console import print_json
from gitckpt.errors import EXIT_OK
from gitckpt.repo import find_repository
from gitckpt.transfer import push


def register(commands: Subcommands) -> None:
    add_transfer(commands, "push", "push artifacts' bytes to the DVC remote", run)


def run(args: argparse.Namespace) -> int:
    count = push(find_repository(), args.names, args.remote)
    print_json({"pushed": count}) if args.json else print(f"Pushed {count:,} file(s).")
    return EXIT_OK
