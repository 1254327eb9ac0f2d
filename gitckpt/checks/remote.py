"""GC209 (`check --remote`): the bytes a card describes are in the DVC remote, so anyone with
the repository can fetch them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from gitckpt.card import BYTES_FIELD
from gitckpt.checks.base import Check
from gitckpt.facts import CardFacts, Finding, Inventory
from gitckpt.pointer import POINTER_SUFFIX

NOT_PUSHED = Check(
    id="GC209",
    name="data-not-pushed",
    severity="error",
    rationale="A shared card whose bytes nobody can fetch documents nothing usable.",
    fix="Push the bytes: `git ckpt push NAME` (or `dvc push PATH`).",
)


def pointer_md5s(inventory: Inventory, cards: Iterable[CardFacts]) -> dict[str, str]:
    """Each card's path mapped to the md5 its pointer records."""
    found = {}
    for card in cards:
        pointer = inventory.pointers.get(f"{card.data_relpath}{POINTER_SUFFIX}")
        out = (
            next(
                (out for out in pointer.outs if pointer.out_relpath(out) == card.data_relpath), None
            )
            if pointer
            else None
        )
        if out is not None:
            found[card.path] = out.md5
    return found


def check_remote(
    inventory: Inventory, md5s: dict[str, str], holdings: dict[str, bool], remote: str
) -> Iterator[Finding]:
    for card_path, md5 in md5s.items():
        if not holdings.get(md5, False):
            card = inventory.cards[card_path]
            block = BYTES_FIELD.get(card.kind or "", "checkpoint")
            yield NOT_PUSHED.finding(
                card_path,
                f"{card.data_relpath} (md5 {md5}) is not in the DVC remote {remote!r}",
                line=card.md5_line,
                field=f"{block}.md5",
            )
