"""Review reports as text (terminal), Markdown (pull-request comment, job summary) and JSON."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from gitckpt.checks import RatedFinding
from gitckpt.review import CardDiff

ICONS = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}


def to_json(diffs: Sequence[CardDiff]) -> list[dict[str, Any]]:
    return [
        {
            "name": diff.name,
            "status": diff.status,
            "old_path": diff.old_path,
            "new_path": diff.new_path,
            "changes": [asdict(change) for change in diff.changes],
            "prose_diff": diff.prose,
        }
        for diff in diffs
    ]


def to_text(diffs: Sequence[CardDiff]) -> str:
    if not diffs:
        return "No card changed.\n"
    lines = []
    for diff in diffs:
        lines.append(f"{diff.name} ({diff.status}: {diff.new_path or diff.old_path})")
        lines.extend(
            f"  {change.severity:<7} {change.kind:<26} {change.summary}" for change in diff.changes
        )
        lines.extend(f"    {line}" for line in diff.prose.splitlines())
    return "\n".join(lines) + "\n"


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(
    diffs: Sequence[CardDiff], findings: Sequence[RatedFinding] = (), title: str = "gitckpt review"
) -> str:
    parts = [f"## {title}\n"]
    parts.append(_summary(diffs, findings))
    if findings:
        parts.append(_findings_section(findings))
    for diff in diffs:
        parts.append(_diff_section(diff))
    return "\n".join(parts)


def _summary(diffs: Sequence[CardDiff], findings: Sequence[RatedFinding]) -> str:
    errors = sum(
        1 for diff in diffs for change in diff.changes if change.severity == "error"
    ) + sum(1 for item in findings if item.severity == "error")
    warnings = sum(
        1 for diff in diffs for change in diff.changes if change.severity == "warning"
    ) + sum(1 for item in findings if item.severity == "warning")
    verdict = (
        f"{ICONS['error']} **{errors} error(s)**, {warnings} warning(s)"
        if errors
        else f"✅ no errors, {warnings} warning(s)"
    )
    lines = [f"{verdict} — {len(diffs)} card(s) changed, {len(findings)} check finding(s).\n"]
    if diffs:
        lines.append("| | artifact | status | errors | warnings | changes |")
        lines.append("|---|---|---|---|---|---|")
        for diff in diffs:
            count = {
                severity: sum(1 for change in diff.changes if change.severity == severity)
                for severity in ("error", "warning")
            }
            icon = (
                ICONS["error"] if count["error"] else ICONS["warning"] if count["warning"] else "✅"
            )
            lines.append(
                f"| {icon} | {cell(diff.name)} | {diff.status} | {count['error']} | "
                f"{count['warning']} | {len(diff.changes)} |"
            )
        lines.append("")
    return "\n".join(lines)


def _findings_section(findings: Sequence[RatedFinding]) -> str:
    lines = [
        "### Checks\n",
        "| severity | check | where | field | message |",
        "|---|---|---|---|---|",
    ]
    for item in findings:
        finding = item.finding
        where = f"`{cell(finding.path)}:{finding.line}`"
        lines.append(
            f"| {item.severity} | {finding.check} | {where} | {cell(finding.field)} | "
            f"{cell(finding.message)} |"
        )
    return "\n".join(lines) + "\n"


def _diff_section(diff: CardDiff) -> str:
    where = (
        f"`{diff.old_path}` → `{diff.new_path}`"
        if diff.status == "renamed"
        else f"`{diff.new_path or diff.old_path}`"
    )
    lines = [
        f"### {diff.name} — {diff.status} ({where})\n",
        "| severity | change | detail |",
        "|---|---|---|",
    ]
    lines.extend(
        f"| {ICONS.get(change.severity, '')} {change.severity} | {change.kind} | "
        f"{cell(change.summary)} |"
        for change in diff.changes
    )
    if diff.prose:
        lines += [
            "",
            "<details><summary>Prose diff</summary>",
            "",
            *_fenced(diff.prose.rstrip("\n"), "diff"),
            "",
            "</details>",
        ]
    return "\n".join(lines) + "\n"


def _fenced(text: str, info: str) -> list[str]:
    """`text` as a code block no line of it can close (a card's prose may hold fences of its
    own): the fence is longer than any run of backticks in the text."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, text, fence]
