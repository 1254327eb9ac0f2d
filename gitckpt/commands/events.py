"""`git ckpt events`: its help, its arguments and its output."""

from __future__ import annotations

import argparse
import json

from gitckpt.arguments import Subcommands, add_trust_ref, subparser
from gitckpt.console import print_table
from gitckpt.errors import EXIT_OK
from gitckpt.events import events_since, registry_events
from gitckpt.repo import find_repository

EVENTS_EPILOG = """\
Lists what happened in the registry, from git alone: releases and withdrawals, stage changes,
deprecations and archives (tags bound to their records and accepted by the trusted policy: a
forged or unsigned-where-required tag is not an event), and known issues added or fixed by
commits on the trusted revision. Oldest first, in a stable order; --json prints one JSON object
per line, each with the same fields: schema_version, type, artifact, version, stage, tag,
commit, time (UTC), actor, signed_by (the trusted principal whose signature verified, else null)
and details.

--since takes a registry tag (the events after it), a date or time (YYYY-MM-DD, or
2026-01-31T12:00:00Z: the events at or after it) or a commit (the events after its commit time).

Hooks: the trusted .gitckpt/config.yaml may name commands that `tag`, `promote`, `deprecate`
and `archive` run after success, with the event (as one line of this JSON) on their standard
input:
  hooks:
    - command: [scripts/notify.sh, "#ml-releases"]
      events: [release, deprecation]
      timeout: 30
A hook is read from the trusted revision, never the work tree (see SECURITY.md); one that fails
or times out is reported on standard error and the event stands.

Examples:
  git ckpt events
  git ckpt events --since 2026-01-01 --json
  git ckpt events --since resnet50@v1.2.0 --json | jq -c 'select(.type == "deprecation")'
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "events", "the registry's events, for notifications and catalogues", EVENTS_EPILOG
    )
    parser.add_argument(
        "--since", metavar="REF|DATE", help="only events after this tag, date or commit"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per line")
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    repo = find_repository()
    events = registry_events(repo, args.trust_ref)
    if args.since:
        events = events_since(repo, events, args.since)
    if args.json:
        for event in events:
            print(json.dumps(event.to_json(), ensure_ascii=False))
        return EXIT_OK
    rows = [
        [
            event.time,
            event.type,
            event.artifact,
            f"v{event.version}" if event.version else "",
            event.stage or "",
            event.tag or event.commit[:12],
            event.actor,
        ]
        for event in events
    ]
    print_table(("time", "event", "artifact", "version", "stage", "tag or commit", "by"), rows)
    return EXIT_OK
