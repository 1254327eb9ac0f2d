"""`git ckpt attest`: its help, its arguments and its output."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gitckpt.arguments import Subcommands, subparser
from gitckpt.attestation import build_statement, sign_file
from gitckpt.console import print_json
from gitckpt.errors import EXIT_OK, GitckptError
from gitckpt.files import atomic_write
from gitckpt.registry import read_registry
from gitckpt.repo import find_repository
from gitckpt.tags import parse_release_reference

ATTEST_EPILOG = """\
Writes an in-toto Statement v1 for a release: its subjects are the released files by sha256, its
predicate SLSA Provenance v1 (training parameters, the datasets, base model and code commit it was
built from with their digests, the environment from the card). --sign signs it with your SSH key
(ssh-keygen -Y sign, namespace gitckpt) into FILE.sig.

Examples:
  git ckpt attest resnet50@v1.2.0 --sign
  git ckpt verify --attestation resnet50-v1.2.0.intoto.json
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands,
        "attest",
        "write an in-toto / SLSA provenance attestation for a release",
        ATTEST_EPILOG,
    )
    parser.add_argument("reference", metavar="NAME@vX.Y.Z", help="the release")
    parser.add_argument(
        "-o", "--output", type=Path, help="where to write it (default: NAME-vX.Y.Z.intoto.json)"
    )
    parser.add_argument("--sign", action="store_true", help="also write an SSH signature, FILE.sig")
    parser.add_argument("--json", action="store_true", help="print the paths written as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    repo = find_repository()
    name, version = parse_release_reference(args.reference)
    state = read_registry(repo).artifact(name)
    release = state.releases.get(version) if state else None
    if release is None:
        raise GitckptError(f"there is no release {args.reference}")
    output = args.output or Path(f"{name.replace('/', '-')}-v{version}.intoto.json")
    atomic_write(output, json.dumps(build_statement(repo, release), indent=2) + "\n")
    signature = sign_file(repo, output) if args.sign else None
    if args.json:
        print_json({"attestation": str(output), "signature": str(signature) if signature else None})
    else:
        print(f"Wrote {output}" + (f" and {signature}" if signature else ""))
    return EXIT_OK
