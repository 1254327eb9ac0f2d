"""The trust promises, each attacked for real: real git tags and refs, real `ssh-keygen` keys,
real DVC pointers. Whatever is verified is verified against the trusted revision (the default
branch's committed policy and allowed signers), and a record counts only when bound to its tag."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repos import commit_all, git, run
from tests.conftest import CliResult
from tests.test_signing import allow, make_key

Cli = Callable[..., CliResult]
POLICY = """\
schema_version: 1
release:
  require_signature: {require}
  signers:
    - principal: ada@example.org
    - principal: mallory@example.org
      artifacts: ['mallory-*']
"""


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    return {name: make_key(tmp_path, name) for name in ("ada", "mallory")}


@pytest.fixture
def trusted(registry: Path, keys: dict[str, Path]) -> Path:
    """Main holds the policy: Ada may release anything, Mallory only `mallory-*`; both keys are
    allowed signers. Git signs as Ada."""
    write_policy(registry, require=False)
    allow(registry, "ada@example.org", keys["ada"])
    allow(registry, "mallory@example.org", keys["mallory"])
    commit_all(registry, "release policy")
    git(registry, "config", "user.signingkey", str(keys["ada"]))
    return registry


def write_policy(repo: Path, *, require: bool) -> None:
    (repo / ".gitckpt").mkdir(exist_ok=True)
    (repo / ".gitckpt/config.yaml").write_text(POLICY.format(require=str(require).lower()))


def verify(cli: Cli, repo: Path, *args: str) -> dict[str, object]:
    result = cli("verify", *args, "--json", cwd=repo)
    assert result.code in (0, 1), result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def problems(report: dict[str, object]) -> str:
    return "\n".join(report["problems"])  # type: ignore[arg-type]


def sign_tag(repo: Path, key: Path, name: str, message: str, target: str = "HEAD") -> None:
    git(
        repo,
        "-c",
        "gpg.format=ssh",
        "-c",
        f"user.signingkey={key}",
        "tag",
        "-s",
        "-f",
        "-m",
        message,
        name,
        target,
    )


def message_of(repo: Path, tag: str) -> str:
    return git(
        repo,
        "for-each-ref",
        "--format=%(contents:subject)%0a%0a%(contents:body)",
        f"refs/tags/{tag}",
    )


def released(cli: Cli, repo: Path, name: str, *args: str) -> None:
    result = cli("tag", name, "--allow-unpushed", *args, cwd=repo)
    assert result.code == 0, result.err


# 1. A record counts only when bound to its tag.


def test_a_signed_release_replayed_under_another_version_does_not_verify_or_count(
    trusted: Path, cli: Cli
) -> None:
    released(cli, trusted, "clf", "--sign")
    git(
        trusted,
        "update-ref",
        "refs/tags/clf@v9.0.0",
        git(trusted, "rev-parse", "refs/tags/clf@v0.1.0").strip(),
    )
    report = verify(cli, trusted, "clf@v9.0.0", "--data")
    assert report["ok"] is False
    assert "the tag object is named 'clf@v0.1.0', not 'clf@v9.0.0'" in problems(report)
    assert json.loads(cli("show", "clf@latest", "--json", cwd=trusted).out)["version"] == "0.1.0"
    assert "clf@v9.0.0 is ignored" in cli("ls", cwd=trusted).out


def test_a_model_release_replayed_as_the_dataset_release_does_not_count(
    trusted: Path, cli: Cli
) -> None:
    released(cli, trusted, "clf", "--sign")
    git(
        trusted,
        "update-ref",
        "refs/tags/points@v5.0.0",
        git(trusted, "rev-parse", "refs/tags/clf@v0.1.0").strip(),
    )
    report = verify(cli, trusted, "points@v5.0.0")
    assert report["ok"] is False and "not 'points@v5.0.0'" in problems(report)
    assert (
        json.loads(cli("ls", "--json", cwd=trusted).out)[1]["latest"] is None
    )  # points: unreleased


def test_a_record_naming_another_artifact_version_or_commit_is_not_bound(
    trusted: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    released(cli, trusted, "clf")
    message = message_of(trusted, "clf@v0.1.0")
    git(trusted, "commit", "--allow-empty", "-q", "-m", "later")
    sign_tag(
        trusted,
        keys["ada"],
        "clf@v0.2.0",
        message.replace('"tag": "clf@v0.1.0"', '"tag": "clf@v0.2.0"'),
    )
    report = verify(cli, trusted, "clf@v0.2.0")
    assert report[
        "ok"
    ] is False and "its record says version '0.1.0', the tag says '0.2.0'" in problems(report)
    sign_tag(trusted, keys["ada"], "clf@v0.3.0", message.replace("0.1.0", "0.3.0"))
    assert "its record says commit" in problems(verify(cli, trusted, "clf@v0.3.0"))
    assert json.loads(cli("show", "clf@latest", "--json", cwd=trusted).out)["version"] == "0.1.0"


def test_a_record_missing_a_required_key_is_refused_not_a_crash(
    trusted: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    released(cli, trusted, "clf")
    record = json.loads(message_of(trusted, "clf@v0.1.0").split("gitckpt-record:\n", 1)[1])
    del record["bytes"]
    git(trusted, "tag", "-d", "clf@v0.1.0")
    sign_tag(
        trusted,
        keys["ada"],
        "clf@v0.1.0",
        f"Release clf v0.1.0\n\ngitckpt-record:\n{json.dumps(record)}\n",
    )
    report = verify(cli, trusted, "clf@v0.1.0")
    assert (
        report["ok"] is False
        and "does not match tag-message.schema.json" in problems(report)
        and "bytes" in problems(report)
    )


def test_the_card_at_the_tagged_commit_must_carry_the_artifact_name(
    trusted: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    """A signer allowed to release `points` cannot point a `points` release at the model's card."""
    released(cli, trusted, "clf")
    forged = (
        message_of(trusted, "clf@v0.1.0")
        .replace('"name": "clf"', '"name": "points"')
        .replace("clf@v0.1.0", "points@v0.1.0")
    )
    sign_tag(trusted, keys["ada"], "points@v0.1.0", forged)
    report = verify(cli, trusted, "points@v0.1.0")
    assert report["ok"] is False and "is named 'clf', not 'points'" in problems(report)


