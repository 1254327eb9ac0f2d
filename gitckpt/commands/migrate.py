"""`git ckpt migrate`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, positive, subparser
from gitckpt.console import print_json, progress_bar
from gitckpt.errors import EXIT_OK
from gitckpt.repo import find_repository
from gitckpt.schema_migration import CardMigration, MigrationPlan, plan_migration, write_migration

MIGRATE_EPILOG = """\
Moves every card (model, dataset and eval) in the work tree from the schema version its
`schema_version` names to the one this gitckpt validates against (or to --to N), one tested step
at a time. Only the front matter changes: comments, key order and the Markdown body are kept.
Every card is read and migrated in memory first; a card that cannot be migrated (unreadable, a
version newer than this gitckpt, --to older than the card or unknown) stops the run with its path
and line, and no file is written. Review the change with `git diff`, then commit it.

Examples:
  git ckpt migrate --dry-run
  git ckpt migrate
  git ckpt migrate --to 2 --json
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands,
        "migrate",
        "move every card's front matter to the current schema version",
        MIGRATE_EPILOG,
    )
    parser.add_argument(
        "--to",
        metavar="N",
        type=positive,
        help="the schema version to move to (default: the current one for each kind of card)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change and change nothing"
    )
    parser.add_argument("--json", action="store_true", help="print the changes as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    repo = find_repository()
    with progress_bar("Reading cards") as progress:
        plan = plan_migration(repo, args.to, progress)
    if not args.dry_run:
        write_migration(repo, plan)
    if args.json:
        print_json(plan.to_json(written=not args.dry_run and bool(plan.migrations)))
    else:
        _print_plan(plan, args.dry_run)
    return EXIT_OK


def _print_plan(plan: MigrationPlan, dry_run: bool) -> None:
    for migration in plan.migrations:
        _print_card(migration)
    count = len(plan.migrations)
    cards = f"{count} card{'' if count == 1 else 's'}"
    if not count:
        print(f"Nothing to migrate: all {len(plan.current)} cards follow their target version.")
    elif dry_run:
        print(f"Would migrate {cards} (dry run: nothing was written).")
    else:
        print(f"Migrated {cards}; review the change with `git diff`, then commit it.")


def _print_card(migration: CardMigration) -> None:
    print(
        f"{migration.path} ({migration.kind} card): schema version "
        f"{migration.from_version} → {migration.to_version}"
    )
    for step in migration.steps:
        print(f"  {step}")
    for line in migration.diff:
        print(f"    {line}")
