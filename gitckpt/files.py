"""Reading and writing the user's files safely: size limits, strict UTF-8, atomic writes,
and paths that must stay inside the repository."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

from gitckpt.errors import InputError

CARD_SIZE_LIMIT = 1024 * 1024
POINTER_SIZE_LIMIT = 64 * 1024


def read_limited(path: Path, limit: int, display: str) -> bytes:
    """The file's bytes, refusing files over `limit` before reading them."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=display) from exc
    if size > limit:
        raise InputError(
            f"file is {size:,} bytes, over the {limit:,}-byte limit for this kind of file",
            path=display,
        )
    return path.read_bytes()


def decode_text(data: bytes, display: str) -> str:
    """Strict UTF-8 text; binary and non-UTF-8 files are refused with the offending line."""
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise InputError("file is binary (contains a NUL byte), expected UTF-8 text", path=display, line=line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); re-save it as UTF-8",
            path=display,
            line=line,
        ) from exc
    return text.removeprefix("\ufeff")


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory, fsync, rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp_name, path.stat().st_mode & 0o7777)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def unsafe_relative_path_reason(value: str) -> str | None:
    """Why a path written in a card or pointer is unsafe as text, or None when it is fine."""
    if not value:
        return "path is empty"
    if "\\" in value:
        return "path uses backslashes; write it with forward slashes"
    pure = PurePosixPath(value)
    if pure.is_absolute() or (len(value) > 1 and value[1] == ":"):
        return "path is absolute; write it relative to the file that names it"
    return None


def resolve_inside(root: Path, base_dir: Path, value: str) -> tuple[Path | None, str | None]:
    """Resolve `value` (relative to `base_dir`) and say why it is unsafe: leaving the repository,
    running through a symlinked directory, or entering `.git/`."""
    reason = unsafe_relative_path_reason(value)
    if reason:
        return None, reason
    lexical = Path(os.path.normpath(base_dir / value))
    if not lexical.is_relative_to(root):
        return None, "path leaves the repository"
    relative_parts = lexical.relative_to(root).parts
    if relative_parts and relative_parts[0] == ".git":
        return None, "path is inside .git/"
    if lexical.parent.resolve() != lexical.parent:
        return None, "path runs through a symlinked directory"
    if lexical.is_symlink() and not lexical.resolve().is_relative_to(root):
        return None, "path is a symlink that points outside the repository"
    return lexical, None
