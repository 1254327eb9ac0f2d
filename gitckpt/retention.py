"""What git history says about DVC's objects: every version of every file that names them (DVC
pointers and dvc.lock), when it was committed, and which unreleased versions the retention policy
(`retention.keep_unreleased` in the trusted config) keeps, and whether this clone sees every ref
that may name them. Read from git alone, for `gc`."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gitckpt.errors import GitckptError, InputError
from gitckpt.files import decode_text
from gitckpt.pointer import MD5_PATTERN, is_pointer_path, parse_pointer
from gitckpt.repo import Repository, git, head_commit, is_shallow, read_objects, remote_refs
from gitckpt.strict_yaml import load_yaml

TRACKING_PATHSPECS = ("*.dvc", "dvc.lock", "*/dvc.lock")
DAY = 24 * 3600
TRACKING_FILE_LIMIT = 8 * 1024 * 1024  # a pointer or dvc.lock larger than this is refused


@dataclass(frozen=True)
class NamedObject:
    """A DVC object a tracking file names: its md5 (`.dir` for a directory listing), the size the
    file records, and the data path it is tracked at."""

    md5: str
    size: int | None
    data: str


@dataclass(frozen=True)
class TrackedVersion:
    """One content of a tracking file: the file, its blob, the oldest commit that gave the file
    this content and when it was committed, and the objects it names."""

    path: str
    blob: str
    commit: str
    time: int
    objects: tuple[NamedObject, ...]

    def age_days(self, now: float) -> int:
        return int((now - self.time) // DAY)


def is_tracking_file(path: str) -> bool:
    """A file that names DVC objects: a pointer (`x.dvc`) or a pipeline's dvc.lock."""
    return is_pointer_path(path) or path == "dvc.lock" or path.endswith("/dvc.lock")


def tracked_versions(repo: Repository) -> dict[str, list[TrackedVersion]]:
    """Every version of every tracking file in the history of any branch, remote-tracking
    branch, tag or HEAD, by path, newest first. One `git log` and one `cat-file` for them all."""
    firsts: dict[tuple[str, str], tuple[str, int]] = {}
    for commit, committed, path, blob in _changes(repo):
        if is_tracking_file(path):
            known = firsts.get((path, blob))
            if known is None or committed < known[1]:
                firsts[path, blob] = (commit, committed)
    named = named_objects(repo, {blob: path for path, blob in firsts})
    versions: dict[str, list[TrackedVersion]] = {}
    for (path, blob), (commit, committed) in firsts.items():
        versions.setdefault(path, []).append(
            TrackedVersion(path, blob, commit, committed, named[blob])
        )
    for found in versions.values():
        found.sort(key=lambda version: (-version.time, version.blob))
    return versions


def _changes(repo: Repository) -> Iterable[tuple[str, int, str, str]]:
    """(commit, committer time, path, new blob) of every change to a tracking file; a merge is
    compared with its first parent, so what a merge resolution wrote is seen too."""
    heads = ["HEAD"] if head_commit(repo) else []
    output = git(
        [
            *("log", "--format=%x01%H %ct", "--raw", "-z", "--no-abbrev", "--no-renames"),
            *("--root", "--diff-merges=first-parent", "--branches", "--remotes", "--tags"),
            *heads,
            "--",
            *TRACKING_PATHSPECS,
        ],
        repo.root,
    )
    for chunk in output.split("\x01")[1:]:
        header, *fields = chunk.split("\0")
        commit, _, committed = header.partition(" ")
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            parts = meta.strip().split(" ")
            if len(parts) == 5 and set(parts[3]) != {"0"}:
                yield commit, int(committed), path, parts[3]


def trusted_history(repo: Repository, revision: str) -> frozenset[str]:
    """Every commit reachable from the trusted revision: only versions there compete for
    retention's `last` places, so a branch or tag anyone can push cannot crowd a version out."""
    return frozenset(git(["rev-list", revision], repo.root).split())


def files_at(repo: Repository, revision: str) -> dict[str, str]:
    """Every tracking file in `revision`'s tree, by path, with its blob id."""
    output = git(["ls-tree", "-r", "-z", "--full-tree", revision], repo.root)
    files = {}
    for entry in output.split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split(" ")
        if len(parts) == 3 and parts[1] == "blob" and is_tracking_file(path):
            files[path] = parts[2]
    return files


