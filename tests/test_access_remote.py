"""Access levels where the bytes are (issue 19): push routes each artifact to the bucket its level
allows, `check --remote` finds restricted bytes copied into the public bucket (GC505), `tag`
releases only bytes on an allowed remote, and an embargo keeps an artifact off a more open
level's bucket until its date. Real git, real DVC, and two real S3-compatible buckets (moto's
server on loopback): `public` and `restricted`."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitckpt.pre_push import unpushed_releases
from gitckpt.repo import Repository, find_repository
from gitckpt.transfer import PushRefused, push
from testing.repos import commit_all, dvc, git
from tests.conftest import DATASET, EVAL_LOG, MODEL, CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"
DATASET_CARD = "data/points.card.md"
EVAL_CARD = "evals/clf-eval.card.md"
BUCKETS = ("public", "restricted")
POLICY = """\
schema_version: 1
access:
  levels:
    public: {remotes: [public]}
    internal: {remotes: [public, restricted]}
    restricted: {remotes: [restricted]}
"""
EMBARGO_END = "2031-01-01"


def s3(endpoint: str) -> Any:
    """A boto3 S3 client of the moto server (boto3 is untyped)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )


@pytest.fixture(scope="session")
def buckets(s3_endpoint: str) -> str:
    """The `public` and `restricted` buckets on the session's moto server; its endpoint."""
    client = s3(s3_endpoint)
    for bucket in BUCKETS:
        client.create_bucket(Bucket=bucket)
    return s3_endpoint


def stored_md5s(endpoint: str, bucket: str, prefix: str) -> set[str]:
    """The md5 of every object DVC stored under `prefix` in `bucket` (files/md5/ab/cdef…)."""
    listing = s3(endpoint).list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/")
    return {"".join(item["Key"].split("/")[-2:]) for item in listing.get("Contents", [])}


def delete_all(endpoint: str, bucket: str, prefix: str) -> None:
    """What the storage's own tools do to clean up a leak (gitckpt never deletes from a remote)."""
    client = s3(endpoint)
    listing = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/")
    for item in listing.get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])


def set_access(repo: Path, card: str, level: str, until: str | None = None) -> None:
    path = repo / card
    text = path.read_text()
    old = "access:\n  level: internal\n"
    assert old in text
    new = f"access:\n  level: {level}\n" + (f"  until: '{until}'\n" if until else "")
    path.write_text(text.replace(old, new, 1))


def md5_of(repo: Path, data: str) -> str:
    pointer = (repo / f"{data}.dvc").read_text()
    return pointer.split("md5: ", 1)[1].split()[0]


@pytest.fixture
def routed(registry: Path, buckets: str, aws_credentials: None, tmp_path: Path) -> str:
    """The registry with two S3 remotes, `public` (the default) and `restricted`, each its own
    bucket; the policy above committed on main; `points` public, `clf` restricted and
    `clf-eval` internal, embargoed until 2031-01-01. Returns the prefix both buckets use."""
    prefix = tmp_path.name
    for bucket in BUCKETS:
        dvc(
            registry,
            "remote",
            "add",
            *(["-d"] if bucket == "public" else []),
            bucket,
            f"s3://{bucket}/{prefix}",
        )
        dvc(registry, "remote", "modify", bucket, "endpointurl", buckets)
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(POLICY)
    set_access(registry, MODEL_CARD, "restricted")
    set_access(registry, DATASET_CARD, "public")
    set_access(registry, EVAL_CARD, "internal", EMBARGO_END)
    commit_all(registry, "access policy: a public and a restricted bucket")
    return prefix


def findings(result: CliResult) -> list[dict[str, object]]:
    return list(json.loads(result.out)["findings"])


