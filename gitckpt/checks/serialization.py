"""GC701 and GC702 (`check --data`, and the release gate): checkpoints must not run code when
loaded. Pickle-based files (raw pickles and PyTorch zip archives) are read as an opcode stream,
never unpickled, and every global they would import is checked against an allowlist;
safetensors headers are validated without reading the tensors."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from gitckpt.checks.base import Check, Finding
from gitckpt.safetensors_file import safetensors_problem

UNSAFE_PICKLE = Check(
    id="GC701",
    name="unsafe-pickle",
    severity="error",
    rationale="Loading a pickle runs whatever its globals name; only tensor-rebuilding globals are safe to load.",
    fix="Convert the checkpoint to safetensors (no code runs on load), or remove the objects that pull in these globals.",
)
SAFETENSORS_INVALID = Check(
    id="GC702",
    name="safetensors-invalid",
    severity="error",
    rationale="A malformed safetensors header can crash loaders or hide data outside the tensors.",
    fix="Re-save the file with the safetensors library (save_file) from the original tensors.",
)
SAFE_GLOBALS = frozenset(
    {
        "collections.OrderedDict",
        "collections.defaultdict",
        "builtins.set",
        "builtins.frozenset",
        "builtins.slice",
        "builtins.complex",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch._utils._rebuild_qtensor",
        "torch._utils._rebuild_sparse_tensor",
        "torch._utils._rebuild_device_tensor_from_numpy",
        "torch._tensor._rebuild_from_type_v2",
        "torch.Size",
        "torch.device",
        "torch.float32",
        "torch.serialization._get_layout",
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
        "numpy.ndarray",
        "numpy.dtype",
    }
    | {
        f"torch.{kind}Storage"
        for kind in ("Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool", "ComplexFloat", "ComplexDouble")
    }
    | {f"numpy.dtypes.{kind}DType" for kind in ("Float32", "Float64", "Float16", "Int64", "Int32", "Int16", "Int8", "UInt8", "Bool")}
)
PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle", ".joblib", ".pth.tar")
ZIP_MAGIC = b"PK\x03\x04"
STRING_OPCODES = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING", "STRING"}


def pickle_globals(data: bytes) -> list[str]:
    """Every `module.name` the pickle would import, read from its opcodes without executing it."""
    import pickletools

    found: list[str] = []
    strings: list[str] = []
    for opcode, argument, _ in pickletools.genops(data):
        if opcode.name in STRING_OPCODES:
            strings.append(str(argument))
        elif opcode.name in ("GLOBAL", "INST"):
            module, name = str(argument).split(" ", 1)
            found.append(f"{module}.{name}")
        elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.append(f"{strings[-2]}.{strings[-1]}")
    return found


def pickles_in(path: Path, name: str) -> Iterator[tuple[str, bytes]]:
    """(where, bytes) of each pickle stream in a raw pickle or a PyTorch zip archive; `name` is the
    file's name in the repository (`path` may be a DVC cache object, which has none)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head == ZIP_MAGIC:
        import zipfile

        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith(".pkl"):
                    yield f"{name}:{member}", archive.read(member)
    elif head[:1] == b"\x80" or name.endswith((".pkl", ".pickle")):
        yield name, path.read_bytes()


def check_pickle(display: str, path: Path) -> Iterator[Finding]:
    for where, stream in pickles_in(path, PurePosixPath(display).name):
        try:
            names = pickle_globals(stream)
        except (ValueError, struct.error, EOFError) as exc:
            yield UNSAFE_PICKLE.finding(display, f"{where} is not a readable pickle ({exc}); it cannot be shown to be safe")
            continue
        unsafe = sorted(set(names) - SAFE_GLOBALS)
        if unsafe:
            yield UNSAFE_PICKLE.finding(
                display, f"{where} imports {', '.join(unsafe)} when loaded, so loading it runs that code; ship safetensors instead"
            )


def check_safetensors(display: str, path: Path) -> Iterator[Finding]:
    problem = safetensors_problem(path)
    if problem:
        yield SAFETENSORS_INVALID.finding(display, f"{PurePosixPath(display).name}: {problem}")
