"""What `git ckpt check` does: every check over the given cards and pointers, or the whole tree;
with --data also the bytes in the work tree, with --remote also what the DVC remotes hold. Used by
`check`, `ci`, `status` and the release gate; no printing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitckpt.cache import Cache
from gitckpt.card import is_card_path
from gitckpt.checks import ALL_CHECKS, RatedFinding, run_checks
from gitckpt.checks.base import Check
from gitckpt.checks.data import check_data, content_findings, verifiable_cards, work_tree_files
from gitckpt.config import Config
from gitckpt.errors import UsageError
from gitckpt.file_facts import CardFacts, Finding, Inventory, Progress
from gitckpt.hashing import content_digest
from gitckpt.inventory import load_inventory
from gitckpt.notebook import Row, Table
from gitckpt.pointer import POINTER_SUFFIX, is_pointer_path
from gitckpt.repo import Repository, list_staged_paths
from gitckpt.schema import rules_fingerprint


@dataclass(frozen=True)
class CheckOptions:
    paths: Sequence[Path] = ()
    staged: bool = False
    data: bool = False
    use_cache: bool = True
    remote: bool = False
    remote_name: str | None = None
    trust_ref: str | None = None  # with remote: the trusted revision GC505 judges levels by
    policy: Config | None = None  # judge by this policy instead of the work tree's (ci: the base's)


@dataclass(frozen=True)
class CheckReport(Table):
    """What `check` found (shown as a table of findings in a notebook).

    >>> report = registry.check()
    >>> report.errors, [item.finding.check for item in report.findings]
    (1, ['GC104'])
    """

    findings: list[RatedFinding]
    cards: int
    pointers: int
    inventory: Inventory | None = field(default=None, compare=False, repr=False)

    @property
    def errors(self) -> int:
        return sum(1 for item in self.findings if item.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for item in self.findings if item.severity == "warning")

    def checks_found(self) -> list[Check]:
        """Each check with a finding, in id order: what to do about them."""
        return [ALL_CHECKS[check] for check in sorted({i.finding.check for i in self.findings})]

    def _table(self) -> tuple[str, Sequence[str], list[Row]]:
        title = (
            f"{self.errors} error(s), {self.warnings} warning(s) in {self.cards} card(s) and "
            f"{self.pointers} pointer(s)"
        )
        rows: list[Row] = [
            [item.severity, item.finding.check, _where(item.finding), item.finding.message]
            for item in self.findings
        ]
        return title, ("severity", "check", "where", "message"), rows

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.errors == 0,
            "summary": {
                "errors": self.errors,
                "warnings": self.warnings,
                "cards": self.cards,
                "pointers": self.pointers,
            },
            "findings": [
                {**item.finding.to_json(), "severity": item.severity} for item in self.findings
            ],
        }


def _where(finding: Finding) -> str:
    line = f":{finding.line}" if finding.line else ""
    return f"{finding.path}{line}" + (f" [{finding.field}]" if finding.field else "")


def check(repo: Repository, options: CheckOptions, progress: Progress | None = None) -> CheckReport:
    """Check the files named (with their counterparts), the staged ones, or, with neither,
    everything."""
    inventory = load_inventory(repo, progress)
    if options.policy is not None:
        inventory.config = options.policy
    requested = [_relative(repo, path) for path in options.paths]
    if options.staged:
        requested += [
            path for path in list_staged_paths(repo) if is_card_path(path) or is_pointer_path(path)
        ]
    whole_tree = not options.paths and not options.staged
    scope = (
        set(inventory.cards) | set(inventory.pointers)
        if whole_tree
        else _scope(inventory, requested)
    )
    cards = [card for path, card in inventory.cards.items() if path in scope]
    findings = run_checks(inventory, _optional_findings(repo, inventory, cards, options, progress))
    shipped = tuple(f"{card.data_relpath}/" for card in cards if card.data_relpath)
    return CheckReport(
        [
            item
            for item in findings
            if item.finding.path in scope or item.finding.path.startswith(shipped)
        ],
        len(cards),
        sum(1 for path in scope if path in inventory.pointers),
        inventory,
    )


def _optional_findings(
    repo: Repository,
    inventory: Inventory,
    cards: list[CardFacts],
    options: CheckOptions,
    progress: Progress | None,
) -> list[Finding]:
    findings: list[Finding] = []
    if options.data:
        findings += verify_data(
            repo, inventory, cards, use_cache=options.use_cache, progress=progress
        )
    if options.remote:
        from gitckpt.access_routes import remote_findings  # policy and remotes: --remote only

        findings += remote_findings(repo, inventory, cards, options.remote_name, options.trust_ref)
    return findings


def verify_data(
    repo: Repository,
    inventory: Inventory,
    cards: Iterable[CardFacts],
    *,
    use_cache: bool,
    progress: Progress | None,
) -> list[Finding]:
    """Hash the data of `cards` (through the stat cache unless told not to) and compare."""
    verifiable = verifiable_cards(inventory, cards)
    with Cache(repo.state_dir) as cache:
        from gitckpt.digests import DigestReader  # --data only

        reader = DigestReader(repo.root, cache if use_cache else None)
        total = sum(
            reader.size_of(card.data_relpath or "")
            for card in verifiable
            if (repo.root / (card.data_relpath or "")).exists()
        )
        by_bytes = (lambda count: progress(count, total)) if progress else None
        findings = list(check_data(inventory, reader, verifiable, by_bytes))
        return findings + _contents(repo, inventory, cache, verifiable, findings)


def _contents(
    repo: Repository,
    inventory: Inventory,
    cache: Cache,
    cards: list[CardFacts],
    digest_findings: list[Finding],
) -> list[Finding]:
    """Content checks of bytes that match their card, cached by the bytes' sha256."""
    unverified = {finding.path for finding in digest_findings}
    present = [
        card
        for card in cards
        if card.path not in unverified
        and card.sha256
        and (repo.root / str(card.data_relpath)).exists()
    ]
    allowed = inventory.config.allowed_globals
    policy = content_digest(repr(sorted(allowed.items())).encode())
    keys = {
        card.path: f"contents:{rules_fingerprint()}:{policy}:{card.data_relpath}:{card.sha256}"
        for card in present
    }
    cached = cache.get_results(keys.values())
    fresh = {
        keys[card.path]: [
            f.to_json()
            for f in content_findings(
                work_tree_files(repo.root, str(card.data_relpath)), card.path, allowed
            )
        ]
        for card in present
        if keys[card.path] not in cached
    }
    cache.put_results(fresh)
    return [
        Finding.from_json(item)
        for card in present
        for item in (
            cached[keys[card.path]] if keys[card.path] in cached else fresh[keys[card.path]]
        )
    ]


def _relative(repo: Repository, path: Path) -> str:
    absolute = (Path.cwd() / path).absolute()
    try:
        return absolute.parent.resolve().joinpath(absolute.name).relative_to(repo.root).as_posix()
    except ValueError as exc:
        raise UsageError(f"{path} is outside the repository {repo.root}") from exc


def _scope(inventory: Inventory, requested: Sequence[str]) -> set[str]:
    """The requested cards and pointers plus their counterparts: a card's pointer, a pointer's
    cards."""
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
