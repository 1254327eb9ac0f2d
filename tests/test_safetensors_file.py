"""GC702's judge of a safetensors file, held against the safetensors library itself: every file
built here that the library refuses is refused with a message naming the tensor at fault, and
every file the library writes passes. Only the header is read."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors import SafetensorError, TensorSpec, safe_open, serialize
from safetensors.numpy import save_file

from gitckpt.safetensors_file import DTYPE_BITS, safetensors_problem

Header = dict[str, object] | bytes


def tensor(dtype: object, shape: list[object], begin: object, end: object) -> dict[str, object]:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def write(path: Path, header: Header, data: bytes) -> Path:
    """A file laid out as the format says: header length (8 bytes, little-endian), header, data;
    the header is written as given, so it can break any rule."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def library_refusal(path: Path) -> str:
    """The safetensors library's own verdict: opening the file parses and validates its header."""
    with pytest.raises(SafetensorError) as refused, safe_open(str(path), framework="np"):
        pass
    return str(refused.value)


def library_names(path: Path) -> list[str]:
    with safe_open(str(path), framework="np") as opened:
        return list(opened.keys())


TWO_FLOATS = tensor("F32", [2], 0, 8)
REFUSED = {
    "gap-between-tensors": (
        {"a": tensor("F32", [1], 0, 4), "b": tensor("F32", [1], 8, 12)},
        12,
        "data bytes 4–8 between tensor 'a' and tensor 'b'",
    ),
    "gap-before-the-first": (
        {"a": tensor("F32", [1], 4, 8)},
        8,
        "data bytes 0–4 between the header and tensor 'a'",
    ),
    "trailing-bytes": (
        {"a": TWO_FLOATS},
        9,
        "data bytes 8–9 after the last tensor, 'a', belong to no tensor",
    ),
    "bytes-but-no-tensor": (
        {"__metadata__": {"k": "v"}},
        4,
        "data bytes 0–4 after the header, which describes no tensor",
    ),
    "overlap": (
        {"a": TWO_FLOATS, "b": tensor("F32", [2], 4, 12)},
        12,
        "tensors 'a' and 'b' overlap (bytes 4–8)",
    ),
    "empty-tensor-inside-another": (
        {"a": TWO_FLOATS, "b": tensor("F32", [0], 4, 4)},
        8,
        "tensors 'a' and 'b' overlap",
    ),
    "offsets-past-the-end": (
        {"a": TWO_FLOATS},
        4,
        "tensor 'a' lies outside the data (0–8 of 4 bytes)",
    ),
    "offsets-backwards": (
        {"a": tensor("U8", [0], 1, 0)},
        1,
        "tensor 'a' has data_offsets [1, 0] that end before they begin",
    ),
    "length-mismatch": (
        {"a": tensor("F32", [3], 0, 8)},
        8,
        "tensor 'a' spans 8 bytes but F32[3] needs 12",
    ),
    "half-a-byte": (
        {"a": tensor("F4", [3], 0, 2)},
        2,
        "tensor 'a': F4[3] is 12 bits, which does not end on a byte boundary",
    ),
    "element-count-overflows": (
        {"a": tensor("U8", [2**63, 2**63, 0], 0, 0)},
        0,
        "tensor 'a': U8[9223372036854775808",
    ),
    "dimension-beyond-64-bits": (
        {"a": tensor("U8", [0, 2**64], 0, 0)},
        0,
        "tensor 'a' has an invalid shape [0, 18446744073709551616]",
    ),
    "boolean-dimension": (
        {"a": tensor("U8", [True], 0, 1)},
        1,
        "tensor 'a' has an invalid shape [True]",
    ),
    "float-offset": (
        {"a": tensor("U8", [1], 0, 1.0)},
        1,
        "tensor 'a' has invalid data_offsets [0, 1.0]",
    ),
    "unknown-dtype": ({"a": tensor("F33", [1], 0, 4)}, 4, "tensor 'a' has unknown dtype 'F33'"),
    "dtype-not-a-string": ({"a": tensor([], [1], 0, 1)}, 1, "tensor 'a' has unknown dtype []"),
    "tensor-not-an-object": ({"a": 5}, 0, "tensor 'a' is not described by an object"),
    "metadata-value-not-a-string": (
        {"__metadata__": {"epoch": 3}, "a": TWO_FLOATS},
        8,
        "__metadata__['epoch'] must be a string, not 3",
    ),
    "metadata-nested": (
        {"__metadata__": {"cfg": {"lr": "1"}}, "a": TWO_FLOATS},
        8,
        "__metadata__['cfg'] must be a string",
    ),
    "metadata-not-a-mapping": (
        {"__metadata__": ["x"], "a": TWO_FLOATS},
        8,
        "__metadata__ must map names to strings",
    ),
    "header-utf16": (json.dumps({"a": TWO_FLOATS}).encode("utf-16"), 8, "header is not UTF-8 text"),
    "header-byte-order-mark": (
        b"\xef\xbb\xbf" + json.dumps({"a": TWO_FLOATS}).encode(),
        8,
        "header refused: invalid JSON",
    ),
    "header-lone-surrogate": (
        b'{"__metadata__": {"k": "\\ud800"}, "a": ' + json.dumps(TWO_FLOATS).encode() + b"}",
        8,
        "surrogate",
    ),
    "header-not-an-object": (b"[]", 0, "header is not a JSON object"),
}


