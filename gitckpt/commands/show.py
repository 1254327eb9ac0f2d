"""`git ckpt show`: its help, its arguments and its output."""

from __future__ import annotations

import argparse
from typing import Any

from gitckpt.arguments import REGISTRY_EPILOG, Subcommands, add_trust_ref, subparser
from gitckpt.errors import EXIT_OK


def register(commands: Subcommands) -> None:
    parser = subparser(commands, "show", "show an artifact or one of its releases", REGISTRY_EPILOG)
    parser.add_argument("reference", metavar="NAME[@vX.Y.Z|@latest|#STAGE]", help="what to show")
    parser.add_argument(
        "--json", action="store_true", help="print as JSON (for a release: its record)"
    )
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from gitckpt.console import print_json, print_release, print_table
    from gitckpt.registry_view import show
    from gitckpt.repo import find_repository

    view = show(find_repository(), args.reference, trust_ref=args.trust_ref)
    if args.json:
        print_json(view.get("record", view) if "record" in view else view)
        return EXIT_OK
    if "record" in view:
        print_release(view)
        return EXIT_OK
    latest = f"latest v{view['latest']}" if view.get("latest") else "not released yet"
    print(
        f"{view['name']}: {latest}, stages {view.get('stages') or 'none'}"
        + (", DEPRECATED" if view.get("deprecated") else "")
    )
    _print_baseline(view)
    rows = [
        [
            f"v{r['version']}",
            r["created"],
            r["author"],
            r["commit"][:12],
            ", ".join(r["stages"]),
            r["signature"]["description"],
        ]
        for r in view["releases"]
    ]
    print_table(("version", "created", "by", "commit", "stages held", "signature"), rows)
    for note in view.get("notes", []):
        print(f"note: {note}")
    print(view["trust"]["description"])
    return EXIT_OK


def _print_baseline(view: dict[str, Any]) -> None:
    from gitckpt.evaluation import Comparison, describe

    baseline: Any = view.get("baseline") or {"comparisons": []}
    for comparison in baseline["comparisons"]:
        print(f"  against {baseline['artifact']}: {describe(Comparison(**comparison))}")
