"""Provenance from git history: the commits that touched an artifact's card or pointer
(`git ckpt log`). The history reader it walks with is gitckpt/history.py; the lineage graph is
gitckpt/lineage.py.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field, replace
from typing import Any

from gitckpt.card import BYTES_FIELD, Card
from gitckpt.card_changes import Change, semantic_changes
from gitckpt.errors import GitckptError
from gitckpt.history import (
    CardReader,
    WatchedPaths,
    card_reader,
    changed_entries,
    committed_card_paths,
)
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.registry import ArtifactState, RegistryState, read_registry
from gitckpt.repo import Commit, Ident, ObjectStore, Repository, Tree, commit_signatures
from gitckpt.strict_yaml import YamlDocument
from gitckpt.trust import TrustRoot, trust_root

TRAILER_KEYS = (
    "Reviewed-by",
    "Signed-off-by",
    "Co-authored-by",
    "Approved-by",
    "Acked-by",
    "Tested-by",
)
TRAILER = re.compile(rf"^({'|'.join(TRAILER_KEYS)}):\s*(.+)$", re.IGNORECASE | re.MULTILINE)
CANONICAL_TRAILER = {key.lower(): key for key in TRAILER_KEYS}


FIELDS_SHOWN = 6  # changed fields listed one by one; past that, grouped by top-level block


def summarize_fields(fields: list[str]) -> list[str]:
    """The changed fields as a reader wants them: each one while few, else one item per
    top-level block (`release_checklist (18 fields)`); `--json` keeps every field."""
    if len(fields) <= FIELDS_SHOWN:
        return fields
    groups: dict[str, list[str]] = {}
    for name in fields:
        groups.setdefault(re.split(r"[.\[]", name, maxsplit=1)[0], []).append(name)
    return [
        members[0] if len(members) == 1 else f"{block} ({len(members)} fields)"
        for block, members in groups.items()
    ]


@dataclass
class LogEntry:
    commit: str
    summary: str
    author: str
    author_date: str
    committer: str
    commit_date: str
    card_path: str
    signature: str = "unsigned"
    trailers: dict[str, list[str]] = field(default_factory=dict)
    merged_by: str | None = None
    bytes_changed: dict[str, Any] | None = None
    fields_changed: list[str] = field(default_factory=list)
    # issues added, resolved or removed: {"change": the change kind, "issue": the issue's JSON}
    known_issues: list[dict[str, Any]] = field(default_factory=list)
    renamed_from: str | None = None
    tags: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The entry's fields as they are (plain values already; no deep copy of 2,000
        entries' dictionaries, as `dataclasses.asdict` would make)."""
        return dict(vars(self))


def _when(ident: Ident) -> str:
    zone = datetime.timezone(datetime.timedelta(minutes=ident.offset))
    return datetime.datetime.fromtimestamp(ident.time, zone).isoformat()


@dataclass(frozen=True)
class LogWalk:
    """Where a log's walk of the history starts, and what the caller has already read for it
    (a site build shares one registry and one CardReader across every artifact's log)."""

    revision: str = "HEAD"
    registry: RegistryState | None = None
    reader: CardReader | None = None


def artifact_log(
    repo: Repository, name: str, *, card_path: str | None = None, walk: LogWalk = LogWalk()
) -> list[LogEntry]:
    """Every commit up to the walk's revision that changed the card or pointer of `name`,
    newest first, following renames (`card_path`: the card's path at that revision, if the
    caller knows it)."""
    if card_path is None:
        card_path = committed_card_paths(repo, walk.revision).get(name)
    if card_path is None:
        raise GitckptError(f"there is no committed card named {name!r}")
    return artifact_logs(repo, {name: card_path}, walk)[name]


@dataclass
class _Followed:
    """One artifact during a shared walk: the paths it has (card first, then its pointer) in
    the commit being looked at, the changes found so far, and whether its history has ended."""

    paths: list[str]
    entries: list[LogEntry] = field(default_factory=list)
    ended: bool = False
    body_only: dict[int, tuple[YamlDocument, list[Change]]] = field(default_factory=dict)


