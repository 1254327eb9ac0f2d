"""Reading git history: cards by blob id (each version parsed once), the entries of wanted paths
that differ between two trees, and when each path last changed (`audit`, the site). `log` is
built on it in gitckpt/provenance.py.

Git is reached through gitckpt/repo.py's `ObjectStore`: one walk of the commits, comparing only
the tree entries on the way to the wanted paths with the first parent's, so a commit that touched
none of them costs a few lookups; only changed blobs are parsed.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Collection, Hashable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from gitckpt.cache import Cache
from gitckpt.card import Card, is_card_path
from gitckpt.errors import InputError
from gitckpt.files import CARD_SIZE_LIMIT, decode_text
from gitckpt.hashing import git_blob_id
from gitckpt.parsed_cards import ParsedCards
from gitckpt.repo import ObjectStore, Repository, Tree, blob_id, subtree, tree_entry
from gitckpt.sources import RevisionSource


@dataclass
class WatchedPaths:
    """The paths a walk looks at, who follows each, and the directories on the way to them
    (each directory, "" for the root, and the names in it that lead to a watched path)."""

    owners: dict[str, set[str]] = field(default_factory=dict)
    children: dict[str, set[str]] = field(default_factory=dict)

    def add(self, owner: str, paths: Collection[str]) -> None:
        for path in paths:
            self.owners.setdefault(path, set()).add(owner)
            parts = path.split("/")
            for depth, part in enumerate(parts):
                self.children.setdefault("/".join(parts[:depth]), set()).add(part)

    def remove(self, owner: str, paths: Collection[str]) -> None:
        """Stop following `paths` for `owner`, and stop looking in directories that no longer
        lead to any watched path."""
        for path in paths:
            owners = self.owners.get(path, set())
            owners.discard(owner)
            if not owners and path in self.owners:
                del self.owners[path]
                self._forget(path)

    def _forget(self, path: str) -> None:
        parts = path.split("/")
        for depth in range(len(parts) - 1, -1, -1):
            directory = "/".join(parts[:depth])
            self.children[directory].discard(parts[depth])
            if self.children[directory]:
                return
            del self.children[directory]


def changed_entries(
    old: Tree | None, new: Tree | None, children: dict[str, set[str]], directory: str = ""
) -> dict[str, str | None]:
    """The watched paths (`WatchedPaths.children`) whose entry differs between tree `old` (None:
    a root commit) and tree `new`, with the id in `new` (None: gone). Only the watched names are
    looked up, and a subtree with the same id in both is skipped unread: a commit that touched
    no watched path costs a few lookups (a full tree diff reads every entry)."""
    changed: dict[str, str | None] = {}
    for name in children.get(directory, ()):
        after, before = tree_entry(new, name), tree_entry(old, name)
        if (after is None and before is None) or (
            after is not None and before is not None and before.id == after.id
        ):
            continue
        path = f"{directory}/{name}" if directory else name
        if path not in children:
            changed[path] = str(after.id) if after is not None else None
        else:
            changed.update(changed_entries(subtree(before), subtree(after), children, path))
    return changed


@dataclass(frozen=True)
class LastChange:
    """The newest commit that gave a path the content it has at the revision walked from."""

    commit: str
    time: int  # committer time, unix seconds


def last_changes(repo: Repository, revision: str, paths: Collection[str]) -> dict[str, LastChange]:
    """For every path present at `revision`, the commit that last changed it, in one walk for all
    paths (newest first, stopping once each is found). A commit counts for a path when it differs
    from every parent there and holds the revision's blob: a merge that took one side changed
    nothing itself, and a change a merge discarded is not the last change (git log's
    simplification)."""
    objects = ObjectStore(repo)
    start = objects.commit(revision)
    wanted = {
        path: str(entry.id) for path in paths if (entry := tree_entry(start.tree, path)) is not None
    }
    watched = WatchedPaths()
    for path in wanted:
        watched.add(path, [path])
    found: dict[str, LastChange] = {}
    for commit in objects.walk(start):
        if not wanted:
            break
        parents: list[Tree | None] = [*commit.parent_trees] or [None]
        first, *others = [
            _changed_blobs(parent, commit.tree, watched.children) for parent in parents
        ]
        for path, blob in first.items():
            if wanted.get(path) == blob and all(path in changed for changed in others):
                found[path] = LastChange(commit.id, commit.time)
                del wanted[path]
                watched.remove(path, [path])
    return found


def _changed_blobs(old: Tree | None, new: Tree, children: dict[str, set[str]]) -> dict[str, str]:
    """The watched paths whose entry in tree `new` differs from tree `old` and exists in `new`,
    with their new ids."""
    return {
        path: oid for path, oid in changed_entries(old, new, children).items() if oid is not None
    }


FOLDERS_KEPT = (
    4096  # folders a CardReader keeps loaded (a walk or a site build revisits recent ones)
)


def committed_card_paths(repo: Repository, revision: str) -> dict[str, str]:
    """Each card name at `revision` with the path of its card (the first, in git's order, when
    two cards share a name), from the cards' shared parses: no check runs, so `log NAME` in a
    fresh clone does not pay for judging every card. A card that does not parse is left out."""
    source = RevisionSource(repo, revision)
    paths = [path for path in source.files() if is_card_path(path)]
    blob_ids = source.blob_ids(paths, lambda _: CARD_SIZE_LIMIT)
    with Cache(repo.state_dir) as cache:
        parses = ParsedCards(cache)
        known = parses.known(blob_ids.values())
        unread = [path for path in paths if blob_ids.get(path) not in known]
        contents = source.read(unread, lambda _: CARD_SIZE_LIMIT)
        found: dict[str, str] = {}
        for path in paths:
            payload = known.get(blob_ids.get(path, ""))
            data = payload["data"] if payload else _parsed_data(parses, path, contents.get(path))
            name = data.get("name") if data else None
            if isinstance(name, str):
                found.setdefault(name, path)
        parses.save()
    return found


def _parsed_data(
    parses: ParsedCards, path: str, content: bytes | InputError | None
) -> dict[str, Any] | None:
    if not isinstance(content, bytes):
        return None
    try:
        return parses.card(git_blob_id(content), decode_text(content, path), path).data
    except InputError:
        return None


@contextlib.contextmanager
def card_reader(repo: Repository) -> Iterator[CardReader]:
    """A CardReader sharing parses with the other commands through the cache."""
    with Cache(repo.state_dir) as cache:
        reader = CardReader(ObjectStore(repo), ParsedCards(cache))
        yield reader
        reader.save()


@dataclass(frozen=True)
class _Parsed:
    """A card as last parsed for its path, and its text up to the front matter's closing line
    and the newline after it (`head`; the text itself when nothing follows that line)."""

    card: Card
    head: str


class CardReader:
    """Cards by blob id: each version of a card is parsed once per reader (a walk, or a whole
    site build that logs every artifact); a blob that is missing or does not parse gives None.
    A version whose front matter is byte for byte the one last parsed for its path (only the
    Markdown body changed) reuses that front matter's parse. Given the shared parses
    (`card_reader`), a version another command parsed is read from the cache, and the ones parsed
    here are added to it by `save`."""

    def __init__(self, objects: ObjectStore, parses: ParsedCards | None = None) -> None:
        self.objects = objects
        self.parses = parses or ParsedCards(None)
        self._parsed: dict[str, Card | None] = {}
        self._last: dict[str, _Parsed] = {}  # by path
        self._folders: OrderedDict[tuple[Hashable, str], Tree | None] = OrderedDict()

    def at(self, tree: Tree | None, path: str) -> Card | None:
        found = self.blob_id(tree, path)
        return None if found is None else self.blob(found, path)

    def blob_id(self, tree: Tree | None, path: str) -> str | None:
        """The id of the blob at `path` in `tree` (None if there is none). The folder is kept
        loaded by (tree, folder): libgit2 would re-read a large folder's tree on every lookup,
        and a site build looks up every card of one commit."""
        folder, _, name = path.rpartition("/")
        parent = self._folder(tree, folder) if folder else tree
        return blob_id(tree_entry(parent, name))

    def _folder(self, tree: Tree | None, folder: str) -> Tree | None:
        if tree is None:
            return None
        key = (tree.id, folder)
        if key in self._folders:
            self._folders.move_to_end(key)
            return self._folders[key]
        found = self._folders[key] = subtree(tree_entry(tree, folder))
        if len(self._folders) > FOLDERS_KEPT:
            self._folders.popitem(last=False)
        return found

    def blob(self, oid: str, display: str) -> Card | None:
        if oid not in self._parsed:
            data = self.objects.blob(oid)
            try:
                self._parsed[oid] = None if data is None else self._card(oid, data, display)
            except (InputError, ValueError):
                self._parsed[oid] = None
        return self._parsed[oid]

    def prefetch(self, blob_ids: Iterable[str]) -> None:
        """Fetch the shared parses of blobs about to be read, in one query."""
        self.parses.prefetch(oid for oid in blob_ids if oid not in self._parsed)

    def save(self) -> None:
        """Add the versions parsed by this reader to the shared parses."""
        self.parses.save()

    def _card(self, oid: str, data: bytes, display: str) -> Card:
        """The card in `data`, its front matter parsed unless it is the one last parsed for
        `display` (then the card has that parse, and its own body)."""
        text = decode_text(data, display)
        last = self._last.get(display)
        if last is not None and (text.startswith(last.head) or text == last.head[:-1]):
            return replace(last.card, body=text[len(last.head) :])
        card = self.parses.card(oid, text, display)
        head = "\n".join(text.split("\n", card.body_first_line - 1)[: card.body_first_line - 1])
        self._last[display] = _Parsed(card, head + "\n")
        return card
