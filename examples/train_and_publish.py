"""Train a tiny classifier on generated data and publish it with gitckpt, end to end.

Run it at the top of a git repository where `dvc init` has been run:

    python examples/train_and_publish.py            # or: python train_and_publish.py REPO

It writes params.yaml (unless there is one), generates two-class points (data/points.csv),
trains a logistic regression with NumPy, saves it as models/clf.safetensors, evaluates it on a
held-out split (metrics/eval.json), and publishes dataset and model with `gitckpt.publish`:
DVC tracks the bytes, the cards get the facts the script states plus what the run knows
(parameter count, versions, hyperparameters, seeds), the results come from the metrics file,
every check runs, and the cards and pointers are staged. Review with `git diff --cached`, then
commit. A card missing a fact is refused with the findings, and nothing is staged.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np

import gitckpt
from gitckpt.facts import read_params

PARAMS = "train:\n  learning_rate: 0.5\n  epochs: 200\n  seed: 0\ndata:\n  points: 600\n  seed: 1\n"
OWNER = {"name": "Ada Researcher", "roles": ["trained", "evaluated"]}
REDISTRIBUTION = {
    "allowed": True,
    "conditions": [],
    "attribution": "Example Lab",
    "use_restrictions": [],
    "export_controls": "none known",
}
LIMITATIONS = [
    {
        "description": "Trained on generated points only.",
        "failure_mode": "Meaningless predictions on real data.",
        "conditions": "Any input not drawn from the generator.",
    }
]
RISKS = [{"description": "Mistaking it for a real model.", "mitigation": "Use it for demos."}]


def generate(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs, labelled 0 and 1."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=count)
    points = rng.normal(size=(count, 2)) + np.where(labels[:, None] == 1, 1.5, -1.5)
    return points, labels


def train(points: np.ndarray, labels: np.ndarray, rate: float, epochs: int, seed: int) -> dict:
    """Logistic regression by full-batch gradient descent."""
    rng = np.random.default_rng(seed)
    weight, bias = rng.normal(scale=0.01, size=2), np.zeros(1)
    for _ in range(epochs):
        predicted = 1 / (1 + np.exp(-(points @ weight + bias)))
        error = predicted - labels
        weight -= rate * points.T @ error / len(labels)
        bias -= rate * error.mean(keepdims=True)
    return {"weight": weight.astype(np.float32), "bias": bias.astype(np.float32)}


def save_safetensors(tensors: dict, path: Path) -> None:
    """The safetensors format by hand: an 8-byte header length, a JSON header, the raw bytes."""
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array).tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        offset += len(blob)
        blobs.append(blob)
    encoded = json.dumps(header).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def main(repo: Path) -> int:
    params_file = repo / "params.yaml"
    if not params_file.exists():
        params_file.write_text(PARAMS, encoding="utf-8")
    params = read_params(params_file)
    train_params, data_params = params["train"], params["data"]

    points, labels = generate(data_params["points"], data_params["seed"])
    split = len(labels) * 2 // 3
    data_path = repo / "data" / "points.csv"
    data_path.parent.mkdir(exist_ok=True)
    rows = [f"{x:.6f},{y:.6f},{label}" for (x, y), label in zip(points, labels, strict=True)]
    data_path.write_text("x,y,label\n" + "\n".join(rows) + "\n", encoding="utf-8")

    model = train(
        points[:split],
        labels[:split],
        train_params["learning_rate"],
        train_params["epochs"],
        train_params["seed"],
    )
    model_path = repo / "models" / "clf.safetensors"
    save_safetensors(model, model_path)

    scores = points[split:] @ model["weight"] + model["bias"]
    accuracy = float(((scores > 0) == labels[split:]).mean())
    metrics_path = repo / "metrics" / "eval.json"
    metrics_path.parent.mkdir(exist_ok=True)
    metrics_path.write_text(json.dumps({"accuracy": accuracy, "n": len(labels) - split}) + "\n")

    shared = {
        "access": {"level": "public", "reason": "Generated data and a demo model."},
        "license": "CC0-1.0",
        "redistribution": REDISTRIBUTION,
        "limitations": LIMITATIONS,
        "risks": RISKS,
        "contributors": [OWNER],
        "contact": "ml-team@example.org",
    }
    gitckpt.publish(
        data_path,
        kind="dataset",
        name="points",
        repo=repo,
        facts={
            **shared,
            "description": "Two Gaussian blobs of 2-D points, labelled 0 and 1.",
            "sources": [
                {
                    "uri": "generated://examples/train_and_publish.py",
                    "revision": "1",
                    "license": "CC0-1.0",
                    "summary": "Drawn with NumPy's seeded generator.",
                }
            ],
            "collection": f"Generated with seed {data_params['seed']}.",
            "preprocessing": ["none"],
            "splits": {"train": split, "test": len(labels) - split},
            "personal_data": {"contains": False, "handling": "Generated: no person is in it."},
            "intended_use": ["Demonstrating gitckpt."],
            "out_of_scope": ["Benchmarking."],
        },
        prose="# points\n\nGenerated two-class points for the gitckpt example.\n",
    )
    published = gitckpt.publish(
        model_path,
        kind="model",
        name="clf",
        repo=repo,
        facts={
            **shared,
            "description": "Logistic regression separating the two blobs of `points`.",
            "architecture": {"family": "logistic-regression"},
            "base_model": None,
            "training_data": [
                {
                    "artifact": "points",
                    "license": "CC0-1.0",
                    "summary": "Generated points (train split).",
                    "role": "train",
                }
            ],
            "preprocessing": ["none"],
            "compute": {
                "hardware": "1 CPU core",
                "accelerator_hours": 0,
                "energy_kwh": {"noassertion": "under a second on a laptop; not measured"},
            },
            "environment": {"container_or_lockfile": {"noassertion": "run outside a container"}},
            "intended_use": ["Demonstrating gitckpt."],
            "out_of_scope": ["Any real decision."],
        },
        prose="# clf\n\nA logistic regression trained by examples/train_and_publish.py.\n",
        metrics=gitckpt.ResultSource(
            task="classification", dataset="points", split="test", file="metrics/eval.json"
        ),
    )
    print(f"accuracy {accuracy:.3f} on {len(labels) - split} held-out points")
    print(f"staged {', '.join(published.staged)}; review with `git diff --cached` and commit")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()))
