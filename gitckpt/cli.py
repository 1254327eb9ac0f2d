"""Argument parsing and dispatch only: one small function per command."""

from __future__ import annotations

import argparse
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from gitckpt import __version__
from gitckpt.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, GitckptError

CHECK_EPILOG = """\
With no paths, checks every card and pointer in the work tree (as --all does).
With paths (as the pre-commit framework passes them), checks those cards and pointers
and their counterparts: a card's pointer, a pointer's card.

Checks (configure severities under `checks:` in .gitckpt/config.yaml):
{checks}

Exit status: 0 clean (warnings allowed), 1 findings, 2 usage error.

Examples:
  git ckpt check                         # the whole work tree
  git ckpt check models/resnet50.card.md # one card and its pointer
  git ckpt check --staged                # what the next commit records (git hook)
  git ckpt check --data                  # also the bytes in the work tree (stat-cached)
  git ckpt check --data --no-cache --remote   # CI: re-hash everything, and ask the remote
  git ckpt check --json | jq '.findings[] | select(.severity == "error")'
"""

INIT_EPILOG = """\
Sets the repository up: runs `dvc init` if DVC is missing, writes .gitckpt/config.yaml
(the policy, with commented defaults), and adds gitckpt's hook to .pre-commit-config.yaml
(merged into an existing file; your comments and order survive). Running it twice changes nothing.

Examples:
  git ckpt init                 # then: pre-commit install
  git ckpt init --git-hooks     # plain git hooks, for teams without the pre-commit framework
"""

CARD_NEW_EPILOG = """\
Reads the DVC pointer DATA_PATH.dvc and writes <name>.card.md beside the data, with the facts
that are known filled in (name, kind, path, md5, sha256, size, format, snapshot time, Python and
framework versions, git HEAD) and every other field a visible <FILL …> placeholder.
A fresh card fails `git ckpt check` until a person has filled it in. Never overwrites a card.

Examples:
  dvc add models/resnet50.pt
  git ckpt card new models/resnet50.pt --kind model
  git ckpt card new data/cifar10-train.tar --kind dataset --name cifar10-train
"""


