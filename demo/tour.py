"""A real end-to-end tour of gitckpt on a generated research repository.

Builds a throwaway repository (in $DEMO_DIR, or a new temporary folder), generates a small
dataset, trains a tiny classifier on it, evaluates it, and walks through:
init → track → card → a refused commit → a fixed card → an accepted commit → check --all,
releases, review, and access levels: a restricted dataset of (made-up) clinic records with a
public synthetic sample, each artifact's bytes routed to the remote its level allows, and the
public site that shows the restricted dataset only as a stub.
The repository is left behind for you to explore.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
from io import StringIO
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
ENV = {
    **{key: value for key, value in os.environ.items() if not key.startswith("GIT_")},
    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    "GIT_AUTHOR_NAME": "Ada Researcher",
    "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_COMMITTER_NAME": "Ada Researcher",
    "GIT_COMMITTER_EMAIL": "ada@example.org",
    "DVC_NO_ANALYTICS": "1",
}
SEED = 20250701
CHECKLIST_ITEMS = (
    "sensitive_content_audited",
    "licenses_aligned",
    "third_party_dependencies_listed",
    "evaluation_environment_documented",
    "training_deviations_documented",
    "export_controls_stated",
)


def step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m" if sys.stdout.isatty() else f"\n== {title}", flush=True)


def sh(repo: Path, *args: str, ok: bool = True, show: int = 40) -> subprocess.CompletedProcess[str]:
    """Run a command in the demo repository, echo it and (up to `show` lines of) its output."""
    print(f"$ {' '.join(args)}", flush=True)
    completed = subprocess.run(
        list(args), cwd=repo, capture_output=True, text=True, env=ENV, check=False
    )
    lines = (completed.stdout + completed.stderr).rstrip().splitlines()
    for line in lines[:show]:
        print(f"  {line}")
    if len(lines) > show:
        print(f"  … ({len(lines) - show} more lines)")
    if ok and completed.returncode != 0:
        raise SystemExit(f"demo: `{' '.join(args)}` failed with exit code {completed.returncode}")
    return completed


def make_points(rng: random.Random, count: int) -> list[tuple[float, float, int]]:
    """Two overlapping Gaussian blobs: a task a linear model can learn, but not perfectly."""
    points = []
    for _ in range(count):
        label = rng.randint(0, 1)
        centre = 1.0 if label else -1.0
        points.append((rng.gauss(centre, 1.1), rng.gauss(centre * 0.5, 1.0), label))
    return points


def train(
    points: list[tuple[float, float, int]], epochs: int, learning_rate: float, rng: random.Random
) -> list[float]:
    weights = [0.0, 0.0, 0.0]
    order = list(range(len(points)))
    for _ in range(epochs):
        rng.shuffle(order)
        for index in order:
            x1, x2, label = points[index]
            error = predict(weights, x1, x2) - label
            weights = [
                weights[0] - learning_rate * error * x1,
                weights[1] - learning_rate * error * x2,
                weights[2] - learning_rate * error,
            ]
    return weights


def predict(weights: list[float], x1: float, x2: float) -> float:
    return 1.0 / (1.0 + math.exp(-(weights[0] * x1 + weights[1] * x2 + weights[2])))


def wilson_interval(successes: int, total: int, z: float = 1.959964) -> tuple[float, float]:
    phat = successes / total
    centre = (phat + z * z / (2 * total)) / (1 + z * z / total)
    half = (
        z * math.sqrt(phat * (1 - phat) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    )
    return round(centre - half, 4), round(centre + half, 4)


def safetensors_bytes(weights: list[float]) -> bytes:
    """A valid safetensors file: little-endian header length, JSON header, raw float32 data."""
    header = {
        "__metadata__": {"format": "pt"},
        "linear.weight": {"dtype": "F32", "shape": [1, 2], "data_offsets": [0, 8]},
        "linear.bias": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]},
    }
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    return struct.pack("<Q", len(encoded)) + encoded + struct.pack("<3f", *weights)


def seeded_points() -> tuple[
    random.Random, list[tuple[float, float, int]], list[tuple[float, float, int]]
]:
    """The same train and test points on every run, and the generator, ready to train with."""
    rng = random.Random(SEED)
    return rng, make_points(rng, 2000), make_points(rng, 500)


def generate_project(repo: Path) -> dict[str, Any]:
    rng, train_points, test_points = seeded_points()
    (repo / "data").mkdir()
    with (repo / "data/blobs.csv").open("w") as handle:
        handle.write("split,x1,x2,label\n")
        for split, points in (("train", train_points), ("test", test_points)):
            handle.writelines(f"{split},{x1:.5f},{x2:.5f},{label}\n" for x1, x2, label in points)
    return train_model(repo, rng, train_points, test_points, epochs=5)


def train_model(
    repo: Path,
    rng: random.Random,
    train_points: list[tuple[float, float, int]],
    test_points: list[tuple[float, float, int]],
    epochs: int,
) -> dict[str, Any]:
    """Train, write the checkpoint and the per-example evaluation log; the test accuracy and its
    interval."""
    weights = train(train_points, epochs=epochs, learning_rate=0.05, rng=rng)
    (repo / "models").mkdir(exist_ok=True)
    (repo / "models/blobs-linear.safetensors").write_bytes(safetensors_bytes(weights))
    results = [
        (index, int(predict(weights, x1, x2) >= 0.5) == label)
        for index, (x1, x2, label) in enumerate(test_points)
    ]
    (repo / "evals").mkdir(exist_ok=True)
    with (repo / "evals/blobs-linear-test.jsonl").open("w") as handle:
        handle.writelines(
            json.dumps({"id": index, "correct": correct}) + "\n" for index, correct in results
        )
    correct = sum(1 for _, ok in results if ok)
    low, high = wilson_interval(correct, len(results))
    return {
        "accuracy": round(correct / len(results), 4),
        "n": len(results),
        "low": low,
        "high": high,
    }


def fill_card(path: Path, facts: dict[str, Any], body: str) -> None:
    """What a researcher does by hand: replace the placeholders with the real facts (comments
    kept)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096
    _, front_matter, _ = path.read_text().split("---\n", 2)
    data = yaml.load(front_matter)
    for key, value in facts.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    stream = StringIO()
    yaml.dump(data, stream)
    path.write_text(f"---\n{stream.getvalue()}---\n{body}")


