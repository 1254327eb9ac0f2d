from __future__ import annotations

import hashlib
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitckpt.cli import main
from testing.cards import dataset_fields, eval_fields, model_fields, write_card
from testing.repos import IDENTITY, commit_all, make_repo, track


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A fixed git identity and no inherited GIT_* variables, whatever machine runs the tests."""
    for key in list(os.environ):
        if key.startswith("GIT_") and key not in ("GIT_EXEC_PATH",):
            monkeypatch.delenv(key)
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliResult]:
    """Run `git ckpt ARGS` in-process in directory `cwd`."""

    def run(*args: str, cwd: Path) -> CliResult:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def _empty_repo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture
def repo(tmp_path: Path, _empty_repo_template: Path) -> Path:
    """A git repository with DVC initialised and nothing else (a copy: `dvc init` is slow)."""
    return Path(shutil.copytree(_empty_repo_template, tmp_path / "repo", symlinks=True))


DATASET = "data/points.csv"
MODEL = "models/clf.bin"
EVAL_LOG = "evals/clf-eval.jsonl"
DATASET_BYTES = b"x,y,label\n" + b"".join(f"{i},{i * 2},{i % 2}\n".encode() for i in range(200))
MODEL_BYTES = bytes(range(256)) * 40
EVAL_LOG_BYTES = b'{"id": 1, "correct": true}\n' * 50


@pytest.fixture(scope="session")
def _registry_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("template") / "registry")
    outs = track(repo, {DATASET: DATASET_BYTES, MODEL: MODEL_BYTES, EVAL_LOG: EVAL_LOG_BYTES})
    write_card(repo, "dataset", "points", DATASET, outs[DATASET], dataset_fields())
    write_card(
        repo, "model", "clf", MODEL, outs[MODEL], model_fields("points", eval_log="clf-eval")
    )
    write_card(
        repo,
        "eval",
        "clf-eval",
        EVAL_LOG,
        outs[EVAL_LOG],
        eval_fields("clf", "points", hashlib.sha256(MODEL_BYTES).hexdigest()),
    )
    commit_all(repo, "add dataset, model and eval")
    return repo


@pytest.fixture
def registry(tmp_path: Path, _registry_template: Path) -> Path:
    """A committed repository holding a dataset, a model trained on it and its evaluation log,
    each tracked by DVC with a complete card."""
    return Path(shutil.copytree(_registry_template, tmp_path / "repo", symlinks=True))


BUCKET = "gitckpt-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 at a free port, with one bucket; stopped after the tests."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
