"""A safetensors file judged from its header alone (8 bytes of length, then the JSON header; the
tensors are never read), by the rules the safetensors library applies when it opens one: a file
that passes loads there, and every byte after the header belongs to exactly one tensor."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from gitckpt.errors import InputError
from gitckpt.strict_json import load_json

HEADER_LIMIT = 100_000_000  # the library refuses a longer header ("header too large")
USIZE_MAX = 2**64 - 1  # shapes, offsets and their products are 64-bit unsigned in the library
DTYPE_BITS = {
    "BOOL": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8,
    "F8_E5M2FNUZ": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
}
Span = tuple[int, int, str]


def safetensors_problem(path: Path) -> str | None:
    """Why the file is not a valid safetensors file, naming the tensor at fault, or None."""
    try:
        header, data_size = _read_header(path)
        _check_metadata(header.get("__metadata__"))
        _check_tiling(
            [
                _tensor_span(name, info, data_size)
                for name, info in header.items()
                if name != "__metadata__"
            ],
            data_size,
        )
    except InputError as error:
        return error.message
    return None


def tensor_shapes(path: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Each tensor's dtype and shape, read from the header of a file that passes
    `safetensors_problem` (InputError, saying why, for one that does not)."""
    problem = safetensors_problem(path)
    if problem is not None:
        raise InputError(problem, path=path.name)
    header, _ = _read_header(path)
    shapes: dict[str, tuple[str, tuple[int, ...]]] = {}
    for name, info in header.items():
        if name != "__metadata__" and isinstance(info, dict):
            shapes[name] = (str(info["dtype"]), tuple(info["shape"]))
    return shapes


def _read_header(path: Path) -> tuple[dict[str, object], int]:
    """The header as a JSON object, and the size of the data section after it."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise InputError("shorter than the 8-byte header length")
        (length,) = struct.unpack("<Q", prefix)
        if length > HEADER_LIMIT or 8 + length > size:
            raise InputError(
                f"header length {length:,} is larger than the file or the "
                f"{HEADER_LIMIT:,}-byte bound"
            )
        raw = handle.read(length)
    try:
        text = raw.decode(
            "utf-8"
        )  # strictly: json.loads would also take UTF-16 or a byte-order mark, the library does not
    except UnicodeDecodeError as exc:
        raise InputError(f"header is not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    try:
        header = load_json(text, path.name, max_bytes=HEADER_LIMIT)
        json.dumps(header, ensure_ascii=False).encode("utf-8")
    except InputError as error:
        raise InputError(f"header refused: {error.message}") from error
    except (
        UnicodeEncodeError
    ) as exc:  # a lone \ud800-style escape: JSON text, but not a string the library can read
        raise InputError(
            "header holds an unpaired UTF-16 surrogate escape, which is not text"
        ) from exc
    if not isinstance(header, dict):
        raise InputError("header is not a JSON object")
    return header, size - 8 - length


def _check_metadata(metadata: object) -> None:
    """`__metadata__` is absent, null, or maps names to strings: the library refuses anything
    else."""
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise InputError(f"__metadata__ must map names to strings, not {json.dumps(metadata)[:80]}")
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise InputError(
                f"__metadata__[{key!r}] must be a string, not {json.dumps(value)[:80]}"
            )


def _tensor_span(name: str, info: object, data_size: int) -> Span:
    """Where the tensor's bytes lie, once its dtype, shape and offsets agree with each other."""
    if not isinstance(info, dict):
        raise InputError(f"tensor {name!r} is not described by an object")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise InputError(
            f"tensor {name!r} has unknown dtype {dtype!r} (the safetensors library knows "
            f"{', '.join(DTYPE_BITS)})"
        )
    if not isinstance(shape, list) or not all(_is_size(dim) for dim in shape):
        raise InputError(f"tensor {name!r} has an invalid shape {shape!r}")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_size(value) for value in offsets)
    ):
        raise InputError(f"tensor {name!r} has invalid data_offsets {offsets!r}")
    begin, end = offsets
    if end < begin:
        raise InputError(f"tensor {name!r} has data_offsets {offsets!r} that end before they begin")
    if end > data_size:
        raise InputError(
            f"tensor {name!r} lies outside the data ({begin}–{end} of {data_size} bytes): "
            "the file is truncated or corrupt"
        )
    bits = _bit_count(name, dtype, shape)
    if bits % 8:
        raise InputError(
            f"tensor {name!r}: {dtype}{shape} is {bits:,} bits, which does not end on a "
            "byte boundary"
        )
    if end - begin != bits // 8:
        raise InputError(
            f"tensor {name!r} spans {end - begin} bytes but {dtype}{shape} needs {bits // 8}"
        )
    return begin, end, name


def _bit_count(name: str, dtype: str, shape: list[int]) -> int:
    """How many bits the tensor holds, refused once a partial product passes 64 bits, as the
    library's checked multiplication does (a later zero dimension does not rescue it)."""
    bits = 1
    for factor in [*shape, DTYPE_BITS[dtype]]:
        bits *= factor
        if bits > USIZE_MAX:
            raise InputError(
                f"tensor {name!r}: {dtype}{shape} has more elements or bits than 64 bits can count"
            )
    return bits


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= USIZE_MAX


def _check_tiling(spans: list[Span], data_size: int) -> None:
    """In offset order, each tensor begins where the one before ended and the last ends where the
    file does: no gap, overlap or trailing byte can hold data that no tensor accounts for."""
    position = 0
    previous: str | None = None
    for begin, end, name in sorted(spans):
        if begin > position:
            after = "the header" if previous is None else f"tensor {previous!r}"
            raise InputError(
                f"data bytes {position}–{begin} between {after} and tensor {name!r} belong "
                "to no tensor"
            )
        if begin < position:
            raise InputError(
                f"tensors {previous!r} and {name!r} overlap (bytes {begin}–{position})"
            )
        position, previous = end, name
    if position < data_size:
        after = (
            "the header, which describes no tensor,"
            if previous is None
            else f"the last tensor, {previous!r},"
        )
        raise InputError(f"data bytes {position}–{data_size} after {after} belong to no tensor")