REDISTRIBUTION = {
    "allowed": True,
    "conditions": ["Keep the license and this card with any copy."],
    "attribution": "Blob Lab, Example University (2025)",
    "use_restrictions": [],
    "export_controls": "none known",
}
CONTRIBUTORS = [
    {"name": "Ada Researcher", "roles": ["trained", "evaluated"]},
    {"name": "Grace Reviewer", "roles": ["reviewed"]},
]
CONTACT = "blob-lab@example.org"
# The scaffolds pre-fill `access.level: internal`; the reason is the person's to write.
ACCESS = {"reason": "Synthetic demo data: shared within the lab until the tour is published."}
LOCKFILE = "sha256:5f3c1b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b"


def dataset_facts() -> dict[str, Any]:
    return {
        "access": ACCESS,
        "description": "Two overlapping Gaussian blobs in 2-D with binary labels, from a fixed "
        "seed; 2,000 train and 500 test points.",
        "sources": [
            {
                "uri": "generated://demo/tour.py#make_points",
                "revision": f"seed {SEED}",
                "license": "CC0-1.0",
                "summary": "Points drawn by the generator in demo/tour.py.",
            }
        ],
        "collection": f"Generated by demo/tour.py with random.Random({SEED}); no real-world "
        "collection.",
        "preprocessing": [
            "Rounded coordinates to 5 decimal places.",
            "Train and test drawn independently from the same generator.",
        ],
        "splits": {"train": 2000, "test": 500},
        "personal_data": {
            "contains": False,
            "handling": "Synthetic: no record describes a person.",
        },
        "license": "CC-BY-4.0",
        "redistribution": REDISTRIBUTION,
        "intended_use": ["Teaching and testing ML release tooling."],
        "out_of_scope": ["Benchmarking real classifiers: the task is trivially synthetic."],
        "limitations": [
            {
                "description": "Only two features and two classes.",
                "failure_mode": "Methods that do well here may fail on real data.",
                "conditions": "Any conclusion drawn beyond tooling tests.",
            }
        ],
        "risks": [
            {
                "description": "Mistaking synthetic results for real-world performance.",
                "mitigation": "The card and file name say synthetic.",
            }
        ],
        "contributors": [{"name": "Ada Researcher", "roles": ["curated"]}],
        "contact": CONTACT,
    }


