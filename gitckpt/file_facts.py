"""The facts the checks judge: what reading a card or a pointer yields, the findings about it,
and the inventory of them all. Plain values: `inventory.py` builds them (and caches them as
JSON), the checks in `checks/` read them."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from gitckpt.config import Config
from gitckpt.dvc_artifacts import DeclaredArtifacts
from gitckpt.repo import Repository
from gitckpt.sources import Source

if TYPE_CHECKING:  # the type only: tag objects are read (tag_events loaded) only when one exists
    from gitckpt.tag_events import Deprecation

Progress = Callable[[int, int], None]  # (done, total), reported as a long read goes

Facts = TypeVar("Facts")


@dataclass(frozen=True, order=True)
class Finding:
    """What a check found, where: the file, line and field it names, and the message."""

    path: str
    line: int
    check: str
    field: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return restored(cls, data)


@dataclass(frozen=True)
class LinkFacts:
    field: str
    target: str
    line: int
    release: str | None = None


@dataclass(frozen=True)
class GapFacts:
    """A front-matter field holding `{noassertion: "<reason>"}`."""

    field: str
    reason: str
    line: int


@dataclass(frozen=True)
class CardFacts:
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

    @cached_property
    def data_relpath(self) -> str | None:
        """The data path relative to the repository root, as a pointer would name it (worked
        out once: the checks ask for it several times a card)."""
        return None if self.data_path is None else relative_to_file(self.path, self.data_path)


@dataclass(frozen=True)
class OutFacts:
    path: str
    md5: str
    size: int
    line: int
    remote: str | None = None  # the out's own DVC remote (`remote:` in the pointer)


@dataclass(frozen=True)
class PointerFacts:
    path: str
    outs: tuple[OutFacts, ...] = ()
    findings: tuple[Finding, ...] = ()

    def out_relpath(self, out: OutFacts) -> str:
        return relative_to_file(self.path, out.path)

    @cached_property
    def out_relpaths(self) -> tuple[str, ...]:
        """Each out's path relative to the repository root, in the order of `outs` (worked out
        once, for the checks that pair every pointer with its cards)."""
        return tuple(self.out_relpath(out) for out in self.outs)


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


def restored(kind: type[Facts], fields: dict[str, Any]) -> Facts:
    """The frozen dataclass `kind` with exactly `fields` (every one of them, and any of its
    cached properties already worked out), made as `pickle` makes one, without `__init__`: its
    frozen assignments cost ~10 µs for a card's facts, and a warm check restores thousands from
    the cache, which wrote them from the same dataclasses (cache keys carry the code's
    fingerprint)."""
    facts = object.__new__(kind)
    facts.__dict__.update(fields)
    return facts
