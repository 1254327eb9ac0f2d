"""Terminal output: the only module besides `cli` that writes to the user."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from gitckpt.human_text import human_value

if TYPE_CHECKING:  # importing the inventory (and its checks) would cost every read command 0.1 s
    from gitckpt.audit import AuditReport
    from gitckpt.audit_access import AccessAudit
    from gitckpt.checking import CheckReport
    from gitckpt.event_hooks import HookOutcome
    from gitckpt.file_facts import Progress
    from gitckpt.known_issues import KnownIssue
    from gitckpt.registry_view import ReleaseView
    from gitckpt.release import Created

PROGRESS_AFTER_SECONDS = 1.0
RICH_TABLE_MAX_ROWS = 300


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def error(message: str) -> None:
    sys.stderr.write(f"gitckpt: {message}\n")


def warning(message: str) -> None:
    sys.stderr.write(f"gitckpt: warning: {message}\n")


@contextmanager
def progress_bar(description: str, *, unit_bytes: bool = False) -> Iterator[Progress | None]:
    """A progress callback `(done, total)` that draws a bar on a terminal once the work has
    taken over a second; None (no bar, no cost) when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress

    counter = DownloadColumn() if unit_bytes else MofNCompleteColumn()
    bar = RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        counter,
        TimeRemainingColumn(),
        transient=True,
    )
    started = time.monotonic()
    task: list[Any] = []

    def update(done: int, total: int) -> None:
        if not task and time.monotonic() - started < PROGRESS_AFTER_SECONDS:
            return
        if not task:
            bar.start()
            task.append(bar.add_task(description, total=total))
        bar.update(task[0], completed=done, total=total)

    try:
        yield update
    finally:
        if task:
            bar.stop()


def stage_versions(stages: Mapping[str, str]) -> str:
    """Which release each stage holds, as people read it: `dev: v0.2.0, prod: v0.1.0`."""
    return ", ".join(f"{stage}: v{version}" for stage, version in stages.items())


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A rich table on a terminal; plain aligned columns when piped or long (rich takes about
    a millisecond a row, too slow for a registry's full history)."""
    cells = [[human_value(cell) for cell in row] for row in rows]
    if sys.stdout.isatty() and len(cells) <= RICH_TABLE_MAX_ROWS:
        from rich.console import Console
        from rich.table import Table

        table = Table(*headers, box=None, header_style="bold", pad_edge=False)
        for row in cells:
            table.add_row(*row)
        Console(soft_wrap=True).print(table)
        return
    widths = [
        max([len(str(header)), *(len(row[index]) for row in cells)])
        for index, header in enumerate(headers)
    ]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [list(map(str, headers)), *cells]
    ]
    sys.stdout.write("\n".join(lines) + "\n")


def print_release(view: ReleaseView) -> None:
    """One release: what it is, where it came from, what was checked."""
    release, record = view.summary, view.record
    print(
        f"{release.tag}  ({release.signature.describe()}, by {release.author}, {release.created})"
    )
    print(f"  commit   {release.commit}")
    if view.current_stages:
        print(f"  stages   {', '.join(view.current_stages)}")
    if record is None:
        print("  no gitckpt record (a tag made by another tool)")
        return
    data = record.bytes
    print(f"  card     {record.card.path} (blob {record.card.blob[:12]})")
    print(f"  bytes    {data.path}  {data.size:,} bytes")
    print(f"           sha256 {data.sha256}")
    print(f"           md5    {data.md5}")
    for link in record.links:
        print(f"  link     {link.field} → {link.artifact} ({link.release or 'unreleased'})")
    checks = record.checks
    print(
        f"  checks   {checks.result}: {len(checks.run)} run"
        + (f", off: {', '.join(checks.off)}" if checks.off else "")
    )
    if record.allow_unpushed:
        print(
            "  NOTE     released with --allow-unpushed: the bytes were not confirmed in "
            "the DVC remote"
        )


def print_check_report(report: CheckReport) -> None:
    """Findings grouped by file, linter style, then a one-line summary."""
    current = None
    for item in report.findings:
        finding = item.finding
        if finding.path != current:
            current = finding.path
            print(finding.path)
        field = f"{finding.field}: " if finding.field else ""
        print(
            f"  {finding.path}:{finding.line}: {item.severity} {finding.check} "
            f"{field}{finding.message}"
        )
    _print_fixes(report)
    print(_summary(report))


def _print_fixes(report: CheckReport) -> None:
    found = report.checks_found()
    if found:
        print("How to fix:")
    for check in found:
        print(f"  {check.id} {check.name}: {check.fix}")


