"""`git ckpt promote`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, add_tag_options, add_trust_ref, subparser
from gitckpt.console import print_created, print_hook_outcomes
from gitckpt.errors import EXIT_OK
from gitckpt.events import announce
from gitckpt.release import StageRequest, TagOptions, promote
from gitckpt.repo import find_repository

PROMOTE_EPILOG = """\
Stages are tags in GTO's grammar: NAME#STAGE#N to enter a stage, NAME#STAGE!#N to leave it, on the
release's commit. Allowed stages and their order are in .gitckpt/config.yaml (stages.allowed); with
stages.enforce_order, a version must have held the previous stage first.

Examples:
  git ckpt promote resnet50@v1.2.0 staging
  git ckpt promote resnet50@v1.2.0 prod --sign --push origin
  git ckpt demote resnet50@v1.2.0 prod
"""


def register(commands: Subcommands) -> None:
    for name, summary in (
        ("promote", "put a release into a stage"),
        ("demote", "take a release out of a stage"),
    ):
        parser = subparser(commands, name, summary, PROMOTE_EPILOG)
        parser.add_argument("reference", metavar="NAME@vX.Y.Z", help="the release")
        parser.add_argument("stage", metavar="STAGE", help="the stage, one of stages.allowed")
        add_tag_options(parser)
        add_trust_ref(parser)
        parser.set_defaults(handler=run, demote=name == "demote")


def run(args: argparse.Namespace) -> int:
    request = StageRequest(args.reference, args.stage, args.demote, args.message)
    options = TagOptions(args.sign, args.push, args.trust_ref)
    created = promote(find_repository(), request, options)
    print_created(created, args.json)
    print_hook_outcomes(announce(find_repository(), created))
    return EXIT_OK
