"""`git ckpt audit`: its help, its arguments and its output."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitckpt.arguments import Subcommands, add_trust_ref, subparser
from gitckpt.audit import audit
from gitckpt.audit_access import AccessInputs, read_holdings
from gitckpt.console import print_audit_report, print_json
from gitckpt.errors import EXIT_OK
from gitckpt.repo import find_repository

AUDIT_EPILOG = """\
Reports the metadata quality of the cards committed at --rev (default HEAD) and of the registry's
tags, in these sections and a summary:
  noassertion         every field holding {noassertion: "<reason>"}, grouped by field
                      (list items as training_data[].license), with the artifacts and reasons
  stale cards         cards last changed more than --stale-days days (default: audit.stale_days in
                      .gitckpt/config.yaml, else 90) before the last change to their DVC pointer
  deprecated linked   artifacts tagged NAME@deprecated that cards not deprecated themselves link to
  unsigned releases   release tags NAME@vX.Y.Z without a signature (lightweight tags included)
  uncarded inputs     datasets, sources and base models that cards use (by URI, or by a name) but
                      that have no card in this registry, with who uses them
  access              every artifact by its card's access level (policy order, most open first),
                      with where its bytes are per DVC remote when --remote asks them (or
                      --holdings gives what `check --remote` found); embargoes (access.until)
                      ending within 30 days; restricted datasets that state no samples (GC507)
A report, not a gate: the exit status is 0 whatever it finds (2 for a usage error).

Examples:
  git ckpt audit
  git ckpt audit --stale-days 30
  git ckpt audit --rev v1.0 --json | jq '.noassertion[] | {field, count}'
  git ckpt audit --holdings remote-holdings.json --json | jq '.access.levels'
  git ckpt audit --remote               # ask every DVC remote where each artifact's bytes are
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands,
        "audit",
        "report metadata gaps, stale cards, deprecated links, unsigned releases and access",
        AUDIT_EPILOG,
    )
    parser.add_argument(
        "--rev",
        default="HEAD",
        metavar="REV",
        help="audit the cards as committed at REV (default HEAD)",
    )
    parser.add_argument(
        "--stale-days",
        type=int,
        metavar="N",
        help="days a card may lag behind its bytes (default: audit.stale_days, else 90)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--holdings",
        type=Path,
        metavar="FILE",
        help="where each artifact's bytes are: a JSON object {artifact: {remote: true|false}}, "
        "as `check --remote` finds them (default: unknown)",
    )
    where.add_argument(
        "--remote",
        action="store_true",
        help="ask every DVC remote configured here where each artifact's bytes are (slow; "
        "needs the remotes' credentials)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    holdings = read_holdings(args.holdings) if args.holdings else None
    report = audit(
        find_repository(),
        args.rev,
        args.stale_days,
        trust_ref=args.trust_ref,
        access=AccessInputs(holdings=holdings, ask_remotes=args.remote),
    )
    if args.json:
        print_json(report.to_json())
    else:
        print_audit_report(report)
    return EXIT_OK