# 2. Policy and allowed signers come from the trusted revision.


def test_a_branch_that_loosens_the_signers_does_not_authorize_its_own_release(
    trusted: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    released(cli, trusted, "clf")
    message = message_of(trusted, "clf@v0.1.0")
    git(trusted, "tag", "-d", "clf@v0.1.0")
    git(trusted, "checkout", "-q", "-b", "mallory-policy")
    (trusted / ".gitckpt/config.yaml").write_text(
        POLICY.format(require="false").replace("['mallory-*']", "['*']")
    )
    commit_all(trusted, "let mallory release everything")
    sign_tag(trusted, keys["mallory"], "clf@v0.1.0", message, target="main")
    git(trusted, "checkout", "-q", "main")
    report = verify(cli, trusted, "clf@v0.1.0")
    assert report["ok"] is False
    assert (
        "signed by mallory@example.org, who may not release clf under the trusted release.signers"
        in problems(report)
    )
    assert "at main" in str(report["trust"])


def test_a_key_added_only_in_the_tagged_commit_is_not_trusted_even_when_checked_out(
    registry: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    git(registry, "config", "user.signingkey", str(keys["ada"]))
    allow(registry, "ada@example.org", keys["ada"])
    commit_all(registry, "ada signs")
    git(registry, "checkout", "-q", "-b", "mallory")
    allow(registry, "mallory@example.org", keys["mallory"])
    commit_all(registry, "mallory adds her own key")
    git(registry, "config", "user.signingkey", str(keys["mallory"]))
    refused = cli("tag", "clf", "--sign", "--allow-unpushed", cwd=registry)
    assert refused.code == 1 and "not in the trusted allowed signers" in refused.err
    released(cli, registry, "clf")
    sign_tag(registry, keys["mallory"], "clf@v0.1.0", message_of(registry, "clf@v0.1.0"))
    git(registry, "checkout", "-q", "--detach", "clf@v0.1.0")  # what a CI job on a tag push does
    report = verify(cli, registry, "clf@v0.1.0")
    assert (
        report["ok"] is False
        and "not carry a valid signature by a key in the trusted allowed signers"
        in problems(report)
    )


def test_trust_ref_and_git_config_choose_the_trusted_revision(
    trusted: Path, cli: Cli, keys: dict[str, Path], tmp_path: Path
) -> None:
    released(cli, trusted, "clf", "--sign")
    assert verify(cli, trusted, "clf@v0.1.0")["ok"] is True
    git(trusted, "checkout", "-q", "-b", "empty-policy")
    (trusted / ".gitckpt/allowed_signers").write_text("")
    commit_all(trusted, "nobody signs")
    git(trusted, "checkout", "-q", "main")
    assert "not carry a valid signature" in problems(
        verify(cli, trusted, "clf@v0.1.0", "--trust-ref", "empty-policy")
    )
    signers = tmp_path / "team_signers"
    signers.write_text("")
    git(trusted, "config", "gitckpt.allowedSignersFile", str(signers))
    report = verify(cli, trusted, "clf@v0.1.0")
    assert report["ok"] is False and str(signers) in str(report["trust"])


def test_no_default_branch_is_a_usage_error_that_says_how_to_name_one(
    trusted: Path, cli: Cli
) -> None:
    git(trusted, "branch", "-m", "main", "trunk")
    result = cli("ls", cwd=trusted)
    assert result.code == 2 and "--trust-ref" in result.err and "gitckpt.trustRef" in result.err
    git(trusted, "config", "gitckpt.trustRef", "trunk")
    assert cli("ls", cwd=trusted).code == 0


def test_ci_rates_a_pull_request_by_the_base_policy_and_flags_a_policy_change(
    registry: Path, cli: Cli
) -> None:
    git(registry, "checkout", "-q", "-b", "relicense")
    model_card = registry / "models/clf.card.md"
    model_card.write_text(
        model_card.read_text().replace("license: Apache-2.0", "license: CC-BY-NC-4.0", 1)
    )
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nreview:\n  license-changed: info\n"
    )
    commit_all(registry, "relicense, and call it harmless")
    result = cli("ci", "--base", "main", "--json", cwd=registry)
    report = json.loads(result.out)
    assert result.code == 1
    assert [
        change["severity"]
        for card in report["cards"]
        for change in card["changes"]
        if change["kind"] == "license-changed"
    ] == ["error"]
    assert [
        (item["check"], item["path"]) for item in report["findings"] if item["check"] == "GC901"
    ] == [("GC901", ".gitckpt/config.yaml")]


# 3. Every event is verified; stage moves apply by counter.


def test_an_unsigned_stage_tag_has_no_effect_under_require_signature(
    trusted: Path, cli: Cli
) -> None:
    write_policy(trusted, require=True)
    commit_all(trusted, "require signatures")
    released(cli, trusted, "clf", "--sign")
    git(
        trusted,
        "tag",
        "-a",
        "-m",
        "Promote clf v0.1.0 to prod",
        "clf#prod#99",
        "clf@v0.1.0^{commit}",
    )
    assert json.loads(cli("show", "clf", "--json", cwd=trusted).out)["stages"] == {}
    assert cli("show", "clf#prod", cwd=trusted).code == 1
    report = verify(cli, trusted, "clf#prod#99")
    assert report["ok"] is False and "clf#prod#99 is not signed" in problems(report)
    audit = json.loads(cli("audit", "--json", cwd=trusted).out)
    assert [event["tag"] for event in audit["ignored_events"]] == ["clf#prod#99"]
    assert "requires verified signatures" in audit["ignored_events"][0]["ignored"]
    listed = json.loads(cli("history", "clf", "--all", "--json", cwd=trusted).out)
    assert [(event["tag"], event["counts"]) for event in listed] == [
        ("clf@v0.1.0", True),
        ("clf#prod#99", False),
    ]


def test_signed_stage_moves_and_deprecations_verify(trusted: Path, cli: Cli) -> None:
    released(cli, trusted, "clf", "--sign")
    assert cli("promote", "clf@v0.1.0", "dev", "--sign", cwd=trusted).code == 0
    assert cli("deprecate", "clf", "--reason", "superseded", "--sign", cwd=trusted).code == 0
    for tag in ("clf#dev#1", "clf#dev", "clf@deprecated"):
        report = verify(cli, trusted, tag)
        assert report["ok"] is True, report
        assert report["principal"] == "ada@example.org"


def test_stage_moves_apply_by_counter_not_by_the_date_the_tagger_wrote(
    trusted: Path, cli: Cli
) -> None:
    released(cli, trusted, "clf")
    git(trusted, "commit", "--allow-empty", "-q", "-m", "retrain")
    released(cli, trusted, "clf")
    assert cli("promote", "clf@v0.1.1", "dev", cwd=trusted).code == 0  # clf#dev#1
    old = {**os.environ, "GIT_COMMITTER_DATE": "2001-01-01T00:00:00Z"}
    run(
        ["git", "tag", "-a", "-m", "back to v0.1.0", "clf#dev#4", "clf@v0.1.0^{commit}"],
        trusted,
        env=old,
    )
    assert json.loads(cli("show", "clf", "--json", cwd=trusted).out)["stages"] == {"dev": "0.1.0"}


# 4. "signed" means verified.


def test_a_garbage_signature_is_a_bad_signature_everywhere(trusted: Path, cli: Cli) -> None:
    released(cli, trusted, "clf")
    body = git(trusted, "cat-file", "tag", "clf@v0.1.0")
    forged = body + "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"
    oid = subprocess.run(
        ["git", "mktag"], cwd=trusted, input=forged, capture_output=True, text=True, check=True
    ).stdout.strip()
    git(trusted, "update-ref", "refs/tags/clf@v0.1.0", oid)
    listed = json.loads(cli("history", "--all", "--json", cwd=trusted).out)
    assert [(event["tag"], event["signed"], event["signature"]["status"]) for event in listed] == [
        ("clf@v0.1.0", False, "bad")
    ]
    assert listed[0]["rejected"] == "its signature does not verify (bad signature)"
    assert json.loads(cli("show", "clf", "--json", cwd=trusted).out)["releases"] == []
    assert "clf@v0.1.0" in [
        event["tag"]
        for event in json.loads(cli("audit", "--json", cwd=trusted).out)["ignored_events"]
    ]


def test_verify_reads_the_tag_object_not_a_ref_of_the_same_name_outside_tags(
    trusted: Path, cli: Cli
) -> None:
    released(cli, trusted, "clf")
    released(cli, trusted, "points", "--sign")
    git(
        trusted,
        "update-ref",
        "refs/clf@v0.1.0",
        git(trusted, "rev-parse", "refs/tags/points@v0.1.0").strip(),
    )
    report = verify(cli, trusted, "clf@v0.1.0")
    assert report["ok"] is False and "clf@v0.1.0 is not signed" in problems(report)


# 5. Record injection.


def test_a_message_carrying_the_record_marker_is_refused_and_creates_nothing(
    trusted: Path, cli: Cli
) -> None:
    injected = 'retrain (gitckpt-record: {"schema_version": 1, "type": "release"})'
    result = cli("tag", "clf", "--sign", "--allow-unpushed", "-m", injected, cwd=trusted)
    assert result.code == 2 and "may not contain 'gitckpt-record:'" in result.err
    assert git(trusted, "tag", "--list").strip() == ""


def test_a_record_before_the_real_one_makes_the_tag_not_count(
    trusted: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    released(cli, trusted, "points")
    released(cli, trusted, "clf")
    dataset_record = message_of(trusted, "points@v0.1.0").split("gitckpt-record:\n", 1)[1]
    message = message_of(trusted, "clf@v0.1.0").replace(
        "Release clf v0.1.0", f"Release clf v0.1.0\n\ngitckpt-record:\n{dataset_record}"
    )
    git(trusted, "tag", "-d", "clf@v0.1.0")
    sign_tag(trusted, keys["ada"], "clf@v0.1.0", message)
    report = verify(cli, trusted, "clf@v0.1.0")
    assert report["ok"] is False and "2 gitckpt-record: lines" in problems(report)


# 6. Attestations are bound to a release.


def attest(cli: Cli, repo: Path, tag: str) -> Path:
    result = cli("attest", tag, "--sign", "--json", cwd=repo)
    assert result.code == 0, result.err
    return Path(json.loads(result.out)["attestation"])


def resign(repo: Path, key: Path, statement: Path, data: dict[str, object]) -> None:
    statement.write_text(json.dumps(data))
    statement.with_name(statement.name + ".sig").unlink()
    run(["ssh-keygen", "-Y", "sign", "-f", str(key), "-n", "gitckpt", str(statement)], repo)


def test_an_attestation_verifies_only_for_a_counted_release_with_exactly_its_files(
    trusted: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    released(cli, trusted, "clf", "--sign")
    statement = trusted / attest(cli, trusted, "clf@v0.1.0")
    assert verify(cli, trusted, "--attestation", str(statement))["ok"] is True
    data = json.loads(statement.read_text())
    escaping = {
        **data,
        "subject": [*data["subject"], {"name": "../key", "digest": {"sha256": "0" * 64}}],
    }
    resign(trusted, keys["ada"], statement, escaping)
    assert "not released: ../key" in problems(verify(cli, trusted, "--attestation", str(statement)))
    data["predicate"]["runDetails"]["metadata"]["invocationId"] = "clf@v7.0.0"
    resign(trusted, keys["ada"], statement, data)
    assert "names clf@v7.0.0, which does not count in the registry" in problems(
        verify(cli, trusted, "--attestation", str(statement))
    )


def test_an_attestation_by_a_signer_not_allowed_for_the_artifact_is_refused(
    trusted: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    released(cli, trusted, "clf", "--sign")
    statement = trusted / attest(cli, trusted, "clf@v0.1.0")
    resign(trusted, keys["mallory"], statement, json.loads(statement.read_text()))
    report = verify(cli, trusted, "--attestation", str(statement))
    assert report["ok"] is False and "mallory@example.org, who may not release clf" in problems(
        report
    )


# 9. Hostile tags do not crash anyone.


def test_a_hostile_record_does_not_break_any_command(
    trusted: Path, cli: Cli, tmp_path: Path
) -> None:
    hostile = tmp_path / "message"
    hostile.write_text("Deprecate clf\n\ngitckpt-record:\n" + "[" * 200_000)
    git(trusted, "tag", "-a", "-F", str(hostile), "clf@deprecated")
    git(
        trusted,
        "tag",
        "-a",
        "-m",
        'Release\n\ngitckpt-record:\n{"size": ' + "9" * 5000 + "}",
        "points@v1.0.0",
    )
    assert cli("check", cwd=trusted).code == 0  # every contributor's pre-commit hook
    for command in (("ls",), ("show", "clf"), ("history", "--all"), ("audit",), ("search", "clf")):
        assert cli(*command, cwd=trusted).code == 0, command
    report = verify(cli, trusted, "clf@deprecated")
    assert report["ok"] is False and "nested deeper than" in problems(report)
    assert "integer of 5,000 digits" in problems(verify(cli, trusted, "points@v1.0.0"))


def test_ls_ignores_a_release_whose_record_names_another_artifacts_card(
    trusted: Path, cli: Cli, keys: dict[str, Path]
) -> None:
    released(cli, trusted, "clf")
    forged = (
        message_of(trusted, "clf@v0.1.0")
        .replace('"name": "clf"', '"name": "points"')
        .replace("clf@v0.1.0", "points@v0.1.0")
    )
    git(trusted, "tag", "-a", "-m", forged, "points@v0.1.0")
    rows = {row["name"]: row for row in json.loads(cli("ls", "--json", cwd=trusted).out)}
    assert rows["points"]["latest"] is None
    assert (
        "the card its record names (models/clf.card.md) is named 'clf', not 'points'"
        in " ".join(rows["points"]["notes"])
    )


def test_a_rejected_release_quotes_its_cards_name_with_credentials_masked(
    trusted: Path, cli: Cli
) -> None:
    """The binding problem quotes the name of the card a record names: a credential written as
    that name is masked there, as in every output."""
    token = "ghp_1234567890abcdefghijklmnopqrstuvwxyzAB"
    released(cli, trusted, "clf")
    released_commit = git(trusted, "rev-parse", "clf@v0.1.0^{commit}").strip()
    released_blob = git(trusted, "rev-parse", "clf@v0.1.0:models/clf.card.md").strip()
    card = trusted / "models/clf.card.md"
    card.write_text(card.read_text().replace("name: clf\n", f"name: {token}\n", 1))
    commit_all(trusted, "rename the card")
    forged = (
        message_of(trusted, "clf@v0.1.0")
        .replace('"name": "clf"', '"name": "points"')
        .replace("clf@v0.1.0", "points@v0.1.0")
        .replace(released_commit, git(trusted, "rev-parse", "HEAD").strip())
        .replace(released_blob, git(trusted, "rev-parse", "HEAD:models/clf.card.md").strip())
    )
    git(trusted, "tag", "-a", "-m", forged, "points@v0.1.0")
    rows = {row["name"]: row for row in json.loads(cli("ls", "--json", cwd=trusted).out)}
    assert "is named 'ghp_…(42 characters)', not 'points'" in " ".join(rows["points"]["notes"])
    for command in (("ls",), ("ls", "--json"), ("show", "points"), ("history", "points", "--all")):
        result = cli(*command, cwd=trusted)
        assert token not in result.out + result.err, command


def test_git_verify_tag_still_accepts_a_gitckpt_release(trusted: Path, cli: Cli) -> None:
    released(cli, trusted, "clf", "--sign")
    signers = trusted / ".gitckpt/allowed_signers"
    checked = run(
        ["git", "-c", f"gpg.ssh.allowedSignersFile={signers}", "verify-tag", "clf@v0.1.0"], trusted
    )
    assert 'Good "git" signature for ada@example.org' in checked.stderr


def test_a_key_in_git_s_revocation_file_stops_verifying_even_after_a_cached_verdict(
    trusted: Path, cli: Cli, keys: dict[str, Path], tmp_path: Path
) -> None:
    released(cli, trusted, "clf", "--sign")
    assert verify(cli, trusted, "clf@v0.1.0")["ok"] is True  # the verdict is now cached
    revoked = tmp_path / "revoked_keys"
    revoked.write_text(keys["ada"].with_suffix(".pub").read_text())
    git(trusted, "config", "gpg.ssh.revocationFile", str(revoked))
    report = verify(cli, trusted, "clf@v0.1.0")
    assert report["ok"] is False and "the signature does not verify" in problems(report)


def test_a_record_whose_card_path_breaks_a_line_is_ignored_not_fatal(
    trusted: Path, cli: Cli
) -> None:
    released(cli, trusted, "clf")
    message = message_of(trusted, "clf@v0.1.0").replace(
        '"path": "models/clf.card.md"', '"path": "models/clf.card.md\\nHEAD:x"'
    )
    git(trusted, "tag", "-d", "clf@v0.1.0")
    git(trusted, "tag", "-a", "-m", message, "clf@v0.1.0")
    result = cli("ls", "--json", cwd=trusted)
    assert result.code == 0
    notes = {row["name"]: row["notes"] for row in json.loads(result.out)}
    assert notes["clf"] == ["clf@v0.1.0 is ignored: its record names a card path with a line break"]


def test_log_judges_commit_signatures_by_the_trusted_signers_not_the_work_tree(
    trusted: Path, cli: Cli, tmp_path: Path
) -> None:
    eve = make_key(tmp_path, "eve")
    allow(trusted, "eve@example.org", eve)  # in the work tree only, never committed on main
    card = trusted / "models/clf.card.md"
    card.write_text(
        card.read_text().replace("Prose for reviewers.", "Prose for reviewers, signed by Eve.")
    )
    git(trusted, "add", "models/clf.card.md")
    git(
        trusted,
        "-c",
        "gpg.format=ssh",
        "-c",
        f"user.signingkey={eve}",
        "commit",
        "-q",
        "-S",
        "-m",
        "eve's change",
    )
    (newest, *_) = json.loads(cli("log", "clf", "--json", cwd=trusted).out)
    assert newest["signature"] == "good signature, signer not in the trusted allowed signers"
