"""License checks (GC501–GC503): one test per rule in gitckpt/rules/licenses.yaml."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gitckpt.licenses import rules
from testing.cards import model_fields, write_card
from testing.repos import track
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"


def set_line(repo: Path, path: str, old: str, new: str) -> None:
    card = repo / path
    assert old in card.read_text(), old
    card.write_text(card.read_text().replace(old, new))


def findings(repo: Path, cli: Cli, check: str) -> list[dict[str, object]]:
    return [
        f
        for f in json.loads(cli("check", "--json", cwd=repo).out)["findings"]
        if f["check"] == check
    ]


def with_base_model(repo: Path, license_id: str, model_license: str) -> None:
    """A base model card with `license_id`, and clf (under `model_license`) fine-tuned from it."""
    outs = track(repo, {"models/base.bin": b"base weights"})
    fields = model_fields("points")
    write_card(repo, "model", "base", "models/base.bin", outs["models/base.bin"], fields)
    set_line(repo, "models/base.card.md", "license: Apache-2.0", f"license: {license_id}")
    set_line(
        repo, MODEL_CARD, "base_model:\n", "base_model:\n  artifact: base\n  relation: finetune\n"
    )
    set_line(repo, MODEL_CARD, "license: Apache-2.0", f"license: {model_license}")


def rule(rule_id: str) -> str:
    return f"[rule {rule_id}]"


def test_noncommercial_dataset_under_a_permissive_model(registry: Path, cli: Cli) -> None:
    set_line(registry, "data/points.card.md", "license: CC-BY-4.0", "license: CC-BY-NC-4.0")
    (finding,) = findings(registry, cli, "GC502")
    assert finding["path"] == MODEL_CARD and finding["field"] == "training_data[0].license"
    assert rule("noncommercial") in str(finding["message"]) and "CC-BY-NC-4.0" in str(
        finding["message"]
    )


def test_noncommercial_is_fine_with_a_recorded_exception(registry: Path, cli: Cli) -> None:
    set_line(registry, "data/points.card.md", "license: CC-BY-4.0", "license: CC-BY-NC-4.0")
    card = registry / MODEL_CARD
    exception = (
        "license_exception:\n  reason: Owner granted a commercial licence in writing "
        "(LEGAL-42).\n  approved_by: Legal"
    )
    card.write_text(
        card.read_text().replace("license: Apache-2.0", f"license: Apache-2.0\n{exception}")
    )
    assert findings(registry, cli, "GC502") == []
    assert cli("check", cwd=registry).code == 0


def test_noncommercial_model_satisfies_the_rule(registry: Path, cli: Cli) -> None:
    set_line(registry, "data/points.card.md", "license: CC-BY-4.0", "license: CC-BY-NC-4.0")
    set_line(registry, MODEL_CARD, "license: Apache-2.0", "license: CC-BY-NC-4.0")
    assert findings(registry, cli, "GC502") == []


def test_declared_license_of_an_external_dataset_counts_too(registry: Path, cli: Cli) -> None:
    set_line(
        registry,
        MODEL_CARD,
        "- artifact: points\n  license: CC-BY-4.0",
        f"- uri: https://example.org/faces\n  sha256: {'a' * 64}\n  license: cc-by-nc-4.0",
    )
    (finding,) = findings(registry, cli, "GC502")
    assert "https://example.org/faces" in str(finding["message"])


def test_or_expression_lets_the_licensee_choose(registry: Path, cli: Cli) -> None:
    set_line(registry, "data/points.card.md", "license: CC-BY-4.0", "license: MIT OR CC-BY-NC-4.0")
    assert findings(registry, cli, "GC502") == []


def test_share_alike_base_model(registry: Path, cli: Cli) -> None:
    with_base_model(registry, "CC-BY-SA-4.0", "MIT")
    (finding,) = findings(registry, cli, "GC502")
    assert rule("share-alike") in str(finding["message"]) and finding["field"] == "base_model"


def test_gpl_base_model_under_an_mit_fine_tune(registry: Path, cli: Cli) -> None:
    with_base_model(registry, "GPL-3.0-only", "MIT")
    (finding,) = findings(registry, cli, "GC502")
    assert rule("copyleft") in str(finding["message"])
    set_line(registry, MODEL_CARD, "license: MIT", "license: GPL-3.0-or-later")
    assert findings(registry, cli, "GC502") == []


def test_no_derivatives_base_model(registry: Path, cli: Cli) -> None:
    with_base_model(registry, "CC-BY-ND-4.0", "CC-BY-ND-4.0")
    (finding,) = findings(registry, cli, "GC502")
    assert rule("no-derivatives") in str(finding["message"])


def test_use_restrictions_pass_on(registry: Path, cli: Cli) -> None:
    with_base_model(registry, "llama2", "MIT")
    (finding,) = findings(registry, cli, "GC502")
    assert rule("use-restrictions") in str(finding["message"])
    set_line(registry, MODEL_CARD, "license: MIT", "license: llama2")
    assert findings(registry, cli, "GC502") == []


RULE_TESTS = {
    "noncommercial": test_noncommercial_dataset_under_a_permissive_model,
    "share-alike": test_share_alike_base_model,
    "copyleft": test_gpl_base_model_under_an_mit_fine_tune,
    "no-derivatives": test_no_derivatives_base_model,
    "use-restrictions": test_use_restrictions_pass_on,
}


def test_every_rule_in_the_table_has_a_test() -> None:
    assert {item.id for item in rules()} == set(RULE_TESTS), (
        "add a test (and an entry in RULE_TESTS) for each rule"
    )


def test_hugging_face_ids_are_accepted(registry: Path, cli: Cli) -> None:
    set_line(registry, MODEL_CARD, "license: Apache-2.0", "license: apache-2.0")
    assert cli("check", cwd=registry).code == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Apache 2", "unknown license id"),
        ("MIT AND", "not an SPDX license expression"),
        ("LicenseRef-acme", "license_link"),
    ],
)
def test_invalid_license_expressions(registry: Path, cli: Cli, value: str, message: str) -> None:
    set_line(registry, MODEL_CARD, "license: Apache-2.0", f"license: '{value}'")
    (finding,) = findings(registry, cli, "GC501")
    assert message in str(finding["message"]) and finding["field"] == "license"


def test_license_ref_with_a_link_is_fine(registry: Path, cli: Cli) -> None:
    set_line(
        registry,
        MODEL_CARD,
        "license: Apache-2.0",
        "license: LicenseRef-acme-research\nlicense_link: https://example.org/acme-license",
    )
    assert findings(registry, cli, "GC501") == []


def test_redistribution_must_be_allowed_upstream(registry: Path, cli: Cli) -> None:
    card = registry / "data/points.card.md"
    card.write_text(
        card.read_text().replace(
            "redistribution:\n  allowed: true", "redistribution:\n  allowed: false", 1
        )
    )
    (finding,) = findings(registry, cli, "GC503")
    assert finding["path"] == MODEL_CARD and "may not be redistributed" in str(finding["message"])
