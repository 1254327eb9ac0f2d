"""`git ckpt search` at registry scale: the first search of a fresh clone, a warm search and the
first search after a pull, at 1,000 and 10,000 cards.

Builds, with `git fast-import`, a repository of N model cards (front matter and prose; search
reads no DVC data) in one commit and 2N annotated tags: for each card a release whose record is
bound to its tag (as `git ckpt tag` writes it: the tag's commit, the card's blob id) and a stage
assignment in GTO's form (no record). Then times, through the command line:

- the first search of a fresh clone: no `.git/gitckpt` at all (median of --cold-runs; budget
  ≤ 1.5 s at 1,000 cards, ≤ 8 s at 10,000);
- a warm search with facets, a metric filter and full text (median of --runs; budget ≤ 0.2 s);
- the first search after a commit that changes 10 cards (budget ≤ 1 s);

and `git grep` for the same phrase over the same commit, as the reference ratio. The first
search must list every card the query matches as released and in prod: a registry whose tags
were all rejected would be fast for the wrong reason.

    python benchmarks/search.py [--cards 1000 10000] [--runs 5] [--cold-runs 3] [--keep DIR]
"""

from __future__ import annotations

import hashlib
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitckpt.records import record_from_json, render_message
from testing.cards import SHARED, model_fields, render_card
from testing.repos import clean_env, git
from testing.timing import (
    benchmark_arguments,
    benchmark_repo,
    command_seconds,
    median_command_seconds,
    record_budget,
)

FIRST_SEARCH_BUDGETS_SECONDS = {1_000: 1.5, 10_000: 8.0}
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
SEARCH = (
    "search",
    '"mixed precision"',
    "--stage",
    "prod",
    "--metric",
    "accuracy>=0.9",
    "--json",
)


def card_text(index: int, revision: int = 0) -> str:
    fields = model_fields(f"corpus{index % 50:02}")
    fields["evaluation"][0]["value"] = round(0.5 + (index % 500) / 1000, 3)
    fields["description"] = (
        f"Model {index} (revision {revision}), trained with {PHRASES[index % len(PHRASES)]}."
    )
    front_matter = {
        **SHARED,
        "name": card_name(index),
        "kind": "model",
        "checkpoint": {"path": f"{card_name(index)}.bin"},
        **fields,
    }
    return render_card(
        front_matter,
        f"Trained on corpus{index % 50:02} with {PHRASES[(index * 7) % len(PHRASES)]}.",
    )


def card_name(index: int) -> str:
    return f"model{index:05}"


def card_path(index: int) -> str:
    return f"models/{card_name(index)}.card.md"


def blob_command(data: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(data), data)


def blob_id(data: bytes) -> str:
    """The id git gives the blob (what a release record names its card by)."""
    return hashlib.sha1(b"blob %d\0%s" % (len(data), data), usedforsecurity=False).hexdigest()


def fast_import(repo: Path, stream: list[bytes]) -> None:
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo,
        input=b"".join(stream),
        check=True,
        env=clean_env(),
    )


def build(repo: Path, cards: int) -> None:
    """One commit with every card, then for each card a release tag bound to that commit and
    card, and a stage tag."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=clean_env())
    texts = [card_text(index).encode() for index in range(cards)]
    fast_import(
        repo,
        [
            b"commit refs/heads/main\n",
            f"author {AUTHOR}\ncommitter {AUTHOR}\n".encode(),
            blob_command(b"registry"),
            *(
                f"M 100644 inline {card_path(index)}\n".encode() + blob_command(text)
                for index, text in enumerate(texts)
            ),
        ],
    )
    commit = git(repo, "rev-parse", "refs/heads/main").strip()
    stream = []
    for index, text in enumerate(texts):
        name = card_name(index)
        release = render_message(
            f"Release {name} v1.0.0", record_from_json(release_record(index, commit, text))
        )
        for tag, message in ((f"{name}@v1.0.0", release), (f"{name}#prod#1", "Promote")):
            stream.append(
                f"tag {tag}\nfrom {commit}\ntagger {AUTHOR}\n".encode()
                + blob_command(message.encode())
            )
    fast_import(repo, stream)
    git(
        repo, "pack-refs", "--all"
    )  # as a clone or `git gc` leaves them: 20,000 loose refs cost 1 s to list
    git(repo, "checkout", "-q", "main")


def release_record(index: int, commit: str, card: bytes) -> dict[str, object]:
    """A record bound to its tag, as `git ckpt tag` writes one (the checkpoint's bytes are not in
    the repository: search does not read them)."""
    name = card_name(index)
    checkpoint = name.encode()
    return {
        "schema_version": 1,
        "type": "release",
        "tag": f"{name}@v1.0.0",
        "artifact": {"name": name, "kind": "model"},
        "version": "1.0.0",
        "commit": commit,
        "card": {"path": card_path(index), "blob": blob_id(card)},
        "bytes": {
            "path": f"models/{name}.bin",
            "md5": hashlib.md5(checkpoint, usedforsecurity=False).hexdigest(),
            "sha256": hashlib.sha256(checkpoint).hexdigest(),
            "size": len(checkpoint),
        },
        "links": [],
        "checks": {"result": "passed", "run": []},
        "allow_unpushed": True,
        "created": "2026-01-01T00:00:00Z",
        "gitckpt_version": "benchmark",
    }


def change_cards(repo: Path, count: int) -> None:
    revision = int(
        git(repo, "rev-list", "--count", "HEAD")
    )  # new text on every run, also in a kept repository
    for index in range(count):
        (repo / card_path(index)).write_text(card_text(index, revision), encoding="utf-8")
    git(repo, "commit", "-q", "-am", f"revise {count} cards")


def expected_hits(repo: Path) -> int:
    """How many cards at HEAD the query matches: all are released and in prod, so every card
    with the phrase and accuracy ≥ 0.9 (a rejected registry would give none)."""
    listed = git(repo, "grep", "-l", "mixed precision", "HEAD", "--", "*.card.md").splitlines()
    return sum(1 for line in listed if int(line[-13:-8]) % 500 >= 400)


def first_search_seconds(repo: Path, command: list[str]) -> float:
    """One search of a fresh clone: nothing of gitckpt's in .git (index, caches)."""
    shutil.rmtree(repo / ".git" / "gitckpt", ignore_errors=True)
    return command_seconds(command, repo)


