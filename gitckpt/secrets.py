"""Finding credentials in text with detect-secrets' pattern detectors, and masking them: the one
way any output of gitckpt shows a credential (GC601 in gitckpt/checks/sensitive.py reports them).
In the core, so that messages built below the checks (a tag's binding problem quoting a card's
name) mask what they quote."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

# Pattern detectors only: entropy detectors flag every md5 and sha256 a card must hold.
SECRET_PLUGINS = (
    "AWSKeyDetector",
    "ArtifactoryDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "JwtTokenDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)
# Every pattern detector in SECRET_PLUGINS needs a long token, a key header or URL credentials;
# lines with none of them, or that none of the detectors' own patterns match, are skipped
# (detect-secrets' settings and per-plugin dispatch cost ~0.1 ms a line, entering its settings
# ~0.6 ms).
DISTINCT_SUSPECT_LINES = 65536  # ~6 MiB at most
MAY_HOLD_SECRET = re.compile(r"[A-Za-z0-9_+/=.-]{16,}|-----BEGIN|://[^/\s:@]+:[^@\s]+@|\d{8,}:")
# detect-secrets reports part of some credentials (GitHub's prefix, a JWT without its signature):
# what is masked grows over the token around that part (a final full stop ends a sentence).
TOKEN_START = string.ascii_letters + string.digits + "_+/-"
TOKEN_REST = re.compile(r"[A-Za-z0-9_+/=.-]*[A-Za-z0-9_+/=-]")
# PrivateKeyDetector's type: it reports the BEGIN line, the key runs to its END line
PRIVATE_KEY = "Private Key"
PRIVATE_KEY_END = re.compile(r"END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-*|Private-MAC: \S*")


def mask(secret: str) -> str:
    """The one form in which any output shows a credential (or personal data) GC601/GC602 found."""
    return f"{secret[:4]}…({len(secret)} characters)" if len(secret) > 4 else "…"


def mask_secrets(text: str) -> str:
    """`text` as every output shows it: each credential GC601 finds in it masked. Lines keep their
    place (a private key's body is masked line by line), so a card still parses with the same line
    numbers. Apply it before the text is parsed, cut into snippets or wrapped for display."""
    lines = text.split("\n")
    spans: dict[int, list[tuple[int, int]]] = {}
    for index, kind, start, end in credentials(lines):
        spans.setdefault(index, []).append((start, end))
        if kind == PRIVATE_KEY and not PRIVATE_KEY_END.search(lines[index], start):
            for body in _key_body(lines, index):
                spans.setdefault(body, []).append(
                    (len(lines[body]) - len(lines[body].lstrip()), len(lines[body]))
                )
    for index, found in spans.items():
        for start, end in reversed(_merged(found)):
            lines[index] = lines[index][:start] + mask(lines[index][start:end]) + lines[index][end:]
    return "\n".join(lines)


def _key_body(lines: list[str], begin: int) -> Iterator[int]:
    """The non-blank lines after a private key's BEGIN line, up to its END line (or the text's
    end)."""
    for index in range(begin + 1, len(lines)):
        if lines[index].strip():
            yield index
        if PRIVATE_KEY_END.search(lines[index]):
            return


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@cache
def _settings() -> dict[str, Any]:
    return {"plugins_used": [{"name": name} for name in SECRET_PLUGINS]}


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    """The detectors' own patterns (every one in SECRET_PLUGINS is a pattern detector): a line
    none of them matches holds nothing they would report."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    classes: list[Any] = list(get_mapping_from_secret_type_to_class().values())
    detectors = {plugin.__name__: plugin for plugin in classes}
    return tuple(pattern for name in SECRET_PLUGINS for pattern in detectors[name].denylist)


def _may_hold_secret(line: str) -> bool:
    return MAY_HOLD_SECRET.search(line) is not None and _matches_a_detector(line)


@lru_cache(maxsize=DISTINCT_SUSPECT_LINES)
def _matches_a_detector(line: str) -> bool:
    """Remembered by line: most lines that pass MAY_HOLD_SECRET are a card's long field names
    (`third_party_dependencies_listed:`), the same in every card, and testing one against 37
    patterns costs more than judging the rest of it."""
    return any(pattern.search(line) for pattern in _patterns())


def credentials(lines: list[str]) -> Iterator[tuple[int, str, int, int]]:
    """(line index, type, start, end) of every credential detect-secrets finds in `lines`; a
    private key's span runs to its END marker or to the end of the line."""
    suspects = [index for index, line in enumerate(lines) if _may_hold_secret(line)]
    if not suspects:
        return
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    with transient_settings(_settings()):
        found = [
            (index, secret.type, str(secret.secret_value))
            for index in suspects
            for secret in scan_line(lines[index])
        ]
    for index, kind, value in found:
        for part in re.finditer(re.escape(value), lines[index]):
            yield index, kind, *_whole(lines[index], kind, part.start(), part.end())


def _whole(line: str, kind: str, start: int, end: int) -> tuple[int, int]:
    """The span of the whole credential of which detect-secrets reported `line[start:end]`."""
    start = len(line[:start].rstrip(TOKEN_START))
    if kind == PRIVATE_KEY:
        key_end = PRIVATE_KEY_END.search(line, end)
        return start, key_end.end() if key_end else len(line)
    rest = TOKEN_REST.match(line, end)
    return start, rest.end() if rest else end
