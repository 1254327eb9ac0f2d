"""What every check shares: its description, and how it reports a finding."""

from __future__ import annotations

from typing import NamedTuple

from gitckpt.file_facts import Finding


class Check(NamedTuple):
    """A check's stable id, short name, default severity, the one-line reason it exists,
    and what to do about a finding."""

    id: str
    name: str
    severity: str
    rationale: str
    fix: str

    def finding(self, path: str, message: str, *, line: int = 0, field: str = "") -> Finding:
        return Finding(check=self.id, path=path, line=line, field=field, message=message)
