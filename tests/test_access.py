"""Access levels (issue 19, first increment): every card states `access.level`, the trusted
policy maps each level to the DVC remotes its bytes may live on, and `git ckpt push` sends an
artifact only there, judging every artifact before any byte moves. Real git, real DVC, two local
directory remotes: `hub` (public) and `vault` (restricted)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gitckpt.card import parse_card
from gitckpt.config import parse_config
from gitckpt.errors import InputError
from testing.repos import commit_all, dvc, git, track
from tests.conftest import DATASET, MODEL, CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"
DATASET_CARD = "data/points.card.md"
POLICY = """\
schema_version: 1
access:
  levels:
    public: {remotes: [hub]}
    internal: {remotes: [hub, vault]}
    restricted: {remotes: [vault], lowered_by: [privacy@example.org]}
"""
INTERNAL_ACCESS = "access:\n  level: internal\n"


def set_level(repo: Path, card: str, level: str) -> None:
    path = repo / card
    text = path.read_text()
    assert INTERNAL_ACCESS in text
    path.write_text(text.replace(INTERNAL_ACCESS, f"access:\n  level: {level}\n", 1))


def change_level(repo: Path, card: str, old: str, new: str) -> None:
    path = repo / card
    text = path.read_text()
    assert f"access:\n  level: {old}\n" in text
    path.write_text(text.replace(f"access:\n  level: {old}\n", f"access:\n  level: {new}\n", 1))


def stored_files(remote: Path) -> list[Path]:
    return sorted(path for path in remote.rglob("*") if path.is_file())


def object_in(remote: Path, data: bytes) -> bool:
    """Whether the DVC remote directory holds these bytes (files/md5/ab/cdef…)."""
    return any(path.read_bytes() == data for path in stored_files(remote))


@pytest.fixture
def remotes(registry: Path, tmp_path: Path) -> dict[str, Path]:
    """The registry with the policy above committed on main, `hub` the default DVC remote,
    `clf` restricted and `points` public."""
    paths = {name: tmp_path / f"remote-{name}" for name in ("hub", "vault")}
    dvc(registry, "remote", "add", "-d", "hub", str(paths["hub"]))
    dvc(registry, "remote", "add", "vault", str(paths["vault"]))
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(POLICY)
    set_level(registry, MODEL_CARD, "restricted")
    set_level(registry, DATASET_CARD, "public")
    commit_all(registry, "access policy: hub is public, vault is restricted")
    return paths


def test_a_restricted_artifact_is_refused_on_the_public_remote_and_nothing_is_pushed(
    registry: Path, remotes: dict[str, Path], cli: Cli
) -> None:
    for names in (["clf"], []):  # the artifact alone, and with the public dataset beside it
        refused = cli("push", *names, cwd=registry)
        assert refused.code == 1
        assert "nothing was pushed" in refused.err
        assert f"{MODEL_CARD}:" in refused.err
        assert "artifact 'clf' is restricted" in refused.err
        assert "may go only to remote(s) vault, not to remote 'hub'" in refused.err
        assert "git ckpt push clf --remote vault" in refused.err
        assert "points" not in refused.err  # the public dataset may go to hub
        assert stored_files(remotes["hub"]) == []  # not even the dataset's bytes
    assert stored_files(remotes["vault"]) == []

    pushed = cli("push", "clf", "--remote", "vault", "--json", cwd=registry)
    assert pushed.code == 0, pushed.err
    report = json.loads(pushed.out)
    assert report["pushed"] == 1
    assert report["remote"] == "vault"
    assert report["artifacts"] == [
        {
            "name": "clf",
            "level": "restricted",
            "card": MODEL_CARD,
            "data": MODEL,
            "remote": "vault",
        }
    ]
    assert report["trusted_policy"]["ref"] == "refs/heads/main"
    assert object_in(remotes["vault"], (registry / MODEL).read_bytes())
    assert stored_files(remotes["hub"]) == []

    public = cli("push", "points", cwd=registry)
    assert public.code == 0, public.err
    assert "to remote 'hub'" in public.out
    assert object_in(remotes["hub"], (registry / DATASET).read_bytes())
    assert not object_in(remotes["hub"], (registry / MODEL).read_bytes())


def test_the_policy_is_read_from_the_trusted_revision_not_from_the_pusher(
    registry: Path, remotes: dict[str, Path], cli: Cli
) -> None:
    """The pusher edits the policy to let restricted bytes onto hub: in the work tree, then
    committed on their own branch. Neither is the trusted revision, so the push is refused."""
    config = registry / ".gitckpt/config.yaml"
    config.write_text(POLICY.replace("remotes: [vault],", "remotes: [vault, hub],"))
    assert cli("push", "clf", cwd=registry).code == 1
    git(registry, "checkout", "-q", "-b", "allow-hub")
    commit_all(registry, "let restricted bytes onto hub")
    refused = cli("push", "clf", "--remote", "hub", cwd=registry)
    assert refused.code == 1
    assert "(trusted policy: .gitckpt/config.yaml at main (" in refused.err
    assert stored_files(remotes["hub"]) == []
    # --trust-ref names what the pusher trusts; a maintainer's merge to main is what counts
    git(registry, "checkout", "-q", "main")
    git(registry, "merge", "-q", "--ff-only", "allow-hub")
    assert cli("push", "clf", cwd=registry).code == 0
    assert object_in(remotes["hub"], (registry / MODEL).read_bytes())


def test_add_with_remote_routes_the_bytes_by_the_cards_level(
    registry: Path, remotes: dict[str, Path], cli: Cli
) -> None:
    (registry / MODEL).write_bytes(b"retrained weights" * 100)
    refused = cli("add", MODEL, "--remote", "hub", cwd=registry)
    assert refused.code == 1
    assert "the bytes are tracked and their cards written and staged, but nothing was pushed" in (
        refused.err
    )
    assert "artifact 'clf' is restricted" in refused.err
    assert stored_files(remotes["hub"]) == []
    assert cli("add", MODEL, "--remote", "vault", cwd=registry).code == 0
    assert object_in(remotes["vault"], b"retrained weights" * 100)


def test_an_unknown_level_is_reported_by_check_and_refused_by_push(
    registry: Path, remotes: dict[str, Path], cli: Cli
) -> None:
    card = registry / MODEL_CARD
    card.write_text(card.read_text().replace("level: restricted", "level: secret", 1))
    result = cli("check", "--json", cwd=registry)
    assert result.code == 1
    (finding,) = json.loads(result.out)["findings"]
    assert (finding["check"], finding["path"], finding["field"]) == (
        "GC504",
        MODEL_CARD,
        "access.level",
    )
    assert card.read_text().split("\n")[finding["line"] - 1] == "  level: secret"
    assert "'secret' is not defined by the policy" in finding["message"]
    assert "public, internal, restricted" in finding["message"]

    refused = cli("push", "clf", "--remote", "vault", cwd=registry)
    assert refused.code == 1
    assert "access level 'secret', which the trusted .gitckpt/config.yaml does not define" in (
        refused.err
    )
    assert stored_files(remotes["vault"]) == []


def test_without_an_access_section_the_default_levels_go_anywhere(
    registry: Path, tmp_path: Path, cli: Cli
) -> None:
    dvc(registry, "remote", "add", "-d", "anywhere", str(tmp_path / "anywhere"))
    set_level(registry, MODEL_CARD, "restricted")
    commit_all(registry, "restricted, and no access policy")
    assert cli("check", cwd=registry).code == 0
    pushed = cli("push", "--json", cwd=registry)
    assert pushed.code == 0, pushed.err
    assert json.loads(pushed.out)["remote"] == "anywhere"


@pytest.mark.parametrize("command", ["add", "card new"])
def test_scaffolds_write_schema_version_2_and_an_internal_level_to_justify(
    repo: Path, cli: Cli, command: str
) -> None:
    if command == "add":
        (repo / "models/new.bin").parent.mkdir()
        (repo / "models/new.bin").write_bytes(b"weights" * 100)
        assert cli("add", "models/new.bin", "--kind", "model", cwd=repo).code == 0
        card_path = "models/new.card.md"
    else:
        track(repo, {"data/table.csv": b"a,b\n1,2\n"})
        assert cli("card", "new", "data/table.csv", "--kind", "dataset", cwd=repo).code == 0
        card_path = "data/table.card.md"
    card = parse_card((repo / card_path).read_text(), card_path)
    assert card.data["schema_version"] == 2
    assert card.data["access"] == {"level": "internal", "reason": "<FILL: why this access level>"}
    findings = json.loads(cli("check", "--json", cwd=repo).out)["findings"]
    assert {(item["check"], item["field"]) for item in findings if "access" in item["field"]} == {
        ("GC104", "access.reason")
    }
    assert not any(item["check"] in ("GC103", "GC105", "GC504") for item in findings)


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("access:\n  levels:\n    public: {}\n", "access.levels.public.remotes"),
        ("access:\n  levels:\n    Public: {remotes: []}\n", "access.levels"),
        ("access:\n  levels: {}\n", "access.levels"),
    ],
)
def test_a_malformed_access_policy_names_its_line_and_field(section: str, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_config(f"schema_version: 1\n{section}")
    assert caught.value.field == field
    assert caught.value.line >= 2


def test_the_policy_keeps_its_levels_in_order_with_who_may_lower_them() -> None:
    levels = parse_config(POLICY).access_levels
    assert [(level.name, level.remotes, level.lowered_by) for level in levels] == [
        ("public", ("hub",), ()),
        ("internal", ("hub", "vault"), ()),
        ("restricted", ("vault",), ("privacy@example.org",)),
    ]
    assert [level.remotes for level in parse_config("schema_version: 1\n").access_levels] == [
        None,
        None,
        None,
    ]


def test_a_card_without_a_level_goes_only_where_every_level_may(
    registry: Path, remotes: dict[str, Path], cli: Cli
) -> None:
    card = registry / MODEL_CARD
    card.write_text(
        card.read_text().replace("access:\n  level: restricted\n", "x_access:\n  x: y\n")
    )
    # In the work tree alone, the level at the trusted revision (restricted) still routes it.
    assert cli("push", "clf", "--remote", "hub", cwd=registry).code == 1
    commit_all(registry, "clf states no level, on the trusted branch too")
    refused = cli("push", "clf", "--remote", "vault", cwd=registry)
    assert refused.code == 1
    assert "artifact 'clf' states no access.level" in refused.err
    assert "may go only to remote(s) none, not to remote 'vault'" in refused.err
    assert stored_files(remotes["vault"]) == []


def test_lowering_a_level_takes_the_trusted_branch_not_an_edit(
    registry: Path, remotes: dict[str, Path], cli: Cli
) -> None:
    """The pusher marks the restricted model public, in the work tree and then committed on
    their branch: the level at the trusted revision still routes it. Once the downgrade is
    merged into main (reviewed), the public remote may hold it."""
    change_level(registry, MODEL_CARD, "restricted", "public")
    git(registry, "checkout", "-q", "-b", "declassify")
    commit_all(registry, "clf is public now")
    refused = cli("push", "clf", cwd=registry)
    assert refused.code == 1
    assert (
        "artifact 'clf' is restricted by another card of its bytes or at the trusted revision (its "
        "card says public; lowering a level takes a reviewed change to the trusted branch)"
        in refused.err
    )
    assert stored_files(remotes["hub"]) == []
    git(registry, "checkout", "-q", "main")
    git(registry, "merge", "-q", "--no-ff", "-m", "reviewed: clf is public", "declassify")
    pushed = cli("push", "clf", "--json", cwd=registry)
    assert pushed.code == 0, pushed.err
    assert json.loads(pushed.out)["artifacts"][0]["level"] == "public"
    assert object_in(remotes["hub"], (registry / MODEL).read_bytes())


def test_a_level_raised_in_the_work_tree_routes_at_once(
    registry: Path, remotes: dict[str, Path], cli: Cli
) -> None:
    """Closing an artifact needs no review: the more closed level wins."""
    change_level(registry, DATASET_CARD, "public", "restricted")
    refused = cli("push", "points", cwd=registry)
    assert refused.code == 1
    assert "artifact 'points' is restricted;" in refused.err
    assert stored_files(remotes["hub"]) == []


def test_renaming_a_card_or_pointing_it_at_restricted_bytes_opens_nothing(
    registry: Path, remotes: dict[str, Path], cli: Cli
) -> None:
    """A level belongs to the bytes, not to a name: a renamed card keeps the level its bytes had,
    a public card that names another card's restricted data is routed by that card's level, and
    a copy of the restricted bytes tracked under a new name is routed as they are."""
    card = registry / MODEL_CARD
    original = card.read_text()
    card.write_text(
        original.replace("level: restricted", "level: public").replace("name: clf\n", "name: x\n")
    )
    assert cli("push", "x", cwd=registry).code == 1  # renamed and lowered: still restricted
    card.write_text(original)

    dataset = registry / DATASET_CARD
    dataset.write_text(dataset.read_text().replace("path: points.csv", "path: ../" + MODEL))
    refused = cli("push", "points", cwd=registry)
    assert refused.code == 1
    assert "artifact 'points' is restricted by another card of its bytes" in refused.err
    git(registry, "checkout", "-q", "--", DATASET_CARD)

    (registry / "fresh").mkdir()
    (registry / "fresh/w.bin").write_bytes((registry / MODEL).read_bytes())
    added = cli("add", "fresh/w.bin", "--kind", "model", "--name", "fresh", "--remote", "hub",
                cwd=registry)  # fmt: skip
    assert added.code == 1
    assert "artifact 'fresh' is restricted by another card of its bytes" in added.err
    assert not object_in(remotes["hub"], (registry / MODEL).read_bytes())


def test_a_checkout_with_commits_but_no_refs_has_no_trusted_policy(
    registry: Path, remotes: dict[str, Path], cli: Cli
) -> None:
    """A CI job's `git fetch URL SHA && git checkout FETCH_HEAD` leaves commits and no refs: the
    pull request's own policy must not be taken for the trusted one."""
    git(registry, "checkout", "-q", "--detach")
    (registry / ".gitckpt/config.yaml").write_text(
        POLICY.replace("remotes: [vault],", "remotes: [vault, hub],")
    )
    for ref in git(registry, "for-each-ref", "--format=%(refname)").split():
        git(registry, "update-ref", "-d", ref)
    refused = cli("push", "clf", cwd=registry)
    assert refused.code == 2  # a usage error: name the trusted revision with --trust-ref
    assert "there is no trusted revision to verify against" in refused.err
    assert stored_files(remotes["hub"]) == []


