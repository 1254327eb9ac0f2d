"""`git ckpt verify`: its help, its arguments and its output (what it does is
gitckpt/verification.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitckpt.arguments import Subcommands, add_trust_ref, subparser
from gitckpt.console import print_json
from gitckpt.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from gitckpt.repo import find_repository
from gitckpt.verification import verify, verify_attestation

VERIFY_EPILOG = """\
Verifies a registry tag (a release NAME@vX.Y.Z, a withdrawal NAME@vX.Y.Z!, a stage move
NAME#STAGE#N or NAME#STAGE!#N, the latest move of NAME#STAGE, or NAME@deprecated) against the
trusted revision: the policy and allowed signers committed on the default branch (or --trust-ref,
git config gitckpt.trustRef, release.trust_ref), never the tagged commit or the work tree.
- the tag object, read by its id, carries a signature by a principal in the trusted allowed signers
  whom release.signers allows to release the artifact (and move that stage);
- the tag is bound: the tag object's own name is the ref's, and its record names this artifact,
  version or stage, and commit; a tag the registry ignores says why;
- for a release, the record matches the card (which carries the artifact's name) and pointer at
  the tagged commit; with --data, the bytes (from the work tree, or fetched from the DVC remote)
  match the recorded digests.
Exit 1 when anything does not verify. See SECURITY.md.

With --attestation FILE (made by `git ckpt attest --sign`): FILE.sig is by a trusted principal
allowed to release the artifact; the statement names a release that counts; its subjects are
exactly that release's recorded files (paths inside the repository), and each matches the bytes.

Examples:
  git ckpt verify resnet50@v1.2.0
  git ckpt verify resnet50@v1.2.0 --data --json
  git ckpt verify resnet50#prod
  git ckpt verify resnet50@v1.2.0 --trust-ref origin/main
  git ckpt verify --attestation resnet50-v1.2.0.intoto.json
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands,
        "verify",
        "verify a registry tag's signature, binding, record and (optionally) bytes",
        VERIFY_EPILOG,
    )
    parser.add_argument(
        "reference",
        nargs="?",
        metavar="TAG",
        help="the release (NAME@vX.Y.Z), stage move (NAME#STAGE[#N]) or other registry tag",
    )
    parser.add_argument(
        "--attestation",
        metavar="FILE",
        type=Path,
        help="verify this attestation (and FILE.sig) instead of a tag",
    )
    parser.add_argument(
        "--data", action="store_true", help="also verify the bytes against the recorded digests"
    )
    parser.add_argument("--json", action="store_true", help="print the verification as JSON")
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if (args.reference is None) == (args.attestation is None):
        raise UsageError("name a release (NAME@vX.Y.Z) or an --attestation FILE, not both")
    repo = find_repository()
    if args.attestation:
        result = verify_attestation(repo, args.attestation, trust_ref=args.trust_ref)
    else:
        result = verify(repo, args.reference, data=args.data, trust_ref=args.trust_ref)
    if args.json:
        print_json(
            {
                "tag": result.tag,
                "ok": result.ok,
                "principal": result.principal,
                "verified": result.verified,
                "problems": result.problems,
                "trust": result.trust,
            }
        )
    else:
        print(result.trust)
        for line in result.verified:
            print(f"  ok    {line}")
        for line in result.problems:
            print(f"  FAIL  {line}")
        print(f"{result.tag}: {'verified' if result.ok else 'NOT verified'}")
    return EXIT_OK if result.ok else EXIT_FINDINGS
