"""Provenance from git history: the commits that touched an artifact's card or pointer
(`git ckpt log`), and when each card and pointer last changed (`audit`). The lineage graph is
gitckpt/lineage.py.

History is read with pygit2 in one walk: for each commit, the blob ids of the card and pointer
paths are compared with the first parent's; only changed blobs are parsed.
"""

from __future__ import annotations

import datetime
import re
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from gitckpt.card import BYTES_FIELD, Card, parse_card
from gitckpt.errors import GitckptError, InputError
from gitckpt.files import decode_text
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.registry import ArtifactState, Registry, read_registry
from gitckpt.repo import DEFAULT_BRANCHES, Repository, commit_signatures
from gitckpt.review import semantic_changes
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
    renamed_from: str | None = None
    tags: list[str] = field(default_factory=list)


def _when(signature: Any) -> str:
    zone = datetime.timezone(datetime.timedelta(minutes=signature.offset))
    return datetime.datetime.fromtimestamp(signature.time, zone).isoformat()


def artifact_log(
    repo: Repository,
    name: str,
    *,
    revision: str = "HEAD",
    card_path: str | None = None,
    registry: Registry | None = None,
    reader: CardReader | None = None,
) -> list[LogEntry]:
    """Every commit up to `revision` that changed the card or pointer of `name`, newest first,
    following renames (`card_path`: the card's path at `revision`, if the caller knows it)."""
    if card_path is None:
        from gitckpt.inventory import load_inventory

        card_path = next(
            (
                card.path
                for card in load_inventory(repo, revision=revision).cards.values()
                if card.name == name
            ),
            None,
        )
    if card_path is None:
        raise GitckptError(f"there is no committed card named {name!r}")
    return artifact_logs(
        repo, {name: card_path}, revision=revision, registry=registry, reader=reader
    )[name]


@dataclass
class _Followed:
    """One artifact during a shared walk: the paths it has (card first, then its pointer) in
    the commit being looked at, the changes found so far, and whether its history has ended."""

    paths: list[str]
    entries: list[LogEntry] = field(default_factory=list)
    ended: bool = False


def artifact_logs(
    repo: Repository,
    card_paths: dict[str, str],
    *,
    revision: str = "HEAD",
    registry: Registry | None = None,
    reader: CardReader | None = None,
) -> dict[str, list[LogEntry]]:
    """The log of each artifact (name -> its card's path at `revision`) from one walk of the
    history: a commit is looked at for an artifact only where the trees on the way to its card
    or pointer differ from the first parent's, so logging every artifact costs about one walk."""
    import pygit2

    cards = reader or CardReader(pygit2.Repository(str(repo.root)))
    git_repo = cards.git_repo
    head = git_repo.revparse_single(revision).peel(pygit2.Commit)
    followed = {
        name: _Followed(_tracked_paths(cards, head.tree, path)) for name, path in card_paths.items()
    }
    watched = _Watched()
    for name, artifact in followed.items():
        watched.add(name, artifact.paths)
    for commit in git_repo.walk(
        head.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME
    ):
        if not watched.owners:
            break
        parent_tree = commit.parents[0].tree if commit.parents else None
        changed = _changed_entries(parent_tree, commit.tree, watched.children)
        for name in sorted({owner for path in changed for owner in watched.owners.get(path, ())}):
            artifact = followed[name]
            before = list(artifact.paths)
            _follow(cards, artifact, commit, parent_tree)
            if artifact.ended or artifact.paths != before:
                watched.remove(name, before)
                if not artifact.ended:
                    watched.add(name, artifact.paths)
    line = _first_parent_line(git_repo)
    states = registry or read_registry(repo)
    for name, artifact in followed.items():
        _add_signatures(repo, states.trust or trust_root(repo), artifact.entries)
        _add_merges(git_repo, line, artifact.entries)
        _add_tags(git_repo, states.artifact(name), artifact.entries)
    return {name: artifact.entries for name, artifact in followed.items()}


