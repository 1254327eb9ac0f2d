"""The table `make bench` ends with: every budget the benchmarks measured, in one place.

Each benchmark adds its rows (`testing.timing.record_budget`) to the file named by
GITCKPT_BENCH_RESULTS; this prints them and exits 1 when any is over its budget.

    GITCKPT_BENCH_RESULTS=results.jsonl python benchmarks/summary.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testing.timing import RESULTS_ENV

COLUMNS = ("path", "measured", "reference", "budget", "verdict")


def main() -> int:
    results = os.environ.get(RESULTS_ENV)
    if not results or not Path(results).exists():
        print(f"no results: set {RESULTS_ENV} to the file the benchmarks wrote", file=sys.stderr)
        return 1
    rows = [json.loads(line) for line in Path(results).read_text().splitlines() if line]
    table = [
        [
            row["path"],
            row["measured"],
            row["reference"],
            row["budget"],
            "ok" if row["within"] else "OVER",
        ]
        for row in rows
    ]
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(COLUMNS, *table, strict=False)
    ]
    print()
    for line in [list(COLUMNS), ["-" * width for width in widths], *table]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))
    over = sum(1 for row in rows if not row["within"])
    print(f"\n{len(rows) - over} of {len(rows)} budgets met")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
