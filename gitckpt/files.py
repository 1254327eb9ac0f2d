"""Reading and writing the user's files safely: size limits, strict UTF-8, atomic writes,
and paths that must stay inside the repository."""

from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path

from gitckpt.errors import GitckptError, InputError

CARD_SIZE_LIMIT = 1024 * 1024
POINTER_SIZE_LIMIT = 64 * 1024


def read_limited(path: Path, limit: int, display: str) -> bytes:
    """The bytes of the regular file `path`, refusing one over `limit` bytes before reading it and
    never reading more than `limit` (a file may grow). A FIFO, device or directory is refused
    without reading: opened non-blocking, so a FIFO cannot hang us, and /dev/zero never ends."""
    try:
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise InputError(
                    "not a regular file (a directory, device or pipe); name a file", path=display
                )
            if status.st_size > limit:
                raise InputError(
                    f"file is {status.st_size:,} bytes, over the {limit:,}-byte limit for "
                    "this kind of file",
                    path=display,
                )
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=display) from exc
    if len(data) > limit:
        raise InputError(
            f"file grew past the {limit:,}-byte limit for this kind of file while it was read",
            path=display,
        )
    return data


def decode_text(data: bytes, display: str) -> str:
    """Strict UTF-8 text; binary and non-UTF-8 files are refused with the offending line."""
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise InputError(
            "file is binary (contains a NUL byte), expected UTF-8 text", path=display, line=line
        )
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


def read_text(path: Path, limit: int, display: str) -> str:
    """A small text file (card, pointer, config) read strictly: size limit, then UTF-8."""
    return decode_text(read_limited(path, limit, display), display)


def read_inside(root: Path, relpath: str, limit: int) -> str:
    """The text of a file named by a path from the repository root (in a card, dvc.yaml or on the
    command line): refused when the path leaves the repository or runs through a symlink (see
    PathGuard), when it is not a regular file, or over `limit` bytes."""
    reason = PathGuard(root).problem("", relpath)
    if reason:
        raise InputError(f"{reason}: {relpath!r}")
    return read_text(root / relpath, limit, relpath)


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory, fsync, rename: never a half-written file.
    A new file gets the permissions the umask gives (mkstemp's are 0600), an existing one keeps
    its own; a path that cannot be written is an error naming it."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise unwritable(path, exc) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(
            tmp_name, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~current_umask()
        )
        os.replace(tmp_name, path)
    except BaseException as exc:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise unwritable(path, exc) from exc
        raise


def unwritable(path: Path, error: OSError) -> GitckptError:
    """The error for an output path the system refused (missing folder, a file in the way, no
    space), naming the part of the path that was refused when it is not the path itself."""
    reason = error.strerror or str(error)
    where = f" ({error.filename})" if error.filename and str(error.filename) != str(path) else ""
    return GitckptError(f"{path}: cannot write there: {reason}{where}")


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def unsafe_relative_path_reason(value: str) -> str | None:
    """Why a path written in a card or pointer is unsafe as text, or None when it is fine."""
    if not value:
        return "path is empty"
    if "\\" in value:
        return "path uses backslashes; write it with forward slashes"
    if value.startswith("/") or (len(value) > 1 and value[1] == ":"):
        return "path is absolute; write it relative to the file that names it"
    return None


class PathGuard:
    """Says why a data path named in a card or pointer is unsafe: leaving the repository,
    entering `.git/`, or running through a symlinked directory. Remembers the directories and
    paths it has looked at, so checking a thousand paths (each named by a card and by its
    pointer) costs a thousand `lstat`s, not ten thousand."""

    def __init__(self, root: Path, symlinks: frozenset[str] | None = None) -> None:
        self.root = str(root)
        self._verdicts: dict[str, str | None] = {}
        self._through: dict[str, bool] = {}
        self._known_symlinks = symlinks  # a commit's symlink entries; None: ask the filesystem

    def problem(self, base_dir: str, value: str) -> str | None:
        """`value` as written in a file in `base_dir` (both relative to the root)."""
        return self.resolved_problem(value, posixpath.normpath(posixpath.join(base_dir, value)))

    def resolved_problem(self, value: str, relpath: str) -> str | None:
        """As `problem`, for a caller that has already resolved `value` to `relpath`, the path
        relative to the root (`facts.relative_to_file`)."""
        reason = unsafe_relative_path_reason(value)
        if reason:
            return reason
        if relpath not in self._verdicts:
            self._verdicts[relpath] = self._relpath_problem(relpath)
        return self._verdicts[relpath]

    def _relpath_problem(self, relpath: str) -> str | None:
        if relpath == ".." or relpath.startswith("../"):
            return "path leaves the repository"
        if relpath.split("/", 1)[0] == ".git":
            return "path is inside .git/"
        if self._through_symlink(relpath.rpartition("/")[0]):
            return "path runs through a symlinked directory"
        full = os.path.join(self.root, relpath)
        if self._known_symlinks is not None:
            return "path is a symlink" if relpath in self._known_symlinks else None
        if os.path.islink(full) and not Path(os.path.realpath(full)).is_relative_to(
            os.path.realpath(self.root)
        ):
            return "path is a symlink that points outside the repository"
        return None

    def _through_symlink(self, directory: str) -> bool:
        """Whether `directory` (relative to the root; "" is the root) or one above it is a
        symlink, remembered for each directory: the data paths of a registry share them."""
        if not directory:
            return False
        if directory not in self._through:
            self._through[directory] = self._through_symlink(
                directory.rpartition("/")[0]
            ) or self._is_symlink(directory)
        return self._through[directory]

    def _is_symlink(self, relpath: str) -> bool:
        if self._known_symlinks is not None:
            return relpath in self._known_symlinks
        return os.path.islink(os.path.join(self.root, relpath))