def test_push_routes_each_artifact_to_its_own_bucket(
    registry: Path, routed: str, buckets: str, cli: Cli
) -> None:
    model, dataset = md5_of(registry, MODEL), md5_of(registry, DATASET)
    refused = cli("push", "clf", cwd=registry)  # the default remote is the public bucket
    assert refused.code == 1
    assert "may go only to remote(s) restricted, not to remote 'public'" in refused.err
    assert stored_md5s(buckets, "public", routed) == set()

    assert cli("push", "points", cwd=registry).code == 0
    assert cli("push", "clf", "--remote", "restricted", cwd=registry).code == 0
    assert cli("push", "clf-eval", "--remote", "restricted", cwd=registry).code == 0
    assert stored_md5s(buckets, "public", routed) == {dataset}
    assert stored_md5s(buckets, "restricted", routed) == {model, md5_of(registry, EVAL_LOG)}

    # each artifact is on a remote its level allows, and on none it forbids
    checked = cli("check", "--remote", "--json", cwd=registry)
    assert checked.code == 0, checked.out


def test_restricted_bytes_forced_into_the_public_bucket_are_found_by_check_remote(
    registry: Path, routed: str, buckets: str, cli: Cli
) -> None:
    assert cli("push", "points", "clf-eval", "--remote", "restricted", cwd=registry).code == 1
    assert cli("push", "clf", "clf-eval", "--remote", "restricted", cwd=registry).code == 0
    assert cli("push", "points", cwd=registry).code == 0
    assert cli("check", "--remote", cwd=registry).code == 0
    # someone bypasses gitckpt: DVC itself pushes the restricted checkpoint to the public bucket
    dvc(registry, "push", "-r", "public", f"{MODEL}.dvc")
    model = md5_of(registry, MODEL)
    assert model in stored_md5s(buckets, "public", routed)

    result = cli("check", "--remote", "--json", cwd=registry)
    assert result.code == 1
    (finding,) = findings(result)
    assert (finding["check"], finding["path"], finding["field"], finding["severity"]) == (
        "GC505",
        MODEL_CARD,
        "access.level",
        "error",
    )
    card_line = (registry / MODEL_CARD).read_text().split("\n")[int(str(finding["line"])) - 1]
    assert card_line == "  level: restricted"
    assert finding["message"] == (
        f"{MODEL} (artifact 'clf', md5 {model}) is on remote 'public', which its level "
        "restricted does not allow; allowed remote(s): restricted"
    )
    human = cli("check", "--remote", cwd=registry)
    assert human.code == 1
    assert "GC505" in human.out + human.err and f"{MODEL_CARD}:" in human.out + human.err


def test_tag_releases_only_bytes_on_an_allowed_remote_and_on_no_forbidden_one(
    registry: Path, routed: str, buckets: str, cli: Cli
) -> None:
    nowhere = cli("tag", "clf", cwd=registry)
    assert nowhere.code == 1
    assert "no remote its level restricted allows (restricted) holds them" in nowhere.err
    assert "git ckpt push clf --remote restricted" in nowhere.err

    dvc(registry, "push", "-r", "public", f"{MODEL}.dvc")  # only where it must not be
    leaked = cli("tag", "clf", cwd=registry)
    assert leaked.code == 1
    assert "on remote(s) 'public' (all), which its level restricted does not allow (GC505)" in (
        leaked.err
    )
    assert "allowed remote(s): restricted" in leaked.err
    assert "git ckpt push clf --remote restricted" in leaked.err
    assert git(registry, "tag", "--list") == ""

    assert cli("push", "clf", "--remote", "restricted", cwd=registry).code == 0
    still = cli("tag", "clf", cwd=registry)  # on the allowed remote now, and still leaked
    assert still.code == 1 and "it is also on restricted" in still.err
    assert git(registry, "tag", "--list") == ""

    delete_all(buckets, "public", routed)
    released = cli("tag", "clf", "--json", cwd=registry)
    assert released.code == 0, released.err
    record = json.loads(released.out)["record"]
    assert record["data_in_remote"] is True
    assert {"GC209", "GC505"} <= set(record["checks"]["run"])
    assert git(registry, "tag", "--list").split() == ["clf@v0.1.0"]


