"""`git ckpt card`: its help, its arguments and its output."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitckpt.arguments import Subcommands, subparser
from gitckpt.console import print_json
from gitckpt.errors import EXIT_OK
from gitckpt.repo import find_repository
from gitckpt.scaffold import create_card

CARD_NEW_EPILOG = """\
Reads the DVC pointer DATA_PATH.dvc and writes <name>.card.md beside the data, with the facts
that are known filled in (name, kind, path, md5, sha256, size, format, snapshot time, Python and
framework versions, git HEAD) and every other field a visible <FILL …> placeholder.
A fresh card fails `git ckpt check` until a person has filled it in. Never overwrites a card.
Declares the artifact under `artifacts:` in dvc.yaml (path and type), so that
`dvc artifacts get REPO NAME --rev vX.Y.Z` finds it once released.

Examples:
  dvc add models/resnet50.pt
  git ckpt card new models/resnet50.pt --kind model
  git ckpt card new data/cifar10-train.tar --kind dataset --name cifar10-train
"""


def register(commands: Subcommands) -> None:
    card = subparser(
        commands,
        "card",
        "work with model, dataset and eval cards",
        "Examples:\n  git ckpt card new models/resnet50.pt --kind model\n",
    )
    card_commands = card.add_subparsers(
        title="card commands", metavar="CARD_COMMAND", required=True, help="what to do with cards"
    )
    new = subparser(
        card_commands, "new", "scaffold a card for data tracked by a DVC pointer", CARD_NEW_EPILOG
    )
    new.add_argument(
        "data_path", metavar="DATA_PATH", type=Path, help="the tracked data (or its .dvc pointer)"
    )
    new.add_argument(
        "--kind", required=True, choices=("model", "dataset", "eval"), help="what the artifact is"
    )
    new.add_argument("--name", help="artifact name (default: from the file name, e.g. resnet50)")
    new.add_argument(
        "--json", action="store_true", help="print the new card's path and name as JSON"
    )
    new.set_defaults(handler=run_new)


def run_new(args: argparse.Namespace) -> int:
    card = create_card(find_repository(), args.data_path, args.kind, args.name)
    if args.json:
        print_json({"card": card.relpath, "name": card.name})
        return EXIT_OK
    print(f"Wrote {card.relpath} for artifact {card.name!r}.")
    if card.dvc_yaml:
        print(f"Declared it under `artifacts:` in {card.dvc_yaml} (for `dvc artifacts get`).")
    print(f"Next: replace every <FILL …> in it, then `git ckpt check {card.relpath}`.")
    return EXIT_OK
