"""`git ckpt check --all` on 1,000 artifacts against `dvc status` on the same repository.

Generates a repository with 1,000 artifacts (small data files tracked by one real `dvc add`,
complete cards: datasets, models trained on them, evaluation logs), then times, in one run:
  - `git ckpt check --all`, cold (no `.git/gitckpt`, as in a fresh clone) and warm;
  - `dvc status`;
each the median of --runs, and the cold check's peak RSS (its largest process, the worker
pool's included). Budgets at 1,000 artifacts: cold ≤ 0.5× `dvc status`, warm ≤ 0.2 s; at any
size (`--artifacts 10000`): peak RSS < 300 MiB.

    python benchmarks/check_many.py [--artifacts 1000] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testing.cards import (
    dataset_fields,
    declare_artifacts,
    eval_fields,
    model_fields,
    write_card,
)
from testing.repos import clean_env, commit_all, make_repo, track
from testing.timing import (
    BIN,
    benchmark_arguments,
    benchmark_repo,
    forget_state,
    median_command_seconds,
    record_budget,
)

COLD_BUDGET_RATIO = 0.5  # cold check / dvc status, at 1,000 artifacts
WARM_BUDGET_SECONDS = 0.2  # at 1,000 artifacts
BUDGETED_ARTIFACTS = 1000  # the time budgets are set for this size; memory at every size
MEMORY_BUDGET_MIB = 300
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
        fields = fields_for(kind, int(name[1:]), datasets, models)
        write_card(repo, kind, name, path, outs[path], fields, declare=False)
    declare_artifacts(repo, [(name, kind, path) for kind, path, name in plan])
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


def cold_check(command: list[str], repo: Path) -> tuple[float, float]:
    """Seconds and peak RSS of a check as in a fresh clone: no `.git/gitckpt`."""
    forget_state(repo)
    return measured_command(command, repo)


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
        colds = [cold_check(check, repo) for _ in range(args.runs)]
        cold = statistics.median(seconds for seconds, _ in colds)
        peak = max(peak for _, peak in colds)
        warm = median_command_seconds(check, repo, args.runs)
        dvc = median_command_seconds(dvc_status, repo, args.runs)
        cards = f"{args.artifacts:,} cards"
        print(f"git ckpt check --all, cold:  {cold:7.3f} s  (median of {args.runs})")
        print(f"git ckpt check --all, warm:  {warm:7.3f} s  (median of {args.runs})")
        print(f"dvc status:                  {dvc:7.3f} s  (median of {args.runs})")
        print(f"peak RSS, largest process:   {peak:7.1f} MiB")
        within = [
            record_budget(
                f"check --all, {cards}, peak RSS",
                f"{peak:.0f} MiB",
                f"< {MEMORY_BUDGET_MIB} MiB",
                within=peak < MEMORY_BUDGET_MIB,
            )
        ]
        if args.artifacts <= BUDGETED_ARTIFACTS:
            within += [
                record_budget(
                    f"check --all, {cards}, cold / dvc status",
                    f"{cold / dvc:.2f}×",
                    f"≤ {COLD_BUDGET_RATIO}×",
                    within=cold / dvc <= COLD_BUDGET_RATIO,
                    reference=f"{cold:.2f} s vs {dvc:.2f} s",
                ),
                record_budget(
                    f"check --all, {cards}, warm",
                    f"{warm:.3f} s",
                    f"≤ {WARM_BUDGET_SECONDS} s",
                    within=warm <= WARM_BUDGET_SECONDS,
                    reference=f"dvc status {dvc:.2f} s",
                ),
            ]
        return 0 if all(within) else 1


if __name__ == "__main__":
    raise SystemExit(main())