def test_two_cards_with_one_name_are_refused_not_collapsed(
    registry: Path, remotes: dict[str, Path], cli: Cli
) -> None:
    """`push clf` must not pick one of two cards named clf (one restricted, one public)."""
    dataset = registry / DATASET_CARD
    dataset.write_text(dataset.read_text().replace("name: points\n", "name: clf\n", 1))
    for names in (["clf"], []):
        refused = cli("push", *names, "--remote", "hub", cwd=registry)
        assert refused.code == 1
        assert "both name 'clf' (GC301)" in refused.err
    assert stored_files(remotes["hub"]) == []


def test_a_pointer_that_names_another_remote_is_refused_not_pushed_as_nothing(
    registry: Path, remotes: dict[str, Path], cli: Cli
) -> None:
    """DVC sends an out with its own `remote:` only there: a push elsewhere would upload nothing
    and report success."""
    pointer = registry / f"{DATASET}.dvc"
    text = pointer.read_text()
    pointer.write_text(text.replace("  path: points.csv", "  path: points.csv\n  remote: vault", 1))
    refused = cli("push", "points", cwd=registry)
    assert refused.code == 1
    assert (
        "artifact 'points''s pointer sends its bytes only to remote 'vault' (`remote:`), so DVC "
        "would push nothing to remote 'hub'" in refused.err
    )
    assert stored_files(remotes["hub"]) == [] and stored_files(remotes["vault"]) == []
