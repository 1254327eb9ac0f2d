"""A DVC metrics file (JSON or YAML), read strictly and flattened to numbers: what `eval record`
records and what GC801 compares a card's numbers with. Kept apart from evaluation.py so that
`check`, which loads this module, does not load the statistics behind confidence intervals."""

from __future__ import annotations

from typing import Any

from gitckpt.strict_json import load_json
from gitckpt.strict_yaml import load_yaml

METRICS_SIZE_LIMIT = 1024 * 1024


def parse_metrics(text: str, display: str) -> dict[str, float]:
    """The metrics file `display` (JSON when its name ends in .json, else YAML) holding `text`."""
    data = (
        load_json(text, display, max_bytes=METRICS_SIZE_LIMIT)
        if display.endswith(".json")
        else load_yaml(text, display).data
    )
    flat: dict[str, float] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}")
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            flat[prefix] = float(node)

    walk(data, "")
    return flat
