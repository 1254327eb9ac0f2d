"""The command line as a whole: help text everywhere, exit codes, no tracebacks."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitckpt import __version__
from gitckpt.cli import build_parser
from testing.repos import gitckpt, make_repo
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def iter_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from iter_parsers(child)


def leaf_commands() -> list[argparse.ArgumentParser]:
    return [
        p
        for p in iter_parsers(build_parser())
        if not any(isinstance(a, argparse._SubParsersAction) for a in p._actions)
    ]


@pytest.mark.parametrize(
    "parser", list(iter_parsers(build_parser())), ids=lambda parser: parser.prog
)
def test_every_command_and_option_has_help(parser: argparse.ArgumentParser) -> None:
    assert parser.description, f"{parser.prog} has no description"
    for action in parser._actions:
        assert action.help, (
            f"{parser.prog}: {action.option_strings or action.dest} has no help text"
        )


@pytest.mark.parametrize("parser", leaf_commands(), ids=lambda parser: parser.prog)
def test_every_command_has_examples(parser: argparse.ArgumentParser) -> None:
    assert "Examples:" in (parser.epilog or ""), parser.prog
    assert "git ckpt" in (parser.epilog or "")


def test_version(cli: Cli, tmp_path: Path) -> None:
    assert cli("--version", cwd=tmp_path).out.strip() == f"gitckpt {__version__}"


def test_unknown_command_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    assert cli("frobnicate", cwd=tmp_path).code == 2


@pytest.mark.parametrize(
    "args",
    [
        ("lineage", "clf", "--depth", "-1"),
        ("lineage", "clf", "--depth", "0"),
        ("eval", "run", "clf", "--seeds", "two"),
    ],
)
def test_counts_must_be_whole_numbers_from_one(
    cli: Cli, tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = cli(*args, cwd=tmp_path)
    assert (
        result.code == 2 and f"expected a whole number, 1 or more; got {args[-1]!r}" in result.err
    )


def test_git_ckpt_runs_as_a_git_subcommand(tmp_path: Path) -> None:
    """`git ckpt` finds the `git-ckpt` console script on PATH."""
    import os
    import subprocess
    import sys

    repo = make_repo(tmp_path / "repo", with_dvc=False)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    completed = subprocess.run(
        ["git", "ckpt", "check"], cwd=repo, capture_output=True, text=True, env=env, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "OK: 0 cards, 0 pointers checked" in completed.stdout


def test_module_entry_point(tmp_path: Path) -> None:
    result = gitckpt(tmp_path, "--version")
    assert result.stdout.strip() == f"gitckpt {__version__}"


def test_internal_errors_print_one_line_and_keep_the_traceback(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitckpt.api import Registry  # what `git ckpt check` calls

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Registry, "check", explode)
    make_repo(tmp_path / "repo", with_dvc=False)
    result = cli("check", cwd=tmp_path / "repo")
    assert result.code == 3
    assert "internal error" in result.err and "traceback is in" in result.err
    log = Path(result.err.split("traceback is in ")[1].strip())
    assert "RuntimeError: boom" in log.read_text()


def test_a_closed_pipe_ends_quietly(registry: Path) -> None:
    """`git ckpt check | head -1`: the reader goes away; no traceback, the shell's SIGPIPE
    status."""
    import subprocess
    import sys

    from testing.repos import clean_env

    card = registry / "models/clf.card.md"
    card.write_text(card.read_text().replace("license: Apache-2.0", "license: 42"))
    process = subprocess.Popen(
        [sys.executable, "-m", "gitckpt", "check"],
        cwd=registry,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    assert process.wait(timeout=60) == 141
    assert b"Traceback" not in process.stderr.read()


def test_a_brief_command_ends_without_teardown_and_loses_no_output(registry: Path) -> None:
    """`check` skips the interpreter's teardown (`cli.command_line`): what it wrote to a pipe
    arrives whole, and its exit status is the command's."""
    import subprocess
    import sys

    from testing.repos import clean_env

    def check(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gitckpt", "check", *args],
            cwd=registry,
            capture_output=True,
            text=True,
            env=clean_env(),
            check=False,
        )

    clean = check()
    assert (clean.returncode, clean.stdout.strip().splitlines()[-1]) == (
        0,
        "OK: 3 cards, 3 pointers checked, no findings.",
    )
    card = registry / "models/clf.card.md"
    card.write_text(card.read_text().replace("license: Apache-2.0", "license: 42"))
    found = check("--json")
    assert found.returncode == 1
    assert json.loads(found.stdout)["summary"]["errors"] == 1  # the whole document arrived
