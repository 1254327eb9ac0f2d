"""`git ckpt import-card`: its help, its arguments and its output."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitckpt.arguments import Subcommands, subparser
from gitckpt.console import print_json, warning
from gitckpt.errors import EXIT_OK
from gitckpt.export.hub_import import import_card

IMPORT_EPILOG = """\
Turns a Hugging Face model card into a gitckpt model card. What the Hub card states is kept:
license, language, tags, pipeline_tag, library_name, base model and its relation, datasets (a Hub
dataset id as hf://datasets/ID, a URL as it is, free text as a note), every model-index result
with its metric and result names, config and split, and the whole prose body. Sections such as
"Limitations" or "Training data" become suggestions for their fields. Everything the Hub card
does not state, the environment included, is a <FILL …> placeholder, so `git ckpt check` lists
what a person still has to write or confirm. An item that cannot be read (a model-index result
without a dataset) is dropped with a warning; a card that cannot be read (invalid YAML, a
template) is refused with its line, and nothing is written.

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
    imported = import_card(args.source, args.name, args.output)
    if args.json:
        print_json({"card": str(imported.path), "warnings": imported.warnings})
        return EXIT_OK
    for message in imported.warnings:
        warning(message)
    print(f"Wrote {imported.path}; `git ckpt check` lists the fields left to fill in.")
    return EXIT_OK
