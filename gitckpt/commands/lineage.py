"""`git ckpt lineage`: its help, its arguments and its output."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from gitckpt.arguments import Subcommands, positive, subparser
from gitckpt.console import print_json
from gitckpt.errors import EXIT_OK
from gitckpt.lineage import lineage, render_lineage
from gitckpt.repo import find_repository

LINEAGE_EPILOG = """\
The graph of what an artifact links to: base model, datasets (with their cards, versions and
licenses), the code commit, eval logs; --dependents reverses it (which models used this dataset).
Cycles are detected and reported, never followed. Mermaid output renders in a pull request.
An artifact whose card's access level is restricted (above what `site --audience internal` shows)
is marked "RESTRICTED: LEVEL" in every format ("restricted": true and its "level" in JSON).

Examples:
  git ckpt lineage resnet50
  git ckpt lineage resnet50@v1.2.0 --format mermaid
  git ckpt lineage cifar10-train --dependents --depth 2 --format json
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands,
        "lineage",
        "the graph of what an artifact was built from (or what uses it)",
        LINEAGE_EPILOG,
    )
    parser.add_argument(
        "reference", metavar="NAME[@vX.Y.Z]", help="the artifact, or one of its releases"
    )
    parser.add_argument("--depth", type=positive, help="follow links at most this many steps")
    parser.add_argument(
        "--dependents", action="store_true", help="the reverse graph: what links to this artifact"
    )
    parser.add_argument(
        "--format", choices=("text", "json", "dot", "mermaid"), default="text", help="output format"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    graph = lineage(find_repository(), args.reference, depth=args.depth, dependents=args.dependents)
    if args.format == "json":
        print_json(asdict(graph))
    else:
        sys.stdout.write(render_lineage(graph, args.format))
    return EXIT_OK
