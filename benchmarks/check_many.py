"""`git ckpt check --all` on 1,000 artifacts against `dvc status` on the same repository.

Generates a repository with 1,000 artifacts (small data files tracked by one real `dvc add`,
complete cards: datasets, models trained on them, evaluation logs), then times, in one run:
  - `git ckpt check --all`, cold (empty cache) and warm (median of several runs);
  - `dvc status` (median of several runs);
and prints the cold check's peak RSS (its largest process, the worker pool's included).
Budget: warm check ≤ 0.5 s and no slower than `dvc status`.

    python benchmarks/check_many.py [--artifacts 1000] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testing.cards import dataset_fields, eval_fields, model_fields, write_card
from testing.repos import clean_env, commit_all, make_repo, track
from testing.timing import (
    BIN,
    benchmark_arguments,
    benchmark_repo,
    median_command_seconds,
)

BUDGET_SECONDS = 0.5
PR_SET_CHILD_SUBREAPER = 36


def build(repo: Path, artifacts: int) -> None:
    datasets = max(1, artifacts // 5)
    evals = max(1, artifacts // 10)
    models = artifacts - datasets - evals
    plan = (
        [("dataset", f"data/d{index:04}/points.csv", f"d{index:04}") for index in range(datasets)]
        + [("model", f"models/m{index:04}/weights.bin", f"m{index:04}") for index in range(models)]
        + [("eval", f"evals/e{index:04}/log.jsonl", f"e{index:04}") for index in range(evals)]
    )
    outs = track(repo, {path: artifact_bytes(name) for _, path, name in plan})
    for kind, path, name in plan:
        write_card(
            repo, kind, name, path, outs[path], fields_for(kind, int(name[1:]), datasets, models)
        )
    commit_all(repo, f"{artifacts} artifacts")


def artifact_bytes(name: str) -> bytes:
    return f"{name} bytes\n".encode() * 64


def fields_for(kind: str, number: int, datasets: int, models: int) -> dict[str, object]:
    """Models train on a dataset; evals measure a model on a dataset: every link resolves."""
    if kind == "dataset":
        return dataset_fields()
    if kind == "model":
        return model_fields(f"d{number % datasets:04}")
    model = f"m{number % models:04}"
    return eval_fields(
        model, f"d{number % datasets:04}", hashlib.sha256(artifact_bytes(model)).hexdigest()
    )


def measured_command(command: list[str], cwd: Path) -> tuple[float, float]:
    """Seconds, and the peak RSS in MiB of the largest process the command ran. On Linux this
    process becomes a subreaper first, so that the worker pool's forkserver, orphaned when the
    command exits, is reaped here and its usage (which covers its workers) is counted."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1)
    env = {**clean_env(), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    peak = usage.ru_maxrss
    while True:
        try:
            _, _, usage = os.wait4(-1, 0)
        except ChildProcessError:
            break
        peak = max(peak, usage.ru_maxrss)
    return seconds, peak / 1024  # ru_maxrss is in KiB on Linux


def main() -> int:
    parser = benchmark_arguments(__doc__)
    parser.add_argument(
        "--artifacts", type=int, default=1000, help="number of artifacts to generate"
    )
    args = parser.parse_args()
    with benchmark_repo(
        args.keep,
        "gitckpt-bench-",
        f"{args.artifacts} artifacts",
        lambda repo: build(make_repo(repo), args.artifacts),
    ) as repo:
        check = [sys.executable, "-m", "gitckpt", "check", "--all"]
        dvc_status = [sys.executable, "-m", "dvc", "status"]
        shutil.rmtree(repo / ".git/gitckpt", ignore_errors=True)
        cold, cold_peak = measured_command(check, repo)
        warm = median_command_seconds(check, repo, args.runs)
        dvc = median_command_seconds(dvc_status, repo, args.runs)
        print(f"git ckpt check --all, cold:  {cold:7.3f} s")
        print(f"  peak RSS, largest process: {cold_peak:7.1f} MiB")
        print(
            f"git ckpt check --all, warm:  {warm:7.3f} s  (median of {args.runs}; budget "
            f"{BUDGET_SECONDS} s)"
        )
        print(f"dvc status:                  {dvc:7.3f} s  (median of {args.runs})")
        print(f"ratio warm check / dvc status: {warm / dvc:.3f}×  (budget ≤ 1.0×)")
        print(f"ratio cold / warm check:       {cold / warm:.1f}×")
        within = warm <= BUDGET_SECONDS and warm <= dvc
        print("within budget" if within else "OVER BUDGET")
        return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
