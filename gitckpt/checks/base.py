"""What every check shares: its description and the findings it reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Check:
    """A check's stable id, short name, default severity, the one-line reason it exists,
    and what to do about a finding."""

    id: str
    name: str
    severity: str
    rationale: str
    fix: str

    def finding(self, path: str, message: str, *, line: int = 0, field: str = "") -> Finding:
        return Finding(check=self.id, path=path, line=line, field=field, message=message)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    check: str
    field: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)
