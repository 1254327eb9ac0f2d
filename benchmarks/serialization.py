"""Looking inside 2 GiB checkpoints without loading them, in one run:

  1. GC701 on a PyTorch zip checkpoint (`gitckpt.checks.serialization.check_pickle`) against
     picklescan's scanner on the same file (its Python API: neither pays for an interpreter start);
  2. GC702 on a safetensors file written by the safetensors library
     (`gitckpt.safetensors_file.safetensors_problem`) against the library opening it.

Both read what they judge and nothing else: the bytes each read (the process's `rchar`, which
counts page-cache hits too) are printed beside the file's size. The checkpoint is built with the
standard library alone, as `torch.save` lays one out: archive/data.pkl names each storage by
persistent id and rebuilds tensors with torch._utils._rebuild_tensor_v2; archive/data/<key> holds
each storage's bytes (stored, uncompressed). Every timing is the median of --runs, interleaved.

    python benchmarks/serialization.py [--size-mib 2048] [--tensors 256] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitckpt.checks.serialization import check_pickle
from gitckpt.safetensors_file import safetensors_problem
from testing.timing import benchmark_arguments, interleaved_medians, record_budget

READ_BUDGET = 0.01  # of the file: judging a checkpoint must not mean reading its tensors


def text(value: str) -> bytes:
    raw = value.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw  # BINUNICODE


def integer(value: int) -> bytes:
    return b"J" + struct.pack("<i", value)  # BININT


def global_(module: str, name: str) -> bytes:
    return f"c{module}\n{name}\n".encode()  # GLOBAL


def data_pkl(tensors: int, numel: int) -> bytes:
    """The pickle `torch.save` writes for a state dict of float32 tensors (protocol 2): an
    OrderedDict whose values are `_rebuild_tensor_v2(storage, offset, size, stride,
    requires_grad, hooks)` calls, each storage a persistent id ('storage', torch.FloatStorage,
    key, 'cpu', numel) that torch resolves to the member archive/data/<key>."""
    parts = [
        b"\x80\x02",
        global_("collections", "OrderedDict"),
        b")R",
        b"(",
    ]  # PROTO 2; OrderedDict(); MARK for SETITEMS
    for key in range(tensors):
        storage = (
            b"("
            + text("storage")
            + global_("torch", "FloatStorage")
            + text(str(key))
            + text("cpu")
            + integer(numel)
            + b"tQ"
        )
        hooks = global_("collections", "OrderedDict") + b")R"
        arguments = (
            b"("
            + storage
            + b"K\x00"
            + integer(numel)
            + b"\x85"
            + b"K\x01\x85"
            + b"\x89"
            + hooks
            + b"t"
        )
        parts += [
            text(f"layers.{key}.weight"),
            global_("torch._utils", "_rebuild_tensor_v2"),
            arguments,
            b"R",
        ]
    return b"".join([*parts, b"u", b"."])  # SETITEMS, STOP


def storage_block(size: int) -> bytearray:
    """Incompressible bytes that do not begin like a pickle (picklescan scans any member that
    does)."""
    block = bytearray(os.urandom(size))
    block[0] = 0
    return block


def build_torch_zip(path: Path, total: int, tensors: int) -> None:
    each = total // tensors
    block = storage_block(each)
    partial = path.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", data_pkl(tensors, each // 4))
        archive.writestr("archive/byteorder", "little")
        for key in range(tensors):
            block[1:9] = key.to_bytes(8, "little")  # each storage its own bytes
            archive.writestr(f"archive/data/{key}", bytes(block))
        archive.writestr("archive/version", "3\n")
    partial.rename(path)


def build_safetensors(path: Path, total: int, tensors: int) -> None:
    """Written by the library itself; every tensor's spec points at one shared buffer, so 2 GiB
    are written without 2 GiB in memory."""
    import numpy as np
    from safetensors import TensorSpec, serialize_file

    each = total // tensors
    buffer = np.frombuffer(storage_block(each), dtype=np.uint8)
    specs = {
        f"layers.{key}.weight": TensorSpec(
            dtype="float32", shape=[each // 4], data_ptr=buffer.ctypes.data, data_len=each
        )
        for key in range(tensors)
    }
    serialize_file(specs, str(path), metadata={"format": "pt"})


def read_chars() -> int:
    """Bytes this process has read through read() so far, page-cache hits included."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise SystemExit("/proc/self/io has no rchar: this benchmark needs Linux")


