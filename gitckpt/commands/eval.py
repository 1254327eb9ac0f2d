"""`git ckpt eval`: its help, its arguments and its output."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gitckpt.api import Registry
from gitckpt.arguments import Subcommands, positive, subparser
from gitckpt.console import print_json
from gitckpt.errors import EXIT_FINDINGS, EXIT_OK
from gitckpt.eval_confirm import confirm_evaluations
from gitckpt.eval_runs import evals_to_run, run, seed_sensitivity
from gitckpt.repo import Repository, find_repository

EVAL_CONFIRM_EPILOG = """\
When a checkpoint's bytes change, the results recorded for the old bytes are flagged (GC206)
until the evaluation is re-run or a person confirms they still hold. Confirming re-binds each
stale result to the current checkpoint and records who confirmed it, when, why, and which
bytes were actually measured, in the model card and in eval cards that measured the model.

Examples:
  git ckpt eval confirm resnet50 --reason "Only the optimizer state was stripped."
"""


EVAL_RECORD_EPILOG = """\
Reads the stage's metrics file (DVC `metrics:` output) and dvc.lock, computes an interval for each
metric (a seeded bootstrap over --samples; else Wilson for a proportion with a known `n` in the
metrics; else a noassertion saying why), checks the stage ran on the checkpoint the model card
describes, and writes the eval card's results and pipeline and the model card's evaluation entries.

Examples:
  dvc repro evaluate
  git ckpt eval record resnet50-eval --stage evaluate --samples evals/samples.jsonl
"""


EVAL_RUN_EPILOG = """\
Re-runs the recorded stage through DVC (`dvc repro --force`) and reports, per metric, whether the
new value reproduces (inside the recorded interval, or equal when none was recorded). The cards are
left as they are unless --record is given. Exit 1 when something does not reproduce.

With --seeds N the stage runs N times with seeds 0..N-1 (the DVC parameter `seed` from
params.yaml, which is restored afterwards) and the spread of each metric is reported (and, with
--record, written to the eval card as a sensitivity analysis).

NAME may be a model: every eval card whose model.artifact is that model is re-run, in name order,
with a summary line (--json: one entry per eval card).

Examples:
  git ckpt eval run resnet50-eval
  git ckpt eval run resnet50
  git ckpt eval run resnet50-eval --record
  git ckpt eval run resnet50-eval --seeds 5 --record
"""


def register(commands: Subcommands) -> None:
    group = subparser(
        commands,
        "eval",
        "work with evaluation results",
        'Examples:\n  git ckpt eval confirm resnet50 --reason "..."\n',
    )
    eval_commands = group.add_subparsers(
        title="eval commands", metavar="EVAL_COMMAND", required=True, help="what to do with results"
    )
    confirm = subparser(
        eval_commands,
        "confirm",
        "re-confirm results recorded for earlier bytes of a model",
        EVAL_CONFIRM_EPILOG,
    )
    confirm.add_argument("name", metavar="NAME", help="the model artifact")
    confirm.add_argument(
        "--reason", required=True, help="why the results still hold for the current bytes"
    )
    confirm.add_argument("--json", action="store_true", help="print the confirmed entries as JSON")
    confirm.set_defaults(handler=run_confirm)
    record = subparser(
        eval_commands,
        "record",
        "record results from the DVC stage that produced them",
        EVAL_RECORD_EPILOG,
    )
    record.add_argument("name", metavar="NAME", help="the eval card")
    record.add_argument(
        "--stage", required=True, help="the dvc.yaml stage whose metrics file holds the results"
    )
    record.add_argument(
        "--samples", type=Path, help="per-sample results (JSON lines) to bootstrap intervals from"
    )
    record.add_argument(
        "--dataset",
        metavar="DATASET",
        help="the dataset card evaluated (default: the eval card's dataset)",
    )
    record.add_argument(
        "--split", metavar="SPLIT", help="the split evaluated (default: the eval card's split)"
    )
    record.add_argument("--json", action="store_true", help="print the recorded results as JSON")
    record.set_defaults(handler=run_record)
    rerun = subparser(
        eval_commands,
        "run",
        "re-run the recorded stage and check the results reproduce",
        EVAL_RUN_EPILOG,
    )
    rerun.add_argument(
        "name", metavar="NAME", help="the eval card, or a model (every eval card measuring it)"
    )
    rerun.add_argument(
        "--record",
        action="store_true",
        help="record the new results (or, with --seeds, the spread) in the cards",
    )
    rerun.add_argument(
        "--seeds",
        type=positive,
        metavar="N",
        help="run the stage with seeds 0..N-1 (DVC parameter `seed`) and report the spread",
    )
    rerun.add_argument("--json", action="store_true", help="print the comparison as JSON")
    rerun.set_defaults(handler=run_run)


def run_record(args: argparse.Namespace) -> int:
    recorded = Registry(find_repository()).record_evaluation(
        args.name, args.stage, samples=args.samples, dataset=args.dataset, split=args.split
    )
    rows = [
        {
            "metric": item.metric,
            "value": item.value,
            "n": item.n,
            "interval": item.interval.to_card() if item.interval else None,
        }
        for item in recorded.results
    ]
    if args.json:
        print_json(
            {"eval_card": recorded.eval_card, "model_card": recorded.model_card, "results": rows}
        )
        return EXIT_OK
    for row in rows:
        interval: Any = row["interval"]
        where = (
            f"[{interval['low']}, {interval['high']}] ({interval['method']})"
            if interval
            else "no interval"
        )
        print(f"  {row['metric']} = {row['value']} (n={row['n']}) {where}")
    print(f"Recorded in {recorded.eval_card} and {recorded.model_card}; review and commit them.")
    return EXIT_OK


@dataclass(frozen=True)
class Rerun:
    """One eval card's re-run: what --json prints, the lines people read, and its verdict."""

    data: list[dict[str, Any]]
    lines: list[str]
    reproduced: bool


