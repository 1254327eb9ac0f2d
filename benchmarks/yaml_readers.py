"""The per-card cost of each strict YAML reader: libyaml's (the fast path) and ruamel.yaml's (the
reference), on the front matter of generated cards, measured in one run.

Every card is read by both readers and the results compared first, so the figure is for equal
work. Budget: the fast reader at least 3× faster per card than the reference.

    python benchmarks/yaml_readers.py [--cards 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitckpt.strict_yaml import YamlDocument, load_yaml
from testing.cards import card_front_matter, dataset_fields, model_fields, render_card
from testing.timing import record_budget

BUDGET_RATIO = 3.0


def front_matters(count: int) -> list[str]:
    """Model and dataset cards of the shape `git ckpt add` writes, each with its own name."""
    texts = []
    for index in range(count):
        kind, fields = (
            ("model", model_fields(f"d{index:04}"))
            if index % 3
            else (
                "dataset",
                dataset_fields(),
            )
        )
        out = {"md5": f"{index:032x}", "size": index + 1}
        front = card_front_matter(kind, f"a{index:04}", f"a{index:04}/data.bin", out, fields, b"x")
        texts.append(render_card(front).split("---\n")[1])
    return texts


def read_with(reader: str, text: str) -> YamlDocument:
    os.environ["GITCKPT_YAML_READER"] = reader
    return load_yaml(text, "card.md", 2)


def seconds_per_card(texts: list[str], reader: str, runs: int) -> float:
    os.environ["GITCKPT_YAML_READER"] = reader
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        for text in texts:
            load_yaml(text, "card.md", 2)
        timings.append((time.perf_counter() - started) / len(texts))
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    texts = front_matters(args.cards)
    for text in texts:  # equal work: both readers give the same answer on every card
        fast, reference = read_with("libyaml", text), read_with("reference", text)
        assert (fast.data, fast.lines) == (reference.data, reference.lines)
    fast = seconds_per_card(texts, "libyaml", args.runs)
    reference = seconds_per_card(texts, "reference", args.runs)
    print(f"{args.cards} cards, median of {args.runs} runs, per card:")
    print(f"  libyaml reader (fast path):   {fast * 1000:7.3f} ms")
    print(f"  ruamel.yaml reader (reference): {reference * 1000:5.3f} ms")
    print(f"  ratio reference / fast:       {reference / fast:7.1f}×  (budget ≥ {BUDGET_RATIO}×)")
    within = record_budget(
        "strict YAML reader, per card, ruamel reference / fast",
        f"{reference / fast:.1f}×",
        f"≥ {BUDGET_RATIO:g}×",
        within=reference / fast >= BUDGET_RATIO,
        reference=f"{fast * 1000:.2f} ms vs {reference * 1000:.2f} ms",
    )
    return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
