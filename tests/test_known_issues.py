"""Known issues found after release: `issue add|fix` edit the card round-trip, `show`, `log`,
`diff` and the Hugging Face export report them, and `check` warns (GC405) about a release a
known issue names that no bound release tag gives. Real git, real tags, real cards."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from testing.repos import commit_all, git
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"


def add_issue(cli: Cli, repo: Path, *args: str) -> dict[str, object]:
    result = cli("issue", "add", "clf", *args, "--json", cwd=repo)
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def check_findings(cli: Cli, repo: Path) -> list[dict[str, object]]:
    result = cli("check", "--json", cwd=repo)
    return [item for item in json.loads(result.out)["findings"] if item["check"] == "GC405"]


def test_issue_add_and_fix_edit_the_card_round_trip_keeping_comments(
    registry: Path, cli: Cli
) -> None:
    card = registry / MODEL_CARD
    card.write_text(card.read_text().replace("\nname: clf\n", "\n# our classifier\nname: clf\n"))
    added = add_issue(
        cli,
        registry,
        "--summary",
        "Wrong labels for class 17",
        "--since",
        "v0.1.0",
        "--link",
        "https://example.org/issues/42",
    )
    assert added["issue"] == {
        "number": 1,
        "summary": "Wrong labels for class 17",
        "since": "v0.1.0",
        "link": "https://example.org/issues/42",
        "status": "open",
        "fixed_in": None,
    }
    text = card.read_text()
    assert "# our classifier\n" in text
    assert "known_issues:\n- summary: Wrong labels for class 17\n  since: v0.1.0\n" in text
    fixed = cli("issue", "fix", "clf", "1", "--in", "0.2.0", cwd=registry)
    assert fixed.code == 0, fixed.err
    assert "fixed in v0.2.0" in fixed.out
    assert "  status: fixed\n  fixed_in: v0.2.0\n" in card.read_text()
    assert cli("check", cwd=registry).code == 0  # the schema accepts what was written


def test_bad_issue_input_is_refused_and_changes_nothing(registry: Path, cli: Cli) -> None:
    card = registry / MODEL_CARD
    before = card.read_text()
    for args, message in (
        (("add", "clf", "--summary", "x", "--link", "ftp://x"), "--link must be an http(s) URL"),
        (("add", "clf", "--summary", "x", "--since", "1.2"), "--since must be a release"),
        (("add", "nobody", "--summary", "x"), "no card named 'nobody'"),
        (("fix", "clf", "1", "--in", "v1.0.0"), "has no known issue #1"),
    ):
        result = cli("issue", *args, cwd=registry)
        assert result.code in (1, 2), result
        assert message in result.err
        assert card.read_text() == before


def test_a_fixed_status_without_fixed_in_fails_the_schema(registry: Path, cli: Cli) -> None:
    card = registry / MODEL_CARD
    card.write_text(
        card.read_text().replace(
            "\nname: clf\n", "\nname: clf\nknown_issues:\n- summary: Broken.\n  status: fixed\n"
        )
    )
    result = cli("check", cwd=registry)
    assert result.code == 1
    assert "GC103" in result.out and "known_issues" in result.out


def test_check_warns_about_a_release_that_does_not_exist_until_it_is_cut(
    registry: Path, cli: Cli
) -> None:
    add_issue(cli, registry, "--summary", "NaN on fp16", "--since", "v0.1.0")
    assert cli("issue", "fix", "clf", "1", "--in", "v0.2.0", cwd=registry).code == 0
    commit_all(registry, "known issue")
    found = check_findings(cli, registry)
    assert [(item["field"], item["severity"]) for item in found] == [
        ("known_issues[0].since", "warning"),
        ("known_issues[0].fixed_in", "warning"),
    ]
    assert "clf@v0.2.0, which does not exist" in str(found[1]["message"])
    assert cli("check", cwd=registry).code == 0  # a warning lets the commit through
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0  # v0.1.0
    # a tag named like the release but carrying another artifact's record does not count
    git(registry, "tag", "-a", "-m", "clf v0.2.0\n\ngitckpt-record:\n{}", "clf@v0.2.0")
    found = check_findings(cli, registry)
    assert [item["field"] for item in found] == ["known_issues[0].fixed_in"]


def test_show_log_and_diff_report_known_issues(registry: Path, cli: Cli) -> None:
    git(registry, "checkout", "-q", "-b", "pull-request")
    add_issue(cli, registry, "--summary", "Wrong labels for class 17")
    add_issue(cli, registry, "--summary", "NaN on fp16")
    commit_all(registry, "two known issues")
    diff = json.loads(cli("diff", "main", "HEAD", "--format", "json", cwd=registry).out)
    kinds = [(change["kind"], change["severity"]) for card in diff for change in card["changes"]]
    assert kinds.count(("known-issue-added", "info")) == 2
    assert cli("issue", "fix", "clf", "2", "--in", "v0.1.0", cwd=registry).code == 0
    commit_all(registry, "fixed")
    diff = json.loads(cli("diff", "HEAD~1", "HEAD", "--format", "json", cwd=registry).out)
    summaries = [change["summary"] for card in diff for change in card["changes"]]
    assert summaries == ["known issue resolved: #2 [fixed in v0.1.0]: NaN on fp16"]
    shown = cli("show", "clf", cwd=registry)
    assert "known issues (1 open):" in shown.out
    assert "#1 [open]: Wrong labels for class 17" in shown.out
    as_json = json.loads(cli("show", "clf", "--json", cwd=registry).out)
    assert [issue["status"] for issue in as_json["known_issues"]] == ["open", "fixed"]
    log = cli("log", "clf", cwd=registry)
    assert "known issue resolved: #2 [fixed in v0.1.0]: NaN on fp16" in log.out
    assert "#1 [open]: Wrong labels for class 17" in log.out


def test_the_site_and_the_hugging_face_export_show_known_issues(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    add_issue(
        cli,
        registry,
        "--summary",
        "Wrong labels for class 17 <b>",
        "--link",
        "https://example.org/issues/42",
    )
    commit_all(registry, "known issue")
    exported = cli("export", "clf", "--format", "hf", cwd=registry)
    assert exported.code == 0, exported.err
    assert (
        "### Known issues\n\n- #1 [open]: Wrong labels for class 17 <b> "
        "(https://example.org/issues/42)\n" in exported.out
    )
    assert cli("site", "-o", str(tmp_path / "site"), cwd=registry).code == 0
    page = (tmp_path / "site/a/clf.html").read_text()
    assert '<section id="known-issues">' in page
    assert "Wrong labels for class 17 &lt;b&gt;" in page
    assert '<a href="https://example.org/issues/42" rel="nofollow noopener">' in page


def test_a_credential_in_a_known_issue_is_masked_in_show(registry: Path, cli: Cli) -> None:
    token = "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"
    add_issue(cli, registry, "--summary", f"the loader used token {token}")
    shown = cli("show", "clf", "--json", cwd=registry)
    assert token not in shown.out
    assert "the loader used token" in shown.out


def test_a_credential_in_a_known_issue_is_masked_in_every_output(registry: Path, cli: Cli) -> None:
    """A card that holds one (committed past the pre-commit hook) is masked wherever its known
    issues are shown: the `issue` command's echo, `log` (text and JSON), `diff` and `events`."""
    token = "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"
    echoed = cli("issue", "add", "clf", "--summary", f"token {token}", "--json", cwd=registry)
    assert echoed.code == 0 and token not in echoed.out
    commit_all(registry, "a known issue with a credential in it")
    outputs = {
        args: cli(*args, cwd=registry)
        for args in (
            ("log", "clf"),
            ("log", "clf", "--json"),
            ("diff", "HEAD~1"),
            ("events", "--json"),
        )
    }
    for args, result in outputs.items():
        assert token not in result.out + result.err, args
    assert "token ghp_" in outputs["log", "clf", "--json"].out  # the issue is there, masked