def test_an_embargo_keeps_bytes_off_a_more_open_levels_bucket_until_its_date(
    registry: Path, routed: str, buckets: str, cli: Cli
) -> None:
    """`clf-eval` is internal, which may use the public bucket, but embargoed until 2031-01-01:
    until then only the restricted bucket (the date is injected, not waited for)."""
    repo = find_repository(registry)
    evaluation = md5_of(registry, EVAL_LOG)
    before = datetime.date(2030, 12, 31)
    with pytest.raises(PushRefused) as refused:
        push(repo, ["clf-eval"], "public", today=before)
    assert f"embargoed until {EMBARGO_END}" in str(refused.value)
    assert "may go only to remote(s) restricted" in str(refused.value)
    assert stored_md5s(buckets, "public", routed) == set()
    assert push(repo, ["clf-eval"], "restricted", today=before).files == 1

    # a branch cannot shorten the embargo: the trusted revision's date still holds
    git(registry, "checkout", "-q", "-b", "early")
    card = registry / EVAL_CARD
    card.write_text(card.read_text().replace(EMBARGO_END, "2020-01-01", 1))
    commit_all(registry, "publish the evaluation now")
    with pytest.raises(PushRefused):
        push(repo, ["clf-eval"], "public", today=before)
    git(registry, "checkout", "-q", "main")

    # today (the machine's clock, before 2031) the command line refuses as well
    assert cli("push", "clf-eval", "--remote", "public", cwd=registry).code == 1
    # once restricted bytes were copied there anyway, check --remote reports the embargo
    dvc(registry, "push", "-r", "public", f"{EVAL_LOG}.dvc")
    checked = findings(cli("check", "--remote", "--json", cwd=registry))
    (finding,) = [item for item in checked if item["check"] == "GC505"]
    assert finding["path"] == EVAL_CARD
    assert f"embargoed until {EMBARGO_END}" in str(finding["message"])
    delete_all(buckets, "public", routed)

    after = datetime.date(2031, 1, 1)
    assert push(repo, ["clf-eval"], "public", today=after).files == 1
    assert stored_md5s(buckets, "public", routed) == {evaluation}


def test_check_remote_never_skips_a_remote_the_policy_names(
    registry: Path, tmp_path: Path, cli: Cli
) -> None:
    """A checkout that does not define the `restricted` remote cannot say the public artifact's
    bytes are not there: check --remote says so instead of reporting a bucket it never saw."""
    dvc(registry, "remote", "add", "-d", "public", str(tmp_path / "public"))
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(POLICY)
    set_access(registry, DATASET_CARD, "public")
    commit_all(registry, "a policy naming a remote this checkout lacks")
    result = cli("check", "--remote", cwd=registry)
    assert result.code == 1
    assert "cannot ask remote(s) restricted, which the trusted policy names" in result.err
    assert "dvc remote add NAME URL" in result.err


def test_pre_push_lets_a_release_through_on_its_levels_remote_and_refuses_a_leak(
    registry: Path, routed: str, buckets: str, cli: Cli
) -> None:
    """The pre-push hook asks where `tag` asks: a restricted release whose bytes are only in the
    restricted bucket (not the default, public one) is pushed; once they leak into the public
    bucket, it is refused."""
    assert cli("push", "clf", "--remote", "restricted", cwd=registry).code == 0
    assert cli("tag", "clf", cwd=registry).code == 0
    repo = Repository(root=registry, git_dir=registry / ".git")
    pushed = [f"refs/tags/clf@v0.1.0 {git(registry, 'rev-parse', 'clf@v0.1.0')} x {'0' * 40}"]
    assert unpushed_releases(repo, pushed) == []

    dvc(registry, "push", "-r", "public", f"{MODEL}.dvc")
    (problem,) = unpushed_releases(repo, pushed)
    assert problem.startswith("clf@v0.1.0: its bytes") and "public" in problem
    assert "GC505" in problem