def model_facts(metrics: dict[str, Any], checkpoint_sha256: str) -> dict[str, Any]:
    return {
        "access": ACCESS,
        "description": "Logistic regression separating the two blobs of the blobs dataset; a "
        "stand-in for a real checkpoint.",
        "architecture": {
            "family": "logistic-regression",
            "parameters": 3,
            "details": "2 weights and a bias, float32",
        },
        "base_model": None,
        "hyperparameters": {
            "optimizer": "sgd",
            "learning_rate": 0.05,
            "epochs": 5,
            "batch_size": 1,
        },
        "seeds": {"data": SEED, "training": SEED},
        "training_data": [
            {
                "artifact": "blobs",
                "license": "CC-BY-4.0",
                "summary": "The train split of the blobs dataset.",
                "role": "train",
            }
        ],
        "preprocessing": ["None: raw coordinates."],
        "compute": {
            "hardware": "1 laptop CPU core",
            "accelerator_hours": 0,
            "energy_kwh": {"noassertion": "too small to measure: under a second of CPU"},
        },
        "environment": {"frameworks": {}, "container_or_lockfile": LOCKFILE},
        "license": "Apache-2.0",
        "redistribution": REDISTRIBUTION,
        "intended_use": ["Demonstrating gitckpt end to end."],
        "out_of_scope": ["Any decision about real data or people."],
        "limitations": [
            {
                "description": "A linear boundary cannot separate overlapping blobs.",
                "failure_mode": "About 1 in 6 points is misclassified.",
                "conditions": "Points near the middle of the two blobs.",
            }
        ],
        "risks": [
            {
                "description": "Reusing the checkpoint as if it were a real model.",
                "mitigation": "Name, card and license text mark it as a demo.",
            }
        ],
        "evaluation": [
            {
                "task": "binary-classification",
                "dataset": {"artifact": "blobs", "split": "test", "revision": "0.1.0"},
                "metric": "accuracy",
                "value": metrics["accuracy"],
                "n": metrics["n"],
                "confidence_interval": {
                    "low": metrics["low"],
                    "high": metrics["high"],
                    "level": 0.95,
                    "method": "wilson",
                },
                "log": {"artifact": "blobs-linear-test"},
                "checkpoint_sha256": checkpoint_sha256,
            }
        ],
        "contributors": CONTRIBUTORS,
        "contact": CONTACT,
    }


def eval_facts(metrics: dict[str, Any], checkpoint_sha256: str) -> dict[str, Any]:
    return {
        "access": ACCESS,
        "description": "Per-example correctness of blobs-linear on the 500-point test split of "
        "blobs.",
        "model": {"artifact": "blobs-linear", "sha256": checkpoint_sha256},
        "dataset": {"artifact": "blobs", "split": "test"},
        "task": "binary-classification",
        "protocol": "demo/tour.py: threshold the predicted probability at 0.5 and compare with "
        "the label.",
        "environment": {"frameworks": {}, "container_or_lockfile": LOCKFILE},
        "results": [
            {
                "metric": "accuracy",
                "value": metrics["accuracy"],
                "n": metrics["n"],
                "confidence_interval": {
                    "low": metrics["low"],
                    "high": metrics["high"],
                    "level": 0.95,
                    "method": "wilson",
                },
            }
        ],
        "limitations": [
            {
                "description": "A single test split of 500 points.",
                "failure_mode": "Accuracy is uncertain by about ±3 points.",
                "conditions": "Comparing models that differ by less than the interval.",
            }
        ],
        "license": "CC-BY-4.0",
        "contributors": [{"name": "Ada Researcher", "roles": ["evaluated"]}],
        "contact": CONTACT,
    }


ACCESS_POLICY = """
# Each level's bytes go only to its remotes (`git ckpt push` refuses the rest); the policy is
# read from main, so a branch cannot open a route.
access:
  levels:
    public: {remotes: [public]}
    internal: {remotes: [team]}
    restricted: {remotes: [restricted], lowered_by: [ada@example.org]}
"""
CLINIC_COLUMNS = "patient_id,age,diagnosis_code,days_in_hospital\n"


def clinic_rows(rng: random.Random, count: int, prefix: str) -> str:
    """Made-up hospital stays: they stand in for records no one may publish."""
    return "".join(
        f"{prefix}{index:05d},{rng.randint(18, 95)},{rng.choice(['I10', 'E11', 'J45', 'K35'])},"
        f"{rng.randint(1, 30)}\n"
        for index in range(count)
    )


