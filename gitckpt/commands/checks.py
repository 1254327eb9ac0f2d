"""`git ckpt checks`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, subparser
from gitckpt.checks import ALL_CHECKS
from gitckpt.config import MANDATORY_CHECKS
from gitckpt.console import print_json, print_table
from gitckpt.errors import EXIT_OK, GitckptError
from gitckpt.inventory import load_inventory
from gitckpt.repo import find_repository

CHECKS_EPILOG = """\
Lists every check: its id, name, default and configured severity, and why it exists. Set a
severity under `checks:` in .gitckpt/config.yaml (error, warning, off); mandatory checks cannot be
turned off. A release record lists the checks that were off.

Examples:
  git ckpt checks
  git ckpt checks --json
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "checks", "list every check, its severity and rationale", CHECKS_EPILOG
    )
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        configured = load_inventory(find_repository()).config.severities
    except GitckptError:
        configured = {}
    rows = [
        {
            "id": check.id,
            "name": check.name,
            "default": check.severity,
            "severity": configured.get(check.id, check.severity),
            "mandatory": check.id in MANDATORY_CHECKS,
            "rationale": check.rationale,
            "fix": check.fix,
        }
        for check in ALL_CHECKS.values()
    ]
    if args.json:
        print_json(rows)
    else:
        print_table(
            ("id", "name", "severity", "rationale"),
            [
                [
                    r["id"],
                    r["name"],
                    f"{r['severity']}{' (mandatory)' if r['mandatory'] else ''}",
                    r["rationale"],
                ]
                for r in rows
            ],
        )
    return EXIT_OK
