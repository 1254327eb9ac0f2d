"""`git ckpt card new`: a scaffold pre-filled from the pointer that fails `check` until
completed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from gitckpt.card import PLACEHOLDER_PATTERN, parse_card
from testing.repos import commit_all, git, track
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
WEIGHTS = bytes(range(256)) * 100


def scaffold(repo: Path, cli: Cli, *args: str) -> CliResult:
    track(repo, {"models/ResNet50_final.safetensors": WEIGHTS})
    commit_all(repo, "track weights")
    return cli("card", "new", "models/ResNet50_final.safetensors", *args, cwd=repo)


def test_scaffold_is_prefilled_from_the_pointer_and_the_environment(repo: Path, cli: Cli) -> None:
    result = scaffold(repo, cli, "--kind", "model")
    assert result.code == 0, result.err
    card_path = repo / "models/resnet50-final.card.md"
    card = parse_card(card_path.read_text(), "card")
    checkpoint = card.data["checkpoint"]
    assert card.data["name"] == "resnet50-final"
    assert card.data["kind"] == "model"
    assert checkpoint == {
        "path": "ResNet50_final.safetensors",
        "md5": hashlib.md5(WEIGHTS).hexdigest(),
        "sha256": hashlib.sha256(WEIGHTS).hexdigest(),
        "size": len(WEIGHTS),
        "format": "safetensors",
    }
    assert card.data["environment"]["code_commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert card.data["environment"]["python"].count(".") == 2
    assert card.data["snapshot_time"].endswith("Z")


def test_fresh_scaffold_fails_check_with_placeholders_only(repo: Path, cli: Cli) -> None:
    scaffold(repo, cli, "--kind", "model")
    result = cli("check", "--json", cwd=repo)
    assert result.code == 1
    checks = {finding["check"] for finding in json.loads(result.out)["findings"]}
    assert checks == {"GC104"}


def test_every_required_field_is_present_in_each_scaffold(repo: Path, cli: Cli) -> None:
    from gitckpt.schema import CARD_SCHEMAS, load_schema

    track(repo, {"a/model.pt": b"m", "a/data.csv": b"d", "a/log.jsonl": b"l"})
    for kind, data in (("model", "a/model.pt"), ("dataset", "a/data.csv"), ("eval", "a/log.jsonl")):
        assert cli("card", "new", data, "--kind", kind, "--name", f"x-{kind}", cwd=repo).code == 0
        card = parse_card((repo / f"a/x-{kind}.card.md").read_text(), "card")
        assert set(load_schema(CARD_SCHEMAS[kind])["required"]) <= set(card.data)
        assert PLACEHOLDER_PATTERN.search((repo / f"a/x-{kind}.card.md").read_text())


def test_name_option_and_card_placement(repo: Path, cli: Cli) -> None:
    result = scaffold(repo, cli, "--kind", "model", "--name", "projx-resnet50", "--json")
    assert json.loads(result.out) == {
        "card": "models/projx-resnet50.card.md",
        "name": "projx-resnet50",
    }


def test_refuses_to_overwrite_an_existing_card(repo: Path, cli: Cli) -> None:
    scaffold(repo, cli, "--kind", "model")
    card = repo / "models/resnet50-final.card.md"
    card.write_text("my careful edits\n")
    result = cli("card", "new", "models/ResNet50_final.safetensors", "--kind", "model", cwd=repo)
    assert result.code == 1
    assert "already exists" in result.err
    assert card.read_text() == "my careful edits\n"


def test_data_without_a_pointer(repo: Path, cli: Cli) -> None:
    (repo / "weights.pt").write_bytes(b"untracked")
    result = cli("card", "new", "weights.pt", "--kind", "model", cwd=repo)
    assert result.code == 1
    assert "no DVC pointer weights.pt.dvc" in result.err and "dvc add weights.pt" in result.err
    assert not list(repo.glob("*.card.md"))


def test_invalid_name_is_a_usage_error(repo: Path, cli: Cli) -> None:
    result = scaffold(repo, cli, "--kind", "model", "--name", "Not Valid")
    assert result.code == 2
    assert "not a valid artifact name" in result.err


def test_data_changed_since_dvc_add(repo: Path, cli: Cli) -> None:
    track(repo, {"m.bin": b"original"})
    (repo / "m.bin").write_bytes(b"modified")
    result = cli("card", "new", "m.bin", "--kind", "model", cwd=repo)
    assert result.code == 1
    assert "has changed since DVC recorded it" in result.err
    assert not (repo / "m.card.md").exists()


def test_the_pointer_path_is_accepted_too(repo: Path, cli: Cli) -> None:
    track(repo, {"m.bin": b"weights"})
    assert cli("card", "new", "m.bin.dvc", "--kind", "model", cwd=repo).code == 0
    assert (repo / "m.card.md").exists()