def write_clinic_data(repo: Path) -> None:
    rng = random.Random(SEED + 1)
    (repo / "data/clinic-stays.csv").write_text(CLINIC_COLUMNS + clinic_rows(rng, 400, "P"))
    (repo / "data/clinic-stays-synthetic.csv").write_text(
        CLINIC_COLUMNS + clinic_rows(rng, 50, "S")
    )


def clinic_facts(description: str, personal_data: dict[str, Any]) -> dict[str, Any]:
    """What both clinic dataset cards share: the dataset card of the blobs, re-described."""
    return {
        **dataset_facts(),
        "description": description,
        "sources": [
            {
                "uri": "generated://demo/tour.py#clinic_rows",
                "revision": f"seed {SEED + 1}",
                "license": "CC0-1.0",
                "summary": "Made-up hospital stays standing in for real records.",
            }
        ],
        "collection": "Generated by demo/tour.py; a real card would say which hospital "
        "system exported the stays, and under which ethics approval.",
        "splits": {"train": 320, "test": 80}
        if personal_data["contains"]
        else {"train": 40, "test": 10},
        "personal_data": personal_data,
        "intended_use": ["Showing how gitckpt keeps restricted data out of public places."],
    }


def restricted_dataset_facts() -> dict[str, Any]:
    """The restricted card: only the privacy officer grants access, its bytes go only to the
    `restricted` remote, and public places show a stub of it."""
    return {
        **clinic_facts(
            "Hospital stays with age and diagnosis: personal health data (made up for the demo).",
            {
                "contains": True,
                "handling": "Pseudonymised patient ids; access by data-use agreement only.",
            },
        ),
        "access": {
            "level": "restricted",
            "reason": "Health records of identifiable patients: data-use agreement required.",
            "contacts": ["privacy-officer@example.org"],
        },
        "samples": {
            "artifact": "clinic-stays-synthetic",
            "method": "synthetic",
            "description": "Rows drawn from a generator fitted to the columns' ranges; no stay.",
        },
    }


def synthetic_sample_facts() -> dict[str, Any]:
    """The public stand-in: synthetic rows with the restricted dataset's columns."""
    return {
        **clinic_facts(
            "Synthetic hospital stays with the columns of clinic-stays, for judging its shape.",
            {"contains": False, "handling": "Synthetic: no row describes a patient."},
        ),
        "access": {
            "level": "public",
            "reason": "Synthetic rows drawn from a generator, not from any patient.",
        },
    }


def card_field(path: Path, *field: str) -> Any:
    from gitckpt.card import parse_card

    value: Any = parse_card(path.read_text(), str(path)).data
    for part in field:
        value = value[part]
    return value


def edit_card(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise SystemExit(f"demo: {old!r} is not in {path}")
    path.write_text(text.replace(old, new, 1))


def sign_as_ada(repo: Path) -> Path:
    """A fresh SSH key for the demo's researcher, configured for this repository only."""
    key = repo.parent / f"{repo.name}-ada-key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ada@example.org", "-f", str(key)],
        check=True,
    )
    subprocess.run(["git", "config", "user.signingkey", str(key)], cwd=repo, check=True, env=ENV)
    public = key.with_name(key.name + ".pub").read_text().strip()
    (repo / ".gitckpt/allowed_signers").write_text(f"ada@example.org {public}\n")
    return key