def run_run(args: argparse.Namespace) -> int:
    repo = find_repository()
    names = evals_to_run(repo, args.name)
    reruns = {name: _rerun(repo, name, args) for name in names}
    if names == [args.name]:
        (only,) = reruns.values()
        if args.json:
            print_json(only.data)
        for line in [] if args.json else only.lines:
            print(line)
    elif args.json:
        print_json(
            [
                {"eval": name, "reproduced": rerun.reproduced, "results": rerun.data}
                for name, rerun in reruns.items()
            ]
        )
    else:
        _print_model_reruns(args.name, reruns)
    return EXIT_OK if all(rerun.reproduced for rerun in reruns.values()) else EXIT_FINDINGS


def _rerun(repo: Repository, name: str, args: argparse.Namespace) -> Rerun:
    if args.seeds:
        spreads = seed_sensitivity(repo, name, args.seeds, record_after=args.record)
        return Rerun(
            [asdict(spread) for spread in spreads],
            [
                f"  {spread.metric}: {spread.seeds} seeds, min {spread.minimum}, "
                f"max {spread.maximum}, mean {spread.mean:.6g}, stdev {spread.stdev:.6g}"
                for spread in spreads
            ],
            True,
        )
    comparisons = run(repo, name, record_after=args.record)
    return Rerun(
        [asdict(item) for item in comparisons],
        [
            f"  {'reproduced' if item.reproduced else 'NOT REPRODUCED'}  {item.metric}: "
            f"recorded {item.recorded}, now {item.now} ({item.why})"
            for item in comparisons
        ],
        all(item.reproduced for item in comparisons),
    )


def _print_model_reruns(model: str, reruns: dict[str, Rerun]) -> None:
    for name, rerun in reruns.items():
        print(f"{name}:")
        for line in rerun.lines:
            print(line)
    failed = [name for name, rerun in reruns.items() if not rerun.reproduced]
    verdict = f"not reproduced: {', '.join(failed)}" if failed else "all reproduced"
    print(f"{len(reruns)} eval card(s) of {model} re-run: {verdict}")


def run_confirm(args: argparse.Namespace) -> int:
    confirmed = confirm_evaluations(find_repository(), args.name, args.reason)
    if args.json:
        print_json([vars(item) for item in confirmed])
        return EXIT_OK
    for item in confirmed:
        print(f"{item.card}: {item.field} re-bound (measured on {item.measured_sha256[:16]}…)")
    print("Review the change and commit it.")
    return EXIT_OK
