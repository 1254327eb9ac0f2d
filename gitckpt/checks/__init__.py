"""All checks behind one interface: per-file checks run when a card or pointer is read
(and are cached with it); repository checks run over the whole inventory every time."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from gitckpt.checks.access import (
    ACCESS_LEVEL_UNKNOWN,
    ACCESS_LOWERED,
    SAMPLES,
    check_access_levels,
    check_samples,
)
from gitckpt.checks.base import Check
from gitckpt.checks.card_format import FRONT_MATTER, UNREADABLE
from gitckpt.checks.card_schema import SCHEMA, SCHEMA_VERSION
from gitckpt.checks.data import DATA_MISSING, DATA_MODIFIED
from gitckpt.checks.deprecation import LINK_DEPRECATED, LINK_SUNSET, check_deprecated_links
from gitckpt.checks.dvc_artifacts import DVC_ARTIFACT_ENTRY, check_dvc_artifacts
from gitckpt.checks.evaluation_binding import STALE_EVALUATION, check_eval_cards
from gitckpt.checks.known_issues import KNOWN_ISSUE_RELEASE, check_known_issue_releases
from gitckpt.checks.license import (
    LICENSE_INCOMPATIBLE,
    LICENSE_INVALID,
    REDISTRIBUTION_CONFLICT,
    check_license_compatibility,
)
from gitckpt.checks.links import RELEASE_UNRESOLVED, UNRESOLVED_LINK, check_links
from gitckpt.checks.naming import DUPLICATE_NAME, NAME_PATTERN, check_naming
from gitckpt.checks.pipeline import NOT_FROM_PIPELINE, OTHER_BYTES, check_pipelines
from gitckpt.checks.placeholders import PLACEHOLDER
from gitckpt.checks.pointer_format import POINTER_FORMAT
from gitckpt.checks.policy import POLICY_CHANGED
from gitckpt.checks.remote import FORBIDDEN_REMOTE, NOT_PUSHED
from gitckpt.checks.sensitive import PERSONAL_DATA, SECRET
from gitckpt.checks.serialization import SAFETENSORS_INVALID, UNSAFE_PICKLE
from gitckpt.checks.sync import (
    CARD_WITHOUT_POINTER,
    MISMATCH,
    POINTER_WITHOUT_CARD,
    UNSAFE_PATH,
    check_sync,
)
from gitckpt.file_facts import Finding, Inventory

CHECKS: tuple[Check, ...] = (
    UNREADABLE,
    FRONT_MATTER,
    SCHEMA,
    PLACEHOLDER,
    SCHEMA_VERSION,
    POINTER_FORMAT,
    POINTER_WITHOUT_CARD,
    CARD_WITHOUT_POINTER,
    MISMATCH,
    UNSAFE_PATH,
    STALE_EVALUATION,
    DATA_MODIFIED,
    DATA_MISSING,
    NOT_PUSHED,
    DVC_ARTIFACT_ENTRY,
    DUPLICATE_NAME,
    NAME_PATTERN,
    UNRESOLVED_LINK,
    LINK_DEPRECATED,
    LINK_SUNSET,
    RELEASE_UNRESOLVED,
    KNOWN_ISSUE_RELEASE,
    LICENSE_INVALID,
    LICENSE_INCOMPATIBLE,
    REDISTRIBUTION_CONFLICT,
    ACCESS_LEVEL_UNKNOWN,
    FORBIDDEN_REMOTE,
    ACCESS_LOWERED,
    SAMPLES,
    SECRET,
    PERSONAL_DATA,
    UNSAFE_PICKLE,
    SAFETENSORS_INVALID,
    NOT_FROM_PIPELINE,
    OTHER_BYTES,
    POLICY_CHANGED,
)
ALL_CHECKS: dict[str, Check] = {check.id: check for check in CHECKS}
ON_REQUEST = frozenset(
    {
        DATA_MODIFIED.id,
        DATA_MISSING.id,
        NOT_PUSHED.id,
        FORBIDDEN_REMOTE.id,
        UNSAFE_PICKLE.id,
        SAFETENSORS_INVALID.id,
        POLICY_CHANGED.id,
        ACCESS_LOWERED.id,
    }
)  # run by check --data / --remote, or by ci (GC901) and diff (GC506), only
REPOSITORY_CHECKS: tuple[Callable[[Inventory], Iterator[Finding]], ...] = (
    check_sync,
    check_naming,
    check_links,
    check_eval_cards,
    check_deprecated_links,
    check_license_compatibility,
    check_pipelines,
    check_dvc_artifacts,
    check_access_levels,
    check_samples,
    check_known_issue_releases,
)


class RatedFinding(NamedTuple):
    finding: Finding
    severity: str


def run_checks(inventory: Inventory, extra: Iterable[Finding] = ()) -> list[RatedFinding]:
    """Every finding in the inventory (plus `extra` ones from optional checks) with its severity
    under the repository's policy; `off` ones dropped."""
    findings = [
        *inventory.findings(),
        *(finding for check in REPOSITORY_CHECKS for finding in check(inventory)),
        *extra,
    ]
    return rate(findings, inventory.config.severities)


def rate(findings: Iterable[Finding], overrides: dict[str, str]) -> list[RatedFinding]:
    rated = [
        RatedFinding(finding, overrides.get(finding.check, ALL_CHECKS[finding.check].severity))
        for finding in sorted(set(findings))
    ]
    return [item for item in rated if item.severity != "off"]