def access_levels(repo: Path) -> None:
    """A restricted dataset beside its public synthetic sample, and a push routed by level."""
    step("14. Access levels: a restricted dataset, a public synthetic sample, routed pushes")
    print("  The policy on main maps each level to its DVC remotes:")
    with (repo / ".gitckpt/config.yaml").open("a") as handle:
        handle.write(ACCESS_POLICY)
    for name in ("public", "restricted"):
        sh(repo, "dvc", "remote", "add", name, str(repo.parent / f"{repo.name}-{name}-remote"))
    write_clinic_data(repo)
    for path, name in (
        ("data/clinic-stays.csv", "clinic-stays"),
        ("data/clinic-stays-synthetic.csv", "clinic-stays-synthetic"),
    ):
        sh(repo, "git", "ckpt", "add", path, "--kind", "dataset", "--name", name)
    fill_card(
        repo / "data/clinic-stays.card.md",
        restricted_dataset_facts(),
        "# clinic-stays\n\nHospital stays; shared only under a data-use agreement.\n",
    )
    fill_card(
        repo / "data/clinic-stays-synthetic.card.md",
        synthetic_sample_facts(),
        "# clinic-stays-synthetic\n\nSynthetic rows with the columns of clinic-stays.\n",
    )
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "-m", "Access policy; a restricted dataset and its sample")
    print("  The default remote (team) is for internal bytes: the restricted dataset is refused")
    refused = sh(repo, "git", "ckpt", "push", "clinic-stays", ok=False)
    if refused.returncode == 0:
        raise SystemExit("demo: the restricted dataset was pushed to the team remote")
    refused = sh(repo, "git", "ckpt", "push", "clinic-stays", "--remote", "public", ok=False)
    if refused.returncode == 0:
        raise SystemExit("demo: the restricted dataset was pushed to the public remote")
    sh(repo, "git", "ckpt", "push", "clinic-stays", "--remote", "restricted")
    sh(repo, "git", "ckpt", "push", "clinic-stays-synthetic", "--remote", "public")
    for name in ("public", "restricted"):
        stored = [path for path in (repo.parent / f"{repo.name}-{name}-remote").rglob("*")]
        print(f"  remote {name}: {sum(path.is_file() for path in stored)} file(s)")
    sh(repo, "git", "ckpt", "search", "--kind", "dataset")
    print("  What leaves the repository respects the level: an export is refused")
    refused = sh(repo, "git", "ckpt", "export", "clinic-stays", "--format", "croissant", ok=False)
    if refused.returncode == 0:
        raise SystemExit("demo: the restricted dataset was exported")


def demo_directory() -> Path:
    if os.environ.get("DEMO_DIR"):
        path = Path(os.environ["DEMO_DIR"]).resolve()
        if path.exists() and any(path.iterdir()):
            raise SystemExit(
                f"demo: DEMO_DIR {path} exists and is not empty; choose another or remove it"
            )
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix="gitckpt-demo-"))


