"""The facts the checks judge: what reading a card or a pointer yields, the findings about it,
and the inventory of them all. Plain values: `inventory.py` builds them (and caches them as
JSON), the checks in `checks/` read them. The records are NamedTuples, cheap to define and to
restore, as a warm `check` does thousands of them (ARCHITECTURE.md)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from gitckpt.config import Config
from gitckpt.dvc_artifacts import DeclaredArtifacts
from gitckpt.repo import Repository
from gitckpt.sources import Source

if TYPE_CHECKING:  # the type only: tag objects are read (tag_events loaded) only when one exists
    from gitckpt.tag_events import Deprecation

Progress = Callable[[int, int], None]  # (done, total), reported as a long read goes


class Finding(NamedTuple):
    """What a check found, where: the file, line and field it names, and the message."""

    path: str
    line: int
    check: str
    field: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)


class LinkFacts(NamedTuple):
    field: str
    target: str
    line: int
    release: str | None = None


class GapFacts(NamedTuple):
    """A front-matter field holding `{noassertion: "<reason>"}`."""

    field: str
    reason: str
    line: int


class CardFacts(NamedTuple):
    path: str
    name: str | None = None
    name_line: int = 0
    kind: str | None = None
    data_path: str | None = None
    data_path_line: int = 0
    md5: str | None = None
    md5_line: int = 0
    size: int | None = None
    size_line: int = 0
    sha256: str | None = None
    sha256_line: int = 0
    model_link: str | None = None
    model_sha256: str | None = None
    model_sha256_line: int = 0
    license: str | None = None
    license_traits: tuple[str, ...] = ()
    license_exception: bool = False
    redistribution_allowed: bool | None = None
    access_level: str | None = None
    access_level_line: int = 0
    access_until: str | None = None  # the end of an embargo, as the card writes it
    upstream: tuple[dict[str, Any], ...] = ()
    pipeline: dict[str, Any] | None = None
    links: tuple[LinkFacts, ...] = ()
    gaps: tuple[GapFacts, ...] = ()
    # each release a known issue names: (field, vX.Y.Z, line), for GC405
    known_issue_versions: tuple[tuple[str, str, int], ...] = ()
    findings: tuple[Finding, ...] = ()
    # the data path relative to the repository root, as a pointer names it (`resolved_data_path`)
    data_relpath: str | None = None


class OutFacts(NamedTuple):
    path: str
    md5: str
    size: int
    line: int
    remote: str | None = None  # the out's own DVC remote (`remote:` in the pointer)


class PointerFacts(NamedTuple):
    path: str
    outs: tuple[OutFacts, ...] = ()
    findings: tuple[Finding, ...] = ()
    # each out's path relative to the repository root, in the order of `outs` (`resolved_out_paths`)
    out_relpaths: tuple[str, ...] = ()

    def out_relpath(self, out: OutFacts) -> str:
        return relative_to_file(self.path, out.path)


@dataclass
class Inventory:
    """Every card and pointer of a work tree or commit, and the policy and tags they are
    judged by."""

    repo: Repository
    config: Config
    source: Source
    cards: dict[str, CardFacts] = field(default_factory=dict)
    pointers: dict[str, PointerFacts] = field(default_factory=dict)
    deprecations: dict[str, Deprecation] = field(default_factory=dict)
    release_tags: frozenset[str] = frozenset()
    dvc_artifacts: dict[str, DeclaredArtifacts] = field(default_factory=dict)  # by dvc.yaml path

    def findings(self) -> list[Finding]:
        facts: list[CardFacts | PointerFacts] = [*self.cards.values(), *self.pointers.values()]
        return [finding for item in facts for finding in item.findings]


def relative_to_file(file_relpath: str, value: str) -> str:
    """`value`, written in the file `file_relpath`, as a path relative to the repository root."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(file_relpath), value))


def resolved_data_path(card_relpath: str, data_path: str | None) -> str | None:
    """A card's data path relative to the repository root, as a pointer would name it."""
    return None if data_path is None else relative_to_file(card_relpath, data_path)


def resolved_out_paths(pointer_relpath: str, outs: tuple[OutFacts, ...]) -> tuple[str, ...]:
    """Each out's path relative to the repository root, in the order of `outs`."""
    return tuple(relative_to_file(pointer_relpath, out.path) for out in outs)
