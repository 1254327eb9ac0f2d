"""The command table, `main` and crash handling: each command lives in
gitckpt/commands/<name>.py."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from gitckpt import __version__
from gitckpt.arguments import HelpFormatter
from gitckpt.console import error
from gitckpt.errors import EXIT_INTERNAL, GitckptError

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a killed pipe


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` just that command (building all of them costs
    more than a warm `check` does)."""
    parser = argparse.ArgumentParser(
        prog="git ckpt",
        description="Version, document and release pretrained checkpoints, datasets and "
        "evaluation logs in git.",
        epilog="Run `git ckpt COMMAND -h` for a command's options and examples; `git ckpt "
        "--help` and `man git-ckpt-COMMAND` open the manual pages installed with gitckpt.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"gitckpt {__version__}",
        help="show gitckpt's version and exit",
    )
    parser.set_defaults(build_parser=build_parser)  # `completion` describes the whole line
    commands = parser.add_subparsers(
        title="commands", metavar="COMMAND", required=True, help="the command to run"
    )
    for module in dict.fromkeys(
        module for name, module in COMMANDS.items() if only is None or name == only
    ):
        importlib.import_module(f"gitckpt.commands.{module}").register(commands)
    return parser


# Each command's module in gitckpt/commands/ registers its arguments (`register`) and its handler.
COMMANDS: dict[str, str] = {
    "init": "init",
    "add": "add",
    "card": "card",
    "check": "check",
    "status": "status",
    "push": "push",
    "pull": "pull",
    "eval": "eval",
    "tag": "tag",
    "promote": "promote",
    "demote": "promote",
    "deprecate": "deprecate",
    "archive": "archive",
    "gc": "gc",
    "issue": "issue",
    "events": "events",
    "ls": "ls",
    "show": "show",
    "search": "search",
    "audit": "audit",
    "history": "history",
    "verify": "verify",
    "diff": "diff",
    "ci": "ci",
    "hook": "hook",
    "log": "log",
    "lineage": "lineage",
    "attest": "attest",
    "checklist": "checklist",
    "checks": "checks",
    "migrate": "migrate",
    "export": "export",
    "import-card": "import_card",
    "site": "site",
    "completion": "completion",
}


# Commands that pre-commit and CI run on every commit: brief, and what they allocate is freed by
# reference counting, so the cyclic collector is paused while they run (a warm `check` at 1,000
# cards spent ~13 ms of its 0.2 s budget in ~70 collections that freed ~140 objects).
BRIEF_COMMANDS = frozenset({"check"})


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = words[0] if words and words[0] in COMMANDS else None
    collecting = gc.isenabled()
    if command in BRIEF_COMMANDS:
        gc.disable()
    try:
        return _run(build_parser(command).parse_args(words))
    finally:
        if collecting:
            gc.enable()


def command_line() -> NoReturn:
    """The `git-ckpt` program and `python -m gitckpt`: `main`, then exit with its status. After
    a brief command the interpreter's teardown is skipped (`os._exit` once the output is
    flushed, as the command has closed its cache and joined its threads): freeing the objects
    and modules of a process about to end cost a warm `check` ~15 ms."""
    words = sys.argv[1:]
    code = main(words)
    if words and words[0] in BRIEF_COMMANDS:
        _flush_output()
        os._exit(code)
    sys.exit(code)


def _run(args: argparse.Namespace) -> int:
    try:
        code = int(args.handler(args))
        _flush_output()  # a closed pipe shows here, inside the handler below, not at exit
        return code
    except GitckptError as exc:
        error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _stdout_closed()
    except Exception:
        return _report_internal_error()


def _flush_output() -> None:
    """Write out what the command printed; a stream closed before we started (`check >&-`,
    where Python sets it to None) has nothing to write."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


def _stdout_closed() -> int:
    """The reader went away (`git ckpt history | head`): stop quietly, as a killed pipe would."""

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def _report_internal_error() -> int:
    import tempfile
    import traceback

    with tempfile.NamedTemporaryFile(
        "w", prefix="gitckpt-crash-", suffix=".log", delete=False
    ) as log:
        traceback.print_exc(file=log)
    error(
        f"internal error (a bug in gitckpt): {sys.exc_info()[1]!r}; the full traceback is "
        f"in {log.name}"
    )
    return EXIT_INTERNAL


if __name__ == "__main__":
    command_line()
