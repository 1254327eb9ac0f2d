"""Tracking data (`git ckpt add`): read it once for md5, sha256 and DVC's cache copy, track it with
DVC, write or update its card, and stage pointer, card and .gitignore in git."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitckpt import storage
from gitckpt.cache import Cache
from gitckpt.card import BYTES_FIELD, card_path_for, parse_card, update_front_matter
from gitckpt.card_update import apply_facts, refuse_unknown_fields
from gitckpt.digests import DigestReader, TreeDigests, bytes_block_values
from gitckpt.dvc_artifacts import (
    ArtifactEntry,
    dvc_name_problem,
    edited_dvc_yamls,
    entry_for,
    write_dvc_yamls,
)
from gitckpt.errors import GitckptError, UsageError
from gitckpt.facts import InferredFacts, collect
from gitckpt.file_facts import CardFacts, Progress
from gitckpt.files import CARD_SIZE_LIMIT, PathGuard, atomic_write, read_text
from gitckpt.hashing import ByteProgress, Copier, FileDigests, shifted
from gitckpt.inventory import load_inventory
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.repo import Repository, git
from gitckpt.scaffold import (
    DescribedData,
    checked_name,
    read_pointer_out,
    refuse_existing_card,
    snapshot_time_of,
    suggest_name,
    write_scaffold,
)
from gitckpt.storage import KnownDigest
from gitckpt.strict_yaml import FieldPath
from gitckpt.transfer import PushRefused, push


@dataclass(frozen=True)
class AddRequest:
    """What `git ckpt add` was asked for: the kind and name of data that has no card yet
    (a card already says them), a DVC remote to push the bytes to afterwards, facts to set on
    the card, and whether to fill in what the run knows (`--infer`)."""

    kind: str | None = None
    name: str | None = None
    remote: str | None = None
    facts: Mapping[str, Any] | None = None
    infer: bool = False
    stage: bool = True  # False: the caller stages `AddResult.paths` once it has checked them


@dataclass(frozen=True)
class AddPlan:
    """What adding one path will do, decided before anything is written."""

    data: str
    card: str
    name: str
    kind: str
    existing: CardFacts | None


@dataclass(frozen=True)
class AddResult:
    """What was added, the files to stage in git, and a line for the user when DVC had to copy
    the bytes itself."""

    artifacts: list[Artifact]
    note: str | None
    paths: list[str]


@dataclass(frozen=True)
class Artifact:
    """An artifact as `track` left it: its name and kind, its data and card (paths from the
    repository's root), whether the card is new, the bytes' digest and size, whether they
    changed, and the dvc.yaml that declares it.

        >>> artifact = registry.track("models/clf.safetensors", kind="model")
        >>> artifact.card, artifact.size
        ('models/clf.card.md', 151)
    """

    name: str
    kind: str
    data: str
    card: str
    created: bool
    sha256: str
    size: int
    bytes_changed: bool
    dvc_yaml: str | None  # where DVC's `artifacts:` declares it (None: DVC cannot name it)


def add(
    repo: Repository,
    paths: Sequence[Path],
    request: AddRequest,
    progress: Progress | None = None,
) -> AddResult:
    if request.name and len(paths) > 1:
        raise UsageError("--name names a single artifact; add the paths one at a time to name each")
    targets = [checked_target(repo, path) for path in paths]
    owners = {
        card.data_relpath: card for card in load_inventory(repo).cards.values() if card.data_relpath
    }
    plans = [_plan(target, owners.get(target), request) for target in targets]
    for plan in plans:
        if plan.existing is None:
            refuse_existing_card(repo, plan.card)
        if request.facts and not isinstance(request.facts, InferredFacts):  # those fit any kind
            refuse_unknown_fields(request.facts, plan.kind, plan.card)
    entries = {plan.data: _dvc_entry(repo, plan) for plan in plans}
    inferred = {  # read before anything is written: a malformed header changes nothing
        plan.data: collect(repo.root / plan.data, repo=repo.root) for plan in plans if request.infer
    }
    dvc_yamls = edited_dvc_yamls(
        repo.root, [entry for entry in entries.values() if isinstance(entry, ArtifactEntry)]
    )
    paths = [repo.root / target for target in targets]
    with storage.tracking_session(repo.root, paths[0]) as session:
        measured = _measure(repo, targets, progress, session.plan.fill)
        session.track(paths, _known_md5s(repo, measured))
    added = [_write_card(repo, plan, measured[plan.data], entries[plan.data]) for plan in plans]
    write_dvc_yamls(repo.root, dvc_yamls)
    for plan in plans:
        _set_facts(repo, plan, request.facts, inferred.get(plan.data))
    staged = _paths_to_stage(repo, plans, [item.dvc_yaml for item in added if item.dvc_yaml])
    if request.stage:
        git(["add", "--", *staged], repo.root)
    if request.remote:
        _push_added(repo, added, request.remote)
    notes = [session.plan.note, *(entry for entry in entries.values() if isinstance(entry, str))]
    return AddResult(added, "\n".join(note for note in notes if note) or None, staged)


def _set_facts(
    repo: Repository,
    plan: AddPlan,
    facts: Mapping[str, Any] | None,
    inferred: InferredFacts | None,
) -> None:
    """The caller's facts, then (`--infer`) what the run knows, where no person wrote a value."""
    if facts:
        apply_facts(repo, plan.card, facts)
    if inferred:
        apply_facts(repo, plan.card, inferred)


def _dvc_entry(repo: Repository, plan: AddPlan) -> ArtifactEntry | str:
    """The artifact's entry in dvc.yaml (with the card's description, when it has one), or why
    DVC cannot name it."""
    problem = dvc_name_problem(plan.name)
    if problem:
        return f"{plan.card}: {problem}; dvc.yaml is left without an entry for it"
    card_data: dict[str, Any] = {}
    if plan.existing is not None:
        text = read_text(repo.root / plan.card, CARD_SIZE_LIMIT, plan.card)
        card_data = parse_card(text, plan.card).data
    return entry_for(plan.name, plan.kind, plan.data, card_data)


def _push_added(repo: Repository, added: list[Artifact], remote: str) -> None:
    """`--remote`: the bytes go through `git ckpt push`'s routing, so their access level decides
    whether that remote may hold them."""
    try:
        push(repo, [artifact.name for artifact in added], remote)
    except PushRefused as refused:
        raise PushRefused(
            f"the bytes are tracked and their cards written and staged, but {refused}"
        ) from refused


def checked_target(repo: Repository, path: Path) -> str:
    """The path relative to the root, refused (with why) when gitckpt must not track it."""
    absolute = Path(os.path.normpath(Path.cwd() / path))
    if not absolute.is_relative_to(repo.root):
        raise GitckptError(
            f"{path} is outside the repository {repo.root}; move or copy it inside first"
        )
    relpath = absolute.relative_to(repo.root).as_posix()
    if relpath == ".":
        raise UsageError(
            "refusing to add the whole repository; name the files or directories to track"
        )
    reason = PathGuard(repo.root).problem("", relpath)
    if reason:
        raise GitckptError(f"{path}: {reason}")
    if absolute.is_symlink():
        raise GitckptError(f"{path} is a symlink; add the file it points to instead")
    if not absolute.exists():
        raise GitckptError(f"{path} does not exist")
    if git(["ls-files", "-z", "--", relpath], repo.root):
        raise GitckptError(
            f"{relpath} is committed to git as a plain file, so DVC cannot track it.\n"
            f"Move it out of git's index first (`git rm -r --cached {relpath}` and "
            f"commit), then run `git ckpt add {relpath}`."
        )
    return relpath


def _plan(target: str, existing: CardFacts | None, request: AddRequest) -> AddPlan:
    kind, name = request.kind, request.name
    if existing is not None:
        if kind and kind != existing.kind:
            raise UsageError(
                f"{target} is described by {existing.path} as a {existing.kind}; drop "
                "--kind or fix the card"
            )
        if name and name != existing.name:
            raise UsageError(
                f"{target} is described by {existing.path} as {existing.name!r}; rename it "
                "there, not with --name"
            )
        return AddPlan(
            data=target,
            card=existing.path,
            name=existing.name or "",
            kind=existing.kind or "model",
            existing=existing,
        )
    if not kind:
        raise UsageError(f"{target} has no card yet: say what it is with --kind model|dataset|eval")
    chosen = checked_name(name or suggest_name(target))
    return AddPlan(
        data=target, card=card_path_for(target, chosen), name=chosen, kind=kind, existing=None
    )


def _measure(
    repo: Repository, targets: Sequence[str], progress: Progress | None, copier: Copier | None
) -> dict[str, FileDigests | TreeDigests]:
    """Digest every target (copying what is read to `copier`) before anything is written: an
    interrupted add changes nothing."""
    with Cache(repo.state_dir) as cache:
        reader = DigestReader(repo.root, cache, copier)
        total = sum(reader.size_of(target) for target in targets)
        overall: ByteProgress | None = (lambda count: progress(count, total)) if progress else None
        measured: dict[str, FileDigests | TreeDigests] = {}
        done = 0
        for target in targets:
            measured[target] = reader.measure(target, shifted(overall, done))
            done += measured[target].size
        return measured


def _known_md5s(
    repo: Repository, measured: dict[str, FileDigests | TreeDigests]
) -> list[KnownDigest]:
    known: list[KnownDigest] = []
    for target, digests in measured.items():
        if isinstance(digests, TreeDigests):
            known.extend(
                KnownDigest(repo.root / target / inner, md5) for inner, md5 in digests.md5s.items()
            )
        else:
            known.append(KnownDigest(repo.root / target, digests.md5))
    return known


def _write_card(
    repo: Repository,
    plan: AddPlan,
    digests: FileDigests | TreeDigests,
    entry: ArtifactEntry | str,
) -> Artifact:
    out = read_pointer_out(repo, plan.data)
    if plan.existing is None:
        write_scaffold(repo, plan.kind, plan.name, DescribedData(plan.data, out, digests))
    else:
        card_path = repo.root / plan.card
        text = read_text(card_path, CARD_SIZE_LIMIT, plan.card)
        block = BYTES_FIELD[plan.kind]
        updates: dict[FieldPath, Any] = {
            (block, key): value
            for key, value in {"md5": out.md5, **bytes_block_values(digests)}.items()
        }
        updates[("snapshot_time",)] = snapshot_time_of(repo.root / plan.data)
        atomic_write(card_path, update_front_matter(text, plan.card, updates))
    changed = plan.existing is None or plan.existing.sha256 != digests.sha256
    return Artifact(
        plan.name,
        plan.kind,
        plan.data,
        plan.card,
        plan.existing is None,
        digests.sha256,
        digests.size,
        changed,
        entry.dvc_yaml if isinstance(entry, ArtifactEntry) else None,
    )


def _paths_to_stage(
    repo: Repository, plans: Sequence[AddPlan], dvc_yamls: Sequence[str]
) -> list[str]:
    paths = {f"{plan.data}{POINTER_SUFFIX}" for plan in plans} | {plan.card for plan in plans}
    paths.update(dvc_yamls)
    for plan in plans:
        ignore = Path(plan.data).parent / ".gitignore"
        if (repo.root / ignore).exists():
            paths.add(ignore.as_posix())
    return sorted(paths)
