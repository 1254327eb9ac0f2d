"""Bad input gets a clear finding naming file and line, exit 1, no traceback, and no file changed."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repos import clean_env
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
CARD = "models/clf.card.md"
POINTER = "models/clf.bin.dvc"


def snapshot(repo: Path) -> dict[str, str]:
    """Every file outside .git with its digest (symlinks with their targets; a FIFO is never opened)."""
    state = {}
    for path in sorted(repo.rglob("*")):
        relative = path.relative_to(repo).as_posix()
        if relative.startswith(".git/") or (path.is_dir() and not path.is_symlink()):
            continue
        if path.is_symlink():
            state[relative] = os.readlink(path)
        else:
            state[relative] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "not a regular file"
    return state


def check_refuses(repo: Path, cli: Cli, path: str, line: int, text: str) -> dict[str, object]:
    before = snapshot(repo)
    result = cli("check", "--json", cwd=repo)
    assert result.code == 1, result.out
    assert snapshot(repo) == before
    matching = [f for f in json.loads(result.out)["findings"] if f["path"] == path and text in f["message"]]
    assert matching, json.loads(result.out)["findings"]
    assert matching[0]["line"] == line
    human = cli("check", cwd=repo)
    assert f"{path}:{line}:" in human.out
    return matching[0]  # type: ignore[no-any-return]


def replace_front_matter(repo: Path, front_matter: str) -> None:
    (repo / CARD).write_text(f"---\n{front_matter}---\n# body\n")


def test_invalid_yaml(registry: Path, cli: Cli) -> None:
    replace_front_matter(registry, "name: clf\nkind: [model\nversion: 1.0.0\n")
    check_refuses(registry, cli, CARD, 4, "invalid YAML")


def test_missing_front_matter(registry: Path, cli: Cli) -> None:
    (registry / CARD).write_text("# A card without front matter\n\nname: clf\n")
    finding = check_refuses(registry, cli, CARD, 1, "card has no YAML front matter")
    assert finding["check"] == "GC102"


def test_unterminated_front_matter(registry: Path, cli: Cli) -> None:
    (registry / CARD).write_text("---\nname: clf\nkind: model\n# forgot to close\n")
    check_refuses(registry, cli, CARD, 1, "never closed")


def test_front_matter_that_is_not_a_mapping(registry: Path, cli: Cli) -> None:
    replace_front_matter(registry, "- name: clf\n- kind: model\n")
    check_refuses(registry, cli, CARD, 2, "front matter must be a mapping")


def test_yaml_anchors_and_aliases_are_refused(registry: Path, cli: Cli) -> None:
    replace_front_matter(registry, "name: clf\nlicense: &lic Apache-2.0\nother: *lic\n")
    check_refuses(registry, cli, CARD, 3, "anchors and aliases")


def test_yaml_alias_bomb_is_refused_before_expansion(registry: Path, cli: Cli) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)
    ]
    replace_front_matter(registry, "\n".join(levels) + "\n")
    check_refuses(registry, cli, CARD, 2, "anchors and aliases")


def test_explicit_yaml_tags_are_refused(registry: Path, cli: Cli) -> None:
    replace_front_matter(registry, "name: clf\nkind: !!python/object:os.system model\n")
    check_refuses(registry, cli, CARD, 3, "explicit YAML tags")


def test_duplicate_keys(registry: Path, cli: Cli) -> None:
    replace_front_matter(registry, "name: clf\nkind: model\nname: other\n")
    check_refuses(registry, cli, CARD, 4, 'duplicate key "name"')


def test_non_utf8_card(registry: Path, cli: Cli) -> None:
    (registry / CARD).write_bytes(b"---\nname: clf\ndescription: caf\xe9\n---\n")
    finding = check_refuses(registry, cli, CARD, 3, "not valid UTF-8")
    assert finding["check"] == "GC101"


def test_binary_card(registry: Path, cli: Cli) -> None:
    (registry / CARD).write_bytes(b"---\nname: clf\n\x00\x01\x02binary\n---\n")
    check_refuses(registry, cli, CARD, 3, "binary")


def test_card_over_one_mebibyte(registry: Path, cli: Cli) -> None:
    card = registry / CARD
    card.write_text(card.read_text() + "\n" + "padding line\n" * 90_000)
    check_refuses(registry, cli, CARD, 0, "over the 1,048,576-byte limit")


def test_pointer_over_64_kibibytes(registry: Path, cli: Cli) -> None:
    pointer = registry / POINTER
    pointer.write_text(pointer.read_text() + "#" + "x" * 70_000 + "\n")
    finding = check_refuses(registry, cli, POINTER, 0, "over the 65,536-byte limit")
    assert finding["check"] == "GC201"


def set_pointer_field(repo: Path, key: str, value: str) -> int:
    pointer = repo / POINTER
    lines = pointer.read_text().splitlines()
    number = next(index for index, line in enumerate(lines) if line.strip().lstrip("- ").startswith(f"{key}:"))
    prefix = lines[number][: lines[number].index(key)]
    lines[number] = f"{prefix}{key}: {value}"
    pointer.write_text("\n".join(lines) + "\n")
    return number + 1


def test_pointer_path_that_is_absolute(registry: Path, cli: Cli) -> None:
    line = set_pointer_field(registry, "path", "/etc/passwd")
    check_refuses(registry, cli, POINTER, line, "path is absolute")


def test_pointer_path_that_leaves_the_repository(registry: Path, cli: Cli) -> None:
    set_pointer_field(registry, "path", "../../../outside.bin")
    finding = check_refuses(registry, cli, POINTER, 2, "path leaves the repository")
    assert finding["check"] == "GC205"


def test_pointer_path_through_a_symlinked_directory(registry: Path, cli: Cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "clf.bin").write_bytes(b"elsewhere")
    (registry / "models/linked").symlink_to(outside, target_is_directory=True)
    set_pointer_field(registry, "path", "linked/clf.bin")
    check_refuses(registry, cli, POINTER, 2, "runs through a symlinked directory")


def test_pointer_digest_of_the_wrong_length(registry: Path, cli: Cli) -> None:
    line = set_pointer_field(registry, "md5", "0123456789abcdef")
    finding = check_refuses(registry, cli, POINTER, line, "32 lowercase hex digits")
    assert finding["field"] == "outs[0].md5"


def test_card_digest_of_the_wrong_alphabet(registry: Path, cli: Cli) -> None:
    card = registry / CARD
    text = card.read_text()
    sha_line = next(line for line in text.splitlines() if line.strip().startswith("sha256:"))
    card.write_text(text.replace(sha_line, "  sha256: " + "g" * 64))
    line = next(number for number, line in enumerate(card.read_text().splitlines(), start=1) if line.strip().startswith("sha256:"))
    finding = check_refuses(registry, cli, CARD, line, "does not have the expected form")
    assert finding["field"] == "checkpoint.sha256"


def test_card_data_path_that_leaves_the_repository(registry: Path, cli: Cli) -> None:
    card = registry / CARD
    card.write_text(card.read_text().replace("path: clf.bin", "path: ../../elsewhere.bin"))
    line = next(number for number, line in enumerate(card.read_text().splitlines(), start=1) if "elsewhere.bin" in line)
    check_refuses(registry, cli, CARD, line, "path leaves the repository")


@pytest.mark.parametrize("content", ["", "outs: []\n", "outs:\n- 7\n", "just text\n"])
def test_malformed_pointer_structure(registry: Path, cli: Cli, content: str) -> None:
    (registry / POINTER).write_text(content)
    before = snapshot(registry)
    result = cli("check", "--json", cwd=registry)
    assert result.code == 1
    assert snapshot(registry) == before
    assert any(f["path"] == POINTER and f["check"] == "GC201" for f in json.loads(result.out)["findings"])


def line_of(repo: Path, path: str, text: str) -> int:
    return next(number for number, line in enumerate((repo / path).read_text().splitlines(), start=1) if text in line)


def bounded_cli(repo: Path, *args: str, memory: int = 1024**3, seconds: int = 30) -> subprocess.CompletedProcess[str]:
    """`git ckpt ARGS` in a child process held to `memory` bytes of address space and `seconds`:
    when a refusal regresses into a memory bomb or a hang, the test fails fast instead of
    exhausting the machine it shares."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    completed = subprocess.run(
        [sys.executable, "-m", "gitckpt", *args],
        cwd=repo,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=seconds,
        preexec_fn=limit_memory,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def bounded_check_refuses(repo: Path, path: str, line: int, field: str, text: str) -> dict[str, object]:
    before = snapshot(repo)
    result = bounded_cli(repo, "check", "--json")
    assert result.returncode == 1, result.stderr
    assert snapshot(repo) == before
    matching = [f for f in json.loads(result.stdout)["findings"] if f["path"] == path and text in f["message"]]
    assert matching, result.stdout
    assert (matching[0]["line"], matching[0]["field"]) == (line, field)
    return matching[0]  # type: ignore[no-any-return]