def named_objects(repo: Repository, blobs: dict[str, str]) -> dict[str, tuple[NamedObject, ...]]:
    """The objects each tracking-file blob names (blob id -> the path it was seen at). A blob
    that cannot be read is an error naming it: what it names could otherwise be deleted."""
    found = read_objects(repo, list(blobs))
    named = {}
    for (blob, path), item in zip(blobs.items(), found, strict=True):
        if item is None or len(item[1]) > TRACKING_FILE_LIMIT:
            raise GitckptError(f"{path} (blob {blob[:12]}) cannot be read from git")
        named[blob] = objects_in(path, decode_text(item[1], path), f"{path} (blob {blob[:12]})")
    return named


def objects_in(path: str, text: str, display: str) -> tuple[NamedObject, ...]:
    """The objects a pointer or dvc.lock names; InputError naming the line when it is malformed."""
    folder = path.rpartition("/")[0]
    prefix = f"{folder}/" if folder else ""
    if is_pointer_path(path):
        return tuple(
            NamedObject(out.md5, out.size, prefix + out.path)
            for out in parse_pointer(text, display)
        )
    stages = load_yaml(text, display).data
    outs = [
        out
        for stage in _mapping(_mapping(stages, display).get("stages"), display).values()
        for out in (_mapping(stage, display).get("outs") or [])
    ]
    return tuple(
        NamedObject(out["md5"], _size(out.get("size")), prefix + str(out.get("path")))
        for out in outs
        if isinstance(out, dict)
        and isinstance(out.get("md5"), str)
        and MD5_PATTERN.match(out["md5"])
    )


def _mapping(value: Any, display: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError("expected a mapping of stages, each with `outs`", path=display)
    return value


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Retained:
    """An unreleased version the policy keeps, and why."""

    version: TrackedVersion
    why: str


def retained_versions(
    versions: dict[str, list[TrackedVersion]],
    released: Collection[tuple[str, str]],
    policy: tuple[int, int],
    now: float | None = None,
) -> list[Retained]:
    """The unreleased versions `retention.keep_unreleased` keeps: per tracking file, the `last`
    newest, and every one committed within `days` days. `released` holds (path, blob) of the
    versions a release or stage keeps anyway (they do not count against `last`)."""
    last, days = policy
    moment = time.time() if now is None else now
    kept = []
    for found in versions.values():
        unreleased = [version for version in found if (version.path, version.blob) not in released]
        for rank, version in enumerate(unreleased, start=1):
            reasons = _reasons(rank, version.age_days(moment), last, days)
            if reasons:
                kept.append(Retained(version, "retention: " + " and ".join(reasons)))
    return kept


def _reasons(rank: int, age: int, last: int, days: int) -> Sequence[str]:
    reasons = []
    if rank <= last:
        reasons.append(f"{ordinal(rank)} newest unreleased (keep last {last})")
    if age < days:
        reasons.append(f"{age} days old (keep {days} days)")
    return reasons


def ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def clone_problems(repo: Repository) -> list[str]:
    """Why this clone may not see every ref that names objects: shallow, or a git remote whose
    branches or tags differ from what was last fetched (`git ls-remote`)."""
    problems = []
    if is_shallow(repo):
        problems.append(
            "this is a shallow clone: commits it lacks may name objects; run "
            "`git fetch --unshallow` first"
        )
    mine = local_refs(repo)
    for name in git(["remote"], repo.root).split():
        try:
            theirs = remote_refs(repo, name)
        except GitckptError as error:
            problems.append(f"git remote {name!r} cannot be asked what it holds: {error}")
            continue
        stale = [ref for ref, oid in theirs.items() if mine.get(_tracking_ref(name, ref)) != oid]
        if stale:
            shown = ", ".join(sorted(stale)[:5]) + (" ..." if len(stale) > 5 else "")
            problems.append(
                f"git remote {name!r} has refs this clone has not fetched or that moved "
                f"({shown}): fetch first (`git fetch {name} --tags`), then run gc again"
            )
    return problems


def _tracking_ref(remote: str, ref: str) -> str:
    branch = ref.removeprefix("refs/heads/")
    return f"refs/remotes/{remote}/{branch}" if branch != ref else ref


def local_refs(repo: Repository) -> dict[str, str]:
    """Branches, remote-tracking branches and tags, with the object each points to; symbolic
    refs (refs/remotes/origin/HEAD) are left out, their target is listed itself."""
    output = git(
        [
            "for-each-ref",
            "--format=%(refname)%00%(objectname)%00%(symref)",
            "refs/heads",
            "refs/remotes",
            "refs/tags",
        ],
        repo.root,
    )
    rows = (line.split("\0") for line in output.splitlines())
    return {name: oid for name, oid, symref in rows if not symref}
