"""GC209 (`check --remote`): the bytes a card describes are in the DVC remote, so anyone with
the repository can fetch them. GC505: they are on no remote their access level forbids
(access_routes.py decides which remotes those are, as push does)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from gitckpt.card import BYTES_FIELD
from gitckpt.checks.base import Check
from gitckpt.file_facts import CardFacts, Finding, Inventory
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


class UnpushedBytes(NamedTuple):
    """An artifact's bytes that no remote asked holds in full: its card, the md5, and where they
    were looked for, for the message ("the DVC remote 'storage'")."""

    card: CardFacts
    md5: str
    looked_in: str


def check_unpushed(found: Iterable[UnpushedBytes]) -> Iterator[Finding]:
    for item in found:
        card = item.card
        block = BYTES_FIELD.get(card.kind or "", "checkpoint")
        yield NOT_PUSHED.finding(
            card.path,
            f"{card.data_relpath} (md5 {item.md5}) is not in {item.looked_in}",
            line=card.md5_line,
            field=f"{block}.md5",
        )


FORBIDDEN_REMOTE = Check(
    id="GC505",
    name="bytes-on-forbidden-remote",
    severity="error",
    rationale="Bytes on a remote their access level does not allow (a restricted checkpoint in "
    "a public bucket) are readable by whoever can read that remote.",
    fix="Delete them from that remote with the storage's own tools (gitckpt and DVC never delete "
    "from a remote), treat what they held as exposed, and keep them on an allowed remote: "
    "`git ckpt push NAME --remote ALLOWED`.",
)


class MisplacedBytes(NamedTuple):
    """An artifact's bytes found on a remote its access does not allow: the card, the md5, the
    level (None: its card states none), the remote, how much of the bytes it holds ("all" or
    "some"), and the remotes allowed (with the embargo that narrows them, if any)."""

    card: CardFacts
    md5: str
    level: str | None
    remote: str
    share: str
    allowed: str


def check_misplaced(found: Iterable[MisplacedBytes]) -> Iterator[Finding]:
    for item in found:
        card = item.card
        share = "" if item.share == "all" else f"{item.share} of "
        level = f"its level {item.level}" if item.level else "an artifact without a level"
        yield FORBIDDEN_REMOTE.finding(
            card.path,
            f"{share}{card.data_relpath} (artifact {card.name!r}, md5 {item.md5}) is on remote "
            f"{item.remote!r}, which {level} does not allow; allowed remote(s): {item.allowed}",
            line=card.access_level_line,
            field="access.level",
        )