def test_card_that_is_a_fifo(registry: Path) -> None:
    (registry / CARD).unlink()
    os.mkfifo(registry / CARD)
    finding = bounded_check_refuses(registry, CARD, 0, "", "not a regular file")
    assert finding["check"] == "GC101"


def test_card_nested_deeper_than_the_limit(registry: Path, cli: Cli) -> None:
    card = registry / CARD
    card.write_text(card.read_text().replace("name: clf\n", f"name: {'[' * 5000}{']' * 5000}\n"))
    finding = check_refuses(registry, cli, CARD, line_of(registry, CARD, "name: ["), "nested deeper than 64 levels")
    assert finding["field"] == "name"


@pytest.mark.parametrize(
    ("path", "key", "check", "field"),
    [(CARD, "  size:", "GC102", "checkpoint.size"), (POINTER, "  size:", "GC201", "outs[0].size")],
    ids=["card", "pointer"],
)
def test_integer_of_five_thousand_digits(registry: Path, cli: Cli, path: str, key: str, check: str, field: str) -> None:
    file = registry / path
    line = line_of(registry, path, key)
    lines = file.read_text().splitlines()
    lines[line - 1] = f"{key} {'9' * 5000}"
    file.write_text("\n".join(lines) + "\n")
    finding = check_refuses(registry, cli, path, line, "integer of 5,000 digits (at most 32 are accepted)")
    assert (finding["check"], finding["field"]) == (check, field)


def test_integer_of_five_thousand_digits_in_the_config(registry: Path, cli: Cli) -> None:
    (registry / ".gitckpt").mkdir()
    (registry / ".gitckpt/config.yaml").write_text(f"audit:\n  stale_days: {'9' * 5000}\n")
    before = snapshot(registry)
    result = cli("check", cwd=registry)
    assert result.code == 1 and snapshot(registry) == before
    assert ".gitckpt/config.yaml:2: [audit.stale_days] integer of 5,000 digits (at most 32 are accepted)" in result.err
