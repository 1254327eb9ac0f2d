"""`git ckpt check`: run every check over the given cards and pointers, or the whole tree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitckpt.card import is_card_path
from gitckpt.checks import RatedFinding, run_checks
from gitckpt.errors import UsageError
from gitckpt.inventory import Inventory, Progress, load_inventory
from gitckpt.pointer import POINTER_SUFFIX, is_pointer_path
from gitckpt.repo import Repository, list_staged_paths


@dataclass(frozen=True)
class CheckReport:
    findings: list[RatedFinding]
    cards: int
    pointers: int

    @property
    def errors(self) -> int:
        return sum(1 for item in self.findings if item.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for item in self.findings if item.severity == "warning")

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.errors == 0,
            "summary": {"errors": self.errors, "warnings": self.warnings, "cards": self.cards, "pointers": self.pointers},
            "findings": [{**item.finding.to_json(), "severity": item.severity} for item in self.findings],
        }


def check(repo: Repository, paths: Sequence[Path], *, staged: bool = False, progress: Progress | None = None) -> CheckReport:
    """Check the files named (with their counterparts), the staged ones, or, with neither, everything."""
    inventory = load_inventory(repo, progress)
    findings = run_checks(inventory)
    requested = [_relative(repo, path) for path in paths]
    if staged:
        requested += [path for path in list_staged_paths(repo) if is_card_path(path) or is_pointer_path(path)]
    if not paths and not staged:
        return CheckReport(findings, len(inventory.cards), len(inventory.pointers))
    scope = _scope(inventory, requested)
    return CheckReport(
        [item for item in findings if item.finding.path in scope],
        sum(1 for path in scope if path in inventory.cards),
        sum(1 for path in scope if path in inventory.pointers),
    )


def _relative(repo: Repository, path: Path) -> str:
    absolute = (Path.cwd() / path).absolute()
    try:
        return absolute.parent.resolve().joinpath(absolute.name).relative_to(repo.root).as_posix()
    except ValueError as exc:
        raise UsageError(f"{path} is outside the repository {repo.root}") from exc


def _scope(inventory: Inventory, requested: Sequence[str]) -> set[str]:
    """The requested cards and pointers plus their counterparts: a card's pointer, a pointer's cards."""
    scope: set[str] = set()
    for relpath in requested:
        known = _known_file(inventory, relpath)
        if known is None and not (inventory.repo.root / relpath).exists():
            raise UsageError(f"{relpath} does not exist")
        if known is None:
            raise UsageError(f"{relpath} is not a card, a DVC pointer, or data tracked by one")
        scope.add(known)
        scope.update(_counterparts(inventory, known))
    return scope


def _known_file(inventory: Inventory, relpath: str) -> str | None:
    """The card or pointer `relpath` names: itself, or for tracked data its pointer."""
    for candidate in (relpath, f"{relpath}{POINTER_SUFFIX}"):
        if candidate in inventory.cards or candidate in inventory.pointers:
            return candidate
    return None


def _counterparts(inventory: Inventory, relpath: str) -> set[str]:
    card = inventory.cards.get(relpath)
    if card is not None:
        return {f"{card.data_relpath}{POINTER_SUFFIX}"} if card.data_relpath else set()
    pointer = inventory.pointers[relpath]
    data = {pointer.out_relpath(out) for out in pointer.outs}
    return {card.path for card in inventory.cards.values() if card.data_relpath in data}
