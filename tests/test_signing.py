"""Signed releases with real `ssh-keygen` keys, and `git ckpt verify`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repos import commit_all, git
from tests.conftest import MODEL, CliResult

Cli = Callable[..., CliResult]


def make_key(directory: Path, name: str) -> Path:
    key = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key


def allow(repo: Path, principal: str, key: Path) -> None:
    signers = repo / ".gitckpt/allowed_signers"
    signers.parent.mkdir(exist_ok=True)
    with signers.open("a") as handle:
        handle.write(f"{principal} {key.with_suffix('.pub').read_text().strip()}\n")


@pytest.fixture
def signed_repo(registry: Path, tmp_path: Path) -> Path:
    """The registry with Ada's key configured for signing and listed in allowed_signers."""
    key = make_key(tmp_path, "ada")
    git(registry, "config", "user.signingkey", str(key))
    allow(registry, "ada@example.org", key)
    commit_all(registry, "allowed signers")
    return registry


def verify(repo: Path, cli: Cli, *args: str) -> dict[str, object]:
    return json.loads(cli("verify", *args, "--json", cwd=repo).out)  # type: ignore[no-any-return]


def test_signed_release_verifies(signed_repo: Path, cli: Cli) -> None:
    assert cli("tag", "clf", "--sign", "--allow-unpushed", cwd=signed_repo).code == 0
    assert "-----BEGIN SSH SIGNATURE-----" in git(signed_repo, "cat-file", "-p", "clf@v0.1.0")
    result = cli("verify", "clf@v0.1.0", "--data", cwd=signed_repo)
    assert result.code == 0, result.out
    assert (
        "signed by ada@example.org" in result.out
        and "record matches" in result.out
        and "bytes of models/clf.bin match" in result.out
    )
    assert (
        json.loads(cli("show", "clf", "--json", cwd=signed_repo).out)["releases"][0]["signed"]
        is True
    )


def test_unsigned_tag_is_rejected(signed_repo: Path, cli: Cli) -> None:
    assert cli("tag", "clf", "--allow-unpushed", cwd=signed_repo).code == 0
    result = cli("verify", "clf@v0.1.0", cwd=signed_repo)
    assert result.code == 1 and "clf@v0.1.0 is not signed" in result.out


def test_signature_by_a_key_not_in_allowed_signers_is_rejected(
    signed_repo: Path, cli: Cli, tmp_path: Path
) -> None:
    mallory = make_key(tmp_path, "mallory")
    git(
        signed_repo,
        "-c",
        "gpg.format=ssh",
        "-c",
        f"user.signingkey={mallory}",
        "tag",
        "-s",
        "-m",
        "release",
        "clf@v0.1.0",
    )
    report = verify(signed_repo, cli, "clf@v0.1.0")
    assert report["ok"] is False
    assert any(
        "valid signature" in problem or "no gitckpt record" in problem
        for problem in report["problems"]
    )  # type: ignore[union-attr]


def test_signature_by_an_unlisted_key_over_a_real_record_is_rejected(
    signed_repo: Path, cli: Cli, tmp_path: Path
) -> None:
    assert cli("tag", "clf", "--allow-unpushed", cwd=signed_repo).code == 0
    message = git(signed_repo, "for-each-ref", "--format=%(contents)", "refs/tags/clf@v0.1.0")
    git(signed_repo, "tag", "-d", "clf@v0.1.0")
    mallory = make_key(tmp_path, "mallory")
    git(
        signed_repo,
        "-c",
        "gpg.format=ssh",
        "-c",
        f"user.signingkey={mallory}",
        "tag",
        "-s",
        "-m",
        message,
        "clf@v0.1.0",
    )
    report = verify(signed_repo, cli, "clf@v0.1.0")
    assert report["ok"] is False
    assert any("does not carry a valid signature" in problem for problem in report["problems"])  # type: ignore[union-attr]


def test_a_record_that_disagrees_with_the_tree_is_rejected(signed_repo: Path, cli: Cli) -> None:
    assert cli("tag", "clf", "--sign", "--allow-unpushed", cwd=signed_repo).code == 0
    message = git(
        signed_repo,
        "for-each-ref",
        "--format=%(contents:subject)%0a%0a%(contents:body)",
        "refs/tags/clf@v0.1.0",
    )
    recorded = json.loads(cli("show", "clf@v0.1.0", "--json", cwd=signed_repo).out)["bytes"][
        "sha256"
    ]
    forged = message.replace(recorded, "f" * 64)
    git(signed_repo, "tag", "-d", "clf@v0.1.0")
    git(signed_repo, "-c", "gpg.format=ssh", "tag", "-s", "-m", forged, "clf@v0.1.0")
    report = verify(signed_repo, cli, "clf@v0.1.0")
    assert report["ok"] is False
    assert any(
        "record disagrees with the tagged commit: card sha256" in problem
        for problem in report["problems"]
    )  # type: ignore[union-attr]


def test_modified_bytes_fail_verify_data(signed_repo: Path, cli: Cli) -> None:
    assert cli("tag", "clf", "--sign", "--allow-unpushed", cwd=signed_repo).code == 0
    (signed_repo / MODEL).write_bytes(b"tampered weights")
    result = cli("verify", "clf@v0.1.0", "--data", cwd=signed_repo)
    assert result.code == 1 and "bytes of models/clf.bin have sha256" in result.out


def test_sign_without_a_key_is_refused_and_creates_nothing(registry: Path, cli: Cli) -> None:
    git(registry, "config", "user.signingkey", "")
    result = cli("tag", "clf", "--sign", "--allow-unpushed", cwd=registry)
    assert result.code == 1 and "git config user.signingkey" in result.err
    assert git(registry, "tag", "--list").strip() == ""


def test_policy_limits_who_may_release_what(signed_repo: Path, cli: Cli) -> None:
    policy = """\
schema_version: 1
release:
  require_signature: true
  signers:
    - principal: ada@example.org
      artifacts: ['points']
      stages: [dev]
"""
    (signed_repo / ".gitckpt/config.yaml").write_text(policy)
    commit_all(signed_repo, "policy")
    unsigned = cli("tag", "points", "--allow-unpushed", cwd=signed_repo)
    assert unsigned.code == 1 and "requires signed tags" in unsigned.err
    denied = cli("tag", "clf", "--sign", "--allow-unpushed", cwd=signed_repo)
    assert denied.code == 1 and "may not sign clf" in denied.err
    assert cli("tag", "points", "--sign", "--allow-unpushed", cwd=signed_repo).code == 0
    assert cli("promote", "points@v0.1.0", "dev", "--sign", cwd=signed_repo).code == 0
    assert cli("promote", "points@v0.1.0", "staging", "--sign", cwd=signed_repo).code == 1
    assert verify(signed_repo, cli, "points@v0.1.0")["ok"] is True
    assert git(signed_repo, "tag", "--list").split() == ["points#dev#1", "points@v0.1.0"]
