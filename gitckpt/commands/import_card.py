"""`git ckpt import-card`: its help, its arguments and its output."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitckpt.arguments import Subcommands, subparser
from gitckpt.console import print_json
from gitckpt.errors import EXIT_OK
from gitckpt.export import import_card

IMPORT_EPILOG = """\
Turns a Hugging Face model card into a gitckpt model card: license, datasets, base model and every
model-index result are kept; each required field the source lacks is a <FILL …> placeholder, so
`git ckpt check` lists what a person still has to write.

Examples:
  git ckpt import-card downloaded/README.md --name bert-ft -o models/bert-ft.card.md
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "import-card", "turn a Hugging Face model card into a gitckpt card", IMPORT_EPILOG
    )
    parser.add_argument(
        "source", metavar="README.md", type=Path, help="the Hugging Face model card"
    )
    parser.add_argument("--name", required=True, help="the artifact name of the new card")
    parser.add_argument(
        "--kind",
        choices=("model",),
        default="model",
        help="what the artifact is (Hub cards describe models)",
    )
    parser.add_argument(
        "-o", "--output", type=Path, help="where to write the card (default: NAME.card.md)"
    )
    parser.add_argument("--json", action="store_true", help="print the new card's path as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    target = import_card(args.source, args.name, args.output)
    print_json({"card": str(target)}) if args.json else print(
        f"Wrote {target}; `git ckpt check` lists the fields left to fill in."
    )
    return EXIT_OK