def artifact_logs(
    repo: Repository, card_paths: dict[str, str], walk: LogWalk = LogWalk()
) -> dict[str, list[LogEntry]]:
    """The log of each artifact (name -> its card's path at the walk's revision) from one walk
    of the history: a commit is looked at for an artifact only where the trees on the way to
    its card or pointer differ from the first parent's, so logging every artifact costs about
    one walk."""
    if walk.reader is None:
        with card_reader(repo) as reader:
            return artifact_logs(repo, card_paths, replace(walk, reader=reader))
    cards = walk.reader
    objects = cards.objects
    head = objects.commit(walk.revision)
    followed = {
        name: _Followed(_tracked_paths(cards, head.tree, path)) for name, path in card_paths.items()
    }
    watched = WatchedPaths()
    for name, artifact in followed.items():
        watched.add(name, artifact.paths)
    for commit in objects.walk(head):
        if not watched.owners:
            break
        parent_tree = commit.first_parent_tree
        changed = changed_entries(parent_tree, commit.tree, watched.children)
        for name in sorted({owner for path in changed for owner in watched.owners.get(path, ())}):
            artifact = followed[name]
            before = list(artifact.paths)
            _follow(cards, artifact, commit, parent_tree)
            if artifact.ended or artifact.paths != before:
                watched.remove(name, before)
                if not artifact.ended:
                    watched.add(name, artifact.paths)
    line = objects.first_parent_line()
    states = walk.registry or read_registry(repo)
    for artifact in followed.values():
        _add_signatures(repo, states.trust or trust_root(repo), artifact.entries)
    _add_merges_and_tags(
        objects,
        line,
        [(states.artifact(name), artifact.entries) for name, artifact in followed.items()],
    )
    return {name: artifact.entries for name, artifact in followed.items()}


def _follow(
    cards: CardReader, artifact: _Followed, commit: Commit, parent_tree: Tree | None
) -> None:
    """Record `commit`, which changed one of the artifact's paths: what changed, a rename (the
    paths before it are followed from here on), and whether the history before it is empty."""
    if _same_as_a_parent(cards, commit, artifact.paths):
        return
    entry = _entry(commit, artifact.paths[0])
    renamed = (
        commit.rename_source(artifact.paths[0])
        if parent_tree is not None and cards.blob_id(parent_tree, artifact.paths[0]) is None
        else None
    )
    _describe_change(
        entry,
        artifact,
        cards.at(parent_tree, renamed or artifact.paths[0]),
        cards.at(commit.tree, artifact.paths[0]),
    )
    if renamed:
        entry.renamed_from = renamed
        artifact.paths = _tracked_paths(cards, parent_tree, renamed)
    artifact.entries.append(entry)
    artifact.ended = parent_tree is None or all(
        cards.blob_id(parent_tree, path) is None for path in artifact.paths
    )


def _same_as_a_parent(cards: CardReader, commit: Commit, paths: list[str]) -> bool:
    """A merge that took the files from one of its parents changed nothing itself (git log's
    history simplification); the commits on the merged branch are listed instead."""
    return commit.is_merge and any(
        all(cards.blob_id(commit.tree, path) == cards.blob_id(parent, path) for path in paths)
        for parent in commit.parent_trees
    )


def _tracked_paths(cards: CardReader, tree: Tree | None, card_path: str) -> list[str]:
    """The card and its pointer (from the card's bytes block) at this tree."""
    card = cards.at(tree, card_path)
    paths = [card_path]
    if card is not None:
        block = card.data.get(BYTES_FIELD.get(card.kind or "", "checkpoint"))
        if isinstance(block, dict) and isinstance(block.get("path"), str):
            folder = card_path.rpartition("/")[0]
            paths.append(f"{folder + '/' if folder else ''}{block['path']}{POINTER_SUFFIX}")
    return paths


def _entry(commit: Commit, card_path: str) -> LogEntry:
    details = commit.details()
    message = details.message
    trailers: dict[str, list[str]] = {}
    for key, value in TRAILER.findall(message):
        trailers.setdefault(CANONICAL_TRAILER[key.lower()], []).append(value.strip())
    return LogEntry(
        commit=details.id,
        summary=message.splitlines()[0] if message else "",
        author=f"{details.author.name} <{details.author.email}>",
        author_date=_when(details.author),
        committer=f"{details.committer.name} <{details.committer.email}>",
        commit_date=_when(details.committer),
        card_path=card_path,
        signature="signed" if details.signed else "unsigned",
        trailers=trailers,
    )


def _describe_change(
    entry: LogEntry, artifact: _Followed, old: Card | None, new: Card | None
) -> None:
    if new is None:
        entry.fields_changed = ["(card removed or unreadable)"]
        return
    if old is None:
        entry.fields_changed = ["(card created)"]
        return
    for change in _semantic_changes(artifact, old, new):
        if change.kind.startswith("known-issue-"):
            entry.known_issues.append({"change": change.kind, "issue": change.new or change.old})
        if change.kind == "bytes-changed":
            entry.bytes_changed = {"old": change.old, "new": change.new}
        elif change.field not in entry.fields_changed:
            entry.fields_changed.append(change.field)


