"""`git ckpt pull`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, add_transfer
from gitckpt.console import print_json
from gitckpt.errors import EXIT_OK
from gitckpt.repo import find_repository
from gitckpt.transfer import pull


def register(commands: Subcommands) -> None:
    add_transfer(commands, "pull", "pull artifacts' bytes from the DVC remote", run)


def run(args: argparse.Namespace) -> int:
    count = pull(find_repository(), args.names, args.remote)
    print_json({"pulled": count}) if args.json else print(f"Pulled {count:,} file(s).")
    return EXIT_OK
