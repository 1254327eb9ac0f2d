"""A registry with a history for `gc` and `archive` tests: released, staged, unreleased-old,
unreleased-recent and deprecated-past-sunset versions, each committed at a set date."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from pathlib import Path

from gitckpt.cli import main
from testing.cards import model_fields, write_card
from testing.repos import git, run, track

DAY = 24 * 3600
ENC, OLD = "models/enc.bin", "models/old.bin"
POLICY = """\
schema_version: 1
retention:
  keep_unreleased: {last: 2, days: 30}
archive:
  internal: archive
"""


@dataclass(frozen=True)
class Lifecycle:
    """The md5 of each version of `enc` (E1..E7) and `old` (O0, O1) by label."""

    md5: dict[str, str]


def commit_days_ago(repo: Path, days: float, message: str) -> None:
    when = f"@{int(time.time() - days * DAY)} +0000"
    git(repo, "add", "-A")
    run(
        ["git", "commit", "-q", "-m", message],
        repo,
        env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when},
    )


def new_version(repo: Path, data_path: str, name: str, label: str) -> str:
    """New bytes for `name` (a model card beside them, matching): its md5."""
    content = f"{name} {label} ".encode() * 500
    outs = track(repo, {data_path: content})
    write_card(repo, "model", name, data_path, outs[data_path], model_fields("points"))
    return str(outs[data_path]["md5"])


def ckpt(repo: Path, *args: str) -> None:
    """`git ckpt ARGS` in-process, which must succeed."""
    import os

    before = Path.cwd()
    os.chdir(repo)
    try:
        code = main(list(args))
    finally:
        os.chdir(before)
    assert code == 0, args


def build_lifecycle(repo: Path) -> Lifecycle:
    """On a copy of the test registry (clf, points, clf-eval committed now): the policy, then
    `old` (O0 unreleased, O1 released, later deprecated past its sunset) and `enc` (E1 released,
    E2 released and staged, E3 and E4 unreleased and old, E5 and E6 unreleased and recent, E7
    at the head), each committed at its date."""
    (repo / ".gitckpt").mkdir(exist_ok=True)
    (repo / ".gitckpt/config.yaml").write_text(POLICY, encoding="utf-8")
    commit_days_ago(repo, 320, "retention policy")
    md5 = {}
    for label, days in (("O0", 310), ("O1", 300)):
        md5[label] = new_version(repo, OLD, "old", label)
        commit_days_ago(repo, days, f"old {label}")
    ckpt(repo, "tag", "old", "--version", "0.1.0", "--allow-unpushed")
    plan = (("E1", 200), ("E2", 190), ("E3", 180), ("E4", 170), ("E5", 25), ("E6", 20))
    for label, days in (*plan, ("E7", 10)):
        md5[label] = new_version(repo, ENC, "enc", label)
        commit_days_ago(repo, days, f"enc {label}")
        if label == "E1":
            ckpt(repo, "tag", "enc", "--version", "0.1.0", "--allow-unpushed")
        if label == "E2":
            ckpt(repo, "tag", "enc", "--version", "0.2.0", "--allow-unpushed")
            ckpt(repo, "promote", "enc@v0.2.0", "dev")
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    ckpt(repo, "deprecate", "old", "--sunset", yesterday, "--reason", "superseded by enc")
    return Lifecycle(md5)


def push_everything(repo: Path, remote: str) -> None:
    """Every object in the DVC cache to the DVC remote, as a team that pushes each commit has
    them (through DVC's data cloud: `dvc push --all-commits` skips these commits)."""
    from dvc.repo import Repo
    from dvc_data.hashfile.hash_info import HashInfo

    with Repo(str(repo)) as dvc_repo:
        objects = [HashInfo("md5", oid) for oid in dvc_repo.cache.local.all()]
        dvc_repo.cloud.push(objects, remote=remote)
