"""`git ckpt search` at registry scale: cold index build, warm search and re-index after a pull.

Builds, with one `git fast-import`, a repository of 10,000 model cards (front matter and prose;
search reads no DVC data) and 20,000 annotated tags — a release and a stage assignment for each
card — then times, through the command line:

- the cold index build (no `.git/gitckpt/search.sqlite`);
- a warm search with facets, a metric filter and full text (median of --runs; budget ≤ 0.2 s);
- the first search after a commit that changes 10 cards (budget ≤ 1 s);

and `git grep` for the same phrase over the same commit, as the reference ratio.

    python benchmarks/search.py [--cards 10000] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitckpt.records import RECORD_MARKER
from testing.cards import SHARED, model_fields, render_card
from testing.repos import clean_env, git
from testing.timing import (
    benchmark_arguments,
    benchmark_repo,
    command_seconds,
    median_command_seconds,
)

WARM_BUDGET_SECONDS = 0.2
REINDEX_BUDGET_SECONDS = 1.0
CHANGED_CARDS = 10
PHRASES = (
    "mixed precision",
    "label smoothing",
    "cosine schedule",
    "distillation",
    "quantisation-aware",
)
AUTHOR = "Ada Researcher <ada@example.org> 1751371200 +0000"


def card_text(index: int, revision: int = 0) -> str:
    fields = model_fields(f"corpus{index % 50:02}")
    fields["evaluation"][0]["value"] = round(0.5 + (index % 500) / 1000, 3)
    fields["description"] = (
        f"Model {index} (revision {revision}), trained with {PHRASES[index % len(PHRASES)]}."
    )
    front_matter = {
        **SHARED,
        "name": f"model{index:05}",
        "kind": "model",
        "checkpoint": {"path": f"model{index:05}.bin"},
        **fields,
    }
    return render_card(
        front_matter,
        f"Trained on corpus{index % 50:02} with {PHRASES[(index * 7) % len(PHRASES)]}.",
    )


def blob_command(text: str) -> bytes:
    data = text.encode()
    return b"data %d\n%s\n" % (len(data), data)


def build(repo: Path, cards: int) -> None:
    """One commit with every card, then for each card a release tag and a stage tag."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=clean_env())
    stream = [
        b"commit refs/heads/main\n",
        f"author {AUTHOR}\ncommitter {AUTHOR}\n".encode(),
        blob_command("registry"),
    ]
    stream += [
        f"M 100644 inline models/model{index:05}.card.md\n".encode()
        + blob_command(card_text(index))
        for index in range(cards)
    ]
    for index in range(cards):
        name = f"model{index:05}"
        record = {
            "schema_version": 1,
            "type": "release",
            "artifact": {"name": name, "kind": "model"},
            "version": "1.0.0",
        }
        for tag, message in (
            (
                f"{name}@v1.0.0",
                f"Release {name} v1.0.0\n\n{RECORD_MARKER}\n{json.dumps(record, indent=2)}\n",
            ),
            (f"{name}#prod#1", "Promote"),
        ):
            stream.append(
                f"tag {tag}\nfrom refs/heads/main\ntagger {AUTHOR}\n".encode()
                + blob_command(message)
            )
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo,
        input=b"".join(stream),
        check=True,
        env=clean_env(),
    )
    git(
        repo, "pack-refs", "--all"
    )  # as a clone or `git gc` leaves them: 20,000 loose refs cost 1 s to list
    git(repo, "checkout", "-q", "main")


def change_cards(repo: Path, count: int) -> None:
    revision = int(
        git(repo, "rev-list", "--count", "HEAD")
    )  # new text on every run, also in a kept repository
    for index in range(count):
        (repo / f"models/model{index:05}.card.md").write_text(
            card_text(index, revision), encoding="utf-8"
        )
    git(repo, "commit", "-q", "-am", f"revise {count} cards")


def main() -> int:
    parser = benchmark_arguments(__doc__, runs_help="timed runs of the warm search")
    parser.add_argument(
        "--cards", type=int, default=10_000, help="number of model cards (two tags each)"
    )
    args = parser.parse_args()
    with benchmark_repo(
        args.keep,
        "gitckpt-search-bench-",
        f"{args.cards} cards and {2 * args.cards} tags",
        lambda repo: build(repo, args.cards),
    ) as repo:
        (repo / ".git" / "gitckpt" / "search.sqlite").unlink(missing_ok=True)
        search = [
            sys.executable,
            "-m",
            "gitckpt",
            "search",
            '"mixed precision"',
            "--stage",
            "prod",
            "--metric",
            "accuracy>=0.9",
            "--json",
        ]
        cold = command_seconds(search, repo)
        warm = median_command_seconds(search, repo, args.runs)
        grep = median_command_seconds(
            ["git", "grep", "-l", "mixed precision", "HEAD", "--", "*.card.md"], repo, args.runs
        )
        change_cards(repo, CHANGED_CARDS)
        reindex = command_seconds(search, repo)
        print(f"{'cold index build':<34} {cold:8.3f} s")
        print(
            f"{'warm search':<34} {warm:8.3f} s   {warm / grep:5.1f}× git grep ({grep:.3f} "
            f"s)   (budget {WARM_BUDGET_SECONDS} s)"
        )
        print(
            f"{f'search after {CHANGED_CARDS} cards changed':<34} {reindex:8.3f} s   "
            f"(budget {REINDEX_BUDGET_SECONDS} s)"
        )
        return 0 if warm <= WARM_BUDGET_SECONDS and reindex <= REINDEX_BUDGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
