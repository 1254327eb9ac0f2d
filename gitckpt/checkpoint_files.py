"""Where the pickles are in a checkpoint file, found by its content, never by its name: plain
pickles of any protocol (several back to back read to the end), PyTorch's zip checkpoints (every
member, duplicates refused, nested archives followed), PyTorch's legacy format (five pickles, then
raw storages), tar archives, and NumPy `.npy` / `.npz` object arrays.

Each pickle found is simulated by `pickles.read_streams`; nothing is ever loaded."""

from __future__ import annotations

import ast
import bz2
import gzip
import io
import lzma
import pickletools
import re
import struct
import tarfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, cast

from gitckpt.pickles import Import, Stream, read_streams

# Names only pickles carry: such a file that does not decode is a damaged pickle, not other data.
# Content decides everything else (`.bin` and `.ckpt` are as often raw tensors or TensorFlow's).
PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth", ".joblib", ".sav")
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
NPY_MAGIC = b"\x93NUMPY"
TAR_MAGIC_OFFSET, TAR_MAGIC = 257, b"ustar"
# torch.save(..., _use_new_zipfile_serialization=False): its magic number pickled, then four more
# pickles, then raw storages
LEGACY_TORCH_MAGIC = (0x1950A86A20F9469CFC6C).to_bytes(10, "little")
LEGACY_TORCH_STREAMS = 5
PROTOCOLS = (b"\x02", b"\x03", b"\x04", b"\x05")
# Opcodes a stream can start with: a file that starts with one is a pickle when it decodes to its
# STOP.
STREAM_OPENERS = frozenset(
    ord(opcode.code)
    for opcode in pickletools.opcodes
    if not opcode.stack_before and opcode.name != "STOP"
)
TORCH_STORAGE = re.compile(r"(^|/)data/\d+$")  # raw tensor bytes in a PyTorch zip, never unpickled
MAX_NESTING = 4
NESTED_ARCHIVE_LIMIT = 512 * 1024 * 1024
DECOMPRESSED_LIMIT = (
    4 * 1024 * 1024 * 1024
)  # past this a compressed pickle is not followed: a stream cut there is refused
NPY_HEADER_LIMIT = 64 * 1024
SNIFF = 512
LZ4_MAGIC = b"\x04\x22\x4d\x18"
PLAIN_DTYPE = re.compile(r"[<>|=]?(b1|[biuf]\d{1,2}|c\d{1,2}|[SUV]\d+|[mM]8(\[\w+\])?|\?)")


# What reading a damaged, encrypted or oddly compressed archive member raises.
UNREADABLE_MEMBER = (
    zipfile.BadZipFile,
    tarfile.TarError,
    OSError,
    ValueError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    zlib.error,
    lzma.LZMAError,
)


@dataclass(frozen=True)
class Found:
    """A pickle stream in a file (`where` names the file and, in an archive, the member), or a
    part of the file that cannot be shown safe."""

    where: str
    imports: tuple[Import, ...] = ()
    problem: str | None = None


def pickles_in_file(path: Path, display: str) -> Iterator[Found]:
    """Every pickle stream in the file at `path` (shown as `display`: `path` may be a DVC cache
    object, which has no name of its own)."""
    try:
        with path.open("rb") as handle:
            yield from _pickles(
                handle,
                path.stat().st_size,
                display,
                named_as_pickle=_named_as_pickle(display),
                depth=0,
            )
    except OSError as error:
        yield Found(display, problem=f"cannot be read: {error.strerror}")


def _named_as_pickle(name: str) -> bool:
    return name.lower().endswith(PICKLE_SUFFIXES)


