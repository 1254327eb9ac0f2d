"""`git ckpt archive`: its help, its arguments and its output (what it does is
gitckpt/archive.py)."""

from __future__ import annotations

import argparse

from gitckpt.archive import ArchiveRequest, archive
from gitckpt.arguments import Subcommands, add_trust_ref, subparser
from gitckpt.console import print_hook_outcomes, print_json
from gitckpt.errors import EXIT_OK
from gitckpt.events import announce_archive
from gitckpt.repo import find_repository

ARCHIVE_EPILOG = """\
For an artifact deprecated with a sunset date that has passed (`git ckpt deprecate --sunset`):
copies every released version's bytes to the archive remote (the trusted policy's
`archive: {LEVEL: REMOTE}` for the artifact's access level, or --to REMOTE, which the level must
allow), reads each copy back from that remote and checks its md5 and sha256 against the release
record, and only then tags NAME@archived with where the bytes went (signed with --sign; required
when the policy requires signed tags). From then on `git ckpt gc` may drop those bytes from every
other store, and `git ckpt pull NAME@vX.Y.Z` reads them from the archive.

A copy that does not verify is refused: no tag, and gc keeps the bytes where they are.

Examples:
  git ckpt archive resnet50-old
  git ckpt archive resnet50-old --to lab-glacier --sign --push origin
  git ckpt gc --remote team-s3 --yes     # then drop the archived bytes from the primary remote
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands,
        "archive",
        "move a deprecated artifact's released bytes to the archive remote (NAME@archived)",
        ARCHIVE_EPILOG,
    )
    parser.add_argument("name", metavar="NAME", help="the deprecated artifact")
    parser.add_argument(
        "--to", metavar="REMOTE", help="the DVC remote to archive to (default: the policy's)"
    )
    parser.add_argument("--sign", action="store_true", help="sign the tag with your SSH key")
    parser.add_argument("--push", metavar="GIT_REMOTE", help="push the tag to this git remote")
    parser.add_argument("--json", action="store_true", help="print the archive record as JSON")
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    request = ArchiveRequest(args.name, args.to, args.sign, args.push, args.trust_ref)
    repo = find_repository()
    record = archive(repo, request)
    outcomes = announce_archive(repo, record.tag, args.trust_ref)
    if args.json:
        print_json(record.to_json())
        print_hook_outcomes(outcomes)
        return EXIT_OK
    print(
        f"Archived {len(record.bytes)} released version(s) of {record.artifact} to "
        f"{record.remote}; each copy read back and verified (md5 and sha256)."
    )
    print(f"Created {record.tag} on {record.commit[:12]}.")
    print_hook_outcomes(outcomes)
    return EXIT_OK
