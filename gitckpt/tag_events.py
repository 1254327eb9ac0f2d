"""Registry tags read into events: every tag read in one `git for-each-ref` (no checkout, no
per-tag process), each registry tag parsed into an `Event` and bound to its tag. An event whose
record does not bind (records.binding_problem), or whose release record names a card the tagged
commit does not hold under the artifact's name, carries the reason in `problem`; the verdicts are
cached by tag object and ref name. `registry.py` judges the events into each artifact's state.

Callers that keep events between runs (the search index) list the tags' object ids with
`read_tag_refs`, read only the tags they have not seen with `read_tag_events` (or in two steps,
`read_unbound_events` then `bind_events`, so the reading can overlap other work) and fold what
they kept with `registry.registry_from_events`: this module stays the one reader of tags."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from functools import cached_property
from typing import Any

from gitckpt.cache import Cache
from gitckpt.card import parse_card
from gitckpt.errors import InputError
from gitckpt.files import CARD_SIZE_LIMIT, decode_text
from gitckpt.records import (
    DeprecationRecord,
    Record,
    RecordedCard,
    ReleaseRecord,
    binding_problem,
    parse_record,
    record_from_json,
)
from gitckpt.repo import ObjectStore, Repository, Tree, git, read_objects, subtree, tree_entry
from gitckpt.schema import rules_fingerprint
from gitckpt.secrets import mask_secrets
from gitckpt.tags import DEPRECATE, PHASE, parse_tag_name

FIELDS = (
    "%(refname:strip=2)",
    "%(objecttype)",
    "%(tag)",
    "%(objectname)",
    "%(*objectname)",
    "%(taggername)",
    "%(taggeremail:trim)",
    "%(taggerdate:unix)",
    "%(creatordate:unix)",
    "%(contents:subject)",
    "%(contents:body)",
    "%(contents:signature)",
)


MAX_REF_PATTERNS = 1000  # at 20,000 tags: 1,000 named refs 0.04 s, all 0.08 s, 5,000 named 0.7 s


_GLOB_CHARACTERS = frozenset("*?[\\")
_UNUSUAL_PATH_CHARACTERS = re.compile(r"[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Event:
    """One registry tag: a release, a withdrawal, a stage change or a deprecation."""

    tag: str
    artifact: str
    action: str
    commit: str
    created: int
    author: str
    author_email: str
    annotated: bool
    has_signature: bool
    subject: str
    version: str | None = None
    stage: str | None = None
    counter: int | None = None
    record_json: dict[str, Any] | None = None  # the record as the tag message carries it
    tag_object: str = ""
    problem: str | None = None  # why the event is not bound to its tag (records.binding_problem)

    @cached_property
    def record(self) -> Record | None:
        """The record, typed, once the event is judged bound to its tag (None when the tag
        carries none, or it is not bound: then the record may not even match its schema)."""
        if self.record_json is None or self.problem is not None:
            return None
        return record_from_json(self.record_json)

    def to_json(self) -> dict[str, Any]:
        hidden = ("record_json", "tag_object", "problem")
        return {
            item.name: getattr(self, item.name) for item in fields(self) if item.name not in hidden
        } | {"has_record": self.record_json is not None}


def read_events(repo: Repository) -> tuple[list[Event], int]:
    """Every registry event, in the order they apply, and how many tags were not registry tags."""
    unbound = _unbound_events(repo, ["refs/tags"])
    events = _bind(repo, unbound.events, unbound.headers, card_names={})
    events.sort(key=event_order)
    return events, unbound.ignored


@dataclass(frozen=True)
class UnboundEvents:
    """Registry tags read and parsed, not yet judged bound to their tags (`bind_events`): the
    reading needs no card, so a caller can do it while the cards are being read."""

    events: list[Event]
    headers: dict[str, str | None]  # tag -> the tag object's type row (annotated tags)
    ignored: int  # tags outside the registry's grammar


def read_tag_events(
    repo: Repository, tags: Iterable[str], card_names: Mapping[str, str] | None = None
) -> dict[str, Event]:
    """The events of those named tags that are registry tags, by tag name; no other tag's
    object is read unless thousands are named (then every tag is read in one pass).
    `card_names` holds names the caller has read already (card blob id -> the `name` its front
    matter gives, read strictly): a release record naming one of those blobs is bound without
    reading the card again (a cold search index has just read them all)."""
    return bind_events(repo, read_unbound_events(repo, tags), card_names or {})


def read_unbound_events(repo: Repository, tags: Iterable[str]) -> UnboundEvents:
    """The named tags that are registry tags, parsed into events but not yet bound."""
    wanted = {tag for tag in tags if parse_tag_name(tag) is not None}
    if not wanted:
        return UnboundEvents([], {}, 0)
    # A pattern also matches the refs below it (`refs/tags/a` matches `refs/tags/a/b`).
    return _unbound_events(repo, _ref_patterns(wanted), wanted)


def bind_events(
    repo: Repository, unbound: UnboundEvents, card_names: Mapping[str, str]
) -> dict[str, Event]:
    """`unbound`'s events by tag, with `problem` set where one is not bound to its tag."""
    events = _bind(repo, unbound.events, unbound.headers, card_names)
    return {event.tag: event for event in events}


