"""`git ckpt log` places tags and merges from one walk of the history; these repositories
(branches, criss-cross merges, tags on merged and unmerged branches, a tag from before the card,
a shallow clone) check it against the definition, asked of git one pair at a time; and the card
versions it reads are parsed only where their front matter changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest

from gitckpt import parsed_cards
from gitckpt.card import Card, parse_card
from gitckpt.errors import InputError
from gitckpt.history import CardReader
from gitckpt.provenance import LogEntry, artifact_logs
from gitckpt.registry import read_registry
from gitckpt.repo import ObjectStore, find_repository
from testing.cards import card_front_matter, dataset_fields, render_card
from testing.repos import commit_all, git, make_repo, run
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def card_path(name: str) -> str:
    return f"data/{name}/{name}.card.md"


def edit(repo: Path, name: str, revision: str, message: str | None = None) -> str:
    """Write version `revision` of `name`'s card (only the front matter's version and the body
    change), commit it, and return the commit."""
    out = {"md5": "0" * 32, "size": 1}
    front_matter = card_front_matter(
        "dataset", name, f"data/{name}/part.csv", out, dataset_fields(), b"x"
    )
    front_matter["version"] = revision
    card = repo / card_path(name)
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text(render_card(front_matter, f"Revision {revision} of {name}."))
    commit_all(repo, message or f"{name} {revision}")
    return head(repo)


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def empty(repo: Path, message: str) -> str:
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return head(repo)


def tag(repo: Path, name: str, commit: str) -> None:
    git(repo, "tag", "-a", "-m", f"tag {name}", name, commit)


def merge(repo: Path, branch: str, message: str) -> str:
    git(repo, "merge", "-q", "--no-ff", "-s", "ours", "-m", message, branch)
    return head(repo)


def by_definition(
    repo: Path, name: str, entries: list[LogEntry]
) -> list[tuple[str, str | None, list[str]]]:
    """Each entry's commit, merge and tags as the per-pair definition gives them: the first merge
    on the default branch's first-parent line that descends from the entry; each event with the
    first entry whose commit is the event's or an ancestor of it."""
    objects = ObjectStore(find_repository(repo))
    line = objects.first_parent_line()
    state = read_registry(find_repository(repo)).artifact(name)
    tags: dict[str, list[str]] = {entry.commit: [] for entry in entries}
    for event in state.events if state is not None else []:
        found = next(
            (
                entry
                for entry in entries
                if entry.commit == event.commit or objects.descendant_of(event.commit, entry.commit)
            ),
            None,
        )
        if found is not None:
            tags[found.commit].append(event.tag)
    return [
        (
            entry.commit,
            None
            if entry.commit in line
            else next(
                (
                    commit
                    for commit, merge in line.items()
                    if merge and objects.descendant_of(commit, entry.commit)
                ),
                None,
            ),
            tags[entry.commit],
        )
        for entry in entries
    ]


def placed(entries: list[LogEntry]) -> list[tuple[str, str | None, list[str]]]:
    return [(entry.commit, entry.merged_by, entry.tags) for entry in entries]


def logged(repo: Path, cli: Cli, name: str) -> list[LogEntry]:
    result = cli("log", name, "--json", cwd=repo)
    assert result.code == 0, result.err
    return [LogEntry(**entry) for entry in json.loads(result.out)]


@pytest.fixture
def branchy(tmp_path: Path) -> dict[str, str]:
    """Two artifacts over branches and merges; returns the commits by a label, and the repo under
    "repo"."""
    repo = make_repo(tmp_path / "repo", with_dvc=False)
    at: dict[str, str] = {"repo": str(repo)}
    at["before"] = empty(repo, "before any card")
    tag(repo, "ds@v0.0.1", at["before"])  # before the card existed: no entry contains it
    at["ds1"] = edit(repo, "ds", "1")
    at["other1"] = edit(repo, "other", "1")
    tag(repo, "ds@v0.1.0", at["ds1"])
    git(repo, "checkout", "-q", "-b", "feature")
    at["f1"] = edit(repo, "ds", "2", "feature: ds 2")
    at["f2"] = empty(repo, "feature: tagged, no card change")
    tag(repo, "ds@v0.2.0", at["f2"])  # on a branch merged later
    tag(repo, "other@v0.1.0", at["f2"])  # another artifact's tag at the same commit
    git(repo, "checkout", "-q", "main")
    at["m1"] = edit(repo, "other", "2")
    at["merge1"] = merge(repo, "feature", "Merge feature")
    git(repo, "checkout", "-q", "-b", "side", at["ds1"])
    at["s1"] = edit(repo, "ds", "side")
    tag(repo, "ds@v0.9.0", at["s1"])  # on a branch never merged
    tag(repo, "ds#prod#1", at["s1"])
    # criss-cross: a and b each merge the other's first commit
    git(repo, "checkout", "-q", "-b", "a", at["merge1"])
    at["a1"] = edit(repo, "ds", "a1")
    git(repo, "checkout", "-q", "-b", "b", at["merge1"])
    at["b1"] = edit(repo, "other", "b1")
    git(repo, "checkout", "-q", "a")
    at["a2"] = merge(repo, at["b1"], "a merges b1")
    git(repo, "checkout", "-q", "b")
    at["b2"] = merge(repo, at["a1"], "b merges a1")
    at["b3"] = edit(repo, "ds", "b3")
    tag(repo, "ds@v0.3.0", at["b3"])
    tag(repo, "ds@v0.2.7", at["a2"])  # on a criss-cross merge
    tag(repo, "ds#staging#2", at["b3"])
    git(repo, "checkout", "-q", "main")
    at["merge2"] = merge(repo, "a", "Merge a")
    at["merge3"] = merge(repo, "b", "Merge b")
    at["last"] = edit(repo, "ds", "4")
    tag(repo, "ds@v1.0.0", at["last"])
    tag(repo, "ds@v0.2.5", at["merge1"])
    tag(repo, "ds#dev#3", at["f2"])
    return at


