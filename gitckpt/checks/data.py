"""GC207 and GC208 (`check --data`): the bytes in the work tree are the ones the card and
pointer describe."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from gitckpt.card import BYTES_FIELD
from gitckpt.checks.base import Check
from gitckpt.checks.sensitive import TEXT_SIZE_LIMIT, TEXT_SUFFIXES, scan_text
from gitckpt.checks.serialization import check_pickle, check_safetensors
from gitckpt.file_facts import CardFacts, Finding, Inventory
from gitckpt.hashing import ByteProgress, FileDigests, shifted, tree_files
from gitckpt.pointer import POINTER_SUFFIX

if TYPE_CHECKING:  # the reader itself is made by `check --data`
    from gitckpt.digests import DigestReader

DATA_MODIFIED = Check(
    id="GC207",
    name="data-modified",
    severity="error",
    rationale="The bytes in the work tree must be the ones the card and pointer describe, digest "
    "for digest.",
    fix="Record intended changes with `git ckpt add PATH`; otherwise restore the data with "
    "`dvc checkout PATH`.",
)
DATA_MISSING = Check(
    id="GC208",
    name="data-missing",
    severity="warning",
    rationale="Bytes that are not in the work tree cannot be verified.",
    fix="Fetch them with `git ckpt pull NAME` (or `dvc pull PATH`), then check again.",
)


def verifiable_cards(inventory: Inventory, cards: Iterable[CardFacts]) -> list[CardFacts]:
    """Cards whose data path is known and whose pointer exists (other checks report the rest)."""
    return [
        card
        for card in cards
        if card.data_relpath and f"{card.data_relpath}{POINTER_SUFFIX}" in inventory.pointers
    ]


def check_data(
    inventory: Inventory,
    reader: DigestReader,
    cards: Iterable[CardFacts],
    progress: ByteProgress | None = None,
) -> Iterator[Finding]:
    done = 0
    for card in cards:
        relpath = card.data_relpath or ""
        if not (reader.root / relpath).exists():
            yield DATA_MISSING.finding(
                card.path, f"{relpath} is not in the work tree", line=card.data_path_line
            )
            continue
        measured = reader.measure(relpath, shifted(progress, done))
        done += measured.size
        block = BYTES_FIELD.get(card.kind or "", "checkpoint")
        if card.sha256 and measured.sha256 != card.sha256:
            yield DATA_MODIFIED.finding(
                card.path,
                f"{relpath} has sha256 {measured.sha256[:16]}…, but the card records "
                f"{card.sha256[:16]}…",
                line=card.sha256_line,
                field=f"{block}.sha256",
            )
        yield from _pointer_mismatch(inventory, relpath, measured)


def _pointer_mismatch(inventory: Inventory, relpath: str, measured: object) -> Iterator[Finding]:
    pointer = inventory.pointers[f"{relpath}{POINTER_SUFFIX}"]
    for out in pointer.outs:
        if (
            isinstance(measured, FileDigests)
            and pointer.out_relpath(out) == relpath
            and out.md5 != measured.md5
        ):
            yield DATA_MODIFIED.finding(
                pointer.path,
                f"{relpath} has md5 {measured.md5}, but the pointer records {out.md5}",
                line=out.line,
                field="md5",
            )


def content_findings(
    files: Iterable[tuple[str, Path]], card_path: str, allowed_globals: Mapping[str, str]
) -> list[Finding]:
    """What loading or reading the shipped bytes would expose: unsafe pickles (found by content in
    any file, whatever its name), malformed safetensors, secrets and personal data in small text
    files. Each file is judged by its path in the repository and read from where its bytes are
    (the work tree or the DVC cache); `allowed_globals` are the policy's allowed pickle globals."""

    findings: list[Finding] = []
    for shown, path in files:
        suffix = PurePosixPath(shown).suffix.lower()
        if suffix == ".safetensors":
            findings += [_on_card(finding, card_path) for finding in check_safetensors(shown, path)]
            continue
        findings += [
            _on_card(finding, card_path) for finding in check_pickle(shown, path, allowed_globals)
        ]
        if suffix in TEXT_SUFFIXES and path.stat().st_size <= TEXT_SIZE_LIMIT:
            text = path.read_text(encoding="utf-8", errors="replace")
            findings += list(scan_text(shown, text))
    return findings


def work_tree_files(root: Path, relpath: str) -> list[tuple[str, Path]]:
    """Each file of the data at `relpath` in the work tree (a file, or every file of a directory),
    by its path in the repository, for `content_findings`."""
    target = root / relpath
    return [
        (path.relative_to(root).as_posix(), path)
        for path in ([target] if target.is_file() else tree_files(target))
    ]


def _on_card(finding: Finding, card_path: str) -> Finding:
    """Findings about binary bytes are reported on the card, which is where they are fixed."""
    return Finding(
        path=card_path,
        line=finding.line,
        check=finding.check,
        field=finding.field,
        message=f"{finding.path}: {finding.message}",
    )
