"""Reproducible evaluation with a real DVC pipeline: record, check, re-run, drift, stale bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gitckpt.card import parse_card
from testing.repos import commit_all, dvc
from tests.conftest import MODEL, CliResult

Cli = Callable[..., CliResult]
EVAL_CARD = "evals/clf-eval.card.md"
MODEL_CARD = "models/clf.card.md"
SCRIPT = """\
import json, sys
rows = [line.split(",") for line in open("data/points.csv").read().splitlines()[1:]]
offset = open("models/clf.bin", "rb").read()[0] % 2
flip = int(sys.argv[1]) if len(sys.argv) > 1 else 0
with open("samples.jsonl", "w") as samples:
    correct = []
    for x, _, label in rows:
        hit = int(((int(x) // 3 + offset + flip) % 2 == int(label)) or int(x) % 5 == 0)
        correct.append(hit)
        samples.write(json.dumps({"accuracy": hit}) + "\\n")
json.dump({"accuracy": sum(correct) / len(correct), "n": len(correct)}, open("metrics.json", "w"))
"""


def add_evaluate_stage(repo: Path, *options: str) -> None:
    """`dvc stage add` the evaluation of the model on the dataset (options such as `-p seed`)."""
    dependencies = ("-d", "evaluate.py", "-d", "data/points.csv", "-d", MODEL)
    outputs = ("-M", "metrics.json", "-O", "samples.jsonl")
    dvc(
        repo,
        "stage",
        "add",
        "-q",
        "-n",
        "evaluate",
        *options,
        *dependencies,
        *outputs,
        "python evaluate.py",
    )


@pytest.fixture
def pipeline(registry: Path) -> Path:
    """The registry plus a DVC stage that evaluates the model on the dataset."""
    (registry / "evaluate.py").write_text(SCRIPT)
    add_evaluate_stage(registry)
    dvc(registry, "repro", "-q", "evaluate")
    commit_all(registry, "evaluation stage")
    return registry


def recorded(repo: Path, cli: Cli) -> dict[str, object]:
    result = cli(
        "eval",
        "record",
        "clf-eval",
        "--stage",
        "evaluate",
        "--samples",
        "samples.jsonl",
        "--json",
        cwd=repo,
    )
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def test_record_takes_results_and_intervals_from_the_stage(pipeline: Path, cli: Cli) -> None:
    report = recorded(pipeline, cli)
    metrics = json.loads((pipeline / "metrics.json").read_text())
    (result,) = report["results"]  # type: ignore[misc]
    assert (
        result["metric"] == "accuracy"
        and result["value"] == metrics["accuracy"]
        and result["n"] == metrics["n"]
    )
    assert result["interval"]["method"] == "bootstrap-percentile (1000 resamples, seed 0)"
    assert result["interval"]["low"] <= metrics["accuracy"] <= result["interval"]["high"]
    eval_card = parse_card((pipeline / EVAL_CARD).read_text(), "eval").data
    assert (
        eval_card["pipeline"]["stage"] == "evaluate"
        and eval_card["pipeline"]["command"] == "python evaluate.py"
    )
    assert {dep["path"] for dep in eval_card["pipeline"]["deps"]} == {
        "evaluate.py",
        "data/points.csv",
        MODEL,
    }
    model_card = parse_card((pipeline / MODEL_CARD).read_text(), "model").data
    (entry,) = model_card["evaluation"]
    assert entry["value"] == metrics["accuracy"] and entry["log"] == {"artifact": "clf-eval"}
    assert entry["checkpoint_sha256"] == model_card["checkpoint"]["sha256"]
    assert cli("check", cwd=pipeline).code == 0


def test_wilson_interval_without_per_sample_results(pipeline: Path, cli: Cli) -> None:
    result = cli("eval", "record", "clf-eval", "--stage", "evaluate", "--json", cwd=pipeline)
    (measured,) = json.loads(result.out)["results"]
    assert measured["interval"]["method"] == "wilson"


def test_a_hand_edited_number_is_caught(pipeline: Path, cli: Cli) -> None:
    recorded(pipeline, cli)
    card = pipeline / EVAL_CARD
    value = parse_card(card.read_text(), "eval").data["results"][0]["value"]
    card.write_text(card.read_text().replace(f"value: {value}", "value: 0.99", 1))
    findings = json.loads(cli("check", "--json", cwd=pipeline).out)["findings"]
    (finding,) = [f for f in findings if f["check"] == "GC801"]
    assert f"accuracy is 0.99 in the card but {value} in metrics.json" == finding["message"]


def test_a_hand_edited_number_in_the_model_card_is_caught_too(pipeline: Path, cli: Cli) -> None:
    recorded(pipeline, cli)
    card = pipeline / MODEL_CARD
    value = parse_card(card.read_text(), "model").data["evaluation"][0]["value"]
    card.write_text(card.read_text().replace(f"value: {value}", "value: 0.97", 1))
    findings = json.loads(cli("check", "--json", cwd=pipeline).out)["findings"]
    (finding,) = [f for f in findings if f["check"] == "GC801"]
    assert (
        finding["path"] == MODEL_CARD
        and "0.97 here" in finding["message"]
        and "clf-eval's stage" in finding["message"]
    )


def test_rerun_reproduces_and_drift_is_reported_without_touching_the_card(
    pipeline: Path, cli: Cli
) -> None:
    recorded(pipeline, cli)
    commit_all(pipeline, "recorded")
    again = cli("eval", "run", "clf-eval", "--json", cwd=pipeline)
    assert again.code == 0, again.err
    assert [item["reproduced"] for item in json.loads(again.out)] == [True]
    (pipeline / "evaluate.py").write_text(SCRIPT.replace("else 0", "else 1"))
    before = (pipeline / EVAL_CARD).read_text()
    drift = cli("eval", "run", "clf-eval", cwd=pipeline)
    assert drift.code == 1 and "NOT REPRODUCED" in drift.out
    assert (pipeline / EVAL_CARD).read_text() == before
    assert "GC801" in cli("check", cwd=pipeline).out, (
        "the metrics file no longer says what the card says"
    )


def test_new_checkpoint_makes_results_stale_and_record_refuses_old_runs(
    pipeline: Path, cli: Cli
) -> None:
    recorded(pipeline, cli)
    (pipeline / MODEL).write_bytes(b"\x01retrained")
    assert cli("add", MODEL, cwd=pipeline).code == 0
    checks = {f["check"] for f in json.loads(cli("check", "--json", cwd=pipeline).out)["findings"]}
    assert {"GC206", "GC802"} <= checks
    refused = cli("eval", "record", "clf-eval", "--stage", "evaluate", cwd=pipeline)
    assert refused.code == 1 and "dvc repro evaluate" in refused.err
    dvc(pipeline, "repro", "-q", "evaluate")
    recorded(pipeline, cli)
    assert cli("check", cwd=pipeline).code == 0


def test_per_sample_results_nested_deeper_than_the_limit(pipeline: Path, cli: Cli) -> None:
    samples = pipeline / "samples.jsonl"
    samples.write_text(samples.read_text() + '{"accuracy": ' + "[" * 5000 + "]" * 5000 + "}\n")
    before = (pipeline / EVAL_CARD).read_text()
    result = cli(
        "eval",
        "record",
        "clf-eval",
        "--stage",
        "evaluate",
        "--samples",
        "samples.jsonl",
        cwd=pipeline,
    )
    assert result.code == 1 and (pipeline / EVAL_CARD).read_text() == before
    assert "samples.jsonl:201: JSON is nested deeper than 64 levels" in result.err


def test_unknown_stage_and_wrong_card(pipeline: Path, cli: Cli) -> None:
    assert cli("eval", "record", "clf-eval", "--stage", "train", cwd=pipeline).code == 1
    assert cli("eval", "record", "clf", "--stage", "evaluate", cwd=pipeline).code == 2


def test_dataset_and_split_options_say_what_was_evaluated(pipeline: Path, cli: Cli) -> None:
    result = cli(
        "eval",
        "record",
        "clf-eval",
        "--stage",
        "evaluate",
        "--dataset",
        "points",
        "--split",
        "validation",
        cwd=pipeline,
    )
    assert result.code == 0, result.err
    eval_card = parse_card((pipeline / EVAL_CARD).read_text(), "eval").data
    assert eval_card["dataset"] == {"artifact": "points", "split": "validation"}
    splits = [
        entry["dataset"]["split"]
        for entry in parse_card((pipeline / MODEL_CARD).read_text(), "model").data["evaluation"]
    ]
    assert splits == ["test", "validation"], "a result on another split is added, not overwritten"
    assert (
        cli(
            "eval",
            "record",
            "clf-eval",
            "--stage",
            "evaluate",
            "--dataset",
            "imagenet",
            cwd=pipeline,
        ).code
        == 2
    )


SEEDED = SCRIPT.replace(
    "rows = [line.split",
    "import random\nseed = int(open('params.yaml').read().split(':')[1])\nrows = [line.split",
).replace("for x, _, label in rows:", "for x, _, label in random.Random(seed).sample(rows, 150):")


def test_seeds_report_the_spread_and_restore_the_parameter(registry: Path, cli: Cli) -> None:
    (registry / "evaluate.py").write_text(SEEDED)
    (registry / "params.yaml").write_text("seed: 42\n")
    add_evaluate_stage(registry, "-p", "seed")
    dvc(registry, "repro", "-q", "evaluate")
    recorded(registry, cli)
    before = (registry / "metrics.json").read_text()
    result = cli("eval", "run", "clf-eval", "--seeds", "4", "--record", "--json", cwd=registry)
    assert result.code == 0, result.err
    (spread,) = json.loads(result.out)
    assert (
        spread["metric"] == "accuracy"
        and spread["seeds"] == 4
        and spread["minimum"] < spread["maximum"]
        and spread["stdev"] > 0
    )
    assert (registry / "params.yaml").read_text() == "seed: 42\n" and (
        registry / "metrics.json"
    ).read_text() == before
    sensitivity = parse_card((registry / EVAL_CARD).read_text(), "eval").data["results"][0][
        "seed_sensitivity"
    ]
    assert sensitivity["seeds"] == 4 and sensitivity["min"] == spread["minimum"]
    assert cli("check", cwd=registry).code == 0


def test_seeds_need_a_seed_parameter(pipeline: Path, cli: Cli) -> None:
    recorded(pipeline, cli)
    result = cli("eval", "run", "clf-eval", "--seeds", "2", cwd=pipeline)
    assert result.code == 1 and "params: [seed]" in result.err


def baseline_repo(
    registry: Path, cli: Cli, baseline_value: float, baseline_interval: tuple[float, float]
) -> Path:
    """A second eval card for a baseline on the same dataset and split; clf-eval names it."""
    from testing.cards import eval_fields, write_card
    from testing.repos import track

    outs = track(registry, {"evals/base-eval.jsonl": b'{"id": 1}\n'})
    fields = eval_fields(
        "clf",
        "points",
        parse_card((registry / MODEL_CARD).read_text(), "m").data["checkpoint"]["sha256"],
    )
    low, high = baseline_interval
    fields["results"] = [
        {
            "metric": "accuracy",
            "value": baseline_value,
            "n": 500,
            "confidence_interval": {"low": low, "high": high, "level": 0.95, "method": "wilson"},
        }
    ]
    write_card(
        registry,
        "eval",
        "base-eval",
        "evals/base-eval.jsonl",
        outs["evals/base-eval.jsonl"],
        fields,
    )
    card = registry / EVAL_CARD
    card.write_text(
        card.read_text().replace(
            "task: classification", "task: classification\nbaseline:\n  artifact: base-eval", 1
        )
    )
    return registry


@pytest.mark.parametrize(
    ("baseline", "interval", "verdict"),
    [(0.80, (0.76, 0.84), "within noise"), (0.70, (0.66, 0.74), "better, outside noise")],
)
def test_baseline_difference_is_shown_with_its_interval(
    registry: Path, cli: Cli, baseline: float, interval: tuple[float, float], verdict: str
) -> None:
    repo = baseline_repo(registry, cli, baseline, interval)
    assert cli("check", cwd=repo).code == 0
    (comparison,) = json.loads(cli("show", "clf-eval", "--json", cwd=repo).out)["baseline"][
        "comparisons"
    ]
    assert comparison["verdict"] == verdict and comparison["difference"] == pytest.approx(
        0.84 - baseline
    )
    assert comparison["low"] == pytest.approx(0.81 - interval[1]) and comparison[
        "high"
    ] == pytest.approx(0.87 - interval[0])
    assert verdict in cli("show", "clf-eval", cwd=repo).out
    commit_all(repo, "baseline")
    card = repo / EVAL_CARD
    card.write_text(
        card.read_text().replace("Accuracy of the test classifier", "Accuracy, re-described,")
    )
    review = json.loads(cli("diff", "--format", "json", cwd=repo).out)
    (change,) = [c for c in review[0]["changes"] if c["kind"] == "baseline-comparison"]
    assert "against base-eval" in change["summary"] and verdict in change["summary"]


def test_run_with_a_model_reruns_every_eval_card_that_measured_it(pipeline: Path, cli: Cli) -> None:
    repo = baseline_repo(pipeline, cli, 0.80, (0.76, 0.84))
    for eval_card in ("clf-eval", "base-eval"):
        recorded_again = cli("eval", "record", eval_card, "--stage", "evaluate", cwd=repo)
        assert recorded_again.code == 0, recorded_again.err
    commit_all(repo, "two evaluations of clf")
    result = cli("eval", "run", "clf", "--json", cwd=repo)
    assert result.code == 0, result.err
    runs = json.loads(result.out)
    assert [(item["eval"], item["reproduced"]) for item in runs] == [
        ("base-eval", True),
        ("clf-eval", True),
    ]
    assert [comparison["metric"] for comparison in runs[0]["results"]] == ["accuracy"]
    (repo / "evaluate.py").write_text(SCRIPT.replace("else 0", "else 1"))
    drift = cli("eval", "run", "clf", cwd=repo)
    assert drift.code == 1
    lines = drift.out.splitlines()
    assert lines[0] == "base-eval:" and "clf-eval:" in lines and "NOT REPRODUCED" in drift.out
    assert lines[-1] == "2 eval card(s) of clf re-run: not reproduced: base-eval, clf-eval"


def test_run_with_a_model_no_eval_card_measures_says_what_to_do(registry: Path, cli: Cli) -> None:
    unrecorded = cli("eval", "run", "clf", cwd=registry)
    assert unrecorded.code == 1 and "git ckpt eval record clf-eval --stage STAGE" in unrecorded.err
    (registry / EVAL_CARD).unlink()
    result = cli("eval", "run", "clf", cwd=registry)
    assert result.code == 1 and result.out == ""
    assert "no eval card measures model 'clf'" in result.err
    assert "--kind eval" in result.err and "git ckpt eval record" in result.err
    assert cli("eval", "run", "points", cwd=registry).code == 2
