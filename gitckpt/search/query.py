"""What a search asks for: facets, metric thresholds and name fields, parsed from the command
line."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from gitckpt.errors import UsageError

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "=": operator.eq,
}
_VERSION_FILTER_RE = re.compile(r"^v?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){0,2}$")
_FIELD_FILTER_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.+)$")
_METRIC_FILTER_RE = re.compile(
    r"^\s*([A-Za-z0-9_.\-/]+)\s*(>=|<=|==|=|>|<)\s*(-?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)\s*$"
)


@dataclass(frozen=True)
class MetricFilter:
    metric: str
    comparison: str
    threshold: float

    def accepts(self, value: float) -> bool:
        return _COMPARISONS[self.comparison](value, self.threshold)

    def __str__(self) -> str:
        return f"{self.metric} {self.comparison} {self.threshold:g}"


@dataclass(frozen=True)
class Query:
    text: str | None = None
    kind: str | None = None
    stage: str | None = None
    version: str | None = None  # the latest release is this version, or in this X or X.Y series
    license: str | None = None
    dataset: str | None = None
    owner: str | None = None
    metrics: tuple[MetricFilter, ...] = ()
    deprecated: bool | None = None
    commercial: bool = False
    fields: tuple[tuple[str, str], ...] = ()


def parse_metric_filter(text: str) -> MetricFilter:
    """`NAME>=VALUE` (also >, <=, <, ==), or a usage error saying what was expected."""
    match = _METRIC_FILTER_RE.match(text)
    if match is None:
        raise UsageError(
            f"--metric {text!r}: expected NAME OP VALUE with OP one of >=, >, <=, <, ==; "
            "e.g. --metric 'top1_accuracy>=0.9'"
        )
    return MetricFilter(match.group(1), match.group(2), float(match.group(3)))


def parse_field_filter(text: str) -> tuple[str, str]:
    """`NAME=VALUE` (NAME a named group of naming.pattern), or a usage error saying what was
    expected."""
    match = _FIELD_FILTER_RE.match(text)
    if match is None:
        raise UsageError(
            f"--field {text!r}: expected NAME=VALUE, NAME a named group of naming.pattern; "
            "e.g. --field project=projx"
        )
    return match.group(1), match.group(2)


def parse_version_filter(text: str) -> str:
    """`X`, `X.Y` or `X.Y.Z` (a leading v allowed), or a usage error saying what was expected."""
    if _VERSION_FILTER_RE.match(text) is None:
        raise UsageError(
            f"--version {text!r}: expected X, X.Y or X.Y.Z (a version, or a major or minor "
            "series); e.g. --version 2.1"
        )
    return text.removeprefix("v")


def version_in_series(version: str | None, wanted: str) -> bool:
    """`2.1.3` is in `2`, `2.1` and `2.1.3`, not in `2.10` (pre-releases of 2.1.3 are not 2.1.3)."""
    return version is not None and (version == wanted or version.startswith(f"{wanted}."))
