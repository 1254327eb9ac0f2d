"""`git ckpt init`: its help, its arguments and its output (what it does is
gitckpt/repository_setup.py)."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, subparser
from gitckpt.console import print_json
from gitckpt.errors import EXIT_OK
from gitckpt.repo import find_repository
from gitckpt.repository_setup import init

INIT_EPILOG = """\
Sets the repository up: runs `dvc init` if DVC is missing, writes .gitckpt/config.yaml
(the policy, with commented defaults), and adds gitckpt's hook to .pre-commit-config.yaml
(merged into an existing file; your comments and order survive). Running it twice changes nothing.

Examples:
  git ckpt init                 # then: pre-commit install
  git ckpt init --git-hooks     # plain git hooks, for teams without the pre-commit framework
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "init", "set this repository up for gitckpt (DVC, policy, hooks)", INIT_EPILOG
    )
    parser.add_argument(
        "--git-hooks",
        action="store_true",
        help="install plain git hooks instead of a pre-commit framework hook",
    )
    parser.add_argument("--json", action="store_true", help="print what was changed as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    result = init(find_repository(), git_hooks=args.git_hooks)
    if args.json:
        print_json({"changed": result.changed, "unchanged": result.unchanged})
        return EXIT_OK
    for item in result.changed:
        print(f"  set up  {item}")
    for item in result.unchanged:
        print(f"  kept    {item}")
    print(
        "gitckpt is ready."
        if result.changed
        else "Nothing to do: this repository is already set up for gitckpt."
    )
    return EXIT_OK