def _semantic_changes(artifact: _Followed, old: Card, new: Card) -> list[Change]:
    """`semantic_changes` between two versions of the card. Versions that changed only the body
    share one parse of their front matter (`CardReader`): those are compared once per parse."""
    if old.front_matter is not new.front_matter:
        return semantic_changes(old.data, new.data)
    known = artifact.body_only.get(id(new.front_matter))
    if known is None:
        known = artifact.body_only[id(new.front_matter)] = (
            new.front_matter,  # kept, so the id names this parse for as long as the entry lives
            semantic_changes(old.data, new.data),
        )
    return known[1]


def _add_signatures(repo: Repository, trust: TrustRoot, entries: list[LogEntry]) -> None:
    """Verify the signed commits in one `git log`, against the trusted allowed signers."""
    signed = [entry for entry in entries if entry.signature == "signed"]
    if not signed:
        return
    status = commit_signatures(repo, [entry.commit for entry in signed], trust.signers_file(repo))
    for entry in signed:
        code, who = status.get(entry.commit, ("N", ""))
        entry.signature = {
            "G": f"good signature by {who}",
            "U": "good signature, signer not in the trusted allowed signers",
            "B": "BAD signature",
        }.get(code, "signed, not verifiable here")


NOT_REACHED = (0, None)  # what `_reach` gives a commit the walk did not meet


def _add_merges_and_tags(
    objects: ObjectStore,
    line: dict[str, bool],
    logs: list[tuple[ArtifactState | None, list[LogEntry]]],
) -> None:
    """For every artifact's log (its registry state, its entries newest first), from one walk of
    the history: the merge on the default branch's first-parent `line` (`first_parent_line`)
    that brought each commit in (the first merge on the line that contains it), and the tags
    (`_add_tags`)."""
    marks: dict[str, int] = {}  # commit -> a bit for each event at it, numbered across the logs
    first_bits = []
    events = 0
    for state, _ in logs:
        first_bits.append(events)
        for event in state.events if state is not None else ():
            marks[event.commit] = marks.get(event.commit, 0) | 1 << events
            events += 1
    merges = [commit for commit, merge in line.items() if merge]
    reached = _reach(
        objects, marks, merges, {entry.commit for _, entries in logs for entry in entries}
    )
    for (state, entries), first_bit in zip(logs, first_bits, strict=True):
        for entry in entries:
            first_merge = reached.get(entry.commit, NOT_REACHED)[1]
            if first_merge is not None and entry.commit not in line:
                entry.merged_by = merges[first_merge]
        if state is not None:
            _add_tags(state, entries, reached, first_bit)


def _add_tags(
    state: ArtifactState,
    entries: list[LogEntry],
    reached: dict[str, tuple[int, int | None]],
    first_bit: int,
) -> None:
    """Each release and stage tag goes with the newest listed change it contains: the first
    entry whose commit is the tag's or an ancestor of it, the version of the card and bytes that
    tag released (`reached`: from `_reach`, where the state's events are the marks' bits from
    `first_bit` on)."""
    placed: dict[int, LogEntry] = {}
    unplaced = (1 << len(state.events)) - 1
    for entry in entries:
        new = reached.get(entry.commit, NOT_REACHED)[0] >> first_bit & unplaced
        unplaced &= ~new
        while new:
            lowest = new & -new
            placed[lowest.bit_length() - 1] = entry
            new ^= lowest
    for index, event in enumerate(state.events):
        if index in placed:
            placed[index].tags.append(event.tag)


def _reach(
    objects: ObjectStore, marks: dict[str, int], merges: list[str], wanted: set[str]
) -> dict[str, tuple[int, int | None]]:
    """For each wanted commit that is one of or an ancestor of the marked commits or `merges`,
    from one walk down from those (children before parents, stopping once every wanted commit
    is met): the union of the marks of the commits it is or is an ancestor of, and the index of
    the first of `merges` it is or is an ancestor of (None: none)."""
    position = {merge: index for index, merge in enumerate(merges)}
    unmerged = len(merges)
    masks: dict[str, int] = {}
    firsts: dict[str, int] = {}
    found: dict[str, tuple[int, int | None]] = {}
    remaining = set(wanted)
    for commit, parents in objects.ancestry([*marks, *merges]) if remaining else ():
        mask = masks.pop(commit, 0) | marks.get(commit, 0)
        first = min(firsts.pop(commit, unmerged), position.get(commit, unmerged))
        if commit in remaining:
            found[commit] = (mask, None if first == unmerged else first)
            remaining.discard(commit)
            if not remaining:
                break
        for parent in parents:
            masks[parent] = masks.get(parent, 0) | mask
            firsts[parent] = min(firsts.get(parent, unmerged), first)
    return found
