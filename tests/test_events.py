"""Registry events and the hooks that are told of them: real git, real tags (SSH-signed where
the policy requires it), real hook scripts that write their standard input to a file."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repos import commit_all, git, run
from tests.conftest import CliResult
from tests.test_signing import allow, make_key

Cli = Callable[..., CliResult]
GOLDEN = Path(__file__).parent / "golden" / "events.jsonl"
MODEL_CARD = "models/clf.card.md"


def at(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    """Tags made from here on carry this date (git reads it from the environment)."""
    monkeypatch.setenv("GIT_COMMITTER_DATE", when)


def commit_at(repo: Path, when: str, message: str) -> None:
    git(repo, "add", "-A")
    dates = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    run(["git", "commit", "-q", "-m", message], repo, env=dates)


def ok(result: CliResult) -> CliResult:
    assert result.code == 0, result.err
    return result


def events(cli: Cli, repo: Path, *args: str) -> list[dict[str, object]]:
    result = ok(cli("events", "--json", *args, cwd=repo))
    return [json.loads(line) for line in result.out.splitlines()]


def normalized(found: list[dict[str, object]]) -> str:
    """The events with commit ids (which differ from run to run) replaced by a placeholder."""
    return "".join(json.dumps({**event, "commit": "<commit>"}) + "\n" for event in found)


def make_history(registry: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two releases, a stage move, a known issue found and fixed, a deprecation; and what must
    not count: a tag whose record names another version, a known issue only on a branch."""
    at(monkeypatch, "2026-01-01T10:00:00Z")
    ok(cli("tag", "clf", "--allow-unpushed", "-m", "first", cwd=registry))
    at(monkeypatch, "2026-01-02T10:00:00Z")
    ok(cli("promote", "clf@v0.1.0", "dev", cwd=registry))
    ok(cli("issue", "add", "clf", "--summary", "NaN on fp16", "--since", "v0.1.0", cwd=registry))
    commit_at(registry, "2026-01-03T10:00:00Z", "known issue")
    ok(cli("issue", "fix", "clf", "1", "--in", "v0.2.0", cwd=registry))
    commit_at(registry, "2026-01-04T10:00:00Z", "fix it")
    at(monkeypatch, "2026-01-04T11:00:00Z")
    ok(cli("tag", "clf", "--bump", "minor", "--allow-unpushed", cwd=registry))
    at(monkeypatch, "2026-01-05T10:00:00Z")
    ok(cli("deprecate", "points", "--sunset", "2026-06-30", "--reason", "superseded", cwd=registry))
    message = git(registry, "for-each-ref", "--format=%(contents)", "refs/tags/clf@v0.1.0")
    git(registry, "tag", "-a", "-m", message, "clf@v0.3.0")  # replays v0.1.0's record
    git(registry, "checkout", "-q", "-b", "pull-request")
    ok(cli("issue", "add", "clf", "--summary", "only on a branch", cwd=registry))
    commit_all(registry, "unmerged known issue")


def test_events_are_the_bound_ones_in_a_stable_order_with_stable_fields(
    registry: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_history(registry, cli, monkeypatch)
    found = events(cli, registry)
    assert [(event["type"], event["tag"] or event["version"]) for event in found] == [
        ("release", "clf@v0.1.0"),
        ("stage", "clf#dev#1"),
        ("known-issue-added", "0.1.0"),
        ("known-issue-fixed", "0.2.0"),
        ("release", "clf@v0.2.0"),
        ("deprecation", "points@deprecated"),
    ]
    assert normalized(found) == GOLDEN.read_text()
    assert events(cli, registry) == found  # read again (from the caches): the same
    assert [event["tag"] for event in events(cli, registry, "--since", "clf#dev#1")][:1] == [None]
    assert [event["type"] for event in events(cli, registry, "--since", "2026-01-04")] == [
        "known-issue-fixed",
        "release",
        "deprecation",
    ]
    table = ok(cli("events", "--since", "2026-01-05", cwd=registry)).out
    assert "deprecation" in table and "points@deprecated" in table and "clf@" not in table
    bad = cli("events", "--since", "yesterday-ish", cwd=registry)
    assert bad.code == 2 and "--since 'yesterday-ish' is neither" in bad.err


def test_under_require_signature_only_verified_signed_tags_are_events(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    key = make_key(tmp_path, "ada")
    allow(registry, "ada@example.org", key)
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nrelease:\n  require_signature: true\n"
    )
    commit_all(registry, "require signatures")
    git(registry, "config", "user.signingkey", str(key))
    ok(cli("tag", "clf", "--allow-unpushed", "--sign", cwd=registry))
    git(registry, "tag", "points@v1.0.0")  # a lightweight (GTO) tag, unsigned: does not count
    found = events(cli, registry)
    assert [(event["tag"], event["signed_by"]) for event in found] == [
        ("clf@v0.1.0", "ada@example.org")
    ]


HOOK = """\
#!/bin/sh
cat > "$1"
"""
FAILING_HOOK = """\
#!/bin/sh
echo "could not post with token 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" >&2
exit 3
"""


def with_hooks(registry: Path, received: Path, extra: str = "") -> None:
    (registry / "hooks").mkdir()
    (registry / "hooks/record.sh").write_text(HOOK)
    (registry / "hooks/fail.sh").write_text(FAILING_HOOK)
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nhooks:\n"
        f"  - command: [hooks/record.sh, '{received}']\n"
        "  - command: [hooks/fail.sh]\n    events: [release]\n" + extra
    )
    commit_all(registry, "hooks")