def _follow(cards: CardReader, artifact: _Followed, commit: Any, parent_tree: Any) -> None:
    """Record `commit`, which changed one of the artifact's paths: what changed, a rename (the
    paths before it are followed from here on), and whether the history before it is empty."""
    if _same_as_a_parent(cards, commit, artifact.paths):
        return
    entry = _entry(commit, artifact.paths[0])
    renamed = (
        _rename_source(parent_tree, commit.tree, artifact.paths[0])
        if parent_tree is not None and cards.blob_id(parent_tree, artifact.paths[0]) is None
        else None
    )
    _describe_change(
        entry,
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


@dataclass
class _Watched:
    """The paths a shared walk looks at, who follows each, and the directories on the way."""

    owners: dict[str, set[str]] = field(default_factory=dict)
    children: dict[str, set[str]] = field(default_factory=dict)

    def add(self, name: str, paths: list[str]) -> None:
        for path in paths:
            self.owners.setdefault(path, set()).add(name)
            parts = path.split("/")
            for depth, part in enumerate(parts):
                self.children.setdefault("/".join(parts[:depth]), set()).add(part)

    def remove(self, name: str, paths: list[str]) -> None:
        for path in paths:
            owners = self.owners.get(path, set())
            owners.discard(name)
            if not owners and path in self.owners:
                del self.owners[path]
                _forget(self.children, path)


@dataclass(frozen=True)
class LastChange:
    """The newest commit that gave a path the content it has at the revision walked from."""

    commit: str
    time: int  # committer time, unix seconds


def last_changes(repo: Repository, revision: str, paths: Collection[str]) -> dict[str, LastChange]:
    """For every path present at `revision`, the commit that last changed it, in one walk for all
    paths (newest first, stopping once each is found). A commit counts for a path when it differs
    from every parent there and holds the revision's blob: a merge that took one side changed
    nothing itself, and a change a merge discarded is not the last change (git log's simplification)."""
    import pygit2

    git_repo = pygit2.Repository(str(repo.root))
    start = git_repo.revparse_single(revision).peel(pygit2.Commit)
    wanted = {path: blob for path in paths if (blob := _blob(start.tree, path)) is not None}
    children = _children(wanted)
    found: dict[str, LastChange] = {}
    for commit in git_repo.walk(
        start.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME
    ):
        if not wanted:
            break
        parents: list[Any] = [parent.tree for parent in commit.parents] or [None]
        first, *others = [_changed_blobs(parent, commit.tree, children) for parent in parents]
        for path, blob in first.items():
            if wanted.get(path) == blob and all(path in changed for changed in others):
                found[path] = LastChange(str(commit.id), commit.commit_time)
                del wanted[path]
                _forget(children, path)
    return found


def _children(paths: Collection[str]) -> dict[str, set[str]]:
    """Each directory on the way to `paths` ("" is the root) and the names in it that lead there."""
    children: dict[str, set[str]] = {}
    for path in paths:
        parts = path.split("/")
        for depth, name in enumerate(parts):
            children.setdefault("/".join(parts[:depth]), set()).add(name)
    return children


def _forget(children: dict[str, set[str]], path: str) -> None:
    """Stop looking for `path`, and in directories that no longer lead to any wanted path."""
    parts = path.split("/")
    for depth in range(len(parts) - 1, -1, -1):
        directory = "/".join(parts[:depth])
        children[directory].discard(parts[depth])
        if children[directory]:
            return
        del children[directory]


def _changed_blobs(old: Any, new: Any, children: dict[str, set[str]]) -> dict[str, str]:
    """The wanted paths whose entry in tree `new` differs from tree `old` and exists in `new`,
    with their new ids."""
    return {
        path: oid for path, oid in _changed_entries(old, new, children).items() if oid is not None
    }


def _changed_entries(
    old: Any, new: Any, children: dict[str, set[str]], directory: str = ""
) -> dict[str, str | None]:
    """The wanted paths whose entry differs between tree `old` (None: a root commit) and tree
    `new`, with the id in `new` (None: gone). Only the wanted names are looked up, and a subtree
    with the same id in both is skipped unread: a commit that touched no card or pointer costs
    a few lookups (a full tree diff reads every entry)."""
    changed: dict[str, str | None] = {}
    for name in children.get(directory, ()):
        after, before = _tree_entry(new, name), _tree_entry(old, name)
        if (after is None and before is None) or (
            after is not None and before is not None and before.id == after.id
        ):
            continue
        path = f"{directory}/{name}" if directory else name
        if path not in children:
            changed[path] = str(after.id) if after is not None else None
        else:
            old_folder = before if before is not None and before.type_str == "tree" else None
            new_folder = after if after is not None and after.type_str == "tree" else None
            changed.update(_changed_entries(old_folder, new_folder, children, path))
    return changed


def _tree_entry(tree: Any, name: str) -> Any:
    if tree is None:
        return None
    try:
        return tree[name]
    except KeyError:
        return None


def _same_as_a_parent(cards: CardReader, commit: Any, paths: list[str]) -> bool:
    """A merge that took the files from one of its parents changed nothing itself (git log's
    history simplification); the commits on the merged branch are listed instead."""
    return len(commit.parents) > 1 and any(
        all(cards.blob_id(commit.tree, path) == cards.blob_id(parent.tree, path) for path in paths)
        for parent in commit.parents
    )


def _tracked_paths(cards: CardReader, tree: Any, card_path: str) -> list[str]:
    """The card and its pointer (from the card's bytes block) at this tree."""
    card = cards.at(tree, card_path)
    paths = [card_path]
    if card is not None:
        block = card.data.get(BYTES_FIELD.get(card.kind or "", "checkpoint"))
        if isinstance(block, dict) and isinstance(block.get("path"), str):
            folder = card_path.rpartition("/")[0]
            paths.append(f"{folder + '/' if folder else ''}{block['path']}{POINTER_SUFFIX}")
    return paths


def _blob(tree: Any, path: str) -> str | None:
    if tree is None:
        return None
    try:
        return str(tree[path].id)
    except KeyError:
        return None


FOLDERS_KEPT = (
    4096  # folders a CardReader keeps loaded (a walk or a site build revisits recent ones)
)


class CardReader:
    """Cards by blob id: each version of a card is parsed once per reader (a walk, or a whole
    site build that logs every artifact); a blob that is missing or does not parse gives None."""

    def __init__(self, git_repo: Any) -> None:
        self.git_repo = git_repo
        self._parsed: dict[str, Card | None] = {}
        self._folders: OrderedDict[tuple[Any, str], Any] = (
            OrderedDict()
        )  # (tree id, folder) -> its tree

    def at(self, tree: Any, path: str) -> Card | None:
        blob_id = self.blob_id(tree, path)
        return None if blob_id is None else self.blob(blob_id, path)

    def blob_id(self, tree: Any, path: str) -> str | None:
        """The id of the blob at `path` in `tree` (None if there is none). The folder is kept
        loaded by (tree, folder): libgit2 would re-read a large folder's tree on every lookup,
        and a site build looks up every card of one commit."""
        folder, _, name = path.rpartition("/")
        parent = self._folder(tree, folder) if folder else tree
        entry = _tree_entry(parent, name)
        return str(entry.id) if entry is not None and entry.type_str == "blob" else None

    def _folder(self, tree: Any, folder: str) -> Any:
        if tree is None:
            return None
        key = (tree.id, folder)
        if key in self._folders:
            self._folders.move_to_end(key)
            return self._folders[key]
        entry = _tree_entry(tree, folder)
        found = self._folders[key] = (
            entry if entry is not None and entry.type_str == "tree" else None
        )
        if len(self._folders) > FOLDERS_KEPT:
            self._folders.popitem(last=False)
        return found

    def blob(self, blob_id: str, display: str) -> Card | None:
        if blob_id not in self._parsed:
            try:
                self._parsed[blob_id] = parse_card(
                    decode_text(self.git_repo[blob_id].data, display), display
                )
            except (InputError, KeyError, ValueError):
                self._parsed[blob_id] = None
        return self._parsed[blob_id]


def _rename_source(parent_tree: Any, tree: Any, path: str) -> str | None:
    """Where the card lived before this commit, by git's rename detection (run only here)."""
    diff = parent_tree.diff_to_tree(tree)
    diff.find_similar()
    return next(
        (
            delta.old_file.path
            for delta in diff.deltas
            if delta.new_file.path == path and delta.old_file.path != path
        ),
        None,
    )


def _entry(commit: Any, card_path: str) -> LogEntry:
    message = commit.message
    trailers: dict[str, list[str]] = {}
    for key, value in TRAILER.findall(message):
        trailers.setdefault(CANONICAL_TRAILER[key.lower()], []).append(value.strip())
    return LogEntry(
        commit=str(commit.id),
        summary=message.splitlines()[0] if message else "",
        author=f"{commit.author.name} <{commit.author.email}>",
        author_date=_when(commit.author),
        committer=f"{commit.committer.name} <{commit.committer.email}>",
        commit_date=_when(commit.committer),
        card_path=card_path,
        signature="signed" if commit.gpg_signature[0] else "unsigned",
        trailers=trailers,
    )


def _describe_change(entry: LogEntry, old: Card | None, new: Card | None) -> None:
    if new is None:
        entry.fields_changed = ["(card removed or unreadable)"]
        return
    if old is None:
        entry.fields_changed = ["(card created)"]
        return
    for change in semantic_changes(old.data, new.data):
        if change.kind == "bytes-changed":
            entry.bytes_changed = {"old": change.old, "new": change.new}
        elif change.field not in entry.fields_changed:
            entry.fields_changed.append(change.field)


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


def _first_parent_line(git_repo: Any) -> list[Any]:
    """The default branch's first-parent line, oldest first (empty without a default branch)."""
    branch = next((ref for ref in DEFAULT_BRANCHES if ref in git_repo.references), None)
    if branch is None:
        return []
    line = []
    commit = git_repo.references[branch].peel()
    while True:
        line.append(commit)
        if not commit.parents:
            break
        commit = commit.parents[0]
    line.reverse()
    return line


def _add_merges(git_repo: Any, line: list[Any], entries: list[LogEntry]) -> None:
    """The merge on the default branch's first-parent `line` that brought each commit in."""
    if not line:
        return
    on_line = {str(commit.id) for commit in line}
    for entry in entries:
        if entry.commit in on_line:
            continue
        merged = next(
            (
                commit
                for commit in line
                if len(commit.parents) > 1 and git_repo.descendant_of(commit.id, entry.commit)
            ),
            None,
        )
        entry.merged_by = str(merged.id) if merged is not None else None


def _add_tags(git_repo: Any, state: ArtifactState | None, entries: list[LogEntry]) -> None:
    """Each release and stage tag goes with the newest listed change it contains: the version
    of the card and bytes that tag released."""
    if state is None:
        return
    for event in state.events:
        entry = next(
            (
                entry
                for entry in entries
                if entry.commit == event.commit or _contains(git_repo, event.commit, entry.commit)
            ),
            None,
        )
        if entry is not None:
            entry.tags.append(event.tag)


def _contains(git_repo: Any, commit: str, ancestor: str) -> bool:
    try:
        return bool(git_repo.descendant_of(commit, ancestor))
    except (KeyError, ValueError):
        return False
