"""`git ckpt deprecate`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, add_trust_ref, subparser
from gitckpt.console import print_created, print_hook_outcomes
from gitckpt.errors import EXIT_OK
from gitckpt.events import announce
from gitckpt.release import DeprecationRequest, TagOptions, deprecate
from gitckpt.repo import find_repository

DEPRECATE_EPILOG = """\
Tags NAME@deprecated. `git ckpt check` then warns about cards that link to the artifact (GC402)
and, after the sunset date, fails them (GC403).

Examples:
  git ckpt deprecate resnet50 --sunset 2026-06-30 --reason "superseded by resnet50-v2; noisy labels"
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "deprecate", "mark an artifact deprecated (NAME@deprecated)", DEPRECATE_EPILOG
    )
    parser.add_argument("name", metavar="NAME", help="the artifact")
    parser.add_argument(
        "--sunset", metavar="YYYY-MM-DD", help="after this date, cards linking to it fail check"
    )
    parser.add_argument("--reason", default="", help="why it is deprecated and what to use instead")
    parser.add_argument("--sign", action="store_true", help="sign the tag with your SSH key")
    parser.add_argument("--push", metavar="GIT_REMOTE", help="push the tag to this git remote")
    parser.add_argument("--json", action="store_true", help="print the tag and its record as JSON")
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    request = DeprecationRequest(args.name, args.sunset, args.reason)
    options = TagOptions(args.sign, args.push, args.trust_ref)
    created = deprecate(find_repository(), request, options)
    print_created(created, args.json)
    print_hook_outcomes(announce(find_repository(), created))
    return EXIT_OK
