"""`git ckpt gc` with real DVC against a local-directory remote and an S3 remote (moto on
loopback): exactly the unretained unreleased versions go, every release and stage survives and
verifies from the remote, and gc refuses whenever it cannot see all that may need a byte."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gitckpt.retention import TrackedVersion, retained_versions
from testing.lifecycle import DAY, Lifecycle, build_lifecycle, commit_days_ago, push_everything
from testing.repos import dvc, git
from tests.conftest import CliResult
from tests.test_remote import configure_remote

Cli = Callable[..., CliResult]


@pytest.fixture(scope="module")
def _lifecycle_template(
    tmp_path_factory: pytest.TempPathFactory, _registry_template: Path
) -> tuple[Path, Lifecycle]:
    repo = Path(shutil.copytree(_registry_template, tmp_path_factory.mktemp("gc") / "repo"))
    return repo, build_lifecycle(repo)


@pytest.fixture(params=["local", "s3"])
def lifecycle(
    request: pytest.FixtureRequest, _lifecycle_template: tuple[Path, Lifecycle], tmp_path: Path
) -> tuple[Path, Lifecycle]:
    """A copy of the lifecycle registry, every version pushed to the DVC remote `storage`."""
    template, versions = _lifecycle_template
    repo = Path(shutil.copytree(template, tmp_path / "repo", symlinks=True))
    endpoint = None
    if request.param == "s3":
        request.getfixturevalue("aws_credentials")
        endpoint = request.getfixturevalue("s3_endpoint")
    push_everything(repo, configure_remote(repo, request.param, tmp_path, endpoint))
    return repo, versions


def plan(cli: Cli, repo: Path, *args: str) -> dict[str, object]:
    result = cli("gc", *args, "--json", cwd=repo)
    assert result.code == 0, result.err
    planned: dict[str, object] = json.loads(result.out)
    return planned


def deleted(planned: dict[str, object], store: str) -> set[str]:
    rows = planned["objects"]
    assert isinstance(rows, list)
    return {row["md5"] for row in rows if row["store"] == store and row["action"] == "delete"}


def test_dry_run_lists_exactly_the_unretained_unreleased_versions(
    lifecycle: tuple[Path, Lifecycle], cli: Cli
) -> None:
    repo, versions = lifecycle
    md5 = versions.md5
    expected = {md5["E3"], md5["E4"]}  # O0 is old's only unreleased version: the last one kept
    planned = plan(cli, repo, "--remote", "storage")
    assert deleted(planned, "cache") == expected
    assert deleted(planned, "storage") == expected
    why = {(row["store"], row["md5"]): row["why"] for row in planned["objects"]}  # type: ignore[attr-defined]
    assert why["cache", md5["E1"]] == "release enc@v0.1.0"
    assert why["cache", md5["E2"]] == "release enc@v0.2.0"
    assert why["cache", md5["O1"]] == "release old@v0.1.0"
    assert "1st newest" in why["cache", md5["O0"]]
    assert why["cache", md5["E7"]] == "branch main"
    assert "retention" in why["cache", md5["E5"]] and "25 days old" in why["cache", md5["E5"]]
    assert "4th newest, 170 days old" in why["cache", md5["E4"]]
    human = cli("gc", "--remote", "storage", cwd=repo)
    assert human.code == 0 and "Dry run: nothing was deleted" in human.out
    assert "4 of" in human.out  # two objects in each of two stores
    again = plan(cli, repo, "--remote", "storage")
    assert deleted(again, "storage") == expected  # a dry run deleted nothing


def test_gc_yes_deletes_them_and_every_release_still_verifies_from_the_remote(
    lifecycle: tuple[Path, Lifecycle], cli: Cli
) -> None:
    repo, versions = lifecycle
    done = cli("gc", "--remote", "storage", "--yes", "--json", cwd=repo)
    assert done.code == 0, done.err
    assert json.loads(done.out)["deleted"] == 4
    left = plan(cli, repo, "--remote", "storage")
    assert deleted(left, "cache") == deleted(left, "storage") == set()
    shutil.rmtree(repo / ".dvc/cache")
    for release in ("enc@v0.1.0", "enc@v0.2.0", "old@v0.1.0"):
        verified = json.loads(cli("verify", release, "--data", "--json", cwd=repo).out)
        assert any("match the recorded sha256 and md5" in line for line in verified["verified"])
        assert verified["problems"] == [f"{release} is not signed"]  # unsigned test releases
    assert cli("pull", cwd=repo).code == 0  # every artifact at the head is still in the remote
    assert versions.md5["E3"] not in {row["md5"] for row in left["objects"]}  # type: ignore[attr-defined]


def test_a_tag_an_attacker_pushed_that_fails_binding_makes_gc_refuse(
    lifecycle: tuple[Path, Lifecycle], cli: Cli
) -> None:
    repo, _ = lifecycle
    message = git(repo, "tag", "-l", "--format=%(contents)", "enc@v0.1.0")
    git(repo, "tag", "-a", "enc@v0.3.0", "-m", message, "HEAD")  # v0.1.0's record, copied
    refused = cli("gc", "--remote", "storage", "--yes", cwd=repo)
    assert refused.code == 1
    assert "enc@v0.3.0 is not bound to its record" in refused.err
    assert "nothing was deleted" in refused.err
    git(repo, "tag", "-d", "enc@v0.3.0")
    assert plan(cli, repo)["delete"] == 2


def test_a_release_whose_record_names_other_bytes_than_its_pointer_is_refused(
    lifecycle: tuple[Path, Lifecycle], cli: Cli
) -> None:
    repo, versions = lifecycle
    message = git(repo, "tag", "-l", "--format=%(contents)", "enc@v0.2.0")
    forged = message.replace(versions.md5["E2"], versions.md5["E3"])
    commit = git(repo, "rev-parse", "enc@v0.2.0^{commit}").strip()
    git(repo, "tag", "-d", "enc@v0.2.0")
    git(repo, "tag", "-a", "enc@v0.2.0", "-m", forged, commit)
    refused = cli("gc", "--yes", cwd=repo)
    assert refused.code == 1
    assert "enc@v0.2.0 cannot be resolved to its bytes" in refused.err


def test_a_shallow_clone_is_refused(lifecycle: tuple[Path, Lifecycle], cli: Cli) -> None:
    repo, _ = lifecycle
    clone = repo.parent / "shallow"
    git(repo.parent, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    refused = cli("gc", cwd=clone)
    assert refused.code == 1 and "shallow clone" in refused.err


def test_refs_the_git_remote_has_and_this_clone_lacks_make_gc_say_fetch_first(
    _lifecycle_template: tuple[Path, Lifecycle], tmp_path: Path, cli: Cli
) -> None:
    repo = Path(shutil.copytree(_lifecycle_template[0], tmp_path / "repo", symlinks=True))
    git(tmp_path, "clone", "-q", "--bare", str(repo), "origin.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(repo, "fetch", "-q", "origin")
    assert cli("gc", cwd=repo).code == 0
    git(repo, "push", "-q", "origin", "HEAD~3:refs/tags/enc@v0.9.0")  # someone else's release
    refused = cli("gc", cwd=repo)
    assert refused.code == 1
    assert "fetch first" in refused.err and "refs/tags/enc@v0.9.0" in refused.err


def test_a_version_checked_out_in_another_work_tree_is_kept(
    _lifecycle_template: tuple[Path, Lifecycle], tmp_path: Path, cli: Cli
) -> None:
    repo = Path(shutil.copytree(_lifecycle_template[0], tmp_path / "repo", symlinks=True))
    md5 = _lifecycle_template[1].md5
    e4 = git(repo, "log", "--format=%H", "--grep", "enc E4").strip()
    git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "e4"), e4)
    planned = plan(cli, repo)
    assert deleted(planned, "cache") == {md5["E3"]}
    why = {row["md5"]: row["why"] for row in planned["objects"]}  # type: ignore[attr-defined]
    assert why[md5["E4"]] == f"detached HEAD {e4[:12]} of a work tree"


def test_bad_retention_policy_names_file_line_and_field(
    lifecycle: tuple[Path, Lifecycle], cli: Cli
) -> None:
    repo, _ = lifecycle
    config = repo / ".gitckpt/config.yaml"
    config.write_text(config.read_text().replace("last: 2", "last: -2"), encoding="utf-8")
    git(repo, "commit", "-qam", "bad policy")
    refused = cli("gc", cwd=repo)
    assert refused.code == 1
    assert ".gitckpt/config.yaml:3" in refused.err and "retention.keep_unreleased.last" in (
        refused.err
    )


def version(path: str, days: float, now: float) -> TrackedVersion:
    return TrackedVersion(path, f"blob-{days}", "c" * 40, int(now - days * DAY), ())


def test_retention_keeps_the_last_n_and_the_young_and_not_releases() -> None:
    now = 1_000 * DAY
    found = [version("m.dvc", days, now) for days in (5, 40, 50, 60, 70)]
    released = {("m.dvc", "blob-5")}
    kept = retained_versions({"m.dvc": found}, released, (2, 45), now)
    assert [item.version.blob for item in kept] == ["blob-40", "blob-50"]
    assert "1st newest" in kept[0].why and "40 days old" in kept[0].why
    assert "2nd newest" in kept[1].why and "days old" not in kept[1].why


SHARDS = {"a.bin": b"shared" * 100, "b.bin": b"only in v1" * 100, "c.bin": b"only in v2" * 100}


def test_a_kept_directory_keeps_every_file_its_listing_names(repo: Path, cli: Cli) -> None:
    (repo / ".gitckpt").mkdir()
    (repo / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nretention:\n  keep_unreleased: {last: 0, days: 0}\n", encoding="utf-8"
    )
    shards = repo / "data/shards"
    shards.mkdir(parents=True)
    for name in ("a.bin", "b.bin"):
        (shards / name).write_bytes(SHARDS[name])
    dvc(repo, "add", "-q", "data/shards")
    commit_days_ago(repo, 200, "shards v1")
    assert deleted(plan(cli, repo), "cache") == set()  # all of it at the head
    (shards / "b.bin").unlink()
    (shards / "c.bin").write_bytes(SHARDS["c.bin"])
    dvc(repo, "add", "-q", "data/shards")
    commit_days_ago(repo, 1, "shards v2")
    planned = plan(cli, repo)
    md5 = {name: hashlib.md5(content).hexdigest() for name, content in SHARDS.items()}
    gone = deleted(planned, "cache")
    assert md5["b.bin"] in gone and md5["a.bin"] not in gone and md5["c.bin"] not in gone
    assert len(gone) == 2  # v1's listing and the file only it names
    why = {row["md5"]: row["why"] for row in planned["objects"]}  # type: ignore[attr-defined]
    assert "(a file of " in why[md5["a.bin"]]
    assert cli("gc", "--yes", cwd=repo).code == 0
    shutil.rmtree(shards)
    dvc(repo, "checkout", "-q")
    assert {path.name: path.read_bytes() for path in shards.iterdir()} == {
        name: SHARDS[name] for name in ("a.bin", "c.bin")
    }


def test_a_malformed_pointer_in_history_is_named_and_nothing_is_deleted(
    repo: Path, cli: Cli
) -> None:
    (repo / "model.bin.dvc").write_text("outs:\n- path: model.bin\n  md5: nothex\n", "utf-8")
    commit_days_ago(repo, 400, "a broken pointer")
    (repo / "model.bin.dvc").unlink()
    commit_days_ago(repo, 300, "gone")
    refused = cli("gc", "--yes", cwd=repo)
    assert refused.code == 1
    assert "model.bin.dvc (blob " in refused.err and ":3: [outs[0].md5]" in refused.err


def test_a_cache_outside_the_repository_is_left_alone(
    lifecycle: tuple[Path, Lifecycle], cli: Cli, tmp_path: Path
) -> None:
    """Another project may share a cache.dir outside the repository; gc cannot see its commits,
    so it deletes nothing there (it still plans the remote)."""
    repo, versions = lifecycle
    shared = tmp_path / "shared-cache"
    shutil.copytree(repo / ".dvc/cache", shared)
    dvc(repo, "cache", "dir", str(shared))
    planned = plan(cli, repo, "--remote", "storage")
    assert deleted(planned, "cache") == set()
    assert deleted(planned, "storage")  # the remote is still planned
    assert any("outside this repository" in note for note in planned["notes"])  # type: ignore[union-attr]
    assert cli("gc", "--yes", cwd=repo).code == 0
    assert all((shared / "files/md5" / md5[:2] / md5[2:]).exists() for md5 in versions.md5.values())


def test_versions_pushed_on_another_ref_cannot_crowd_a_retained_one_out(
    lifecycle: tuple[Path, Lifecycle], cli: Cli
) -> None:
    """`keep last` ranks the trusted branch's versions only: a tag anyone can push, on a side
    commit with two newer versions (naming made-up bytes), does not make O0 the third newest."""
    repo, versions = lifecycle
    retained = versions.md5["O0"]
    assert retained not in deleted(plan(cli, repo, "--remote", "storage"), "storage")
    pointer = (repo / "models/old.bin.dvc").read_text()
    current = next(line for line in pointer.splitlines() if "md5:" in line).split("md5:")[1]
    git(repo, "checkout", "-q", "--detach")
    for made_up in ("f" * 32, "e" * 32):
        (repo / "models/old.bin.dvc").write_text(pointer.replace(current.strip(), made_up))
        git(repo, "commit", "-qm", "newer versions", "--", "models/old.bin.dvc")
    git(repo, "tag", "nightly")
    git(repo, "checkout", "-q", "main")
    after = plan(cli, repo, "--remote", "storage")
    assert retained not in deleted(after, "storage") | deleted(after, "cache")
