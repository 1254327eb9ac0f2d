"""Human output is written for people: no read command ever prints a Python repr."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repos import commit_all
from tests.conftest import CliResult
from tests.test_cli import leaf_commands

Cli = Callable[..., CliResult]

PYTHON_REPR = re.compile(
    r"\{'|\['|\('|\{\"|\[\"|<[\w.]+ object at 0x|\b(?:dict_items|dict_keys|dict_values)\("
    r"|\b(?:Path|PosixPath|datetime|Decimal)\(|[:=]\s*(?:None|True|False)\b"
    r"|\b(?:None|True|False)(?:[,)\]}]|$)",
    re.MULTILINE,
)

READ_COMMANDS = [
    ("ls",),
    ("ls", "--stage", "dev"),
    ("show", "clf"),
    ("show", "clf@v0.2.0"),
    ("show", "clf#dev"),
    ("show", "points"),
    ("show", "clf-eval"),
    ("history",),
    ("history", "--all"),
    ("history", "clf"),
    ("log", "clf"),
    ("lineage", "clf"),
    ("lineage", "points", "--dependents"),
    ("search", "classifier"),
    ("search", "--kind", "model", "--metric", "accuracy>=0.5"),
    ("audit",),
    ("status", "--no-remote"),
    ("checks",),
    ("check",),
    ("verify", "clf@v0.2.0"),
    ("diff", "HEAD~1", "HEAD"),
    ("diff", "--format", "markdown", "HEAD~1", "HEAD"),
    ("ci", "--base", "HEAD~1"),
    ("status",),
    ("search", "--stage", "dev", "--commercial"),
    ("checklist", "clf"),
    ("migrate", "--dry-run"),
    ("gc",),
    ("events",),
    ("events", "--since", "clf@v0.1.0"),
]

# Commands that write (cards, tags, files, remotes): their output is checked by their own tests.
WRITING_COMMANDS = {
    "init",
    "add",
    "card new",
    "push",
    "pull",
    "eval confirm",
    "eval record",
    "eval run",
    "tag",
    "promote",
    "demote",
    "deprecate",
    "archive",
    "issue add",
    "issue fix",
    "attest",
    "export",
    "import-card",
    "site",
}


def test_every_read_command_is_scanned() -> None:
    """A new read command (one with --json or --format that writes nothing) joins the scan."""
    scanned = {command[0] for command in READ_COMMANDS}
    read_commands = {
        parser.prog.removeprefix("git ckpt ")
        for parser in leaf_commands()
        if {"--json", "--format"} & {option for a in parser._actions for option in a.option_strings}
    } - WRITING_COMMANDS
    assert read_commands == scanned


def test_the_scan_catches_python_reprs() -> None:
    reprs = [
        "stages {'dev': '0.2.0'}",
        "contributors: +['Bob']",
        "allowed: True",
        "base model None",
        "<gitckpt.file_facts.CardFacts object at 0x7f00>",
        "dict_items([])",
    ]
    assert all(PYTHON_REPR.search(text) for text in reprs)
    assert not PYTHON_REPR.search(
        "clf: latest v0.2.0, stages dev: v0.2.0\nredistribution: allowed: true, conditions: "
        "(empty) → (none)\nNone of the checks failed (Trueman's card)"
    )


def change_card(repo: Path, *replacements: tuple[str, str]) -> None:
    card = repo / "models/clf.card.md"
    text = card.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    card.write_text(text)
    commit_all(repo, "change the model card")


@pytest.fixture
def released(registry: Path, cli: Cli) -> Path:
    """The registry with two releases of the model, the second in the dev stage, then a card
    change of every shape `diff` describes: a mapping, a boolean, an emptied list, a filled
    gap, a new contributor."""
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0
    change_card(registry, ("Testing gitckpt.", "Testing gitckpt's output."))
    result = cli("tag", "clf", "--version", "0.2.0", "--allow-unpushed", cwd=registry)
    assert result.code == 0, result.err
    assert cli("promote", "clf@v0.2.0", "dev", cwd=registry).code == 0
    change_card(
        registry,
        ("  allowed: true", "  allowed: false"),
        ("preprocessing:\n- standardise features", "preprocessing: []"),
        ("energy_kwh:\n    noassertion: not measured on a laptop", "energy_kwh: 0.01"),
        ("contributors:\n", "contributors:\n- name: Grace Hopper\n  roles: [reviewed]\n"),
        ("Testing gitckpt's output.", "Testing how gitckpt speaks."),
    )
    return registry


def test_read_commands_print_no_python_repr(released: Path, cli: Cli) -> None:
    """Every read command, in human mode, over a registry with releases and stages."""
    problems = []
    for command in READ_COMMANDS:
        result = cli(*command, cwd=released)
        output = result.out + result.err
        found = [match.group(0) for match in PYTHON_REPR.finditer(output)]
        if result.code not in (0, 1) or not output.strip() or found:
            shown = " ".join(command)
            problems.append(f"$ git ckpt {shown} (exit {result.code}, {found})\n{output}")
    assert not problems, "\n".join(problems)
    assert "stages dev: v0.2.0" in cli("show", "clf", cwd=released).out
