"""The sections of an exported Hub card's body that carry what its `model-index` cannot: every
evaluation with n and its confidence interval, and the checkpoint's files with their sha256 and
the release they were exported from, as Markdown a reader (and the Hub's renderer) can read."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from gitckpt.card import mapping
from gitckpt.known_issues import known_issues
from gitckpt.registry import Release


def evaluation_section(card: dict[str, Any]) -> str:
    """A table with a row per evaluation: metric, value, n, interval (level, method), data."""
    rows = [
        _row(
            _cell(entry.get("metric")),
            _number(entry.get("value")),
            _number(entry.get("n")),
            _interval(entry.get("confidence_interval")),
            _dataset(entry.get("dataset")),
            _cell(entry.get("task")),
        )
        for entry in card.get("evaluation") or []
        if isinstance(entry, dict)
    ]
    if not rows:
        return "## Evaluation\n\nNo evaluation is stated."
    header = _row("Metric", "Value", "n", "Confidence interval", "Dataset / split", "Task")
    return "\n".join(
        [
            "## Evaluation",
            "",
            "### Results",
            "",
            header,
            _row(*["---"] * 6),
            *rows,
            "",
            "n is the number of evaluated examples; each interval is stated with its confidence "
            "level and the method that computed it.",
        ]
    )


def known_issues_section(card: dict[str, Any]) -> str:
    """The problems found after release, each with its status and tracker link, to follow the
    risks ("" when the card lists none, so the body is as before)."""
    issues = known_issues(card)
    if not issues:
        return ""
    lines = [f"- {issue.describe()}" for issue in issues]
    return "\n\n### Known issues\n\n" + "\n".join(lines)


def checkpoint_section(card: dict[str, Any], release: Release | None) -> str:
    """Where the export comes from (`release`: the release it was read from, None for the work
    tree), and each file of the checkpoint with its sha256 and size, by its path relative to the
    card (where it sits beside a Hub README). A release whose tag carries a gitckpt record (GTO's
    do not) is checked against the sha256 that record says was released."""
    block = mapping(card, "checkpoint")
    recorded = release.record.bytes if release and release.record else None
    path = str(block.get("path"))
    if release is None:
        origin = "Exported from the work tree, not from a release."
    else:
        origin = (
            f"Exported from release **v{release.version}** (tag `{release.event.tag}`, commit "
            f"`{release.event.commit}`)."
        )
    lines = [
        "## Checkpoint",
        "",
        origin,
        "",
        _row("File", "sha256", "Size (bytes)"),
        _row("---", "---", "---:"),
        *(_row(f"`{name}`", f"`{sha256}`", size) for name, sha256, size in _files(block, path)),
    ]
    if block.get("files"):
        lines += ["", f"Root digest of the directory (sha256): `{block.get('sha256')}`"]
    if recorded and recorded.sha256 != block.get("sha256"):
        lines += ["", f"The release record states sha256 `{recorded.sha256}`."]
    if block.get("md5"):
        lines += ["", f"DVC md5: `{block.get('md5')}`; format: {block.get('format')}."]
    return "\n".join(lines)


def _files(block: dict[str, Any], path: str) -> list[tuple[str, str, str]]:
    """(path, sha256, size) for each file: the directory's listed files, else the one file."""
    listed = [entry for entry in block.get("files") or [] if isinstance(entry, dict)]
    if not listed:
        return [(path, str(block.get("sha256")), _number(block.get("size")))]
    return [
        (
            str(PurePosixPath(path) / str(entry.get("path"))),
            str(entry.get("sha256")),
            _number(entry.get("size")),
        )
        for entry in listed
    ]


def _interval(interval: Any) -> str:
    if not isinstance(interval, dict):
        return "not stated"
    if "noassertion" in interval:
        return f"not stated: {_cell(interval['noassertion'])}"
    level = interval.get("level")
    percent = f"{float(level) * 100:g}%" if isinstance(level, (int, float)) else str(level)
    return (
        f"[{_number(interval.get('low'))}, {_number(interval.get('high'))}] "
        f"({percent}, {_cell(interval.get('method'))})"
    )


def _dataset(dataset: Any) -> str:
    if not isinstance(dataset, dict):
        return "not stated"
    name = dataset.get("artifact") or dataset.get("uri")
    revision = f" @ {dataset['revision']}" if dataset.get("revision") else ""
    return f"{_cell(name)}{_cell(revision)} / {_cell(dataset.get('split'))}"


def _number(value: Any) -> str:
    if isinstance(value, dict) and "noassertion" in value:
        return f"not stated: {_cell(value['noassertion'])}"
    return _cell(value)


def _cell(value: Any) -> str:
    """Text that stays inside its table cell: a `|` would end the cell, a newline the row."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"
