"""GC202–GC205: every pointer has a card, every card's data has a pointer, and they agree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from gitckpt.card import BYTES_FIELD
from gitckpt.checks.base import Check
from gitckpt.file_facts import CardFacts, Finding, Inventory
from gitckpt.files import PathGuard
from gitckpt.pointer import POINTER_SUFFIX

POINTER_WITHOUT_CARD = Check(
    id="GC202",
    name="pointer-without-card",
    severity="error",
    rationale="Data shared without a card cannot be used responsibly: every pointer needs a card.",
    fix="Scaffold the card with `git ckpt card new DATA_PATH --kind model|dataset|eval` and "
    "fill it in.",
)
CARD_WITHOUT_POINTER = Check(
    id="GC203",
    name="card-without-pointer",
    severity="error",
    rationale="A card must describe bytes that DVC tracks, or nobody can fetch what it documents.",
    fix="Track the data with `dvc add DATA_PATH`, or correct the card's path (relative to the "
    "card).",
)
MISMATCH = Check(
    id="GC204",
    name="card-pointer-mismatch",
    severity="error",
    rationale="The card's md5 and size must equal the pointer's, or the card describes other "
    "bytes.",
    fix="Copy md5 and size from the pointer into the card, and re-check every fact that "
    "depends on the bytes.",
)
UNSAFE_PATH = Check(
    id="GC205",
    name="unsafe-data-path",
    severity="error",
    rationale="Data paths must stay inside the repository and not run through symlinks.",
    fix="Move the data inside the repository (not through a symlinked directory) and track it "
    "there.",
)


def check_sync(inventory: Inventory) -> Iterator[Finding]:
    guard = PathGuard(inventory.repo.root, inventory.source.symlinks)
    claims: dict[str, list[CardFacts]] = defaultdict(list)
    for card in inventory.cards.values():
        if card.data_relpath is not None:
            claims[card.data_relpath].append(card)
            yield from _check_card_data(inventory, guard, card)
    yield from _check_pointers(inventory, guard, claims)


def _check_card_data(inventory: Inventory, guard: PathGuard, card: CardFacts) -> Iterator[Finding]:
    block = BYTES_FIELD.get(card.kind or "", "checkpoint")
    reason = guard.resolved_problem(card.data_path or "", card.data_relpath or "")
    if reason:
        yield UNSAFE_PATH.finding(
            card.path,
            f"{reason}: {card.data_path!r}",
            line=card.data_path_line,
            field=f"{block}.path",
        )
        return
    pointer_path = f"{card.data_relpath}{POINTER_SUFFIX}"
    pointer = inventory.pointers.get(pointer_path)
    if pointer is None:
        yield CARD_WITHOUT_POINTER.finding(
            card.path,
            f"{block}.path is {card.data_path!r} but there is no pointer {pointer_path}",
            line=card.data_path_line,
            field=f"{block}.path",
        )
        return
    out = next(
        (
            out
            for out, relpath in zip(pointer.outs, pointer.out_relpaths, strict=True)
            if relpath == card.data_relpath
        ),
        None,
    )
    if out is None:
        if not pointer.findings:
            yield CARD_WITHOUT_POINTER.finding(
                card.path,
                f"{pointer_path} does not track {card.data_relpath}",
                line=card.data_path_line,
                field=f"{block}.path",
            )
        return
    if card.md5 is not None and card.md5 != out.md5:
        yield MISMATCH.finding(
            card.path,
            f"md5 is {card.md5} but {pointer_path}:{out.line} records {out.md5}: the card "
            "describes other bytes",
            line=card.md5_line,
            field=f"{block}.md5",
        )
    if card.size is not None and card.size != out.size:
        yield MISMATCH.finding(
            card.path,
            f"size is {card.size:,} but {pointer_path}:{out.line} records {out.size:,}",
            line=card.size_line,
            field=f"{block}.size",
        )


def _check_pointers(
    inventory: Inventory, guard: PathGuard, claims: dict[str, list[CardFacts]]
) -> Iterator[Finding]:
    for pointer in inventory.pointers.values():
        for out, data in zip(pointer.outs, pointer.out_relpaths, strict=True):
            reason = guard.resolved_problem(out.path, data)
            if reason:
                yield UNSAFE_PATH.finding(
                    pointer.path, f"{reason}: {out.path!r}", line=out.line, field="outs.path"
                )
                continue
            cards = claims.get(data, [])
            if not cards:
                yield POINTER_WITHOUT_CARD.finding(
                    pointer.path,
                    f"{data} has no card; write one with `git ckpt card new {data} --kind "
                    "model|dataset|eval`",
                    line=out.line,
                )
            elif len(cards) > 1:
                names = ", ".join(card.path for card in cards)
                yield MISMATCH.finding(
                    pointer.path,
                    f"{data} is described by several cards ({names}); keep one",
                    line=out.line,
                )
