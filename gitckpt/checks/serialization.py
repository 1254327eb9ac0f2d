"""GC701 and GC702 (`check --data`, and the release gate): checkpoints must not run code when
loaded. Every pickle in a file, found by content (gitckpt/checkpoint_files.py), is simulated
opcode by opcode (gitckpt/pickles.py), never unpickled, and every global it would import is
checked against an allowlist; safetensors headers are validated without reading the tensors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from types import MappingProxyType

from gitckpt.checks.base import Check
from gitckpt.file_facts import Finding
from gitckpt.safetensors_file import safetensors_problem

UNSAFE_PICKLE = Check(
    id="GC701",
    name="unsafe-pickle",
    severity="error",
    rationale="Loading a pickle runs whatever its globals name; only tensor-rebuilding globals "
    "are safe to load.",
    fix="Convert the checkpoint to safetensors (no code runs on load), or remove the objects "
    "that pull in these globals.",
)
SAFETENSORS_INVALID = Check(
    id="GC702",
    name="safetensors-invalid",
    severity="error",
    rationale="A malformed safetensors header can crash loaders or hide data outside the tensors.",
    fix="Re-save the file with the safetensors library (save_file) from the original tensors.",
)
CONVERT = "ship safetensors instead (no code runs when it is loaded)"
ALLOW = (
    "or, if these globals are known to be harmless, allow each with its reason under "
    "serialization.allow_globals in .gitckpt/config.yaml (release records list them)"
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
        for kind in (
            "Float",
            "Double",
            "Half",
            "BFloat16",
            "Long",
            "Int",
            "Short",
            "Char",
            "Byte",
            "Bool",
            "ComplexFloat",
            "ComplexDouble",
        )
    }
    | {
        f"numpy.dtypes.{kind}DType"
        for kind in (
            "Float32",
            "Float64",
            "Float16",
            "Int64",
            "Int32",
            "Int16",
            "Int8",
            "UInt8",
            "Bool",
        )
    }
)


def check_pickle(
    display: str, path: Path, allowed: Mapping[str, str] = MappingProxyType({})
) -> Iterator[Finding]:
    """GC701 for every pickle stream in the file, found by content (checkpoint_files): a global
    outside SAFE_GLOBALS and the policy's `serialization.allow_globals`, or a stream that cannot be
    shown safe, is a finding naming the file, the archive member and the opcode."""
    from gitckpt.checkpoint_files import pickles_in_file  # archives, compression: when data is read

    for found in pickles_in_file(path, display):
        unsafe = sorted({item.dotted for item in found.imports} - SAFE_GLOBALS - set(allowed))
        opcodes = sorted(
            {
                f"{item.opcode} at byte {item.offset}"
                for item in found.imports
                if item.dotted in unsafe
            }
        )
        imports = (
            f"imports {', '.join(unsafe)} when loaded ({', '.join(opcodes[:5])}), so "
            "loading it runs that code"
            if unsafe
            else ""
        )
        if found.problem:
            also = f"; before that it {imports}" if imports else ""
            yield UNSAFE_PICKLE.finding(
                display,
                f"{found.where} cannot be shown safe to load: {found.problem}{also}; {CONVERT}",
            )
        elif unsafe:
            yield UNSAFE_PICKLE.finding(display, f"{found.where} {imports}; {CONVERT}, {ALLOW}")


def check_safetensors(display: str, path: Path) -> Iterator[Finding]:
    problem = safetensors_problem(path)
    if problem:
        yield SAFETENSORS_INVALID.finding(display, f"{PurePosixPath(display).name}: {problem}")
