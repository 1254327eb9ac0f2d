"""`git ckpt ci`: its help, its arguments and its output (what it does is gitckpt/ci_review.py)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gitckpt.arguments import Subcommands, add_trust_ref, subparser
from gitckpt.ci_review import ci, github_annotations
from gitckpt.console import print_json
from gitckpt.errors import EXIT_FINDINGS, EXIT_OK
from gitckpt.repo import find_repository
from gitckpt.review_report import to_json

CI_EPILOG = """\
Runs every check on the work tree and reviews the card changes against BASE (default: the merge
base with the default branch). Writes the Markdown report to --report, and in GitHub Actions
prints annotations on the offending lines and appends the report to $GITHUB_STEP_SUMMARY.
Exit 1 when any check or review change is an error. Templates: hooks/github-actions.yml and
hooks/gitlab-ci.yml.

Examples:
  git ckpt ci --base origin/main --report gitckpt-review.md
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "ci", "run every check and the card review for a pull request", CI_EPILOG
    )
    parser.add_argument(
        "--base",
        metavar="REF",
        help="the target branch or commit (default: merge base with the default branch)",
    )
    parser.add_argument(
        "--report", metavar="FILE", type=Path, help="write the Markdown report here"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the result as JSON instead of the Markdown report",
    )
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    report = ci(find_repository(), args.base, args.report, args.trust_ref)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(report):
            print(line)
    if args.json:
        findings = [
            {**item.finding.to_json(), "severity": item.severity} for item in report.findings
        ]
        print_json(
            {
                "ok": report.errors == 0,
                "base": report.base,
                "errors": report.errors,
                "findings": findings,
                "cards": to_json(report.diffs),
            }
        )
    else:
        sys.stdout.write(report.markdown)
    return EXIT_FINDINGS if report.errors else EXIT_OK
