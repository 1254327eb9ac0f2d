"""`git ckpt log NAME` on a long history against `git log --follow -- CARD`, in one run.

Generates (with `git fast-import`) a repository of 10,000 commits, each editing one of 100
artifacts' cards in turn, then times `git ckpt log` for one artifact (budget ≤ 1 s) and
`git log --follow` on its card, and prints the ratio.

    python benchmarks/provenance.py [--commits 10000] [--artifacts 100] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testing.cards import card_front_matter, dataset_fields, render_card
from testing.repos import clean_env, make_repo
from testing.timing import benchmark_arguments, benchmark_repo, median_command_seconds, run_command

BUDGET_SECONDS = 1.0


def card_text(name: str, revision: int) -> bytes:
    out = {"md5": "0" * 32, "size": 1}
    front_matter = card_front_matter(
        "dataset", name, f"data/{name}/part.csv", out, dataset_fields(), b"x"
    )
    front_matter["version"] = f"1.0.{revision}"
    return render_card(front_matter, f"Revision {revision} of {name}.").encode()


def fast_import_stream(commits: int, artifacts: int) -> bytes:
    chunks = []
    for number in range(1, commits + 1):
        name = f"ds{number % artifacts:03}"
        data = card_text(name, number // artifacts)
        trailer = "Reviewed-by: Grace Reviewer <grace@example.org>"
        message = f"Update {name} ({number})\n\n{trailer}\n".encode()
        when = 1_700_000_000 + number * 60
        chunks.append(b"commit refs/heads/main\n")
        chunks.append(f"committer Ada Researcher <ada@example.org> {when} +0000\n".encode())
        chunks.append(f"data {len(message)}\n".encode() + message)
        chunks.append(f"M 100644 inline data/{name}/{name}.card.md\n".encode())
        chunks.append(f"data {len(data)}\n".encode() + data + b"\n")
    return b"".join(chunks)


def build(repo: Path, commits: int, artifacts: int) -> None:
    make_repo(repo, with_dvc=False)
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo,
        input=fast_import_stream(commits, artifacts),
        check=True,
        env=clean_env(),
    )
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True, env=clean_env())


def main() -> int:
    parser = benchmark_arguments(__doc__)
    parser.add_argument("--commits", type=int, default=10_000, help="commits to generate")
    parser.add_argument(
        "--artifacts", type=int, default=100, help="artifacts the commits touch in turn"
    )
    args = parser.parse_args()
    with benchmark_repo(
        args.keep,
        "gitckpt-provenance-bench-",
        f"{args.commits} commits over {args.artifacts} artifacts",
        lambda repo: build(repo, args.commits, args.artifacts),
    ) as repo:
        name = f"ds{args.artifacts // 2:03}"
        card = f"data/{name}/{name}.card.md"
        log = [sys.executable, "-m", "gitckpt", "log", name, "--json"]
        run_command(log, repo)  # warm the card cache once, as any earlier command would
        ours = median_command_seconds(log, repo, args.runs)
        git_log = median_command_seconds(
            ["git", "log", "--follow", "--format=%H %an %s", "--", card], repo, args.runs
        )
        count = len(
            subprocess.run(
                ["git", "log", "--follow", "--format=%H", "--", card],
                cwd=repo,
                capture_output=True,
                text=True,
            ).stdout.split()
        )
        print(
            f"git ckpt log {name}:           {ours:7.3f} s   (budget {BUDGET_SECONDS} s; "
            f"{count} commits listed)"
        )
        print(f"git log --follow -- {card}: {git_log:7.3f} s")
        print(f"ratio git ckpt log / git log --follow: {ours / git_log:.2f}×")
        return 0 if ours <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