ADD_EPILOG = """\
Tracks each path with DVC (pointer, cache, .gitignore), computes md5 and sha256 in one read,
writes the card (pre-filled, as `card new` does) or updates the bytes block of the existing card,
and stages pointer, card and .gitignore in git. A path DVC already tracks is re-added. A directory
(e.g. a sharded checkpoint) gets per-file digests and a root digest. Nothing is written until
every path has been read, so an interrupted add changes nothing.

Examples:
  git ckpt add models/resnet50.safetensors --kind model
  git ckpt add data/cifar10-train.tar --kind dataset --name cifar10-train
  git ckpt add checkpoints/llama-ft/ --kind model --remote storage   # and push the bytes
  git ckpt add models/resnet50.safetensors                            # new bytes for an existing card
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="git ckpt",
        description="Version, document and release pretrained checkpoints, datasets and evaluation logs in git.",
        epilog="Run `git ckpt COMMAND -h` for a command's options and examples. (`git ckpt --help` asks git for a man page; use -h.)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gitckpt {__version__}", help="show gitckpt's version and exit")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True, help="the command to run")
    _add_init(commands)
    _add_add(commands)
    _add_card(commands)
    _add_check(commands)
    return parser


def _subparser(commands: argparse._SubParsersAction, name: str, summary: str, epilog: str) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    return commands.add_parser(  # type: ignore[no-any-return]
        name, help=summary, description=summary, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def _add_init(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "init", "set this repository up for gitckpt (DVC, policy, hooks)", INIT_EPILOG)
    parser.add_argument("--git-hooks", action="store_true", help="install plain git hooks instead of a pre-commit framework hook")
    parser.add_argument("--json", action="store_true", help="print what was changed as JSON")
    parser.set_defaults(handler=run_init)


def _add_add(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "add", "track data with DVC and write or update its card", ADD_EPILOG)
    parser.add_argument("paths", nargs="+", metavar="PATH", type=Path, help="files or directories to track")
    parser.add_argument("--kind", choices=("model", "dataset", "eval"), help="what a new artifact is (required when it has no card yet)")
    parser.add_argument("--name", help="artifact name for a new card (default: from the file name)")
    parser.add_argument("--remote", metavar="NAME", help="also push the bytes to this DVC remote")
    parser.add_argument("--json", action="store_true", help="print what was added as JSON")
    parser.set_defaults(handler=run_add)


def _add_card(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    card = _subparser(
        commands, "card", "work with model, dataset and eval cards", "Examples:\n  git ckpt card new models/resnet50.pt --kind model\n"
    )
    card_commands = card.add_subparsers(title="card commands", metavar="CARD_COMMAND", required=True, help="what to do with cards")
    new = _subparser(card_commands, "new", "scaffold a card for data tracked by a DVC pointer", CARD_NEW_EPILOG)
    new.add_argument("data_path", metavar="DATA_PATH", type=Path, help="the tracked data (or its .dvc pointer)")
    new.add_argument("--kind", required=True, choices=("model", "dataset", "eval"), help="what the artifact is")
    new.add_argument("--name", help="artifact name (default: from the file name, e.g. resnet50)")
    new.add_argument("--json", action="store_true", help="print the new card's path and name as JSON")
    new.set_defaults(handler=run_card_new)


def _add_check(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from gitckpt.checks import ALL_CHECKS

    listing = "\n".join(f"  {check.id}  {check.name:<22} {check.rationale}" for check in ALL_CHECKS.values())
    parser = _subparser(commands, "check", "check cards and pointers: complete, valid and matching", CHECK_EPILOG.format(checks=listing))
    parser.add_argument("paths", nargs="*", metavar="PATH", type=Path, help="cards, pointers or tracked data to check")
    parser.add_argument("--all", action="store_true", help="check every card and pointer in the work tree")
    parser.add_argument("--staged", action="store_true", help="check the cards and pointers staged for the next commit")
    parser.add_argument("--data", action="store_true", help="also verify the bytes in the work tree against card and pointer digests")
    parser.add_argument(
        "--no-cache", action="store_true", help="with --data, re-hash every file instead of trusting the stat cache (for CI)"
    )
    parser.add_argument("--remote", action="store_true", help="also verify that the DVC remote holds every artifact's bytes")
    parser.add_argument("--remote-name", metavar="NAME", help="with --remote, the DVC remote to ask (default: the configured default)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(handler=run_check)


def run_init(args: argparse.Namespace) -> int:
    from gitckpt.commands.init import init
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository

    result = init(find_repository(), git_hooks=args.git_hooks)
    if args.json:
        print_json({"changed": result.changed, "unchanged": result.unchanged})
        return EXIT_OK
    for item in result.changed:
        print(f"  set up  {item}")
    for item in result.unchanged:
        print(f"  kept    {item}")
    print("gitckpt is ready." if result.changed else "Nothing to do: this repository is already set up for gitckpt.")
    return EXIT_OK


def run_add(args: argparse.Namespace) -> int:
    from gitckpt.commands.add import add
    from gitckpt.console import print_json, progress_bar
    from gitckpt.repo import find_repository

    with progress_bar("Hashing", unit_bytes=True) as progress:
        added = add(find_repository(), args.paths, kind=args.kind, name=args.name, remote=args.remote, progress=progress)
    if args.json:
        print_json([vars(item) for item in added])
        return EXIT_OK
    for item in added:
        action = "created" if item.created else ("updated" if item.bytes_changed else "unchanged")
        print(f"{item.data}: {item.kind} {item.name!r}, {item.size:,} bytes, sha256 {item.sha256[:16]}…; card {item.card} {action}")
    print("Staged in git. Fill in any <FILL …> in new cards, then `git ckpt check` and commit.")
    return EXIT_OK


def run_card_new(args: argparse.Namespace) -> int:
    from gitckpt.commands.card_new import create_card
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository

    card = create_card(find_repository(), args.data_path, args.kind, args.name)
    if args.json:
        print_json({"card": card.relpath, "name": card.name})
        return EXIT_OK
    print(f"Wrote {card.relpath} for artifact {card.name!r}.")
    print(f"Next: replace every <FILL …> in it, then `git ckpt check {card.relpath}`.")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    from gitckpt.commands.check import CheckOptions, check
    from gitckpt.console import print_check_report, print_json, progress_bar
    from gitckpt.repo import find_repository

    options = CheckOptions(
        paths=[] if args.all else args.paths,
        staged=args.staged and not args.all,
        data=args.data,
        use_cache=not args.no_cache,
        remote=args.remote,
        remote_name=args.remote_name,
    )
    with progress_bar("Checking") as progress:
        report = check(find_repository(), options, progress)
    if args.json:
        print_json(report.to_json())
    else:
        print_check_report(report)
    return EXIT_FINDINGS if report.errors else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except GitckptError as exc:
        from gitckpt.console import error

        error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception:
        return _report_internal_error()


def _report_internal_error() -> int:
    from gitckpt.console import error

    with tempfile.NamedTemporaryFile("w", prefix="gitckpt-crash-", suffix=".log", delete=False) as log:
        traceback.print_exc(file=log)
    error(f"internal error (a bug in gitckpt): {sys.exc_info()[1]!r}; the full traceback is in {log.name}")
    return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
