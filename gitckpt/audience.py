"""Who may read what leaves the repository (`site --audience`, `export`, the lineage marks).

An audience sees the policy's levels up to its own, in the policy's order (most open first):
`public` up to the level named `public`, `internal` up to the level named `internal`, `all`
every level. A policy that names no such level counts by position instead: `public` sees its
first level, `internal` its first two. A level above the internal audience is *restricted*:
`export` refuses it and `lineage` marks it. A level the policy does not define, or none at all,
is seen by no audience but `all`: when unsure, closed."""

from __future__ import annotations

from gitckpt.config import Config

AUDIENCES = ("public", "internal", "all")
DEFAULT_AUDIENCE = "internal"
_LEVELS_BY_POSITION = {"public": 1, "internal": 2}  # for a policy without a level of that name


def audience_levels(config: Config, audience: str) -> frozenset[str]:
    """The levels of `config` that `audience` (one of AUDIENCES) may read."""
    order = [level.name for level in config.access_levels]
    if audience == "all":
        return frozenset(order)
    seen = order.index(audience) + 1 if audience in order else _LEVELS_BY_POSITION[audience]
    return frozenset(order[:seen])


def sees(config: Config, audience: str, level: str | None) -> bool:
    """Whether `audience` may read an artifact at `level` (`all` reads every artifact, even one
    whose level the policy does not define)."""
    return audience == "all" or level in audience_levels(config, audience)


def is_restricted(config: Config, level: str | None) -> bool:
    """Whether an artifact at `level` is beyond what the internal audience may read."""
    return not sees(config, "internal", level)
