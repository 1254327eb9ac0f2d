"""`git ckpt log NAME` on a long history against `git log --follow -- CARD`, in one run.

Generates (with `git fast-import`) the issue's case: one card with 2,000 versions, whose front
matter changes every 20th version (the others change only the Markdown body), with a release
tag at each front matter change (100 annotated tags in GTO's form, which the registry counts).
With --commits above --versions, the other commits edit the other artifacts' cards in turn, so
the card's versions are spread over a longer history. Times `git ckpt log` for that artifact
cold, as in a fresh clone (budget ≤ 1 s), and `git log --follow` on its card, and prints the
ratio.

    python benchmarks/provenance.py [--commits 2000] [--artifacts 100] [--versions 2000]
        [--tags 100] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import functools
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testing.cards import card_front_matter, dataset_fields, render_card
from testing.repos import clean_env, make_repo
from testing.timing import (
    benchmark_arguments,
    benchmark_repo,
    median_cold_command_seconds,
    median_command_seconds,
    record_budget,
    run_command,
)

BUDGET_SECONDS = 1.0
LOGGED = "ds000"  # the artifact with the long history


@functools.cache
def front_matter(name: str, release: int) -> str:
    """The card's text up to its body (`render_card` with a marker body, cut there)."""
    out = {"md5": "0" * 32, "size": 1}
    fields = card_front_matter(
        "dataset", name, f"data/{name}/part.csv", out, dataset_fields(), b"x"
    )
    fields["version"] = f"1.0.{release}"
    return render_card(fields, "BODY").rpartition("BODY")[0]


def card_text(name: str, release: int, revision: int) -> bytes:
    return f"{front_matter(name, release)}Revision {revision} of {name}.\n".encode()


@dataclass(frozen=True)
class Shape:
    """The history to generate: `commits` in all, `versions` of them on the logged card, whose
    front matter changes (and gets a release tag) at `tags` of those."""

    commits: int
    artifacts: int
    versions: int
    tags: int


def fast_import_stream(shape: Shape) -> bytes:
    every = max(1, shape.commits // max(1, shape.versions))  # a version of the logged card
    releases_every = max(1, shape.versions // max(1, shape.tags))  # versions per release
    chunks, version, others = [], 0, 0
    for number in range(1, shape.commits + 1):
        tagged = None
        if number % every == 0 and version < shape.versions:
            name, release, revision = LOGGED, version // releases_every, version
            if version % releases_every == 0 and release < shape.tags:
                tagged = release
            version += 1
        else:
            name = f"ds{1 + others % max(1, shape.artifacts - 1):03}"
            release = revision = others // max(1, shape.artifacts - 1)
            others += 1
        data = card_text(name, release, revision)
        trailer = "Reviewed-by: Grace Reviewer <grace@example.org>"
        message = f"Update {name} ({number})\n\n{trailer}\n".encode()
        when = 1_700_000_000 + number * 60
        chunks.append(f"commit refs/heads/main\nmark :{number}\n".encode())
        chunks.append(f"committer Ada Researcher <ada@example.org> {when} +0000\n".encode())
        chunks.append(f"data {len(message)}\n".encode() + message)
        chunks.append(f"M 100644 inline data/{name}/{name}.card.md\n".encode())
        chunks.append(f"data {len(data)}\n".encode() + data + b"\n")
        if tagged is not None:
            chunks.append(_release_tag(tagged, number, when))
    return b"".join(chunks)


def _release_tag(release: int, mark: int, when: int) -> bytes:
    message = f"Release {LOGGED} v1.0.{release}\n".encode()
    return (
        f"tag {LOGGED}@v1.0.{release}\nfrom :{mark}\n".encode()
        + f"tagger Ada Researcher <ada@example.org> {when} +0000\n".encode()
        + f"data {len(message)}\n".encode()
        + message
    )


def build(repo: Path, shape: Shape) -> None:
    make_repo(repo, with_dvc=False)
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo,
        input=fast_import_stream(shape),
        check=True,
        env=clean_env(),
    )
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True, env=clean_env())


def main() -> int:
    parser = benchmark_arguments(__doc__)
    parser.add_argument("--commits", type=int, default=2_000, help="commits to generate")
    parser.add_argument("--artifacts", type=int, default=100, help="artifacts the commits touch")
    parser.add_argument(
        "--versions", type=int, default=2_000, help="commits that edit the logged card"
    )
    parser.add_argument("--tags", type=int, default=100, help="release tags of the logged card")
    args = parser.parse_args()
    shape = Shape(args.commits, args.artifacts, min(args.versions, args.commits), args.tags)
    with benchmark_repo(
        args.keep,
        "gitckpt-provenance-bench-",
        f"{shape.commits} commits over {shape.artifacts} artifacts, {shape.versions} of them "
        f"on {LOGGED}'s card, {shape.tags} release tags",
        lambda repo: build(repo, shape),
    ) as repo:
        card = f"data/{LOGGED}/{LOGGED}.card.md"
        log = [sys.executable, "-m", "gitckpt", "log", LOGGED, "--json"]
        run_command(log, repo)  # once untimed: the first run of any command compiles gitckpt
        ours = median_cold_command_seconds(log, repo, args.runs)
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
        tags = len(
            subprocess.run(
                ["git", "tag", "--list", f"{LOGGED}@*"], cwd=repo, capture_output=True, text=True
            ).stdout.split()
        )
        print(
            f"git ckpt log {LOGGED}, cold:       {ours:7.3f} s   ({count} commits listed, "
            f"{tags} release tags)"
        )
        print(f"git log --follow -- {card}: {git_log:7.3f} s")
        print(f"ratio git ckpt log / git log --follow: {ours / git_log:.2f}×")
        within = record_budget(
            f"log, a card with {count:,} versions and {tags} tags, cold",
            f"{ours:.2f} s",
            f"≤ {BUDGET_SECONDS:g} s",
            within=ours <= BUDGET_SECONDS,
            reference=f"git log --follow {git_log:.3f} s, {ours / git_log:.0f}×",
        )
        return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
