"""`git ckpt search`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.api import Registry
from gitckpt.arguments import Subcommands, add_registry_filters, add_trust_ref, subparser
from gitckpt.console import print_json, print_table, progress_bar
from gitckpt.errors import EXIT_OK
from gitckpt.search import (
    Query,
    parse_field_filter,
    parse_metric_filter,
    parse_version_filter,
)

SEARCH_EPILOG = """\
Searches the cards committed at --rev (default HEAD) and the registry's tags. The index lives in
.git/gitckpt/search.sqlite, keyed by card blob ids and tag object ids: only cards whose blob
changed and tags that are new or moved are re-read.
QUERY is SQLite FTS5 syntax over each card's name, description and prose: words, "a phrase",
prefix*, AND / OR / NOT. Every filter must hold; --metric and --field may be repeated.
--field filters on the named groups of naming.pattern in .gitckpt/config.yaml, e.g. with
'(?P<project>[a-z0-9]+)-(?P<architecture>[a-z0-9]+)-v(?P<version>[0-9]+)' the name
projx-resnet50-v3 has the fields project, architecture and version (--json lists them per hit).
Each hit shows the access level its card states (`level` in --json; null when it states none).

Examples:
  git ckpt search "mixed precision"
  git ckpt search --kind model --stage prod --dataset cifar10-train-v2
  git ckpt search --license Apache-2.0 --metric 'top1_accuracy>=0.9' --json
  git ckpt search --commercial --no-deprecated
  git ckpt search --kind model --version 2          # latest release in the 2.x series
  git ckpt search --field project=projx --field architecture=resnet50
  git ckpt search --owner ada --rev v1.0
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "search", "find artifacts by facets, metrics and full text", SEARCH_EPILOG
    )
    parser.add_argument(
        "query", nargs="?", metavar="QUERY", help="full-text query over card prose and descriptions"
    )
    add_registry_filters(parser)
    parser.add_argument(
        "--license",
        metavar="EXPR",
        help="only cards whose license names every SPDX identifier in EXPR",
    )
    parser.add_argument(
        "--dataset", metavar="NAME", help="only cards trained or evaluated on this dataset"
    )
    parser.add_argument(
        "--owner", metavar="WHO", help="only cards naming WHO as a contributor or contact"
    )
    parser.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="'NAME>=VALUE'",
        help="a numeric filter on a reported metric",
    )
    parser.add_argument(
        "--deprecated",
        action=argparse.BooleanOptionalAction,
        help="only deprecated artifacts (--no-deprecated: only the others)",
    )
    parser.add_argument(
        "--commercial",
        action="store_true",
        help="only cards whose license is a known SPDX expression without non-commercial terms",
    )
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a named group of naming.pattern must have this value",
    )
    parser.add_argument(
        "--rev",
        default="HEAD",
        metavar="REV",
        help="search the registry as committed at REV (default HEAD)",
    )
    parser.add_argument("--json", action="store_true", help="print the hits as JSON")
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    query = Query(
        text=args.query,
        kind=args.kind,
        stage=args.stage,
        version=parse_version_filter(args.version) if args.version else None,
        license=args.license,
        dataset=args.dataset,
        owner=args.owner,
        metrics=tuple(parse_metric_filter(text) for text in args.metric),
        deprecated=args.deprecated,
        commercial=args.commercial,
        fields=tuple(parse_field_filter(text) for text in args.field),
    )
    with progress_bar("Indexing cards") as progress:
        hits = Registry.open().search(
            query, revision=args.rev, trust_ref=args.trust_ref, progress=progress
        )
    if args.json:
        print_json([hit.to_json() for hit in hits])
        return EXIT_OK
    if not hits:
        print("no artifact matches")
        return EXIT_OK
    rows = [
        [
            hit.name,
            hit.kind,
            hit.level or "-",
            f"v{hit.latest}" if hit.latest else "unreleased",
            ", ".join(hit.stages),
            "; ".join(hit.reasons),
        ]
        for hit in hits
    ]
    print_table(("name", "kind", "access", "latest", "stages", "why"), rows)
    for hit in hits:
        if hit.snippet:
            print(f"  {hit.name}: {hit.snippet}")
    return EXIT_OK
