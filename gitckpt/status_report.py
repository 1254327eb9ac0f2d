"""What `git ckpt status` reports: one row per artifact: its card, its bytes, and the DVC remote."""

from __future__ import annotations

from dataclasses import dataclass

from gitckpt import storage
from gitckpt.checking import CheckOptions, CheckReport, check
from gitckpt.file_facts import Progress
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.repo import Repository
from gitckpt.trust import NoTrustedRevision

INCOMPLETE = {"GC101", "GC102", "GC103", "GC104"}
OUT_OF_SYNC = {"GC203", "GC204", "GC205", "GC206"}


@dataclass(frozen=True)
class ArtifactStatus:
    name: str
    kind: str
    card: str
    card_state: str
    data_state: str
    remote_state: str


def status(
    repo: Repository, *, remote: bool = True, progress: Progress | None = None
) -> list[ArtifactStatus]:
    """Card state (complete / incomplete / out of sync), data state (matches / modified /
    missing) and remote state (in remote / not pushed / no remote) of every artifact."""

    has_remote = remote and storage.default_remote(repo.root) is not None
    report, remote_unknown = _checked(repo, has_remote, progress)
    inventory = report.inventory
    assert inventory is not None
    checks_by_path: dict[str, set[str]] = {}
    for item in report.findings:
        checks_by_path.setdefault(item.finding.path, set()).add(item.finding.check)
    rows = []
    for card in sorted(inventory.cards.values(), key=lambda card: card.name or card.path):
        pointer = f"{card.data_relpath}{POINTER_SUFFIX}"
        found = checks_by_path.get(card.path, set()) | checks_by_path.get(pointer, set())
        tracked = pointer in inventory.pointers
        rows.append(
            ArtifactStatus(
                name=card.name or "?",
                kind=card.kind or "?",
                card=card.path,
                card_state="incomplete"
                if found & INCOMPLETE
                else "out of sync"
                if found & OUT_OF_SYNC
                else "complete",
                data_state=_data_state(tracked, found),
                remote_state=UNKNOWN_REMOTE_STATE
                if remote_unknown
                else _remote_state(tracked, has_remote, found),
            )
        )
    return rows


UNKNOWN_REMOTE_STATE = "unknown (no trusted revision)"


def _checked(
    repo: Repository, has_remote: bool, progress: Progress | None
) -> tuple[CheckReport, bool]:
    """The check status reports, and whether the remote could not be asked: which remotes an
    artifact's bytes may be on is the trusted policy's to say, and a checkout without a trusted
    revision (CI's `git fetch URL SHA`) has none, so its rows say the remote state is unknown
    rather than the whole status failing."""
    try:
        return check(repo, CheckOptions(data=True, remote=has_remote), progress), False
    except NoTrustedRevision:
        return check(repo, CheckOptions(data=True), progress), True


def _data_state(tracked: bool, found: set[str]) -> str:
    if not tracked:
        return "untracked"
    return "missing" if "GC208" in found else "modified" if "GC207" in found else "matches"


def _remote_state(tracked: bool, has_remote: bool, found: set[str]) -> str:
    if not has_remote:
        return "no remote"
    if not tracked:
        return "untracked"
    return "not pushed" if "GC209" in found else "in remote"