def hits(repo: Path, command: list[str]) -> int:
    completed = subprocess.run(
        command, cwd=repo, capture_output=True, text=True, env=clean_env(), check=True
    )
    return len(json.loads(completed.stdout))


def measure(cards: int, keep: Path | None, runs: int, cold_runs: int) -> bool:
    """Print one size's figures; True when they are within budget."""
    with benchmark_repo(
        keep / f"cards-{cards}" if keep else None,
        "gitckpt-search-bench-",
        f"{cards} cards and {2 * cards} tags",
        lambda repo: build(repo, cards),
    ) as repo:
        search = [sys.executable, "-m", "gitckpt", *SEARCH]
        first = statistics.median(first_search_seconds(repo, search) for _ in range(cold_runs))
        found, expected = hits(repo, search), expected_hits(repo)
        if found != expected:
            raise SystemExit(f"the search found {found} cards, not {expected}: is a tag rejected?")
        warm = median_command_seconds(search, repo, runs)
        grep = median_command_seconds(
            ["git", "grep", "-l", "mixed precision", "HEAD", "--", "*.card.md"], repo, runs
        )
        change_cards(repo, CHANGED_CARDS)
        reindex = command_seconds(search, repo)
    budget = FIRST_SEARCH_BUDGETS_SECONDS.get(cards)
    print(
        f"{cards:,} cards, {2 * cards:,} tags ({found} hits); git grep -l (reference) {grep:.3f} s"
    )
    within = [
        record_budget(
            f"search, {cards:,} cards, first (fresh clone)",
            f"{first:.2f} s",
            f"≤ {budget:g} s" if budget else "none",
            within=budget is None or first <= budget,
            reference=f"git grep {first / grep:.0f}×",
        ),
        record_budget(
            f"search, {cards:,} cards, warm",
            f"{warm:.3f} s",
            f"≤ {WARM_BUDGET_SECONDS} s",
            within=warm <= WARM_BUDGET_SECONDS,
            reference=f"git grep {warm / grep:.1f}×",
        ),
        record_budget(
            f"search, {cards:,} cards, after {CHANGED_CARDS} cards changed",
            f"{reindex:.3f} s",
            f"≤ {REINDEX_BUDGET_SECONDS} s",
            within=reindex <= REINDEX_BUDGET_SECONDS,
        ),
    ]
    return all(within)


def main() -> int:
    parser = benchmark_arguments(__doc__, runs_help="timed runs of the warm search")
    parser.add_argument(
        "--cards",
        type=int,
        nargs="+",
        default=sorted(FIRST_SEARCH_BUDGETS_SECONDS),
        help="numbers of model cards, one repository each (two tags a card)",
    )
    parser.add_argument(
        "--cold-runs", type=int, default=3, help="timed first searches (median reported)"
    )
    args = parser.parse_args()
    within = [measure(cards, args.keep, args.runs, args.cold_runs) for cards in args.cards]
    print("within budget" if all(within) else "OVER BUDGET")
    return 0 if all(within) else 1


if __name__ == "__main__":
    raise SystemExit(main())
