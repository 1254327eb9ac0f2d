"""Hashing a 2 GiB checkpoint: gitckpt against the reference tools, in one run.

  1. one-pass md5+sha256 (gitckpt.hashing.digest_file) vs `md5sum`      budget ≤ 1.1×
  2. `git ckpt check --data`, warm (stat cache) vs cold (--no-cache)      budget warm ≥ 50× faster
(`git ckpt add` against `dvc add` is benchmarks/add.py.)

Every timing is the median of --runs runs with the file in the page cache, so the numbers
compare CPU work, not the disk.

    python benchmarks/hashing.py [--size-mib 2048] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.add import generate
from gitckpt.hashing import digest_file
from gitckpt.pointer import parse_pointer
from testing.cards import model_fields, write_card
from testing.repos import make_repo
from testing.timing import (
    benchmark_arguments,
    interleaved_medians,
    median_command_seconds,
    median_seconds,
    record_budget,
    run_command,
)

HASH_BUDGET_RATIO = 1.1
CACHE_BUDGET_SPEEDUP = 50


def complete_card(repo: Path, md5: str, size: int) -> None:
    """Replace the scaffold with a complete card, so the check measures a clean artifact."""
    fields = model_fields("unused")
    external = {"uri": "generated://benchmark", "revision": "1"}
    fields["training_data"] = [
        {**external, "license": "CC0-1.0", "summary": "Random bytes.", "role": "train"}
    ]
    fields["evaluation"][0]["dataset"] = {**external, "split": "test"}
    write_card(repo, "model", "weights", "weights.dat", {"md5": md5, "size": size}, fields)


def in_process_check(repo: Path, runs: int) -> tuple[float, float]:
    """`check --data` through the API: the work itself, without Python's start-up and imports."""
    from gitckpt.checking import CheckOptions, check
    from gitckpt.repo import find_repository

    found = find_repository(repo)
    cold = median_seconds(lambda: check(found, CheckOptions(data=True, use_cache=False)), runs)
    warm = median_seconds(lambda: check(found, CheckOptions(data=True)), runs)
    return cold, warm


def speedup(label: str, cold: float, warm: float) -> None:
    print(f"{label:<46} {cold:8.3f} s vs {warm:8.3f} s   warm is {cold / warm:6.1f}× faster")


def main() -> int:
    parser = benchmark_arguments(__doc__, runs=3, runs_help="runs per measurement")
    parser.add_argument(
        "--size-mib", type=int, default=2048, help="size of the generated checkpoint"
    )
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="gitckpt-hash-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / "checkpoint.bin"
    if not source.exists() or source.stat().st_size != args.size_mib * 1024 * 1024:
        print(f"generating {args.size_mib} MiB in {source} …", flush=True)
        generate(source, args.size_mib)
    source.read_bytes() if args.size_mib <= 4096 else None  # into the page cache

    ours, md5sum = interleaved_medians(
        lambda: digest_file(source),
        lambda: run_command(["md5sum", str(source)], workdir),
        args.runs,
    )
    within = [
        record_budget(
            f"md5+sha256 of {args.size_mib:,} MiB in one pass / md5sum",
            f"{ours / md5sum:.2f}×",
            f"≤ {HASH_BUDGET_RATIO}×",
            within=ours / md5sum <= HASH_BUDGET_RATIO,
            reference=f"{ours:.2f} s vs {md5sum:.2f} s",
        )
    ]

    shutil.rmtree(workdir / "check", ignore_errors=True)
    repo = make_repo(workdir / "check")
    shutil.copyfile(source, repo / "weights.dat")
    run_command(["git", "ckpt", "add", "weights.dat", "--kind", "model"], repo)
    (out,) = parse_pointer((repo / "weights.dat.dvc").read_text(), "pointer")
    complete_card(repo, out.md5, out.size)
    stamp = time.time_ns() - 60 * 10**9
    os.utime(repo / "weights.dat", ns=(stamp, stamp))  # data written a while ago, as it usually is
    check = ["git", "ckpt", "check", "--data", "weights.dat"]
    cold = median_command_seconds([*check, "--no-cache"], repo, args.runs)
    run_command(check, repo)
    warm = median_command_seconds(check, repo, args.runs)
    speedup("  the same, in-process (no interpreter start)", *in_process_check(repo, args.runs))
    within.append(
        record_budget(
            f"check --data, {args.size_mib:,} MiB, --no-cache / warm",
            f"{cold / warm:.0f}×",
            f"≥ {CACHE_BUDGET_SPEEDUP}×",
            within=cold / warm >= CACHE_BUDGET_SPEEDUP,
            reference=f"{cold:.2f} s vs {warm:.3f} s",
        )
    )
    if not args.keep:
        shutil.rmtree(workdir)
    return 0 if all(within) else 1


if __name__ == "__main__":
    raise SystemExit(main())
