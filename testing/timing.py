"""Wall-clock timing for the benchmarks: commands run the way a user runs them."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
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


def forget_state(repo: Path) -> None:
    """Remove gitckpt's local state (`.git/gitckpt`): the next command runs as in a fresh clone."""
    shutil.rmtree(repo / ".git" / "gitckpt", ignore_errors=True)


def median_cold_command_seconds(command: list[str], cwd: Path, runs: int) -> float:
    """The median of `runs` runs of `command`, each as in a fresh clone (`forget_state`)."""
    return median_seconds(lambda: (forget_state(cwd), run_command(command, cwd)), runs)


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
    """`<keep or a new temporary directory>/repo`, built by `build` unless it exists and was
    built by the generator as it is now (so a second run with --keep reuses it, but a change to
    the card generator, the schemas or the benchmark rebuilds it); a temporary directory is
    removed afterwards, even on failure."""
    workdir = keep or Path(tempfile.mkdtemp(prefix=prefix))
    repo = workdir / "repo"
    stamp = workdir / "built-by.txt"
    generator = _generator_digest()
    try:
        if (repo / ".git").exists() and _read_stamp(stamp) != generator:
            print(f"rebuilding {repo}: the generator changed since it was built", flush=True)
            shutil.rmtree(repo)
        if not (repo / ".git").exists():
            print(f"building {what} in {repo} …", flush=True)
            print(f"  built in {action_seconds(lambda: build(repo)):.1f} s")
            stamp.write_text(generator + "\n", encoding="utf-8")
        yield repo
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _generator_digest() -> str:
    """What a generated repository depends on: the card and repository helpers, the schemas and
    templates the cards must satisfy, dvc.yaml's entries, and the benchmark script itself."""
    root = Path(__file__).resolve().parent.parent
    sources = [
        *sorted((root / "testing").glob("*.py")),
        *sorted((root / "gitckpt" / "schemas").glob("*.json")),
        *sorted((root / "gitckpt" / "templates").glob("*")),
        root / "gitckpt" / "dvc_artifacts.py",
        Path(sys.argv[0]).resolve(),
    ]
    digest = hashlib.sha256()
    for source in sources:
        if source.is_file():
            digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


def _read_stamp(stamp: Path) -> str | None:
    return stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else None


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


RESULTS_ENV = "GITCKPT_BENCH_RESULTS"  # `make bench` collects budget rows in this file


def record_budget(
    path: str, measured: str, budget: str, *, within: bool, reference: str = ""
) -> bool:
    """Print one budget line and, when `make bench` collects them (RESULTS_ENV names a file),
    add it to the rows `benchmarks/summary.py` tables at the end; returns `within`."""
    verdict = "within budget" if within else "OVER BUDGET"
    print(
        f"  {path}: {measured}{f'  ({reference})' if reference else ''}  budget {budget}: {verdict}"
    )
    results = os.environ.get(RESULTS_ENV)
    if results:
        row = {
            "path": path,
            "measured": measured,
            "reference": reference,
            "budget": budget,
            "within": within,
        }
        with open(results, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
    return within
