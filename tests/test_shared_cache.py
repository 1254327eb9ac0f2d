"""The cache in `.git/gitckpt/` is keyed by git blob ids and shared between commands: a warm
`check` knows unchanged files by their stat without reading them (under git's racy rule), and a
card version parsed by one command (`check`, `log`, `site`, `diff`, `search`) is not parsed again
by the others. Every test compares what the commands say with and without the cache."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitckpt import inventory, parsed_cards, sources
from gitckpt.cache import RACY_WINDOW_NS, Cache
from gitckpt.card import Card, card_from_json, card_to_json, parse_card
from testing.repos import git
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
HOUR_NS = 3600 * 10**9
MODEL_CARD = "models/clf.card.md"


def small_files(repo: Path) -> list[str]:
    return sorted(
        path
        for path in git(repo, "ls-files").split()
        if path.endswith((".card.md", ".dvc")) or path == ".gitckpt/config.yaml"
    )


def age(repo: Path) -> None:
    """Set every card's and pointer's modification time an hour back, as files checked out
    earlier have: their stat-cache entries are then not racy."""
    for path in small_files(repo):
        status = (repo / path).stat()
        os.utime(repo / path, ns=(status.st_atime_ns, status.st_mtime_ns - HOUR_NS))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every work-tree file gitckpt's sources read, by path (not a missing one looked for)."""
    seen: list[str] = []
    real = sources.read_limited

    def spy(path: Path, limit: int, display: str) -> bytes:
        data = real(path, limit, display)
        seen.append(display)
        return data

    monkeypatch.setattr(sources, "read_limited", spy)
    return seen


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every card gitckpt parses from YAML (not from a cached parse)."""
    seen: list[str] = []
    real = parse_card

    def spy(text: str, display: str) -> Card:
        seen.append(text)
        return real(text, display)

    monkeypatch.setattr(parsed_cards, "parse_card", spy)
    monkeypatch.setattr(inventory, "load_card", _spying_load_card(seen))
    return seen


def _spying_load_card(seen: list[str]) -> Callable[[bytes, str], object]:
    real = inventory.load_card

    def spy(data: bytes, display: str) -> object:
        seen.append(data.decode())
        return real(data, display)

    return spy


def blob_ids_table(repo: Path) -> dict[str, str]:
    with sqlite3.connect(repo / ".git/gitckpt/cache.sqlite") as connection:
        return dict(connection.execute("SELECT path, oid FROM blob_ids"))


def test_a_warm_check_reads_no_unchanged_file_and_keys_them_by_gits_blob_id(
    registry: Path, cli: Cli, reads: list[str]
) -> None:
    age(registry)
    first = cli("check", "--all", "--json", cwd=registry)
    assert set(reads) >= set(small_files(registry))
    recorded = blob_ids_table(registry)
    for path in small_files(registry):
        assert recorded[path] == git(registry, "hash-object", path).strip(), path
    reads.clear()
    second = cli("check", "--all", "--json", cwd=registry)
    assert reads == []
    assert (second.code, second.out) == (first.code, first.out)


def test_an_edit_that_keeps_size_and_modification_time_is_seen(
    registry: Path, cli: Cli, reads: list[str]
) -> None:
    age(registry)
    assert cli("check", "--all", cwd=registry).code == 0
    card = registry / MODEL_CARD
    before = card.stat()
    card.write_text(card.read_text().replace("kind: model", "kind: modal"))
    os.utime(card, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert card.stat().st_size == before.st_size
    reads.clear()
    result = cli("check", "--all", "--json", cwd=registry)
    assert reads == [MODEL_CARD]
    assert result.code == 1
    assert MODEL_CARD in {finding["path"] for finding in json.loads(result.out)["findings"]}


def test_a_file_written_just_before_it_was_read_is_read_again(
    registry: Path, cli: Cli, reads: list[str]
) -> None:
    """git's racy rule: within the timestamp granularity bytes may change without the stat
    changing, so a file modified shortly before it was read is never known by its stat."""
    assert cli("check", "--all", cwd=registry).code == 0
    (registry / MODEL_CARD).write_text((registry / MODEL_CARD).read_text() + "\nMore prose.\n")
    assert cli("check", "--all", cwd=registry).code == 0
    reads.clear()
    assert cli("check", "--all", cwd=registry).code == 0
    assert MODEL_CARD in reads


def test_the_racy_window_decides_whether_a_recorded_blob_id_is_trusted(tmp_path: Path) -> None:
    card = tmp_path / "a.card.md"
    card.write_text("---\nname: a\n---\n")
    status = card.stat()
    with Cache(tmp_path / "state") as cache:
        cache.put_blob_ids({"a.card.md": (status, "1" * 40)}, status.st_mtime_ns + 10)
        assert cache.get_blob_ids({"a.card.md": status}) == {}
        cache.put_blob_ids(
            {"a.card.md": (status, "1" * 40)}, status.st_mtime_ns + 2 * RACY_WINDOW_NS
        )
        assert cache.get_blob_ids({"a.card.md": status}) == {"a.card.md": "1" * 40}
        os.utime(card, ns=(status.st_atime_ns, status.st_mtime_ns + 1))
        assert cache.get_blob_ids({"a.card.md": card.stat()}) == {}


def test_log_site_diff_and_search_parse_no_card_that_check_parsed(
    registry: Path, cli: Cli, parses: list[str], tmp_path: Path
) -> None:
    committed = (registry / MODEL_CARD).read_text()
    assert cli("check", "--all", cwd=registry).code == 0
    assert committed in parses
    parses.clear()
    assert cli("log", "clf", cwd=registry).code == 0
    assert cli("site", "-o", str(tmp_path / "site"), cwd=registry).code == 0
    assert cli("diff", "HEAD", cwd=registry).code == 0
    assert cli("search", "clf", cwd=registry).code == 0
    assert parses == []


def test_check_reuses_the_parses_log_made(registry: Path, cli: Cli, parses: list[str]) -> None:
    assert cli("log", "clf", cwd=registry).code == 0
    assert parses
    parses.clear()
    assert cli("check", "--all", cwd=registry).code == 0
    assert (registry / MODEL_CARD).read_text() not in parses


def test_check_reuses_the_parses_a_search_made(registry: Path, cli: Cli, parses: list[str]) -> None:
    assert cli("search", "clf", cwd=registry).code == 0
    assert (registry / MODEL_CARD).read_text() in parses
    parses.clear()
    assert cli("check", "--all", cwd=registry).code == 0
    assert parses == []


def test_findings_are_the_same_from_a_cached_parse(
    registry: Path, cli: Cli, parses: list[str]
) -> None:
    """Facts judged again (their results dropped) from cached parses: the findings, lines
    included, are those of a fresh parse."""
    card = registry / MODEL_CARD
    card.write_text(card.read_text().replace("license: ", "license: not-a-license ", 1))
    fresh = cli("check", "--all", "--json", cwd=registry)
    assert fresh.code == 1
    with sqlite3.connect(registry / ".git/gitckpt/cache.sqlite") as connection:
        dropped = connection.execute("DELETE FROM results WHERE key LIKE 'card:%'").rowcount
    assert dropped == 3
    parses.clear()
    again = cli("check", "--all", "--json", cwd=registry)
    assert parses == []
    assert (again.code, again.out) == (fresh.code, fresh.out)


def cards_to_round_trip() -> Iterator[tuple[str, str]]:
    yield "plain", "---\nname: a\nkind: model\nlist: [1, 2.5, true, null]\n---\n# Body\n\ntext\n"
    yield "closing last", "---\nname: a\n..."
    yield "closing with newline only", "---\nname: a\n---\n"
    yield "nested", "---\na:\n  b:\n    - c: 1\n      d: [x, {e: f}]\n---\nbody\nmore\n"
    yield "special floats", "---\nv: .nan\nw: -.inf\nbig: 123456789012345678901234567890\n---\n"


@pytest.mark.parametrize(("label", "text"), list(cards_to_round_trip()))
def test_a_cached_parse_is_the_parse(label: str, text: str) -> None:
    card = parse_card(text, "x.card.md")
    payload = card_to_json(card)
    restored = card_from_json(json.loads(json.dumps(payload)), text, "x.card.md")
    assert restored.front_matter.lines == card.front_matter.lines
    assert (restored.body, restored.body_first_line) == (card.body, card.body_first_line)
    assert json.dumps(restored.data) == json.dumps(card.data)


def test_a_commit_is_checked_from_the_cache_without_reading_its_blobs(
    registry: Path, cli: Cli
) -> None:
    """`load_inventory` of a commit looks results up by the ids in its tree: after a check of
    the work tree, the same blobs committed are not read again."""
    git(registry, "commit", "-q", "--allow-empty", "-m", "nothing new")
    assert cli("check", "--all", cwd=registry).code == 0
    read: list[str] = []
    real = sources.RevisionSource._cat

    def spy(self: sources.RevisionSource, oids: list[str]) -> list[bytes]:
        read.extend(oids)
        return real(self, oids)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources.RevisionSource, "_cat", spy)
        assert cli("audit", cwd=registry).code in (0, 1)
    card_blobs = {
        git(registry, "rev-parse", f"HEAD:{path}").strip()
        for path in small_files(registry)
        if path.endswith((".card.md", ".dvc"))
    }
    assert not card_blobs & set(read)
