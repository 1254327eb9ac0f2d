"""Reviewed downgrades (issue 19, point 4; GC506): `diff` and `ci` report an access level lowered
toward a more open one as an error unless the reviewed commit is SSH-signed by a principal the
trusted policy lists in `lowered_by` of the level left. Real git and real `ssh-keygen` keys; each
test is an attack on a pull request branch, with the policy and allowed signers on main."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from testing.repos import commit_all, git
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"
EVAL_CARD = "evals/clf-eval.card.md"
POLICY = """\
schema_version: 1
access:
  levels:
    public: {remotes: [hub], lowered_by: []}
    internal: {remotes: [hub], lowered_by: [lead@example.org]}
    restricted: {remotes: [hub], lowered_by: [privacy@example.org]}
"""


def make_key(directory: Path, name: str) -> Path:
    key = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key


def signer_line(principal: str, key: Path) -> str:
    return f"{principal} {key.with_suffix('.pub').read_text().strip()}\n"


def change_level(repo: Path, card: str, old: str, new: str) -> None:
    path = repo / card
    text = path.read_text()
    assert f"access:\n  level: {old}\n" in text
    path.write_text(text.replace(f"access:\n  level: {old}\n", f"access:\n  level: {new}\n", 1))


def commit(repo: Path, message: str, key: Path | None = None) -> None:
    """Commit everything (an empty commit when nothing changed: an approval), SSH-signed with
    `key` when one is given."""
    git(repo, "add", "-A")
    signing = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"] if key else []
    sign = ["-S"] if key else []
    git(repo, *signing, "commit", "-q", "--allow-empty", *sign, "-m", message)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    return {name: make_key(tmp_path, name) for name in ("privacy", "lead", "mallory", "stranger")}


@pytest.fixture
def pr(registry: Path, keys: dict[str, Path]) -> Path:
    """main: the policy, allowed signers for privacy, lead and mallory (not stranger), and the
    model `clf` restricted; then a pull request branch `pr` checked out."""
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(POLICY)
    (registry / ".gitckpt/allowed_signers").write_text(
        "".join(
            signer_line(f"{name}@example.org", keys[name])
            for name in ("privacy", "lead", "mallory")
        )
    )
    change_level(registry, MODEL_CARD, "internal", "restricted")
    commit_all(registry, "access policy; clf is restricted")
    git(registry, "checkout", "-q", "-b", "pr")
    return registry


def lowered(cli: Cli, repo: Path, *revisions: str) -> list[dict[str, Any]]:
    """The GC506 changes `diff` reports."""
    result = cli("diff", *revisions, "--format", "json", cwd=repo)
    assert result.code == 0, result.err
    return [
        {"card": card["new_path"], **change}
        for card in json.loads(result.out)
        for change in card["changes"]
        if change["kind"] == "access-lowered"
    ]


def test_an_unsigned_downgrade_fails_ci(pr: Path, cli: Cli) -> None:
    assert cli("ci", cwd=pr).code == 0  # the branch as it starts passes
    change_level(pr, MODEL_CARD, "restricted", "public")
    commit(pr, "open clf up")
    result = cli("ci", cwd=pr)
    assert result.code == 1
    assert "GC506 access.level lowered restricted → public" in result.out
    assert "is not signed" in result.out
    assert "git commit --allow-empty -S -m 'Approve lowering clf'" in result.out
    [change] = lowered(cli, pr, "main", "HEAD")
    assert change["card"] == MODEL_CARD and change["severity"] == "error"
    assert (change["old"], change["new"]) == ("restricted", "public")


def test_a_downgrade_signed_by_a_key_not_in_lowered_by_fails(
    pr: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    change_level(pr, MODEL_CARD, "restricted", "internal")
    commit(pr, "clf to internal", keys["lead"])  # lead may lower internal, not restricted
    result = cli("ci", cwd=pr)
    assert result.code == 1
    assert "is signed by lead@example.org, who is not in lowered_by of restricted" in result.out
    commit(pr, "approve", keys["stranger"])  # a key the allowed signers do not list at all
    result = cli("ci", cwd=pr)
    assert result.code == 1
    assert "signed by a key the trusted allowed signers do not list" in result.out


def test_a_downgrade_signed_by_an_allowed_principal_passes(
    pr: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    change_level(pr, MODEL_CARD, "restricted", "public")
    commit(pr, "clf is public now", keys["privacy"])
    result = cli("ci", cwd=pr)
    assert result.code == 0, result.out
    [change] = lowered(cli, pr, "main", "HEAD")
    assert change["severity"] == "info"
    assert "authorised" in change["summary"] and "privacy@example.org" in change["summary"]
    # the work tree, as committed and signed at HEAD, is authorised too
    assert lowered(cli, pr, "main")[0]["severity"] == "info"


def test_an_approval_commit_on_top_authorises_and_a_later_commit_needs_a_new_one(
    pr: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    change_level(pr, MODEL_CARD, "restricted", "internal")
    commit(pr, "clf to internal")
    commit(pr, "Approve lowering clf", keys["privacy"])
    assert cli("ci", cwd=pr).code == 0
    change_level(pr, MODEL_CARD, "internal", "public")  # after the approval
    assert cli("ci", cwd=pr).code == 1  # uncommitted: the work tree differs from HEAD
    commit(pr, "and public")
    result = cli("ci", cwd=pr)
    assert result.code == 1 and "is not signed" in result.out


def test_a_pull_request_that_authorises_itself_still_fails(
    pr: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    """Mallory adds herself to lowered_by and her key to the allowed signers, in the same pull
    request that lowers clf, and signs it: CI reads both from main."""
    config = pr / ".gitckpt/config.yaml"
    config.write_text(config.read_text().replace("[privacy@example.org]", "[mallory@example.org]"))
    signers = pr / ".gitckpt/allowed_signers"
    signers.write_text(signers.read_text() + signer_line("privacy@example.org", keys["mallory"]))
    change_level(pr, MODEL_CARD, "restricted", "public")
    commit(pr, "lower clf", keys["mallory"])
    result = cli("ci", cwd=pr)
    assert result.code == 1
    assert "GC901" in result.out  # the policy change itself
    assert "is signed by mallory@example.org, who is not in lowered_by of restricted" in (
        result.out
    )


def test_renaming_or_moving_the_card_does_not_evade_review(pr: Path, cli: Cli) -> None:
    git(pr, "mv", MODEL_CARD, "models/renamed.card.md")
    path = pr / "models/renamed.card.md"
    path.write_text(path.read_text().replace("name: clf\n", "name: clf-open\n", 1))
    change_level(pr, "models/renamed.card.md", "restricted", "public")
    commit(pr, "a new public model, it says")
    [change] = lowered(cli, pr, "main", "HEAD")
    assert change["card"] == "models/renamed.card.md" and change["severity"] == "error"
    assert cli("ci", cwd=pr).code == 1


def test_an_open_card_pointed_at_restricted_bytes_is_a_downgrade(pr: Path, cli: Cli) -> None:
    """The eval card stays internal but now names the restricted model's bytes."""
    path = pr / EVAL_CARD
    text = path.read_text()
    path.write_text(text.replace("path: clf-eval.jsonl", "path: ../models/clf.bin", 1))
    commit(pr, "point the eval log at the model")
    [change] = lowered(cli, pr, "main", "HEAD")
    assert change["card"] == EVAL_CARD
    assert (change["old"], change["new"], change["severity"]) == ("restricted", "internal", "error")


