"""GTO's tag grammar, which gitckpt speaks so GTO and DVC can read its registry:

name@v1.2.3        a release (version) of artifact `name`
name@v1.2.3!       a release withdrawn (GTO's deregistration)
name#stage#N       the version at the tag's commit enters `stage` (N counts the artifact's events)
name#stage!#N      the version at the tag's commit leaves `stage`
name@deprecated    the artifact is deprecated
name@created       the artifact exists (GTO's grammar has it; neither GTO nor gitckpt writes it)

Reading accepts everything GTO 1.10's `gto.tag.parse_name` accepts, and nothing else
(tests/test_gto_grammar.py compares them on generated names): names and stages may hold upper
case and `_`, any tag may end in `#N`, and a monorepo artifact `path/to=name@v1.0.0` is named
`path/to:name`, as GTO and DVC name it. gitckpt writes only names its naming pattern allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering
from typing import NamedTuple

from gitckpt.errors import GitckptError

# Artifact and stage names as GTO reads them, and the directory part of a monorepo artifact.
NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9_/-]*[a-zA-Z0-9])?"
DIRNAME = r"[a-zA-Z0-9_./-]+"
# In a tag a monorepo artifact's directory ends with `=`; in its name, with `:` (GTO's mapping).
DIR_IN_TAG, DIR_IN_NAME = "=", ":"
# A pre-release identifier is a number without leading zeros or holds a letter or `-` (semver).
PRERELEASE_PART = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
SEMVER = (
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    rf"(?:-(?P<prerelease>{PRERELEASE_PART}(?:\.{PRERELEASE_PART})*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
# `$`, as in GTO, also matches before a final newline (which no git ref name can hold).
TAG = re.compile(
    rf"^(?P<artifact>(?:{DIRNAME}{DIR_IN_TAG})?{NAME})"
    rf"(?:@v(?P<version>{SEMVER})(?P<withdrawn>!)?|#(?P<stage>{NAME})(?P<unassign>!)?"
    r"|@(?P<deprecated>deprecated)|@(?P<created>created))"
    r"(?:#(?P<counter>[0-9]+))?$"
)
# Names gitckpt reads (GTO's, `dir:name` included) and names it writes (config's default).
ARTIFACT_RE = re.compile(rf"^(?:{DIRNAME}{DIR_IN_NAME})?{NAME}$")
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-/]*[a-z0-9])?$")
VERSION_RE = re.compile(rf"^v?(?P<version>{SEMVER})$")

REGISTER, WITHDRAW, ASSIGN, UNASSIGN, DEPRECATE, CREATE = (
    "register",
    "withdraw",
    "assign",
    "unassign",
    "deprecate",
    "create",
)
# Within one second (a tag's time resolution) releases come before stage moves, which come
# before a deprecation; stage moves among themselves follow their counter.
PHASE = {CREATE: 0, REGISTER: 0, WITHDRAW: 0, ASSIGN: 1, UNASSIGN: 1, DEPRECATE: 2}


class TagName(NamedTuple):
    artifact: str
    action: str
    version: str | None = None
    stage: str | None = None
    counter: int | None = None


def parse_tag_name(tag: str) -> TagName | None:
    """The meaning of a tag in GTO's grammar, or None for tags that are not registry tags."""
    match = TAG.match(tag)
    if match is None:
        return None
    artifact = match["artifact"].replace(DIR_IN_TAG, DIR_IN_NAME)
    counter = int(match["counter"]) if match["counter"] else None
    if match["deprecated"] or match["created"]:
        return TagName(artifact, DEPRECATE if match["deprecated"] else CREATE, counter=counter)
    if match["stage"]:
        action = UNASSIGN if match["unassign"] else ASSIGN
        return TagName(artifact, action, stage=match["stage"], counter=counter)
    return TagName(
        artifact,
        WITHDRAW if match["withdrawn"] else REGISTER,
        version=match["version"],
        counter=counter,
    )


def parse_release_reference(reference: str) -> tuple[str, str]:
    """`name@vX.Y.Z` → (name, X.Y.Z), or a usage error saying what was expected."""
    parsed = parse_tag_name(reference)
    if parsed is None or parsed.version is None or parsed.action != "register":
        raise GitckptError(f"expected NAME@vX.Y.Z (e.g. resnet50@v1.2.0), got {reference!r}")
    return parsed.artifact, parsed.version


def artifact_in_tag(artifact: str) -> str:
    """The artifact as tags spell it: `path/to:name` is `path/to=name` there (GTO's mapping)."""
    return artifact.replace(DIR_IN_NAME, DIR_IN_TAG)


def version_tag(artifact: str, version: str) -> str:
    return f"{artifact}@v{version}"


def stage_tag(artifact: str, stage: str, counter: int, *, unassign: bool = False) -> str:
    return f"{artifact}#{stage}{'!' if unassign else ''}#{counter}"


def deprecation_tag(artifact: str) -> str:
    return f"{artifact}@deprecated"


@total_ordering
@dataclass(frozen=True)
class Version:
    """A semantic version, ordered as semver says (a pre-release sorts before its release)."""

    major: int
    minor: int
    patch: int
    prerelease: str = ""

    @classmethod
    def parse(cls, text: str) -> Version | None:
        match = VERSION_RE.match(text)
        if match is None:
            return None
        return cls(
            int(match["major"]), int(match["minor"]), int(match["patch"]), match["prerelease"] or ""
        )

    def bump(self, part: str) -> Version:
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        return Version(self.major, self.minor, self.patch + 1)

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        identifiers = (
            tuple(
                (0, int(part)) if part.isdigit() else (1, part)
                for part in self.prerelease.split(".")
            )
            if self.prerelease
            else ()
        )
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, identifiers)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        suffix = f"-{self.prerelease}" if self.prerelease else ""
        return f"{self.major}.{self.minor}.{self.patch}{suffix}"
