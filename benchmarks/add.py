"""`git ckpt add` against `dvc add` on the same 2 GiB file, in one run.

Each timed add gets a fresh repository and its own copy of the file (copied untimed, so it is in
the page cache, and synced, so no earlier write is still going to the disk): the numbers compare
the work, not the set-up. The two tools alternate, and the
median of --runs adds of each is reported with their ratio. Budget: ≤ 0.6×.

    python benchmarks/add.py [--size-mib 2048] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testing.repos import make_repo
from testing.timing import BIN, benchmark_arguments, command_seconds, record_budget

BUDGET_RATIO = 0.6


def generate(path: Path, size_mib: int) -> None:
    """Incompressible bytes, written in 64 MiB blocks (no 2 GiB buffer in memory)."""
    block = os.urandom(64 * 1024 * 1024)
    with path.open("wb") as handle:
        for index in range(size_mib // 64):
            handle.write(block[index % 7 :] + block[: index % 7])


def source_file(workdir: Path, size_mib: int) -> Path:
    """The generated file in `workdir`, made unless a kept one of the right size exists."""
    source = workdir / "checkpoint.bin"
    if not source.exists() or source.stat().st_size != size_mib * 1024 * 1024:
        print(f"generating {size_mib} MiB in {source} …", flush=True)
        generate(source, size_mib)
    return source


def add_once(workdir: Path, source: Path, tool: str, attempt: int) -> float:
    """A fresh repository and a fresh copy (untimed, and written out to the disk, so neither
    tool's time includes writing back what the set-up wrote), then one timed add."""
    repo = make_repo(workdir / f"{tool}-{attempt}")
    shutil.copyfile(source, repo / "weights.dat")
    os.sync()
    command = (
        ["git", "ckpt", "add", "weights.dat", "--kind", "model"]
        if tool == "gitckpt"
        else [str(BIN / "dvc"), "add", "-q", "weights.dat"]
    )
    elapsed = command_seconds(command, repo)
    shutil.rmtree(repo)
    return elapsed


def add_medians(workdir: Path, source: Path, runs: int) -> tuple[float, float]:
    """Median seconds of `git ckpt add` and of `dvc add`, run alternately."""
    ours: list[float] = []
    theirs: list[float] = []
    for attempt in range(runs):
        theirs.append(add_once(workdir, source, "dvc", attempt))
        ours.append(add_once(workdir, source, "gitckpt", attempt))
    return statistics.median(ours), statistics.median(theirs)


def report(size_mib: int, ours: float, theirs: float) -> bool:
    """Print the comparison; whether it is within the budget."""
    ratio = ours / theirs
    return record_budget(
        f"add {size_mib:,} MiB / dvc add",
        f"{ratio:.2f}×",
        f"≤ {BUDGET_RATIO}×",
        within=ratio <= BUDGET_RATIO,
        reference=f"{ours:.2f} s vs {theirs:.2f} s",
    )


def main() -> int:
    parser = benchmark_arguments(__doc__, runs=3, runs_help="adds per tool")
    parser.add_argument(
        "--size-mib", type=int, default=2048, help="size of the generated checkpoint"
    )
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="gitckpt-add-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        source = source_file(workdir, args.size_mib)
        within = report(args.size_mib, *add_medians(workdir, source, args.runs))
    finally:
        if not args.keep:
            shutil.rmtree(workdir)
    return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
