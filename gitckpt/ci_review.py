"""The pull-request review `git ckpt ci` runs: every check on the head and the card review
against the base, judged by the base's policy; a Markdown report, and GitHub annotations and job
summary when run in GitHub Actions."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gitckpt.checking import CheckOptions, check
from gitckpt.checks import RatedFinding, rate
from gitckpt.checks.policy import check_policy_changes
from gitckpt.files import atomic_write
from gitckpt.repo import Repository, changed_paths
from gitckpt.review import CardDiff, card_diff
from gitckpt.review_report import to_markdown
from gitckpt.trust import policy_at


@dataclass(frozen=True)
class CiReport:
    base: str
    findings: list[RatedFinding]
    diffs: list[CardDiff]
    markdown: str

    @property
    def errors(self) -> int:
        review_errors = sum(
            1 for diff in self.diffs for change in diff.changes if change.severity == "error"
        )
        return review_errors + sum(1 for item in self.findings if item.severity == "error")


def ci(
    repo: Repository, base: str | None, report_path: Path | None, trust_ref: str | None = None
) -> CiReport:
    """Every check and the card review, judged by the base revision's policy; a change to
    `.gitckpt/` itself is an error (GC901) that only a reviewed merge can carry, and so is an
    access level lowered without the trust root's authorisation (GC506)."""
    base_commit, _, diffs = card_diff(repo, base, trust_ref=trust_ref)
    policy = policy_at(repo, base_commit)
    findings = check(repo, CheckOptions(policy=policy)).findings + rate(
        check_policy_changes(changed_paths(repo, base_commit)), {}
    )
    markdown = to_markdown(
        diffs, findings, title=f"gitckpt review against {base_commit[:12]} (judged by its policy)"
    )
    if report_path is not None:
        atomic_write(report_path, markdown)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if os.environ.get("GITHUB_ACTIONS") == "true" and summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    return CiReport(base=base_commit, findings=findings, diffs=diffs, markdown=markdown)


def github_annotations(report: CiReport) -> list[str]:
    """Workflow commands that put each error and warning on its line in the pull request."""
    lines = []
    for item in report.findings:
        finding = item.finding
        level = "error" if item.severity == "error" else "warning"
        path, title = _property(finding.path), _property(finding.check)
        where = f"file={path},line={max(finding.line, 1)},title={title}"
        lines.append(f"::{level} {where}::{_escape(finding.message)}")
    for diff in report.diffs:
        for change in diff.changes:
            if change.severity in ("error", "warning"):
                path = _property(diff.new_path or diff.old_path or "")
                where = f"file={path},title={_property(change.kind)}"
                lines.append(f"::{change.severity} {where}::{_escape(change.summary)}")
    return lines


def _escape(message: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit escapes data."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    """A workflow command's property value: `,` would end it and `:` could end the properties."""
    return _escape(value).replace(":", "%3A").replace(",", "%2C")