def test_tags_and_merges_match_the_per_pair_definition(branchy: dict[str, str], cli: Cli) -> None:
    repo = Path(branchy["repo"])
    for name in ("ds", "other"):
        entries = logged(repo, cli, name)
        assert placed(entries) == by_definition(repo, name, entries), name
    entries = {entry.commit: entry for entry in logged(repo, cli, "ds")}
    assert set(entries) == {
        branchy[label] for label in ("ds1", "f1", "a1", "b3", "last")
    }  # the unmerged side branch is not in main's history
    assert entries[branchy["ds1"]].tags == ["ds@v0.1.0", "ds@v0.9.0", "ds#prod#1"]
    assert entries[branchy["f1"]].tags == ["ds@v0.2.0", "ds@v0.2.5", "ds#dev#3"]
    assert entries[branchy["f1"]].merged_by == branchy["merge1"]
    assert entries[branchy["a1"]].merged_by == branchy["merge2"]  # a1 came in with a, not b
    assert entries[branchy["a1"]].tags == ["ds@v0.2.7"]
    assert entries[branchy["b3"]].merged_by == branchy["merge3"]
    assert entries[branchy["b3"]].tags == ["ds@v0.3.0", "ds#staging#2"]
    assert (
        entries[branchy["last"]].tags == ["ds@v1.0.0"]
        and entries[branchy["last"]].merged_by is None
    )
    assert not any("ds@v0.0.1" in entry.tags for entry in entries.values())


def test_one_walk_for_many_artifacts_gives_each_its_own_tags(branchy: dict[str, str]) -> None:
    repo = Path(branchy["repo"])
    logs = artifact_logs(find_repository(repo), {name: card_path(name) for name in ("ds", "other")})
    for name, entries in logs.items():
        assert placed(entries) == by_definition(repo, name, entries), name
    other = {entry.commit: entry for entry in logs["other"]}
    assert other[branchy["other1"]].tags == ["other@v0.1.0"]


def test_a_log_from_a_branch_and_from_a_shallow_clone(
    branchy: dict[str, str], cli: Cli, tmp_path: Path
) -> None:
    repo = Path(branchy["repo"])
    git(repo, "checkout", "-q", "side")
    entries = logged(repo, cli, "ds")
    assert placed(entries) == by_definition(repo, "ds", entries)
    assert [entry.commit for entry in entries] == [branchy["s1"], branchy["ds1"]]
    git(repo, "checkout", "-q", "main")
    shallow = tmp_path / "shallow"
    run(["git", "clone", "-q", "--depth", "3", f"file://{repo}", str(shallow)], tmp_path)
    git(shallow, "fetch", "-q", "--depth", "3", "origin", "refs/tags/*:refs/tags/*")
    assert (shallow / ".git/shallow").exists()
    entries = logged(shallow, cli, "ds")
    assert placed(entries) == by_definition(shallow, "ds", entries)
    assert {tag for entry in entries for tag in entry.tags} >= {"ds@v1.0.0"}


def test_logs_side_by_side_equal_logs_alone(branchy: dict[str, str], cli: Cli) -> None:
    repo = Path(branchy["repo"])
    together = artifact_logs(
        find_repository(repo), {"ds": card_path("ds"), "other": card_path("other")}
    )
    for name in ("ds", "other"):
        assert [asdict(entry) for entry in together[name]] == [
            asdict(entry) for entry in logged(repo, cli, name)
        ]


def test_a_card_reader_parses_front_matter_only_when_its_bytes_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions read one after another (as a log reads them): each card equals a fresh parse,
    and only the versions whose front matter changed are parsed."""
    repo = make_repo(tmp_path / "repo", with_dvc=False)
    front = "---\nname: ds\nversion: '1'\n---"
    versions = [
        f"{front}\nFirst body.\n",
        f"{front}\nSecond body,\nlonger.\n",  # body only
        front,  # nothing after the closing line
        f"{front}\n",
        front.replace("'1'", "'2'") + "\nFirst body.\n",  # front matter changed
        front.replace("'1'", "'2'") + "\r\nCRLF after the fence.\n",  # the closing line changed
        front.replace("---", "...", 2)[3:] + "\nno opening fence\n",
        "---\nname: [unclosed\n---\nbody\n",  # front matter that does not parse
        "---\nname: ds\nversion: '2'\n...\nclosed with dots\n",
        "---\nname: ds\nversion: '2'\n...\nanother body\n",
        "---\nname: ds\nno closing line\n",
    ]
    oids = []
    for index, text in enumerate(versions):
        (tmp_path / f"v{index}").write_bytes(text.encode())
        oids.append(git(repo, "hash-object", "-w", str(tmp_path / f"v{index}")).strip())
    parses = []
    monkeypatch.setattr(
        parsed_cards,
        "parse_card",
        lambda text, display: parses.append(text) or parse_card(text, display),
    )
    reader = CardReader(ObjectStore(find_repository(repo)))
    for text, oid in zip(versions, oids, strict=True):
        try:
            expected: Card | None = parse_card(text, card_path("ds"))
        except InputError:
            expected = None
        assert reader.blob(oid, card_path("ds")) == expected, text
    assert len(parses) == 7  # the 2nd to 4th and the 10th reuse the one before
