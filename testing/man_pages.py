"""The man pages, written from the argparse definitions: `git ckpt --help` makes git run
`man git-ckpt`, so git-ckpt.1 and one page per command ship in the wheel (man/man1, installed as
share/man/man1, where man finds them from the environment's bin on PATH).

The pages are committed rather than written by the wheel build: building the parser imports every
command module and with them gitckpt's runtime dependencies, which an isolated build environment
does not have. `python -m testing.man_pages` rewrites them; tests/test_man_page.py fails when the
committed pages differ from what the current parser gives, so they never go stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from argparse_manpage.manpage import Manpage

from gitckpt import __version__
from gitckpt.cli import build_parser

MAN_DIR = Path(__file__).resolve().parent.parent / "man" / "man1"
PAGE_NAME = "git-ckpt"
MANUAL = "gitckpt Manual"


def command_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Each command's own parser by its name (`demote` and `promote` share a module, not a
    parser)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise ValueError("the parser has no commands")


def render(parser: argparse.ArgumentParser, name: str, summary: str) -> str:
    """One page in roff; no date in its header, so that the page only changes with the parser."""
    page = Manpage(parser)
    page.prog = name
    page.description = summary
    page.date = ""
    page.source = f"gitckpt {__version__}"
    page.manual = MANUAL
    return str(page)


def pages() -> dict[str, str]:
    """Every page's file name and text: git-ckpt.1, then git-ckpt-COMMAND.1."""
    parser = build_parser()
    written = {f"{PAGE_NAME}.1": render(parser, PAGE_NAME, str(parser.description))}
    for command, command_parser in command_parsers(parser).items():
        name = f"{PAGE_NAME}-{command}"
        written[f"{name}.1"] = render(command_parser, name, str(command_parser.description))
    return written


def stale_pages(directory: Path = MAN_DIR) -> list[str]:
    """The pages in `directory` that are missing, differ from the parser's, or name no command."""
    expected = pages()
    present = {path.name for path in directory.glob("*.1")}
    differ = [
        name
        for name, text in expected.items()
        if name not in present or (directory / name).read_text(encoding="utf-8") != text
    ]
    return sorted(differ + sorted(present - expected.keys()))


def write_pages(directory: Path = MAN_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("*.1"):
        path.unlink()
    for name, text in pages().items():
        (directory / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_pages()
    sys.exit(0)