def bytes_read(action: Callable[[], object]) -> int:
    action()  # once untimed: lazy imports read module files
    before = read_chars()
    action()
    return read_chars() - before


def pickle_members_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist() if info.filename.endswith(".pkl"))


def report(label: str, ours: float, theirs: float, reference: str) -> None:
    print(
        f"{label:<34} {ours * 1000:9.2f} ms vs {theirs * 1000:9.2f} ms {reference:<26} "
        f"ratio {ours / theirs:6.3f}×"
    )


def reads(label: str, read: int, size: int) -> str:
    return f"{label} {read:,} bytes ({read / size:.4%} of the file)"


def main() -> int:
    parser = benchmark_arguments(__doc__, runs=5, runs_help="runs per measurement")
    parser.add_argument(
        "--size-mib", type=int, default=2048, help="size of each generated checkpoint"
    )
    parser.add_argument(
        "--tensors", type=int, default=256, help="tensors (storages) in each checkpoint"
    )
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="gitckpt-serialization-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    total = args.size_mib * 1024 * 1024
    torch_zip = workdir / f"checkpoint-{args.size_mib}m-{args.tensors}.pt"
    safetensors = workdir / f"model-{args.size_mib}m-{args.tensors}.safetensors"
    for path, build in ((torch_zip, build_torch_zip), (safetensors, build_safetensors)):
        if not path.exists():
            print(f"building {path} …", flush=True)
            build(path, total, args.tensors)

    from picklescan.scanner import scan_file_path
    from safetensors import safe_open

    def gitckpt_pickle() -> list[object]:
        return list(check_pickle(torch_zip.name, torch_zip))

    def picklescan() -> object:
        return scan_file_path(str(torch_zip))

    def gitckpt_safetensors() -> str | None:
        return safetensors_problem(safetensors)

    def library_open() -> list[str]:
        with safe_open(str(safetensors), framework="np") as opened:
            return list(opened.keys())

    findings, scanned = gitckpt_pickle(), picklescan()
    print(
        f"{torch_zip.name}: {torch_zip.stat().st_size:,} bytes, data.pkl "
        f"{pickle_members_size(torch_zip):,} bytes"
    )
    print(
        f"  GC701 findings: {len(findings)}; picklescan: {scanned.issues_count} dangerous "
        f"globals in {scanned.scanned_files} pickles"
    )
    ours, theirs = interleaved_medians(gitckpt_pickle, picklescan, args.runs)
    report("GC701 check_pickle", ours, theirs, "picklescan scan_file_path")
    zip_size = torch_zip.stat().st_size
    ours_read = bytes_read(gitckpt_pickle)
    print(
        f"  read: {reads('GC701', ours_read, zip_size)}; "
        f"{reads('picklescan', bytes_read(picklescan), zip_size)}"
    )

    st_size = safetensors.stat().st_size
    with safetensors.open("rb") as handle:
        (header_length,) = struct.unpack("<Q", handle.read(8))
    print(
        f"{safetensors.name}: {st_size:,} bytes, header {header_length:,} bytes; GC702 "
        f"problem: {gitckpt_safetensors()}"
    )
    ours, theirs = interleaved_medians(gitckpt_safetensors, library_open, args.runs)
    report("GC702 safetensors_problem", ours, theirs, "safetensors.safe_open")
    st_read = bytes_read(gitckpt_safetensors)
    print(
        f"  read: {reads('GC702', st_read, st_size)}; the library maps the file instead of "
        "reading it"
    )
    if not args.keep:
        shutil.rmtree(workdir)
    within = record_budget(
        "GC701/GC702 bytes read of a checkpoint",
        f"{max(ours_read / zip_size, st_read / st_size):.2%}",
        f"< {READ_BUDGET:.0%}",
        within=ours_read <= READ_BUDGET * zip_size and st_read <= READ_BUDGET * st_size,
    )
    return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
