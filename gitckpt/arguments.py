"""The argparse pieces several commands share: a subparser with examples, --trust-ref, whole
numbers, the tag options and the shared help texts."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, TypeAlias

#: What `register(commands)` receives: the `git ckpt` subcommand table.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter (descriptions and examples kept as written) with the terminal's
    width read as `shutil.get_terminal_size` reads it: argparse makes a formatter for every
    option it adds and imports shutil to size it, which (with bz2 and lzma) cost every command
    ~4 ms before any work."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(prog, indent_increment, max_help_position, width or terminal_width() - 2)


def terminal_width() -> int:
    """$COLUMNS, else the width of the terminal standard output is, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def subparser(
    commands: Subcommands,
    name: str,
    summary: str,
    epilog: str,
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=epilog,
        formatter_class=HelpFormatter,
    )


def add_trust_ref(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust-ref",
        metavar="REF",
        help="read the policy and allowed signers from REF's committed .gitckpt/ (default: the "
        "default branch; see SECURITY.md)",
    )


def add_registry_filters(parser: argparse.ArgumentParser) -> None:
    """--kind, --stage and --version: which artifacts `ls` and `search` show."""
    parser.add_argument(
        "--kind", choices=("model", "dataset", "eval"), help="only artifacts of this kind"
    )
    parser.add_argument("--stage", help="only artifacts with a version in this stage")
    parser.add_argument(
        "--version",
        metavar="X[.Y[.Z]]",
        help="only artifacts whose latest release is this version, or in this major or minor "
        "series",
    )


def positive(text: str) -> int:
    """An argparse type: a whole number, 1 or more (a usage error, exit 2, otherwise)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number, 1 or more; got {text!r}")
    return int(text)


def add_tag_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-m", "--message", default="", help="what this release is; first line becomes the summary"
    )
    parser.add_argument(
        "--sign",
        action="store_true",
        help="sign the tag with your SSH key (git config user.signingkey)",
    )
    parser.add_argument(
        "--push", metavar="GIT_REMOTE", help="push the tag to this git remote (e.g. origin)"
    )
    parser.add_argument("--json", action="store_true", help="print the tag and its record as JSON")


def add_transfer(
    commands: Subcommands,
    name: str,
    summary: str,
    handler: Any,
) -> argparse.ArgumentParser:
    parser = subparser(commands, name, summary, PUSH_EPILOG)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="artifact names (default: every artifact); pull also takes NAME@vX.Y.Z",
    )
    parser.add_argument(
        "-r",
        "--remote",
        metavar="REMOTE",
        help="DVC remote to use (default: the configured default)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print what was moved (push: and where) as JSON"
    )
    parser.set_defaults(handler=handler)
    return parser


PUSH_EPILOG = """\
Moves the bytes of the named artifacts (all artifacts when none is named) through DVC.

push sends an artifact only to a remote its access level (`access.level` in its card) allows
under the trusted policy (access.levels in .gitckpt/config.yaml at the default branch, or at
--trust-ref; never the work tree's). The default remote is used only when every artifact's level
allows it. Before an embargo's end (`access.until`, a date in UTC; the latest any card of the
same bytes writes, here or at the trusted revision), the artifact goes to no remote a more open
level may use. If any artifact may not go to the remote, push names each one, its level and the
remotes it may use, and pushes nothing (exit 1). `git ckpt check --remote` finds bytes already on
a remote their level forbids (GC505).

Examples:
  git ckpt push                      # every artifact, to the default DVC remote
  git ckpt push resnet50 cifar10-train -r team-s3
  git ckpt push patient-notes -r vault --json   # a restricted dataset, to its allowed remote
  git ckpt pull resnet50             # bytes into the DVC cache and the work tree
  git ckpt pull resnet50@v1.2.0      # one release's bytes (from the archive once archived)
"""


REGISTRY_EPILOG = """\
Reads every tag in one pass (including tags GTO wrote; lightweight tags are listed with a note
that they carry no record) and the cards in the work tree. Only tags bound to their record count,
judged by the trusted policy (the default branch's .gitckpt/, or --trust-ref): under
release.require_signature an unsigned or unauthorized tag has no effect; a bad signature never
counts. A signature shows as verified (principal), signed by a key not in the trusted allowed
signers, bad signature, or unsigned. `history --all` also lists the tags that do not count, and why.

Examples:
  git ckpt ls
  git ckpt ls --kind model --stage prod --json
  git ckpt show resnet50
  git ckpt show resnet50@v1.2.0 --json     # the release record
  git ckpt show resnet50@latest
  git ckpt show resnet50#prod
  git ckpt history resnet50
  git ckpt history --all --json            # with the tags the registry ignores
"""