def _unbound_events(
    repo: Repository, patterns: list[str], wanted: set[str] | None = None
) -> UnboundEvents:
    """The events of the tags matching `patterns` (and in `wanted`, when given)."""
    events, headers, ignored = [], {}, 0
    for tag, row in _tag_rows(repo, patterns):
        if wanted is not None and tag not in wanted:
            continue
        event = _event(tag, row)
        if event is None:
            ignored += 1
            continue
        events.append(event)
        headers[tag] = row[1] if event.annotated else None
    return UnboundEvents(events, headers, ignored)


def _tag_rows(repo: Repository, patterns: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(tag name, the other FIELDS) of every tag matching `patterns`, from one for-each-ref."""
    output = git(["for-each-ref", "--format=" + "%00".join(FIELDS) + "%00", *patterns], repo.root)
    values = output.split("\0")
    for start in range(0, len(values) - len(FIELDS) + 1, len(FIELDS)):
        row = values[start : start + len(FIELDS)]
        yield row[0].lstrip("\n"), row[1:]


def _ref_patterns(tags: set[str]) -> list[str]:
    """for-each-ref patterns for `tags`: one per tag while few, else all tags (matching every ref
    against thousands of patterns costs more than reading every tag)."""
    if len(tags) > MAX_REF_PATTERNS or any(_GLOB_CHARACTERS & set(tag) for tag in tags):
        return ["refs/tags"]
    return [f"refs/tags/{tag}" for tag in sorted(tags)]


def event_order(event: Event) -> tuple[int, bool, int, int, str]:
    """The order events apply in: releases, withdrawals, stage moves by their counter (never by
    the tagger date, which whoever makes the tag writes), deprecations."""
    return (
        PHASE[event.action],
        event.counter is None,
        event.counter or 0,
        event.created,
        event.tag,
    )


def _event(tag: str, row: list[str]) -> Event | None:
    name = parse_tag_name(tag)
    if name is None:
        return None
    kind, _, target, peeled, tagger, email, tagged_at, created_at, subject, body, signature = row
    annotated = kind == "tag"
    record_json, problem = None, None
    if annotated:
        try:
            record_json = parse_record(f"{subject}\n\n{body}" if body else subject, tag)
        except InputError as error:
            problem = f"its record cannot be read: {error.message}"
    return Event(
        tag=tag,
        artifact=name.artifact,
        action=name.action,
        commit=peeled if annotated else target,
        created=int(tagged_at or created_at or 0),
        author=tagger,
        author_email=email,
        annotated=annotated,
        has_signature=bool(signature.strip()),
        subject=subject,
        version=name.version,
        stage=name.stage,
        counter=name.counter,
        record_json=record_json,
        tag_object=target if annotated else "",
        problem=problem,
    )


def _bind(
    repo: Repository,
    events: list[Event],
    headers: dict[str, str | None],
    card_names: Mapping[str, str],
) -> list[Event]:
    """The events with `problem` set where they are not bound to their tag. The verdict depends
    only on the tag object and the ref's name, so it is remembered by both."""

    fingerprint = rules_fingerprint()
    keys = {
        event.tag: f"binding:{fingerprint}:{event.tag_object or event.commit}:{event.tag}"
        for event in events
        if not event.problem
    }
    with Cache(repo.state_dir) as cache:
        verdicts = cache.get_results(keys.values())
        unjudged = [
            event for event in events if event.tag in keys and keys[event.tag] not in verdicts
        ]
        problems = {event.tag: _binding_problem(event, headers[event.tag]) for event in unjudged}
        problems.update(
            _card_problems(
                repo,
                [
                    event
                    for event in unjudged
                    if problems[event.tag] is None and _is_release_record(event)
                ],
                card_names,
            )
        )
        fresh = {keys[tag]: {"problem": problem} for tag, problem in problems.items()}
        cache.put_results(fresh)
    verdicts.update(fresh)
    return [
        replace(event, problem=problem)
        if (problem := verdicts.get(keys.get(event.tag, ""), {}).get("problem"))
        else event
        for event in events
    ]


def _binding_problem(event: Event, header: str | None) -> str | None:
    name = parse_tag_name(event.tag)
    assert name is not None  # only registry tags become events
    return binding_problem(event.tag, name, header, event.commit, event.record_json)


def _is_release_record(event: Event) -> bool:
    return event.record_json is not None and event.record_json.get("type") == "release"


def _card_problems(
    repo: Repository, releases: list[Event], card_names: Mapping[str, str]
) -> dict[str, str]:
    """Why a release record's card is not, at the tagged commit, the card it recorded under the
    artifact's name (each card blob read and parsed once). The records are bound to their tags
    otherwise (they match their schema)."""

    cards = {event.tag: _recorded_card(event) for event in releases}
    problems = {
        tag: "its record names a card path with a line break"
        for tag, card in cards.items()
        if "\n" in card.path or "\r" in card.path
    }
    releases = [event for event in releases if event.tag not in problems]
    found = _committed_ids(repo, [(event.commit, cards[event.tag].path) for event in releases])
    held = {
        event.tag
        for event, oid in zip(releases, found, strict=True)
        if oid == cards[event.tag].blob
    }
    names = _card_names(repo, {cards[tag].blob: cards[tag].path for tag in held}, card_names)
    for event in releases:
        path, recorded_blob = cards[event.tag].path, cards[event.tag].blob
        if event.tag not in held or recorded_blob not in names:
            problems[event.tag] = (
                f"its record names card {path} (blob {recorded_blob[:12]}), which the "
                "tagged commit does not hold"
            )
        elif names[recorded_blob] != event.artifact:
            problems[event.tag] = (
                f"the card its record names ({path}) is named "
                f"{mask_secrets(repr(names[recorded_blob]))}, not {event.artifact!r}"
            )
    return problems


def _committed_ids(repo: Repository, pairs: list[tuple[str, str]]) -> list[str | None]:
    """The id of the object at each (commit, path), as git resolves `<commit>:<path>`, or None.
    git finds each such name by scanning its directory, so thousands of cards in one directory
    cost it quadratic time (13 s for 10,000); a plain path is looked up here instead, each
    directory read once. Any other path, or a tagged object that is not a commit, is git's."""
    if not pairs:
        return []
    store = ObjectStore(repo)
    roots = {commit: _root_tree(store, commit) for commit, _ in pairs}
    directories: dict[tuple[str, str], Tree | None] = {}
    ids: list[str | None] = []
    unusual: list[int] = []
    for commit, path in pairs:
        root = roots[commit]
        if root is None or not _is_plain_path(path):
            unusual.append(len(ids))
            ids.append(None)
            continue
        parent, _, name = path.rpartition("/")
        if (commit, parent) not in directories:
            directories[commit, parent] = subtree(tree_entry(root, parent)) if parent else root
        entry = tree_entry(directories[commit, parent], name)
        ids.append(str(entry.id) if entry is not None else None)
    asked = read_objects(repo, [":".join(pairs[index]) for index in unusual])
    for index, found in zip(unusual, asked, strict=True):
        ids[index] = found[0] if found else None
    return ids


def _root_tree(store: ObjectStore, commit: str) -> Tree | None:
    try:
        return store.commit(commit).tree
    except (KeyError, ValueError):  # not here, or not a commit (a tag may point to a tree)
        return None


def _is_plain_path(path: str) -> bool:
    """A path git reads literally, part by part: none empty, `.` or `..` (git reads `./` and
    `../` from the working directory), no NUL and nothing UTF-8 cannot encode."""
    return _UNUSUAL_PATH_CHARACTERS.search(path) is None and all(
        part not in ("", ".", "..") for part in path.split("/")
    )


def _card_names(
    repo: Repository, cards: dict[str, str], known: Mapping[str, str]
) -> dict[str, object]:
    """The `name` of each card blob (blob id -> the path it was recorded at) as its front matter
    says it, None where the card cannot be read; a blob that is not here is left out. Names
    `known` already are not read again."""
    names: dict[str, object] = {oid: known[oid] for oid in cards if oid in known}
    blobs = [oid for oid in cards if oid not in known]
    for oid, found in zip(blobs, read_objects(repo, blobs), strict=True):
        if found is None:
            continue
        path = cards[oid]
        try:
            data = (
                parse_card(decode_text(found[1], path), path).data
                if len(found[1]) <= CARD_SIZE_LIMIT
                else {}
            )
        except InputError:
            data = {}
        names[oid] = data.get("name") if isinstance(data, dict) else None
    return names


def _recorded_card(event: Event) -> RecordedCard:
    record = record_from_json(event.record_json or {})
    assert isinstance(record, ReleaseRecord)
    return record.card


@dataclass(frozen=True)
class Deprecation:
    artifact: str
    tag: str
    sunset: str | None
    reason: str | None


def read_deprecations(repo: Repository, tag_names: list[str]) -> dict[str, Deprecation]:
    """Deprecated artifacts: only `@deprecated` tags are read, and only those bound to their tag
    count."""
    events = read_tag_events(repo, [name for name in tag_names if name.endswith("@deprecated")])
    found = {}
    for event in events.values():
        if event.action == DEPRECATE and event.problem is None:
            record = event.record
            notice = record if isinstance(record, DeprecationRecord) else None
            found[event.artifact] = Deprecation(
                event.artifact,
                event.tag,
                notice.sunset if notice else None,
                notice.reason if notice else None,
            )
    return found