def test_raising_a_level_passes_freely(pr: Path, cli: Cli) -> None:
    change_level(pr, EVAL_CARD, "internal", "restricted")
    commit(pr, "the eval log is restricted")
    assert lowered(cli, pr, "main", "HEAD") == []
    result = cli("ci", cwd=pr)
    assert result.code == 0, result.out
    assert "GC506" not in result.out


def test_deleting_the_closed_card_of_shared_bytes_lowers_them_but_an_old_conflict_does_not(
    pr: Path, cli: Cli
) -> None:
    """On main the eval card (internal) already names the restricted model's bytes: a pull
    request that does not touch either is not blamed for it; one that deletes the model's card
    leaves the bytes internal, and that is a lowering."""
    git(pr, "checkout", "-q", "main")
    path = pr / EVAL_CARD
    path.write_text(path.read_text().replace("path: clf-eval.jsonl", "path: ../models/clf.bin", 1))
    commit(pr, "main: the eval card names the model's bytes")
    git(pr, "checkout", "-q", "-B", "pr")
    commit(pr, "an unrelated change")
    assert lowered(cli, pr, "main", "HEAD") == []
    git(pr, "rm", "-q", MODEL_CARD)
    commit(pr, "drop the model's card")
    [change] = lowered(cli, pr, "main", "HEAD")
    assert change["card"] == EVAL_CARD
    assert (change["old"], change["new"], change["severity"]) == ("restricted", "internal", "error")


def test_gc506_is_mandatory(pr: Path, cli: Cli) -> None:
    rows = {row["id"]: row for row in json.loads(cli("checks", "--json", cwd=pr).out)}
    assert rows["GC506"]["mandatory"] is True
    config = pr / ".gitckpt/config.yaml"
    config.write_text(config.read_text() + "checks:\n  GC506: off\n")
    result = cli("check", cwd=pr)
    assert result.code == 1 and "GC506 is mandatory" in result.err
