"""`git ckpt tag`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.api import Registry
from gitckpt.arguments import Subcommands, add_tag_options, add_trust_ref, subparser
from gitckpt.console import print_created, print_hook_outcomes
from gitckpt.errors import EXIT_OK
from gitckpt.events import announce
from gitckpt.repo import find_repository

TAG_EPILOG = """\
Checks the artifact as committed at HEAD (not the work tree) with every check, together with the
cards it links to, and refuses when the card or pointer has uncommitted changes, a check fails, the
bytes are not whole on a DVC remote their access level allows or sit on one it forbids (GC505;
every remote the trusted policy names is asked, unless --allow-unpushed, which the record then
states), or the version is not greater than the latest. It looks inside the committed bytes
(pickles, safetensors, shipped text files): the work tree's copy when it has the pointer's md5
and the card's sha256, else the DVC cache's; a work tree holding another version the cache
cannot replace is refused. With the bytes in neither, the release goes ahead and its record
leaves GC701 and GC702 out of checks.run.
Creates the annotated tag NAME@vX.Y.Z on HEAD, whose message carries a release record (see
`git ckpt show NAME@vX.Y.Z --json`).
The first release is v0.1.0; later ones bump the patch number unless told otherwise.

Examples:
  git ckpt tag resnet50 -m "Retrained on cifar10-train v2"
  git ckpt tag resnet50 --bump minor --sign --push origin
  git ckpt tag resnet50 --version 1.0.0 --allow-unpushed
  git ckpt tag patient-notes --trust-ref origin/main   # bytes on its level's remotes only
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands,
        "tag",
        "cut a release: an annotated tag NAME@vX.Y.Z with a release record",
        TAG_EPILOG,
    )
    parser.add_argument("name", metavar="NAME", help="the artifact to release")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--version", help="the version to release, X.Y.Z (default: the next patch)")
    which.add_argument(
        "--bump",
        choices=("major", "minor", "patch"),
        default="patch",
        help="which part of the latest version to increase",
    )
    add_tag_options(parser)
    parser.add_argument(
        "--allow-unpushed",
        action="store_true",
        help="release without asking the DVC remotes for the bytes (recorded)",
    )
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    repo = find_repository()
    created = Registry(repo).release(
        args.name,
        bump=args.bump,
        version=args.version,
        message=args.message,
        sign=args.sign,
        push=args.push,
        allow_unpushed=args.allow_unpushed,
        trust_ref=args.trust_ref,
    )
    print_created(created, args.json)
    print_hook_outcomes(announce(repo, created))
    return EXIT_OK
