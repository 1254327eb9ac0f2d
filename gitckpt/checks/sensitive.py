"""GC601 and GC602: no credentials and no personal data in cards or in the small text files an
artifact ships (configs, tokenizer files, eval logs). Secrets are never printed in full."""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Iterable, Iterator
from functools import cache
from typing import Any

from gitckpt.checks.base import Check
from gitckpt.errors import GitckptError
from gitckpt.facts import Finding

SECRET = Check(
    id="GC601",
    name="secret-in-text",
    severity="error",
    rationale="A credential in a shared card or file is leaked to everyone who clones the "
    "repository.",
    fix="Remove the credential (and rotate it: it is in git history), or replace it with a "
    "placeholder.",
)
PERSONAL_DATA = Check(
    id="GC602",
    name="personal-data",
    severity="warning",
    rationale="E-mail addresses and phone numbers beyond the declared contact are personal data; "
    "share them only on purpose.",
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
EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])"
)  # `name@v1.2.0` is a release, not an address
PHONE = re.compile(r"(?<![\w.+])\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}(?![\w.])")
# Every pattern detector above needs a long token, a key header or URL credentials; lines with
# none of them, or that none of the detectors' own patterns match, are skipped (detect-secrets'
# settings and per-plugin dispatch cost ~0.1 ms a line, and entering its settings ~0.6 ms).
MAY_HOLD_SECRET = re.compile(r"[A-Za-z0-9_+/=.-]{16,}|-----BEGIN|://[^/\s:@]+:[^@\s]+@|\d{8,}:")
# detect-secrets reports part of some credentials (GitHub's prefix, a JWT without its signature):
# what is masked grows over the token around that part (a final full stop ends a sentence).
TOKEN_START = string.ascii_letters + string.digits + "_+/-"
TOKEN_REST = re.compile(r"[A-Za-z0-9_+/=.-]*[A-Za-z0-9_+/=-]")
# PrivateKeyDetector's type: it reports the BEGIN line, the key runs to its END line
PRIVATE_KEY = "Private Key"
PRIVATE_KEY_END = re.compile(r"END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-*|Private-MAC: \S*")
TEXT_SUFFIXES = (
    ".json",
    ".jsonl",
    ".txt",
    ".yaml",
    ".yml",
    ".md",
    ".csv",
    ".tsv",
    ".cfg",
    ".ini",
    ".toml",
    ".log",
    ".py",
)
TEXT_SIZE_LIMIT = 1024 * 1024


def mask(secret: str) -> str:
    """The one form in which any output shows a credential (or personal data) GC601/GC602 found."""
    return f"{secret[:4]}…({len(secret)} characters)" if len(secret) > 4 else "…"


def mask_secrets(text: str) -> str:
    """`text` as every output shows it: each credential GC601 finds in it masked. Lines keep their
    place (a private key's body is masked line by line), so a card still parses with the same line
    numbers. Apply it before the text is parsed, cut into snippets or wrapped for display."""
    lines = text.split("\n")
    spans: dict[int, list[tuple[int, int]]] = {}
    for index, kind, start, end in _credentials(lines):
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
    return MAY_HOLD_SECRET.search(line) is not None and any(
        pattern.search(line) for pattern in _patterns()
    )


def _credentials(lines: list[str]) -> Iterator[tuple[int, str, int, int]]:
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


def scan_text(
    path: str, text: str, allowed_emails: frozenset[str] = frozenset()
) -> Iterator[Finding]:
    """Findings for a text file's lines (`path` as it should be reported)."""
    lines = text.split("\n")
    found = (
        SECRET.finding(path, f"{kind}: {mask(lines[i][start:end])}", line=i + 1)
        for i, kind, start, end in _credentials(lines)
    )
    yield from dict.fromkeys(found)  # a credential written twice on a line is one finding
    for number, line in enumerate(lines, start=1):
        for address in EMAIL.findall(line):
            if address.lower() not in allowed_emails and not address.lower().endswith(
                ("@example.org", "@example.com")
            ):
                yield PERSONAL_DATA.finding(path, f"e-mail address {mask(address)}", line=number)
        for phone in PHONE.findall(line):
            yield PERSONAL_DATA.finding(path, f"phone number {mask(phone)}", line=number)


def scan_card_text(path: str, text: str, contact: object) -> list[Finding]:
    allowed = frozenset({str(contact).lower()}) if isinstance(contact, str) else frozenset()
    return list(scan_text(path, text, allowed))


def refuse_credentials(findings: Iterable[Finding], paths: Collection[str], refused: str) -> None:
    """Stop an export or a site that would publish a card in `paths` holding a credential, naming
    each file and line. Whatever severity the policy gives GC601, a published card never carries
    one: it is refused, not redacted, so nothing is published that reads differently from the
    card."""
    found = [
        finding for finding in findings if finding.check == SECRET.id and finding.path in paths
    ]
    if found:
        listing = "\n".join(
            f"  {finding.path}:{finding.line}: {finding.check} {finding.message}"
            for finding in found
        )
        raise GitckptError(
            f"{refused}: a card it would publish holds a credential (GC601).\n{listing}\n"
            "Remove each one (and rotate it: it stays in git history), commit, and run again."
        )
