"""Card parses by blob id, shared through the cache (`.git/gitckpt/cache.sqlite`) by every command
that reads cards: a version of a card is parsed once, by whichever of `check`, `log`, `search`,
`site`, `audit` or `diff` meets it first, and read back as JSON (~10× cheaper than parsing) by
the others. Keys carry the rules fingerprint, which changes with gitckpt's code, so a parse by an
older parser is never used."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gitckpt.cache import Cache, encode
from gitckpt.card import Card, card_from_json, card_to_json, parse_card
from gitckpt.schema import rules_fingerprint

Payload = dict[str, Any]


def parsed_key(blob_id: str) -> str:
    return f"parsed:{rules_fingerprint()}:{blob_id}"


def card_from(text: str, display: str, payload: Payload | None) -> Card:
    """The card in `text`: from its cached parse when there is one, else parsed (InputError when
    it does not parse)."""
    return card_from_json(payload, text, display) if payload else parse_card(text, display)


def encoded_parse(card: Card) -> str:
    """The card's parse as the cache stores it; encoding costs about a quarter of a
    millisecond, so it is done where the card was parsed (a worker)."""
    return encode(card_to_json(card))


class ParsedCards:
    """Cached parses by blob id. New ones are kept until `save()` writes them in one transaction
    (a walk over 2,000 versions must not commit 2,000 times)."""

    def __init__(self, cache: Cache | None) -> None:
        self._cache = cache
        self._new: dict[str, str] = {}
        self._fetched: dict[str, Payload | None] = {}  # by blob id: prefetched, None if uncached

    def known(self, blob_ids: Iterable[str]) -> dict[str, Payload]:
        """The cached parse of each blob that has one."""
        if self._cache is None:
            return {}
        keys = {parsed_key(blob_id): blob_id for blob_id in blob_ids}
        return {keys[key]: payload for key, payload in self._cache.get_results(keys).items()}

    def prefetch(self, blob_ids: Iterable[str]) -> None:
        """Read the cached parses of many blobs in one query, for the `card` calls to come (a
        site reads every card of a commit: one query each cost a tenth of its build)."""
        wanted = list(blob_ids)
        known = self.known(wanted)
        self._fetched.update({blob_id: known.get(blob_id) for blob_id in wanted})

    def card(self, blob_id: str, text: str, display: str) -> Card:
        """The card in `text` (the blob `blob_id`), from the cache or parsed and remembered."""
        payload = (
            self._fetched.pop(blob_id)
            if blob_id in self._fetched
            else self.known([blob_id]).get(blob_id)
        )
        card = card_from(text, display, payload)
        if payload is None:
            self.remember(blob_id, encoded_parse(card))
        return card

    def remember(self, blob_id: str, encoded: str | None) -> None:
        """Keep a parse (`encoded_parse`) for `save`."""
        if encoded is not None:
            self._new[blob_id] = encoded

    def save(self) -> None:
        if self._cache is not None and self._new:
            self._cache.put_encoded_results(
                {parsed_key(oid): item for oid, item in self._new.items()}
            )
        self._new = {}
