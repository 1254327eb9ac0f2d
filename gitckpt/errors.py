"""The user-facing error types and their exit codes.

Core modules raise these; only the CLI turns them into messages and exit codes.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class GitckptError(Exception):
    """The user's data or repository needs fixing; exit 1."""

    exit_code = EXIT_FINDINGS


class UsageError(GitckptError):
    """The command was called wrongly; exit 2."""

    exit_code = EXIT_USAGE


class InputError(GitckptError):
    """A file the user gave us is malformed: carries where, so messages can say `path:line`."""

    def __init__(self, message: str, *, path: str = "", line: int = 0, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.field = field

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        field = f" [{self.field}]" if self.field else ""
        return f"{where}:{field} {self.message}" if where else self.message