def _summary(report: CheckReport) -> str:
    scanned = f"{_count(report.cards, 'card')}, {_count(report.pointers, 'pointer')} checked"
    if not report.findings:
        return f"OK: {scanned}, no findings."
    files = len({item.finding.path for item in report.findings})
    verdict = "FAILED" if report.errors else "OK with warnings"
    return (
        f"{verdict}: {_count(report.errors, 'error')}, {_count(report.warnings, 'warning')} "
        f"in {_count(files, 'file')} ({scanned})."
    )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def print_audit_report(report: AuditReport) -> None:
    """One short section per finding kind, then the counts."""
    summary = report.summary()
    print(f"Audited {_count(report.cards_audited, 'card')} at {report.revision[:12]}.")
    print(report.trust)
    _section(
        f"noassertion gaps: {_count(summary['noassertion_gaps'], 'gap')} in "
        f"{_count(summary['noassertion_fields'], 'field')}",
        ("field", "count", "artifact", "where", "reason"),
        [
            [
                group.field if index == 0 else "",
                len(group.gaps) if index == 0 else "",
                gap.artifact or "?",
                f"{gap.card}:{gap.line}",
                gap.reason,
            ]
            for group in report.noassertion
            for index, gap in enumerate(group.gaps)
        ],
    )
    _section(
        f"stale cards (bytes changed over {_count(report.stale_days, 'day')} after the "
        f"card): {len(report.stale_cards)}",
        ("artifact", "card changed", "bytes changed", "days behind", "card"),
        [
            [s.artifact, s.card_changed, s.pointer_changed, s.days_behind, s.card]
            for s in report.stale_cards
        ],
    )
    _section(
        f"deprecated artifacts still linked: {len(report.deprecated_linked)}",
        ("deprecated", "sunset", "linked from", "field", "where"),
        [
            [
                item.artifact if index == 0 else "",
                (item.sunset or "none") if index == 0 else "",
                link.artifact,
                link.field,
                f"{link.card}:{link.line}",
            ]
            for item in report.deprecated_linked
            for index, link in enumerate(item.linked_from)
        ],
    )
    _section(
        f"releases without a signature: {len(report.unsigned_releases)} (verified against "
        "the trust root)",
        ("tag", "created", "by", "signature"),
        [
            [r.tag, r.created, r.author or "?", "lightweight" if r.lightweight else r.signature]
            for r in report.unsigned_releases
        ],
    )
    _section(
        "stage moves, withdrawals and deprecations without a verified signature: "
        f"{len(report.unverified_events)}",
        ("tag", "created", "by", "signature"),
        [
            [r.tag, r.created, r.author or "?", "lightweight" if r.lightweight else r.signature]
            for r in report.unverified_events
        ],
    )
    _section(
        f"tags the registry ignores: {len(report.ignored_events)}",
        ("tag", "created", "by", "why"),
        [[r.tag, r.created, r.author or "?", r.ignored] for r in report.ignored_events],
    )
    _section(
        f"datasets, sources and base models without a card here: {len(report.uncarded_inputs)}",
        ("input", "used by", "field", "where"),
        [
            [item.name if index == 0 else "", use.artifact, use.field, f"{use.card}:{use.line}"]
            for item in report.uncarded_inputs
            for index, use in enumerate(item.used_by)
        ],
    )
    if report.access:
        _print_access(report.access)
    print(", ".join(f"{key.replace('_', ' ')}: {value:,}" for key, value in summary.items()))


def _print_access(access: AccessAudit) -> None:
    """Artifacts by level (with where their bytes are, when holdings were given), embargoes
    ending soon, restricted datasets without samples."""
    _section(
        "artifacts by access level"
        + ("" if access.holdings_given else " (where bytes are: unknown, see --holdings)"),
        ("level", "artifact", "kind", "until", "on remotes", "card"),
        [
            [
                group.level if index == 0 else "",
                item.artifact,
                item.kind or "?",
                item.until or "",
                _held(item.remotes),
                f"{item.card}:{item.line}",
            ]
            for group in access.levels
            for index, item in enumerate(group.artifacts)
        ],
    )
    _section(
        f"embargoes ending within 30 days of {access.today}: {len(access.embargoes_ending)}",
        ("artifact", "level", "until", "days left", "card"),
        [
            [e.artifact, e.level or "?", e.until, e.days_left, f"{e.card}:{e.line}"]
            for e in access.embargoes_ending
        ],
    )
    _section(
        f"restricted datasets without samples: {len(access.without_samples)}",
        ("artifact", "card"),
        [[item.artifact, f"{item.card}:{item.line}"] for item in access.without_samples],
    )


def _held(remotes: dict[str, bool] | None) -> str:
    if remotes is None:
        return "?"
    return ", ".join(name for name, held in sorted(remotes.items()) if held) or "none"


def _section(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    print(f"\n{title}")
    if rows:
        print_table(headers, rows)


def print_created(created: Created, as_json: bool) -> None:
    if as_json:
        print_json(created.to_json())
        return
    print(
        f"Created {created.tag} on {created.commit[:12]}"
        + (" and pushed it." if created.pushed else ".")
    )
    print(f"  judged by the {created.trust.describe()}")


def print_known_issues(issues: Sequence[KnownIssue]) -> None:
    """The artifact's known issues, one a line, with how many are open (`show`, `log`)."""
    from gitckpt.known_issues import OPEN

    if issues:
        print(f"known issues ({sum(issue.status == OPEN for issue in issues)} open):")
        for issue in issues:
            print(f"  {issue.describe()}")


def print_hook_outcomes(outcomes: Sequence[HookOutcome]) -> None:
    """A hook that failed, on standard error (the event it was told of stands)."""
    for outcome in outcomes:
        if outcome.problem is not None:
            warning(f"hook `{outcome.command}` {outcome.problem}; the event stands")
