"""`git ckpt hook`: its help, its arguments and its output."""

from __future__ import annotations

import argparse
import sys

from gitckpt.arguments import Subcommands, subparser
from gitckpt.console import error
from gitckpt.errors import EXIT_FINDINGS, EXIT_OK
from gitckpt.pre_push import unpushed_releases
from gitckpt.repo import find_repository

HOOK_EPILOG = """\
The plain git hooks that `git ckpt init --git-hooks` installs call these.

Examples:
  git ckpt hook pre-push origin git@example.org:lab/repo.git < refs
"""


def register(commands: Subcommands) -> None:
    epilog = HOOK_EPILOG
    group = subparser(commands, "hook", "entry points for git hooks", epilog)
    hooks = group.add_subparsers(title="hooks", metavar="HOOK", required=True, help="which hook")
    pre_push = subparser(
        hooks,
        "pre-push",
        "refuse to push release tags whose bytes are not in the DVC remote",
        epilog,
    )
    pre_push.add_argument("remote", nargs="?", help="the git remote's name (given by git)")
    pre_push.add_argument("url", nargs="?", help="the git remote's URL (given by git)")
    pre_push.set_defaults(handler=run_pre_push)


def run_pre_push(args: argparse.Namespace) -> int:
    problems = unpushed_releases(find_repository(), sys.stdin.read().splitlines())
    for problem in problems:
        error(problem)
    return EXIT_FINDINGS if problems else EXIT_OK
