"""GC601 and GC602: no credentials and no personal data in cards or in the small text files an
artifact ships (configs, tokenizer files, eval logs). Secrets are never printed in full."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from gitckpt.checks.base import Check, Finding

SECRET = Check(
    id="GC601",
    name="secret-in-text",
    severity="error",
    rationale="A credential in a shared card or file is leaked to everyone who clones the repository.",
    fix="Remove the credential (and rotate it: it is in git history), or replace it with a placeholder.",
)
PERSONAL_DATA = Check(
    id="GC602",
    name="personal-data",
    severity="warning",
    rationale="E-mail addresses and phone numbers beyond the declared contact are personal data; share them only on purpose.",
    fix="Remove or anonymise them; the card's `contact` is the one address that belongs there.",
)
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
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")  # `name@v1.2.0` is a release, not an address
PHONE = re.compile(r"(?<![\w.+])\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}(?![\w.])")
# Every pattern detector above needs a long token, a key header or URL credentials; lines with
# none of them are skipped (detect-secrets' per-plugin dispatch costs ~0.1 ms a line).
MAY_HOLD_SECRET = re.compile(r"[A-Za-z0-9_+/=.-]{16,}|-----BEGIN|://[^/\s:@]+:[^@\s]+@|\d{8,}:")
TEXT_SUFFIXES = (".json", ".jsonl", ".txt", ".yaml", ".yml", ".md", ".csv", ".tsv", ".cfg", ".ini", ".toml", ".log", ".py")
TEXT_SIZE_LIMIT = 1024 * 1024


def mask(secret: str) -> str:
    return f"{secret[:4]}…({len(secret)} characters)" if len(secret) > 4 else "…"


@cache
def _settings() -> dict[str, Any]:
    return {"plugins_used": [{"name": name} for name in SECRET_PLUGINS]}


def scan_lines(path: str, lines: Iterable[tuple[int, str]], allowed_emails: frozenset[str] = frozenset()) -> Iterator[Finding]:
    """Findings for numbered lines of text (`path` as it should be reported)."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    with transient_settings(_settings()):
        for number, line in lines:
            for secret in scan_line(line) if MAY_HOLD_SECRET.search(line) else ():
                yield SECRET.finding(path, f"{secret.type}: {mask(str(secret.secret_value))}", line=number)
            for address in EMAIL.findall(line):
                if address.lower() not in allowed_emails and not address.lower().endswith(("@example.org", "@example.com")):
                    yield PERSONAL_DATA.finding(path, f"e-mail address {mask(address)}", line=number)
            for phone in PHONE.findall(line):
                yield PERSONAL_DATA.finding(path, f"phone number {mask(phone)}", line=number)


def scan_card_text(path: str, text: str, contact: object) -> list[Finding]:
    allowed = frozenset({str(contact).lower()}) if isinstance(contact, str) else frozenset()
    return list(scan_lines(path, enumerate(text.split("\n"), start=1), allowed))