def _pickles(
    handle: IO[bytes], size: int, where: str, *, named_as_pickle: bool, depth: int
) -> Iterator[Found]:
    start = handle.tell()
    head = handle.read(SNIFF)
    handle.seek(start)
    if head.startswith(ZIP_MAGICS):
        yield from _zip(handle, size, where, depth)
    elif head.startswith(NPY_MAGIC):
        yield from _npy(handle, size, where)
    elif _is_tar(head):
        yield from _tar(handle, size, where, depth)
    elif (opener := _decompressor(head)) is not None:
        yield from _compressed(handle, opener, where, depth)
    elif head.startswith(LZ4_MAGIC):
        yield Found(
            where,
            problem="is LZ4-compressed (joblib loads such files), which gitckpt cannot open to "
            "look inside",
        )
    elif head[:1] == b"\x80" and head[2:14] == b"\x8a\n" + LEGACY_TORCH_MAGIC:
        yield from _streams(handle, size, where, limit=LEGACY_TORCH_STREAMS)
    elif named_as_pickle or (head[:1] == b"\x80" and head[1:2] in PROTOCOLS):
        yield from _streams(handle, size, where)
    elif head[:1] and head[0] in STREAM_OPENERS:
        yield from _if_pickle(handle, size, where)


def _is_tar(head: bytes) -> bool:
    """A tar header block, POSIX or the older v7 layout without the `ustar` magic (tarfile and so
    PyTorch's legacy loader read both): the block's checksum must hold."""
    try:
        tarfile.TarInfo.frombuf(head[: tarfile.BLOCKSIZE], tarfile.ENCODING, "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


def _decompressor(head: bytes) -> Callable[[IO[bytes]], IO[bytes]] | None:
    """How to read a compressed file (joblib and others load gzip, bz2, xz and zlib files by their
    magic bytes), or None."""
    if head.startswith(b"\x1f\x8b"):
        return lambda raw: cast(IO[bytes], gzip.GzipFile(fileobj=raw))
    if head.startswith(b"BZh"):
        return lambda raw: cast(IO[bytes], bz2.BZ2File(raw))
    if head.startswith((b"\xfd7zXZ\x00", b"\x5d\x00\x00")):
        return lambda raw: cast(IO[bytes], lzma.LZMAFile(raw))
    if len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0:
        return _inflated
    return None


def _inflated(raw: IO[bytes]) -> IO[bytes]:
    """A zlib stream, inflated into memory up to the bound (the standard library has no zlib
    file)."""
    inflater = zlib.decompressobj()
    data = inflater.decompress(raw.read(DECOMPRESSED_LIMIT), DECOMPRESSED_LIMIT + 1)
    return io.BytesIO(data)


def _too_deep(where: str) -> Found:
    return Found(
        where,
        problem=f"archives are nested more than {MAX_NESTING} deep; gitckpt stops following them",
    )


def _compressed(
    handle: IO[bytes], opener: Callable[[IO[bytes]], IO[bytes]], where: str, depth: int
) -> Iterator[Found]:
    if depth >= MAX_NESTING:
        yield _too_deep(where)
        return
    try:
        with opener(handle) as inner:
            yield from _pickles(
                inner,
                DECOMPRESSED_LIMIT,
                f"{where} (decompressed)",
                named_as_pickle=True,
                depth=depth + 1,
            )
    except UNREADABLE_MEMBER as error:
        yield Found(where, problem=f"does not decompress ({error})")


def _streams(
    handle: IO[bytes], size: int, where: str, *, limit: int | None = None
) -> Iterator[Found]:
    for stream in read_streams(handle, size, limit=limit):
        yield _found(where, stream)


def _found(where: str, stream: Stream) -> Found:
    label = where if stream.start == 0 else f"{where} (pickle at byte {stream.start:,})"
    return Found(label, tuple(stream.imports), stream.problem)


def _if_pickle(handle: IO[bytes], size: int, where: str) -> Iterator[Found]:
    """A file whose name says nothing and that starts like a protocol-0 pickle: a pickle when its
    first stream decodes to the end (text that merely starts with such a byte does not)."""
    streams = read_streams(handle, size)
    first = next(streams, None)
    if first is None or not (first.complete or first.ran_imports_before_breaking):
        return
    yield _found(where, first)
    for stream in streams:
        yield _found(where, stream)


def _zip(handle: IO[bytes], size: int, where: str, depth: int) -> Iterator[Found]:
    try:
        archive = zipfile.ZipFile(_in_memory(handle, size) if depth else handle)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        yield Found(
            where,
            problem=f"is not a readable zip archive ({error}); a loader may still read parts of it",
        )
        return
    with archive:
        members = archive.infolist()
        yield from _duplicates(where, [member.filename for member in members])
        for member in members:
            if not member.is_dir() and not TORCH_STORAGE.search(member.filename):
                yield from _member(
                    partial(archive.open, member),
                    member.file_size,
                    f"{where}:{member.filename}",
                    depth,
                )


def _tar(handle: IO[bytes], size: int, where: str, depth: int) -> Iterator[Found]:
    try:
        with tarfile.open(
            fileobj=_in_memory(handle, size) if depth else handle, mode="r:"
        ) as archive:
            members = archive.getmembers()
            yield from _duplicates(where, [member.name for member in members])
            for member in members:
                if member.isfile():
                    yield from _member(
                        partial(archive.extractfile, member),
                        member.size,
                        f"{where}:{member.name}",
                        depth,
                    )
    except (tarfile.TarError, OSError, ValueError, EOFError) as error:
        yield Found(
            where,
            problem=f"is not a readable tar archive ({error}); a loader may still read parts of it",
        )


def _plain_array(descr: object) -> bool:
    """A dtype NumPy stores as raw bytes (numbers, strings, bytes, dates), structured ones field by
    field; anything else (`O`, `object`, what NumPy may read as such) is taken to hold a pickle."""
    if isinstance(descr, str):
        return PLAIN_DTYPE.fullmatch(descr) is not None
    if isinstance(descr, list):
        return all(
            isinstance(field, tuple) and len(field) >= 2 and _plain_array(field[1])
            for field in descr
        )
    return False


def _duplicates(where: str, names: list[str]) -> Iterator[Found]:
    for name, count in Counter(names).items():
        if count > 1:
            yield Found(
                f"{where}:{name}",
                problem=f"the archive holds {count} members named {name}; loaders disagree on "
                "which one counts",
            )


def _in_memory(handle: IO[bytes], size: int) -> IO[bytes]:
    """An archive inside an archive, read into memory (a member cannot seek cheaply), up to a
    bound."""
    if size > NESTED_ARCHIVE_LIMIT:
        raise ValueError(
            f"a nested archive of {size:,} bytes is over the {NESTED_ARCHIVE_LIMIT:,}-byte "
            "bound to follow"
        )
    return io.BytesIO(handle.read(NESTED_ARCHIVE_LIMIT + 1))


def _member(
    opened: Callable[[], IO[bytes] | None], size: int, where: str, depth: int
) -> Iterator[Found]:
    """A member of an archive, scanned by its content like a file."""
    if depth >= MAX_NESTING:
        yield _too_deep(where)
        return
    try:
        member = opened()
        if member is None:
            return
        with member:
            yield from _pickles(
                member, size, where, named_as_pickle=_named_as_pickle(where), depth=depth + 1
            )
    except UNREADABLE_MEMBER as error:
        yield Found(where, problem=f"cannot be read from the archive ({error})")


def _npy(handle: IO[bytes], size: int, where: str) -> Iterator[Found]:
    """A NumPy array file: an array of Python objects is stored as a pickle after the header."""
    prefix = handle.read(len(NPY_MAGIC) + 2)
    major = prefix[len(NPY_MAGIC)] if len(prefix) > len(NPY_MAGIC) else 0
    length_bytes = handle.read(2 if major == 1 else 4)
    if len(length_bytes) not in (2, 4) or major not in (1, 2, 3):
        yield Found(where, problem="is not a readable .npy file (bad header)")
        return
    (length,) = struct.unpack("<H" if len(length_bytes) == 2 else "<I", length_bytes)
    if length > NPY_HEADER_LIMIT:
        yield Found(
            where,
            problem=f".npy header of {length:,} bytes is over the {NPY_HEADER_LIMIT:,}-byte bound",
        )
        return
    try:
        descr = ast.literal_eval(handle.read(length).decode("latin-1"))["descr"]
    except (ValueError, SyntaxError, KeyError, TypeError, MemoryError, RecursionError) as error:
        yield Found(where, problem=f"is not a readable .npy file ({type(error).__name__})")
        return
    if not _plain_array(descr):
        yield from _streams(handle, size, where)
