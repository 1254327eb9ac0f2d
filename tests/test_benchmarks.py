"""`make bench` keeps working: every benchmark loads, and the one that drives the Python API
in-process runs end to end on a small checkpoint (its figures are not judged here)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from testing.repos import clean_env

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize(
    "name", sorted(path.stem for path in BENCHMARKS.glob("*.py") if path.stem != "__init__")
)
def test_every_benchmark_loads(name: str) -> None:
    importlib.import_module(f"benchmarks.{name}")


def test_the_hashing_benchmark_runs_through_the_api(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "hashing.py"), "--size-mib", "4", "--runs", "1"],
        capture_output=True,
        text=True,
        env={**clean_env(), "GITCKPT_BENCH_RESULTS": str(tmp_path / "results.jsonl")},
        check=False,
        timeout=300,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "the same, in-process (no interpreter start)" in result.stdout
