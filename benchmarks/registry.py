"""The registry at scale: `git ckpt ls`, `show` and `history` against `gto show`, in one run.

Builds a repository with 100 artifacts (real DVC pointers, complete cards) and 1,800 annotated
tags — releases with gitckpt records and stage assignments — spread over 50 commits, then
times each gitckpt command (median of --runs; budget ≤ 0.5 s each) and `gto show` (once; it
is slow) on the same repository.

    python benchmarks/registry.py [--artifacts 100] [--commits 50] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitckpt.records import record_from_json, render_message
from testing.cards import dataset_fields, declare_artifacts, write_card
from testing.repos import clean_env, commit_all, git, make_repo, track
from testing.timing import (
    BIN,
    benchmark_arguments,
    benchmark_repo,
    command_seconds,
    median_command_seconds,
    record_budget,
    run_command,
)

BUDGET_SECONDS = 0.5
STAGES = ("dev", "staging", "prod")


def build(repo: Path, artifacts: int, commits: int) -> int:
    """Cards and pointers for every artifact, then per artifact 6 releases on 6 of the commits,
    each promoted to dev, four of them on to staging and two to prod: 18 tags an artifact."""
    names = [f"ds{index:03}" for index in range(artifacts)]
    outs = track(repo, {f"data/{name}/part.csv": f"{name}\n".encode() * 32 for name in names})
    for name in names:
        write_card(
            repo,
            "dataset",
            name,
            f"data/{name}/part.csv",
            outs[f"data/{name}/part.csv"],
            dataset_fields(),
            declare=False,
        )
    declare_artifacts(repo, [(name, "dataset", f"data/{name}/part.csv") for name in names])
    commit_all(repo, "artifacts")
    shas = []
    for index in range(commits):
        git(repo, "commit", "--allow-empty", "-q", "-m", f"experiment {index}")
        shas.append(git(repo, "rev-parse", "HEAD").strip())
    count = 0
    for number, name in enumerate(names):
        counter = 0
        for release in range(6):
            commit = shas[
                (number * 6 + release) % commits
            ]  # six distinct commits (GTO allows one version per commit)
            version = f"0.{release + 1}.0"
            record = release_record(repo, name, version, commit, outs[f"data/{name}/part.csv"])
            tag(
                repo,
                f"{name}@v{version}",
                commit,
                render_message(f"Release {name} v{version}", record_from_json(record)),
            )
            count += 1
            for stage in STAGES[: 3 if release in (1, 4) else 2 if release % 3 != 2 else 1]:
                counter += 1
                tag(
                    repo,
                    f"{name}#{stage}#{counter}",
                    commit,
                    f"Promote {name} v{version} to {stage}",
                )
                count += 1
    return count


def release_record(
    repo: Path, name: str, version: str, commit: str, out: dict[str, object]
) -> dict[str, object]:
    """A complete record (it validates and is bound to its tag), as `git ckpt tag` writes one."""
    data, card = f"data/{name}/part.csv", f"data/{name}/{name}.card.md"
    return {
        "schema_version": 1,
        "type": "release",
        "tag": f"{name}@v{version}",
        "artifact": {"name": name, "kind": "dataset"},
        "version": version,
        "commit": commit,
        "card": {"path": card, "blob": git(repo, "hash-object", card).strip()},
        "bytes": {
            "path": data,
            "md5": out["md5"],
            "sha256": hashlib.sha256((repo / data).read_bytes()).hexdigest(),
            "size": out["size"],
        },
        "links": [],
        "checks": {"result": "passed", "run": []},
        "allow_unpushed": True,
        "created": "2026-01-01T00:00:00Z",
        "gitckpt_version": "benchmark",
    }


def tag(repo: Path, name: str, commit: str, message: str) -> None:
    subprocess.run(
        ["git", "tag", "-a", "-m", message, name, commit],
        cwd=repo,
        check=True,
        env=clean_env(),
        capture_output=True,
    )


def main() -> int:
    parser = benchmark_arguments(__doc__, runs_help="timed runs per gitckpt command")
    parser.add_argument("--artifacts", type=int, default=100, help="number of artifacts")
    parser.add_argument(
        "--commits", type=int, default=50, help="number of commits the tags spread over"
    )
    args = parser.parse_args()
    if args.commits < 6:
        parser.error(
            "--commits must be at least 6: each artifact's six releases need their own commits"
        )
    with benchmark_repo(
        args.keep,
        "gitckpt-registry-bench-",
        f"{args.artifacts} artifacts and 18 tags each",
        lambda repo: build(make_repo(repo), args.artifacts, args.commits),
    ) as repo:
        ckpt = [sys.executable, "-m", "gitckpt"]
        run_command(
            [*ckpt, "check"], repo
        )  # warm the card cache once, as any earlier command would
        shown = f"ds{args.artifacts // 2:03}"
        timings = {
            "git ckpt ls": median_command_seconds([*ckpt, "ls"], repo, args.runs),
            f"git ckpt show {shown}": median_command_seconds(
                [*ckpt, "show", shown], repo, args.runs
            ),
            "git ckpt history": median_command_seconds([*ckpt, "history"], repo, args.runs),
        }
        print("gto show (once) …", flush=True)
        gto = command_seconds([str(BIN / "gto"), "show", "--json"], repo)
        ours = json.loads(
            subprocess.run(
                [*ckpt, "ls", "--json"], cwd=repo, capture_output=True, text=True, env=clean_env()
            ).stdout
        )
        print(f"{'gto show':<24} {gto:8.3f} s")
        within = [
            record_budget(
                label,
                f"{elapsed:.3f} s",
                f"≤ {BUDGET_SECONDS} s",
                within=elapsed <= BUDGET_SECONDS,
                reference=f"gto show {gto:.1f} s, {gto / elapsed:.0f}× slower",
            )
            for label, elapsed in timings.items()
        ]
        print(f"artifacts listed: {len(ours)}")
        return 0 if all(within) else 1


if __name__ == "__main__":
    raise SystemExit(main())