@pytest.mark.parametrize(("header", "data_size", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_what_the_library_refuses_is_refused(
    tmp_path: Path, header: Header, data_size: int, message: str
) -> None:
    path = write(tmp_path / "model.safetensors", header, b"\0" * data_size)
    library_refusal(path)
    problem = safetensors_problem(path)
    assert problem is not None and message in problem, problem


def test_the_dtype_list_is_the_librarys(tmp_path: Path) -> None:
    """The library names every dtype it knows when it meets one it does not."""
    refusal = library_refusal(
        write(tmp_path / "odd.safetensors", {"a": tensor("F33", [1], 0, 1)}, b"\0")
    )
    assert set(re.findall(r"`(\w+)`", refusal.split("expected one of", 1)[1])) == set(DTYPE_BITS)


@pytest.mark.parametrize("dtype", DTYPE_BITS)
def test_each_dtype_needs_exactly_its_width(tmp_path: Path, dtype: str) -> None:
    """Eight elements of each dtype fill exactly bits bytes: the library and GC702 take that
    length, and both refuse one byte more."""
    length = DTYPE_BITS[dtype]
    exact = write(
        tmp_path / "exact.safetensors", {"t": tensor(dtype, [8], 0, length)}, b"\0" * length
    )
    assert library_names(exact) == ["t"] and safetensors_problem(exact) is None
    longer = write(
        tmp_path / "longer.safetensors",
        {"t": tensor(dtype, [8], 0, length + 1)},
        b"\0" * (length + 1),
    )
    library_refusal(longer)
    assert (
        f"tensor 't' spans {length + 1} bytes but {dtype}[8] needs {length}"
        == safetensors_problem(longer)
    )


def test_files_the_library_writes_pass(tmp_path: Path) -> None:
    tensors = {
        "weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "half": np.ones(3, np.float16),
        "double": np.zeros(1),
        "signed": np.array([-1, 2], np.int8),
        "unsigned": np.array([2**64 - 1], np.uint64),
        "mask": np.array([True, False]),
        "complex": np.array([1 + 2j], np.complex64),
        "empty": np.zeros((0,), np.float32),
        "empty_rows": np.zeros((3, 0), np.int32),
        "scalar": np.array(7, np.int64),
    }
    path = tmp_path / "model.safetensors"
    save_file(tensors, path, metadata={"format": "np", "note": "trained on ünïcode"})
    assert safetensors_problem(path) is None
    assert sorted(library_names(path)) == sorted(tensors)


def test_low_precision_files_the_library_writes_pass(tmp_path: Path) -> None:
    """bfloat16, float8 and packed float4 have no numpy type: written through the library's raw
    API."""
    buffer = np.arange(16, dtype=np.uint8)
    layout = [
        ("bf16", "bfloat16", 4, 8),
        ("e4m3", "float8_e4m3fn", 4, 4),
        ("e8m0", "float8_e8m0fnu", 2, 2),
        ("fp4", "float4_e2m1fn_x2", 3, 3),
    ]
    specs = {
        name: TensorSpec(dtype=dtype, shape=[count], data_ptr=buffer.ctypes.data, data_len=size)
        for name, dtype, count, size in layout
    }
    path = tmp_path / "low.safetensors"
    path.write_bytes(bytes(serialize(specs, metadata={"quantized": "yes"})))
    assert safetensors_problem(path) is None and sorted(library_names(path)) == sorted(specs)


def test_a_file_with_no_tensors_passes(tmp_path: Path) -> None:
    path = tmp_path / "empty.safetensors"
    save_file({}, path)
    assert safetensors_problem(path) is None and library_names(path) == []


def test_only_the_header_is_read(tmp_path: Path) -> None:
    """A 1 TiB tensor in a sparse file: judged from its header, as the library does; reading the
    data would exhaust memory or take minutes."""
    header = json.dumps({"huge": tensor("F32", [2**38], 0, 2**40)}).encode()
    path = tmp_path / "huge.safetensors"
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(header)) + header)
        handle.truncate(8 + len(header) + 2**40)
    assert safetensors_problem(path) is None and library_names(path) == ["huge"]
