"""`git ckpt site` on 1,000 artifacts, cold and warm, against `dvc status` on the same repository.

Builds the repository benchmarks/check_many.py builds (datasets, models trained on them,
evaluation logs; complete cards, real DVC pointers, one commit), then releases every 10th
artifact and promotes every 20th to prod (annotated tags, as GTO writes them). Times, in one run:
  - `git ckpt site -o DIR` cold: no `.git/gitckpt` and no DIR, as in a fresh clone (budget ≤ 3 s
    at 1,000 artifacts);
  - the same warm: the parse cache filled and DIR holding the previous site, which is replaced;
  - `dvc status`, the reference: a command every DVC user runs on the same repository;
each the median of --runs. With --artifacts other than 1,000 the figures are printed, not judged.

    python benchmarks/site.py [--artifacts 1000] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.check_many import build as build_artifacts
from benchmarks.registry import tag
from testing.repos import git, make_repo
from testing.timing import (
    benchmark_arguments,
    benchmark_repo,
    command_seconds,
    forget_state,
    median_command_seconds,
    record_budget,
)

BUDGET_SECONDS = 3.0
BUDGET_ARTIFACTS = 1000
RELEASED_EVERY, PROMOTED_EVERY = 10, 20


def build(repo: Path, artifacts: int) -> None:
    build_artifacts(make_repo(repo), artifacts)
    commit = git(repo, "rev-parse", "HEAD").strip()
    cards = git(repo, "ls-files", "*.card.md").split()
    for number, card in enumerate(cards[::RELEASED_EVERY]):
        name = Path(card).name.removesuffix(".card.md")
        tag(repo, f"{name}@v1.0.0", commit, f"Registering artifact {name} version v1.0.0")
        if number % (PROMOTED_EVERY // RELEASED_EVERY) == 0:
            tag(repo, f"{name}#prod#1", commit, f"Assigning stage prod to artifact {name}")


def cold_seconds(command: list[str], repo: Path, output: Path, runs: int) -> float:
    """The median of `runs` builds, each without gitckpt's state or an earlier site."""
    times = []
    for _ in range(runs):
        forget_state(repo)
        shutil.rmtree(output, ignore_errors=True)
        times.append(command_seconds(command, repo))
    return statistics.median(times)


def main() -> int:
    parser = benchmark_arguments(__doc__, runs=3)
    parser.add_argument(
        "--artifacts", type=int, default=BUDGET_ARTIFACTS, help="number of artifacts to generate"
    )
    args = parser.parse_args()
    with benchmark_repo(
        args.keep,
        "gitckpt-site-bench-",
        f"{args.artifacts} artifacts",
        lambda repo: build(repo, args.artifacts),
    ) as repo:
        output = repo.parent / "site"
        site = [sys.executable, "-m", "gitckpt", "site", "-o", str(output)]
        cold = cold_seconds(site, repo, output, args.runs)
        warm = median_command_seconds(site, repo, args.runs)
        dvc = median_command_seconds([sys.executable, "-m", "dvc", "status"], repo, args.runs)
        shutil.rmtree(output, ignore_errors=True)
        judged = args.artifacts == BUDGET_ARTIFACTS
        print(f"git ckpt site, cold:   {cold:7.3f} s  (median of {args.runs})")
        print(f"git ckpt site, warm:   {warm:7.3f} s  (median of {args.runs})")
        print(f"dvc status:            {dvc:7.3f} s  (median of {args.runs})")
        within = record_budget(
            f"site, {args.artifacts:,} artifacts, cold",
            f"{cold:.2f} s",
            f"≤ {BUDGET_SECONDS:g} s" if judged else "none",
            within=not judged or cold <= BUDGET_SECONDS,
            reference=f"dvc status {dvc:.2f} s, {cold / dvc:.2f}×; warm {warm:.2f} s",
        )
        return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
