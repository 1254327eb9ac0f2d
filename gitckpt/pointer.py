"""DVC pointer files (`<data>.dvc`): strict reading of what gitckpt relies on.

A pointer names its data relative to its own directory; we keep that path, the md5
(`<32 hex>` for a file, `<32 hex>.dir` for a directory) and the size.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from gitckpt.errors import InputError
from gitckpt.files import unsafe_relative_path_reason
from gitckpt.strict_yaml import YamlDocument, load_yaml

POINTER_SUFFIX = ".dvc"
MD5_PATTERN = re.compile(r"^[0-9a-f]{32}(\.dir)?$")


class PointerOut(NamedTuple):
    """One output of a pointer: the data it tracks."""

    path: str
    md5: str
    size: int
    line: int
    remote: str | None = None  # DVC's per-output remote, when the pointer names one

    @property
    def is_directory(self) -> bool:
        return self.md5.endswith(".dir")


def is_pointer_path(relpath: str) -> bool:
    """A `.dvc` pointer file, as opposed to DVC's own `.dvc/` directory."""
    name = relpath.rpartition("/")[2]
    inside_dvc_dir = relpath.startswith(".dvc/") or "/.dvc/" in relpath
    return name.endswith(POINTER_SUFFIX) and name != POINTER_SUFFIX and not inside_dvc_dir


def parse_pointer(text: str, display: str) -> list[PointerOut]:
    """The outputs of a pointer file, or InputError naming the line and field."""
    document = load_yaml(text, display)
    if not isinstance(document.data, dict):
        raise InputError(
            "a DVC pointer must be a YAML mapping with an `outs` list", path=display, line=1
        )
    outs = document.data.get("outs")
    if not isinstance(outs, list) or not outs:
        raise InputError(
            "`outs` must be a non-empty list; re-create the pointer with `dvc add`",
            path=display,
            line=document.line_of(("outs",)),
            field="outs",
        )
    return [_parse_out(document, index, out, display) for index, out in enumerate(outs)]


def _parse_out(document: YamlDocument, index: int, out: Any, display: str) -> PointerOut:
    where = ("outs", index)
    if not isinstance(out, dict):
        raise InputError(
            "each entry of `outs` must be a mapping",
            path=display,
            line=document.line_of(where),
            field=f"outs[{index}]",
        )
    path = out.get("path")
    md5 = out.get("md5")
    size = out.get("size")

    def fail(key: str, message: str) -> InputError:
        return InputError(
            message,
            path=display,
            line=document.line_of((*where, key)),
            field=f"outs[{index}].{key}",
        )

    if not isinstance(path, str):
        raise fail("path", "`path` must be a string naming the tracked data")
    reason = unsafe_relative_path_reason(path)
    if reason:
        raise fail("path", f"{reason}: {path!r}")
    if not isinstance(md5, str) or not MD5_PATTERN.match(md5):
        raise fail(
            "md5",
            f"`md5` must be 32 lowercase hex digits (with `.dir` for a directory), got {md5!r}",
        )
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise fail("size", f"`size` must be a non-negative whole number of bytes, got {size!r}")
    remote = out.get("remote")
    if remote is not None and not isinstance(remote, str):
        raise fail("remote", f"`remote` must name a DVC remote, got {remote!r}")
    return PointerOut(path=path, md5=md5, size=size, line=document.line_of(where), remote=remote)
