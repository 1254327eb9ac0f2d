"""GC201: a DVC pointer must be a small, well-formed `.dvc` file with safe paths and digests."""

from __future__ import annotations

from gitckpt.checks.base import Check
from gitckpt.errors import InputError
from gitckpt.file_facts import Finding
from gitckpt.files import decode_text
from gitckpt.pointer import PointerOut, parse_pointer

POINTER_FORMAT = Check(
    id="GC201",
    name="pointer-invalid",
    severity="error",
    rationale="gitckpt trusts a pointer's md5, size and path only when they are well-formed and "
    "stay inside the repository.",
    fix="Re-create the pointer with `dvc add DATA_PATH` rather than editing it by hand.",
)


def load_pointer(data: bytes, display: str) -> list[PointerOut] | Finding:
    try:
        return parse_pointer(decode_text(data, display), display)
    except InputError as error:
        return POINTER_FORMAT.finding(display, error.message, line=error.line, field=error.field)