def main() -> int:
    repo = demo_directory()
    print(f"Building the demo research repository in {repo}")
    step("1. A research repository with a dataset, a trained checkpoint and an evaluation log")
    sh(repo, "git", "init", "-q", "-b", "main")
    shutil.copy(__file__, repo / "train.py")
    shutil.copy(Path(__file__).with_name("evaluate.py"), repo / "evaluate.py")
    sh(repo, "git", "add", "train.py", "evaluate.py")
    sh(repo, "git", "commit", "-q", "-m", "Training and evaluation code")
    metrics = generate_project(repo)
    print(
        "  train.py generated data/blobs.csv, trained models/blobs-linear.safetensors "
        f"(test accuracy {metrics['accuracy']})"
    )

    step("2. Set the repository up for gitckpt: DVC, policy, pre-commit hook")
    sh(repo, "git", "ckpt", "init")
    sh(repo, "pre-commit", "install")

    step(
        "3. Track each artifact: DVC pointer, md5 and sha256 in one read, a pre-filled "
        "card, all staged"
    )
    sh(repo, "git", "ckpt", "add", "data/blobs.csv", "--kind", "dataset", "--name", "blobs")
    sh(repo, "git", "ckpt", "add", "models/blobs-linear.safetensors", "--kind", "model")
    sh(repo, "git", "ckpt", "add", "evals/blobs-linear-test.jsonl", "--kind", "eval")
    print((repo / "models/blobs-linear.safetensors.dvc").read_text())
    print("  The evaluation is a DVC stage, so its numbers come from a pipeline anyone can re-run:")
    stage = [
        "-d",
        "evaluate.py",
        "-d",
        "data/blobs.csv",
        "-d",
        "models/blobs-linear.safetensors",
        "-M",
        "evals/metrics.json",
        "-O",
        "evals/samples.jsonl",
    ]
    sh(repo, "dvc", "stage", "add", "-q", "-n", "evaluate", *stage, "python evaluate.py")
    sh(repo, "dvc", "repro", "-q", "evaluate")

    step("4. Where each artifact stands: cards still to be written")
    sh(repo, "git", "ckpt", "status", "--no-remote")

    step("5. Commit before the cards are filled in: the hook refuses")
    sh(repo, "git", "add", "-A")
    refused = sh(
        repo,
        "git",
        "commit",
        "-q",
        "-m",
        "Add blobs dataset, model and evaluation",
        ok=False,
        show=16,
    )
    if refused.returncode == 0:
        raise SystemExit(
            "demo: the incomplete cards were committed; the hook should have refused them"
        )

    step("6. Fill in the cards (what a researcher writes), then check")
    checkpoint_sha256 = card_field(repo / "models/blobs-linear.card.md", "checkpoint", "sha256")
    fill_card(
        repo / "data/blobs.card.md",
        dataset_facts(),
        "# blobs\n\nA synthetic two-blob dataset for tooling demos.\n",
    )
    fill_card(
        repo / "models/blobs-linear.card.md",
        model_facts(metrics, checkpoint_sha256),
        "# blobs-linear\n\nA three-parameter logistic regression trained on `blobs`.\n\n"
        "## Limitations\n\nLinear: points between the blobs are often wrong.\n",
    )
    fill_card(
        repo / "evals/blobs-linear-test.card.md",
        eval_facts(metrics, checkpoint_sha256),
        "# blobs-linear-test\n\nOne JSON line per test point.\n",
    )
    print(
        "  The results are recorded from the stage, not typed: values, bootstrap "
        "intervals, the bytes the stage ran on"
    )
    sh(
        repo,
        "git",
        "ckpt",
        "eval",
        "record",
        "blobs-linear-test",
        "--stage",
        "evaluate",
        "--samples",
        "evals/samples.jsonl",
    )
    sh(repo, "git", "ckpt", "check")

    step("7. Commit again: the hook accepts")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "-m", "Add blobs dataset, model and evaluation")
    sh(repo, "git", "log", "--stat", "--format=%h %an: %s", "-1")

    step("8. The whole registry is clean, and the bytes match their digests")
    sh(repo, "git", "ckpt", "check", "--all", "--data")

    sh(repo, "git", "ckpt", "eval", "run", "blobs-linear-test")

    step("9. Share the bytes: a DVC remote (a directory here; S3-compatible storage for a team)")
    remote = repo.parent / f"{repo.name}-dvc-remote"
    sh(repo, "dvc", "remote", "add", "-d", "team", str(remote))
    sh(repo, "git", "commit", "-q", "-am", "Add the team's DVC remote")
    sh(repo, "git", "ckpt", "push")
    sh(repo, "git", "ckpt", "status")

    step("10. A signed release: Ada's SSH key, listed in .gitckpt/allowed_signers")
    key = sign_as_ada(repo)
    sh(repo, "git", "add", ".gitckpt/allowed_signers")
    sh(repo, "git", "commit", "-q", "-m", "Allow Ada to sign releases")
    refused = sh(
        repo,
        "git",
        "ckpt",
        "tag",
        "blobs-linear",
        "--sign",
        "-m",
        "First release of the blobs classifier",
        ok=False,
    )
    if refused.returncode == 0:
        raise SystemExit("demo: the release gate should have refused the unconfirmed checklist")
    sh(repo, "git", "ckpt", "checklist", "blobs-linear")
    for item in CHECKLIST_ITEMS:
        sh(
            repo,
            "git",
            "ckpt",
            "checklist",
            "blobs-linear",
            "--confirm",
            item,
            "--note",
            "reviewed for the demo release",
        )
    sh(repo, "git", "commit", "-q", "-am", "Confirm the release checklist")
    sh(
        repo,
        "git",
        "ckpt",
        "tag",
        "blobs-linear",
        "--sign",
        "-m",
        "First release of the blobs classifier",
    )
    sh(repo, "git", "ckpt", "promote", "blobs-linear@v0.1.0", "dev", "--sign")
    sh(repo, "git", "ckpt", "verify", "blobs-linear@v0.1.0", "--data")
    sh(repo, "git", "ckpt", "show", "blobs-linear@v0.1.0")
    sh(repo, "git", "ckpt", "ls")
    sh(
        repo,
        "git",
        "ckpt",
        "search",
        "--kind",
        "model",
        "--stage",
        "dev",
        "--metric",
        "accuracy>=0.5",
    )
    sh(repo, "git", "ckpt", "search", "logistic OR gaussian")
    print(
        "  The registry's metadata quality: honest gaps by field, stale cards, deprecated "
        "links, unsigned releases"
    )
    sh(repo, "git", "ckpt", "audit")
    step("11. Provenance: who changed the model's card and bytes, and what it was built from")
    sh(repo, "git", "ckpt", "log", "blobs-linear")
    sh(repo, "git", "ckpt", "lineage", "blobs-linear")
    sh(repo, "git", "ckpt", "lineage", "blobs-linear", "--format", "mermaid")
    sh(
        repo,
        "git",
        "ckpt",
        "attest",
        "blobs-linear@v0.1.0",
        "--sign",
        "-o",
        str(repo.parent / f"{repo.name}-blobs-linear.intoto.json"),
    )
    sh(
        repo,
        "git",
        "ckpt",
        "export",
        "blobs-linear@v0.1.0",
        "--format",
        "hf",
        "-o",
        str(repo.parent / f"{repo.name}-hub" / "README.md"),
    )
    sh(
        repo,
        "git",
        "ckpt",
        "export",
        "blobs-linear@v0.1.0",
        "--format",
        "cyclonedx",
        "-o",
        str(repo.parent / f"{repo.name}-blobs-linear.cdx.json"),
    )

    step("12. A pull request changes the model card: the review a reviewer sees")
    sh(repo, "git", "checkout", "-q", "-b", "relicense-model")
    edit_card(repo / "models/blobs-linear.card.md", "license: Apache-2.0", "license: CC-BY-NC-4.0")
    edit_card(
        repo / "models/blobs-linear.card.md",
        "- Any decision about real data or people.",
        "- Any decision about people.",
    )
    sh(repo, "git", "commit", "-q", "-am", "Relicense the classifier for non-commercial use")
    sh(repo, "git", "ckpt", "diff", "main", "--format", "markdown", show=60)
    sh(repo, "git", "checkout", "-q", "main")

    step("13. A second release: the model trained for 20 epochs, its evaluation re-recorded")
    metrics = train_model(repo, *seeded_points(), epochs=20)
    print(
        "  train.py retrained models/blobs-linear.safetensors (test accuracy "
        f"{metrics['accuracy']})"
    )
    sh(repo, "git", "ckpt", "add", "models/blobs-linear.safetensors")
    sh(repo, "git", "ckpt", "add", "evals/blobs-linear-test.jsonl")
    sh(repo, "dvc", "repro", "-q", "evaluate")
    sh(
        repo,
        "git",
        "ckpt",
        "eval",
        "record",
        "blobs-linear-test",
        "--stage",
        "evaluate",
        "--samples",
        "evals/samples.jsonl",
    )
    edit_card(repo / "models/blobs-linear.card.md", "epochs: 5", "epochs: 20")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "-m", "Train the classifier for 20 epochs")
    sh(repo, "git", "ckpt", "diff", "blobs-linear@v0.1.0", show=30)
    sh(repo, "git", "ckpt", "push")
    sh(
        repo,
        "git",
        "ckpt",
        "tag",
        "blobs-linear",
        "--sign",
        "--bump",
        "minor",
        "-m",
        "Trained for 20 epochs",
    )
    sh(repo, "git", "ckpt", "promote", "blobs-linear@v0.2.0", "dev", "--sign")
    sh(repo, "git", "ckpt", "history", "blobs-linear")
    print("  DVC's own client fetches a release by version or by stage (dvc.yaml's artifacts:):")
    fetched = repo.parent / f"{repo.name}-fetched"
    fetched.mkdir()
    get = ("dvc", "artifacts", "get", str(repo), "blobs-linear")
    sh(fetched, *get, "--rev", "v0.1.0", "-o", "v0.1.0.safetensors")
    sh(fetched, *get, "--stage", "dev", "-o", "dev.safetensors")
    sh(fetched, "sha256sum", "v0.1.0.safetensors", "dev.safetensors")

    access_levels(repo)

    step("15. The registry as a static site, for GitHub or GitLab Pages")
    site = repo.parent / f"{repo.name}-site"
    sh(repo, "git", "ckpt", "site", "-o", str(site), "--title", "Demo lab registry")
    public_site = repo.parent / f"{repo.name}-public-site"
    sh(repo, "git", "ckpt", "site", "--audience", "public", "-o", str(public_site))
    print(
        "  The public site shows clinic-stays (and the internal artifacts) only as a stub: "
        "name, level, who grants access"
    )
    print(
        f"\nThe demo repository is at {repo} (signing key {key}): try `cd {repo} && git "
        "ckpt history`."
    )
    print(f"Open the registry site: {(site / 'index.html').as_uri()}")
    print(f"and the public one: {(public_site / 'a' / 'clinic-stays.html').as_uri()}")
    return 0


if __name__ == "__main__":
    if shutil.which("git") is None:
        raise SystemExit("demo: git is required")
    raise SystemExit(main())
