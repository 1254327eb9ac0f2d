"""Wall-clock timing for the benchmarks: commands run the way a user runs them."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from testing.repos import clean_env

BIN = Path(sys.executable).parent


def action_seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median_seconds(action: Callable[[], object], runs: int) -> float:
    return statistics.median(action_seconds(action) for _ in range(runs))


def run_command(command: list[str], cwd: Path) -> None:
    """Run with a clean environment and this interpreter's bin first on PATH; stop the benchmark on
    failure."""
    env = {**clean_env(), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    completed = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({completed.returncode}):\n"
            f"{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}"
        )


def command_seconds(command: list[str], cwd: Path) -> float:
    return action_seconds(lambda: run_command(command, cwd))


def median_command_seconds(command: list[str], cwd: Path, runs: int) -> float:
    return median_seconds(lambda: run_command(command, cwd), runs)


def interleaved_medians(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Median times of two actions run alternately, so drift in the machine's speed (other
    tenants, frequency scaling) falls on both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        times[0].append(action_seconds(first))
        times[1].append(action_seconds(second))
    return statistics.median(times[0]), statistics.median(times[1])


@contextlib.contextmanager
def benchmark_repo(
    keep: Path | None, prefix: str, what: str, build: Callable[[Path], object]
) -> Iterator[Path]:
    """`<keep or a new temporary directory>/repo`, built by `build` unless it exists (so a second
    run with --keep reuses it); a temporary directory is removed afterwards, even on failure."""
    workdir = keep or Path(tempfile.mkdtemp(prefix=prefix))
    repo = workdir / "repo"
    try:
        if not (repo / ".git").exists():
            print(f"building {what} in {repo} …", flush=True)
            print(f"  built in {action_seconds(lambda: build(repo)):.1f} s")
        yield repo
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def benchmark_arguments(
    description: str | None, *, runs: int = 5, runs_help: str = "timed runs per command"
) -> argparse.ArgumentParser:
    """A benchmark's command line with the options every benchmark has: --runs (the median of
    that many is reported) and --keep DIR (build there, and reuse what an earlier run built)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=runs, help=f"{runs_help} (median reported)")
    parser.add_argument(
        "--keep", type=Path, help="work here and keep what was built, for the next run to reuse"
    )
    return parser
