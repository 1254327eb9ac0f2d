"""GC601 and GC602: no credentials and no personal data in cards or in the small text files an
artifact ships (configs, tokenizer files, eval logs). Secrets are never printed in full."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator

from gitckpt.checks.base import Check
from gitckpt.errors import GitckptError
from gitckpt.file_facts import Finding
from gitckpt.secrets import credentials, mask

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
EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])"
)  # `name@v1.2.0` is a release, not an address
PHONE = re.compile(r"(?<![\w.+])\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}(?![\w.])")
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


def scan_text(
    path: str, text: str, allowed_emails: frozenset[str] = frozenset()
) -> Iterator[Finding]:
    """Findings for a text file's lines (`path` as it should be reported)."""
    lines = text.split("\n")
    found = (
        SECRET.finding(path, f"{kind}: {mask(lines[i][start:end])}", line=i + 1)
        for i, kind, start, end in credentials(lines)
    )
    yield from dict.fromkeys(found)  # a credential written twice on a line is one finding
    for number, line in enumerate(lines, start=1):
        # Both patterns need their character: a test of it costs a tenth of a search.
        for address in EMAIL.findall(line) if "@" in line else ():
            if address.lower() not in allowed_emails and not address.lower().endswith(
                ("@example.org", "@example.com")
            ):
                yield PERSONAL_DATA.finding(path, f"e-mail address {mask(address)}", line=number)
        for phone in PHONE.findall(line) if "+" in line else ():
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
