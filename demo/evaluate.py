"""The demo's evaluation stage (run by DVC): accuracy of the blobs classifier on the test split,
with one line per test point so gitckpt can bootstrap the interval."""

import json
import math
import struct
from pathlib import Path


def weights(path: Path) -> list[float]:
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    return list(struct.unpack("<3f", data[8 + length : 8 + length + 12]))


def main() -> None:
    w1, w2, bias = weights(Path("models/blobs-linear.safetensors"))
    rows = [line.split(",") for line in Path("data/blobs.csv").read_text().splitlines()[1:]]
    test = [(float(x1), float(x2), int(label)) for split, x1, x2, label in rows if split == "test"]
    hits = [
        int((1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + bias))) >= 0.5) == label)
        for x1, x2, label in test
    ]
    Path("evals/samples.jsonl").write_text(
        "".join(json.dumps({"accuracy": hit}) + "\n" for hit in hits)
    )
    Path("evals/metrics.json").write_text(
        json.dumps({"accuracy": sum(hits) / len(hits), "n": len(hits)}) + "\n"
    )


if __name__ == "__main__":
    main()
