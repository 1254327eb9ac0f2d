"""push / pull / check --remote / status against a local-directory remote and a real
S3-compatible server (moto in server mode) on loopback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repos import dvc
from tests.conftest import BUCKET, DATASET, EVAL_LOG, MODEL, CliResult

Cli = Callable[..., CliResult]


def configure_remote(repo: Path, kind: str, tmp_path: Path, endpoint: str | None) -> str:
    if kind == "local":
        dvc(repo, "remote", "add", "-d", "storage", str(tmp_path / "dvc-remote"))
    else:
        dvc(repo, "remote", "add", "-d", "storage", f"s3://{BUCKET}/{tmp_path.name}")
        dvc(repo, "remote", "modify", "storage", "endpointurl", str(endpoint))
    return "storage"


def errors(result: CliResult) -> list[tuple[str, str]]:
    return sorted((f["check"], f["path"]) for f in json.loads(result.out)["findings"])


@pytest.fixture(params=["local", "s3"])
def remote_repo(request: pytest.FixtureRequest, registry: Path, tmp_path: Path) -> Path:
    endpoint = None
    if request.param == "s3":
        request.getfixturevalue("aws_credentials")
        endpoint = request.getfixturevalue("s3_endpoint")
    configure_remote(registry, request.param, tmp_path, endpoint)
    return registry


def test_push_delete_pull_and_verify(remote_repo: Path, cli: Cli) -> None:
    repo = remote_repo
    before = cli("check", "--remote", "--json", cwd=repo)
    assert before.code == 1
    assert errors(before) == [
        ("GC209", "data/points.card.md"),
        ("GC209", "evals/clf-eval.card.md"),
        ("GC209", "models/clf.card.md"),
    ]
    assert {row["remote_state"] for row in json.loads(cli("status", "--json", cwd=repo).out)} == {
        "not pushed"
    }

    pushed = cli("push", "--json", cwd=repo)
    assert pushed.code == 0, pushed.err
    assert json.loads(pushed.out)["pushed"] == 3
    assert cli("check", "--remote", cwd=repo).code == 0
    assert {row["remote_state"] for row in json.loads(cli("status", "--json", cwd=repo).out)} == {
        "in remote"
    }

    originals = {path: (repo / path).read_bytes() for path in (DATASET, MODEL, EVAL_LOG)}
    shutil.rmtree(repo / ".dvc/cache")
    for path in originals:
        (repo / path).unlink()
    assert {
        row["data_state"]
        for row in json.loads(cli("status", "--no-remote", "--json", cwd=repo).out)
    } == {"missing"}

    pulled = cli("pull", "--json", cwd=repo)
    assert pulled.code == 0, pulled.err
    assert {path: (repo / path).read_bytes() for path in originals} == originals
    assert cli("check", "--data", "--no-cache", "--remote", cwd=repo).code == 0


def test_push_and_pull_by_name(remote_repo: Path, cli: Cli) -> None:
    repo = remote_repo
    assert cli("push", "clf", cwd=repo).code == 0
    assert errors(cli("check", "--remote", "--json", cwd=repo)) == [
        ("GC209", "data/points.card.md"),
        ("GC209", "evals/clf-eval.card.md"),
    ]
    (repo / MODEL).unlink()
    shutil.rmtree(repo / ".dvc/cache")
    assert cli("pull", "clf", cwd=repo).code == 0
    assert (repo / MODEL).exists()


def test_unknown_artifact_name_is_a_usage_error(registry: Path, cli: Cli) -> None:
    result = cli("push", "nope", cwd=registry)
    assert result.code == 2
    assert "no artifact named 'nope'" in result.err and "clf" in result.err


def test_check_remote_without_a_remote_says_how_to_add_one(registry: Path, cli: Cli) -> None:
    result = cli("check", "--remote", cwd=registry)
    assert result.code == 1
    assert "dvc remote add -d" in result.err


def test_add_with_remote_pushes(repo: Path, cli: Cli, tmp_path: Path) -> None:
    configure_remote(repo, "local", tmp_path, None)
    (repo / "w.bin").write_bytes(b"weights to share")
    assert cli("add", "w.bin", "--kind", "model", "--remote", "storage", cwd=repo).code == 0
    assert any((tmp_path / "dvc-remote").rglob("*")), "the bytes are in the remote"
