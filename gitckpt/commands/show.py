"""`git ckpt show`: its help, its arguments and its output."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from gitckpt.api import Registry
from gitckpt.arguments import REGISTRY_EPILOG, Subcommands, add_trust_ref, subparser
from gitckpt.console import (
    print_json,
    print_known_issues,
    print_release,
    print_table,
    stage_versions,
)
from gitckpt.errors import EXIT_OK
from gitckpt.evaluation import describe
from gitckpt.known_issue_edits import current_known_issues
from gitckpt.registry_view import ReleaseView
from gitckpt.repo import find_repository

if TYPE_CHECKING:
    from gitckpt.registry_view import Baseline


def register(commands: Subcommands) -> None:
    parser = subparser(commands, "show", "show an artifact or one of its releases", REGISTRY_EPILOG)
    parser.add_argument("reference", metavar="NAME[@vX.Y.Z|@latest|#STAGE]", help="what to show")
    parser.add_argument(
        "--json", action="store_true", help="print as JSON (for a release: its record)"
    )
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    view = Registry.open().show(args.reference, trust_ref=args.trust_ref)
    if isinstance(view, ReleaseView):
        if args.json:
            print_json(view.record.to_json() if view.record else None)
        else:
            print_release(view)
        return EXIT_OK
    issues = current_known_issues(find_repository(), view.name)
    if args.json:
        print_json(view.to_json() | {"known_issues": [issue.to_json() for issue in issues]})
        return EXIT_OK
    latest = f"latest v{view.latest}" if view.latest else "not released yet"
    print(
        f"{view.name}: {latest}, stages {stage_versions(view.stages) or 'none'}"
        + (", DEPRECATED" if view.deprecated else "")
    )
    _print_baseline(view.baseline)
    rows = [
        [
            f"v{release.version}",
            release.created,
            release.author,
            release.commit[:12],
            ", ".join(release.stages),
            release.signature.describe(),
        ]
        for release in view.releases
    ]
    print_table(("version", "created", "by", "commit", "stages held", "signature"), rows)
    print_known_issues(issues)
    for note in view.notes:
        print(f"note: {note}")
    print(view.trust.describe())
    return EXIT_OK


def _print_baseline(baseline: Baseline | None) -> None:
    if baseline is None:
        return
    for comparison in baseline.comparisons:
        print(f"  against {baseline.artifact}: {describe(comparison)}")