def test_hooks_get_the_event_on_stdin_and_a_failing_one_is_reported_not_undone(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    received = tmp_path / "received.json"
    with_hooks(registry, received)
    result = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert result.code == 0
    assert "hook `hooks/fail.sh` exited with status 3: could not post with token" in result.err
    assert "ghp_wWPw5k4a" not in result.err  # the credential is masked
    assert git(registry, "tag", "--list", "clf@v0.1.0").strip() == "clf@v0.1.0"
    assert json.loads(received.read_text()) == events(cli, registry)[0]
    received.unlink()
    promoted = cli("promote", "clf@v0.1.0", "dev", cwd=registry)
    assert promoted.code == 0 and "fail.sh" not in promoted.err  # it only wants releases
    assert json.loads(received.read_text())["tag"] == "clf#dev#1"
    ok(cli("deprecate", "clf", "--reason", "superseded", cwd=registry))
    assert json.loads(received.read_text())["details"] == {"sunset": None, "reason": "superseded"}


def test_a_hook_that_hangs_is_stopped_after_its_timeout(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nhooks:\n  - command: [sleep, '30']\n    timeout: 1\n"
    )
    commit_all(registry, "a slow hook")
    result = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert result.code == 0
    assert "hook `sleep 30` stopped after its timeout of 1 s; the event stands" in result.err


def test_a_branch_cannot_get_its_own_hook_run_before_it_is_merged(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    """A pull request checked out on a maintainer's machine rewrites the hook script and adds a
    hook of its own: tagging from it runs only what the trusted revision (main) committed."""
    received, pwned = tmp_path / "received.json", tmp_path / "pwned"
    with_hooks(registry, received)
    git(registry, "checkout", "-q", "-b", "pull-request")
    (registry / "hooks/record.sh").write_text(f"#!/bin/sh\ntouch '{pwned}'\n")
    config = registry / ".gitckpt/config.yaml"
    config.write_text(config.read_text() + f"  - command: [touch, '{pwned}']\n")
    commit_all(registry, "innocent refactoring")
    (registry / "hooks/record.sh").write_text(f"#!/bin/sh\ntouch '{pwned}'\n")  # work tree too
    result = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert result.code == 0, result.err
    assert not pwned.exists()
    assert json.loads(received.read_text())["tag"] == "clf@v0.1.0"


def test_a_hook_script_missing_at_the_trusted_revision_is_reported(
    registry: Path, cli: Cli
) -> None:
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nhooks:\n  - command: [hooks/absent.sh]\n"
    )
    commit_all(registry, "a hook not committed")
    result = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert result.code == 0
    assert "hooks/absent.sh is not committed at the trusted revision" in result.err


def test_a_bad_hooks_section_names_the_field(registry: Path, cli: Cli) -> None:
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nhooks:\n  - command: notify.sh\n"
    )
    result = cli("check", cwd=registry)
    assert result.code == 1
    assert ".gitckpt/config.yaml:3" in result.err + result.out
    assert "hooks[0].command" in result.err + result.out


def test_the_pages_templates_post_events_with_real_options_only_when_the_secret_is_set() -> None:
    from gitckpt.cli import build_parser
    from tests.test_hooks import HOOKS, ckpt_commands

    parser = build_parser("events")
    for template in ("github-pages.yml", "gitlab-pages.yml"):
        commands = ckpt_commands(template, "events")
        assert len(commands) == 2
        for command in commands:
            args = parser.parse_args(shlex.split(command.split(" | ")[0]))
            assert args.json
        text = (HOOKS / template).read_text()
        assert "GITCKPT_CHAT_WEBHOOK" in text and "echo $" not in text


def test_a_bare_hook_name_is_never_taken_from_the_work_tree_through_path(
    registry: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pwned = tmp_path / "pwned"
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nhooks:\n  - command: [notify-hook]\n"
    )
    commit_all(registry, "a hook found on PATH")
    script = registry / "notify-hook"  # what a branch could add to the work tree
    script.write_text(f"#!/bin/sh\ntouch '{pwned}'\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f".{os.pathsep}{os.environ['PATH']}")
    result = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert result.code == 0
    assert "notify-hook is not found in PATH's absolute directories" in result.err
    assert not pwned.exists()


def test_programs_a_trusted_hook_runs_by_name_never_come_from_the_work_tree(
    registry: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trusted script calls `notifier` by name: neither `.` nor a PATH directory inside the
    work tree (a virtualenv activated there) lets a branch's checkout supply it."""
    pwned, sent = tmp_path / "pwned", tmp_path / "sent"
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "notifier").write_text(f"#!/bin/sh\ntouch '{sent}'\n")
    (tools / "notifier").chmod(0o755)
    (registry / "hooks").mkdir()
    (registry / "hooks/notify.sh").write_text("#!/bin/sh\nnotifier\n")
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nhooks:\n  - command: [hooks/notify.sh]\n"
    )
    commit_all(registry, "a hook that runs a program by name")
    for planted in (registry / "notifier", registry / ".venv/bin/notifier"):
        planted.parent.mkdir(parents=True, exist_ok=True)
        planted.write_text(f"#!/bin/sh\ntouch '{pwned}'\n")
        planted.chmod(0o755)
    path = os.pathsep.join([".", str(registry / ".venv/bin"), str(tools), os.environ["PATH"]])
    monkeypatch.setenv("PATH", path)
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0
    assert sent.exists() and not pwned.exists()
