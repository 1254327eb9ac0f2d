"""Pull-request review: `git ckpt diff` and `git ckpt ci` on multi-commit repositories with
branches."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from testing.repos import commit_all, git, track
from tests.conftest import MODEL, CliResult

Cli = Callable[..., CliResult]
GOLDEN = Path(__file__).parent / "golden"
MODEL_CARD = "models/clf.card.md"


def on_branch(repo: Path) -> Path:
    git(repo, "checkout", "-q", "-b", "pull-request")
    return repo


def edit(repo: Path, path: str, old: str, new: str) -> None:
    file = repo / path
    assert old in file.read_text(), old
    file.write_text(file.read_text().replace(old, new, 1))


def changes(result: CliResult) -> list[tuple[str, str, str]]:
    return [
        (card["name"], change["kind"], change["severity"])
        for card in json.loads(result.out)
        for change in card["changes"]
    ]


def test_removed_limitation_is_an_error(registry: Path, cli: Cli) -> None:
    repo = on_branch(registry)
    card = repo / MODEL_CARD
    text = card.read_text()
    card.write_text(
        re.sub(
            r"limitations:\n(- .*\n(  .*\n)*)",
            "limitations:\n- description: Slow on CPU.\n  failure_mode: Timeouts.\n  "
            "conditions: Large batches.\n",
            text,
        )
    )
    commit_all(repo, "drop the synthetic-data limitation")
    result = cli("diff", "main", "HEAD", "--format", "json", cwd=repo)
    assert result.code == 0
    assert ("clf", "limitation-removed", "error") in changes(result)


def test_license_change_is_an_error(registry: Path, cli: Cli) -> None:
    repo = on_branch(registry)
    edit(repo, MODEL_CARD, "license: Apache-2.0", "license: CC-BY-NC-4.0")
    commit_all(repo, "relicense")
    review = changes(cli("diff", "main", "--format", "json", cwd=repo))
    assert review == [("clf", "license-changed", "error")]


def test_an_eval_cards_results_are_named_by_the_task_and_dataset_the_card_states(
    registry: Path, cli: Cli
) -> None:
    repo = on_branch(registry)
    edit(repo, "evals/clf-eval.card.md", "value: 0.84", "value: 0.85")
    commit_all(repo, "re-run the evaluation")
    text = cli("diff", "main", cwd=repo).out
    assert "accuracy on points/test (classification): 0.84 → 0.85 (within noise)" in text
    assert "None" not in text


def test_metric_drop_outside_the_interval_is_significant(registry: Path, cli: Cli) -> None:
    repo = on_branch(registry)
    edit(repo, MODEL_CARD, "value: 0.84", "value: 0.71")
    edit(repo, MODEL_CARD, "low: 0.81", "low: 0.67")
    edit(repo, MODEL_CARD, "high: 0.87", "high: 0.75")
    commit_all(repo, "honest numbers")
    result = json.loads(cli("diff", "main", "--format", "json", cwd=repo).out)
    (change,) = [c for c in result[0]["changes"] if c["kind"].startswith("metric")]
    assert change["kind"] == "metric-drop-significant" and change["severity"] == "warning"
    assert "0.84 → 0.71 (significant: outside the confidence interval)" in change["summary"]


def test_metric_change_within_the_interval_is_noise(registry: Path, cli: Cli) -> None:
    repo = on_branch(registry)
    edit(repo, MODEL_CARD, "value: 0.84", "value: 0.83")
    commit_all(repo, "re-ran")
    assert changes(cli("diff", "main", "--format", "json", cwd=repo)) == [
        ("clf", "metric-change-within-noise", "info")
    ]


def test_prose_only_edit(registry: Path, cli: Cli) -> None:
    repo = on_branch(registry)
    edit(repo, MODEL_CARD, "Prose for reviewers.", "Prose for reviewers, clarified.")
    commit_all(repo, "wording")
    result = json.loads(cli("diff", "main", "--format", "json", cwd=repo).out)
    assert [(c["kind"], c["severity"]) for c in result[0]["changes"]] == [("prose-changed", "info")]
    assert "-Prose for reviewers.\n+Prose for reviewers, clarified." in result[0]["prose_diff"]


def test_renamed_card_is_paired_by_name(registry: Path, cli: Cli) -> None:
    repo = on_branch(registry)
    git(repo, "mv", "data/points.card.md", "data/points-dataset.card.md")
    commit_all(repo, "rename the card")
    result = json.loads(cli("diff", "main", "--format", "json", cwd=repo).out)
    assert [
        (card["name"], card["status"], card["old_path"], card["new_path"]) for card in result
    ] == [("points", "renamed", "data/points.card.md", "data/points-dataset.card.md")]


def test_new_checkpoint_without_new_evaluation_is_flagged(registry: Path, cli: Cli) -> None:
    repo = on_branch(registry)
    (repo / MODEL).write_bytes(b"retrained weights")
    assert cli("add", MODEL, cwd=repo).code == 0
    commit_all(repo, "retrain")
    review = changes(cli("diff", "main", "--format", "json", cwd=repo))
    assert ("clf", "bytes-changed", "info") in review and (
        "clf",
        "evaluation-not-rerun",
        "error",
    ) in review


def test_work_tree_is_the_default_head_and_added_and_deleted_cards(
    registry: Path, cli: Cli
) -> None:
    repo = on_branch(registry)
    (repo / "evals/clf-eval.card.md").unlink()
    outs = track(repo, {"data/extra.csv": b"a,b\n"})
    from testing.cards import dataset_fields, write_card

    write_card(repo, "dataset", "extra", "data/extra.csv", outs["data/extra.csv"], dataset_fields())
    review = changes(cli("diff", "--format", "json", cwd=repo))
    assert ("clf-eval", "card-deleted", "warning") in review and (
        "extra",
        "card-added",
        "info",
    ) in review


def test_review_severities_come_from_the_config(registry: Path, cli: Cli) -> None:
    (registry / ".gitckpt").mkdir()
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nreview:\n  license-changed: warning\n  prose-changed: 'off'\n"
    )
    commit_all(registry, "review policy")  # on main: the base the pull request is judged by
    repo = on_branch(registry)
    edit(repo, MODEL_CARD, "license: Apache-2.0", "license: MIT")
    edit(repo, MODEL_CARD, "Prose for reviewers.", "Other prose.")
    commit_all(repo, "relicense")
    assert changes(cli("diff", "main", "--format", "json", cwd=repo)) == [
        ("clf", "license-changed", "warning")
    ]


def golden_scenario(repo: Path) -> None:
    edit(repo, MODEL_CARD, "license: Apache-2.0", "license: CC-BY-NC-4.0")
    edit(repo, MODEL_CARD, "value: 0.84", "value: 0.71")
    edit(repo, MODEL_CARD, "- Any real decision.", "- Any decision about people.")
    edit(repo, MODEL_CARD, "optimizer: sgd", "optimizer: sgd | momentum 0.9")
    edit(repo, MODEL_CARD, "Prose for reviewers.", "Prose for reviewers.\n\nNow with a caveat.")
    edit(
        repo,
        "data/points.card.md",
        "collection: Generated by a seeded random generator.",
        "collection: {noassertion: 'the generator script was lost'}",
    )
    commit_all(repo, "the pull request")


def test_markdown_report_matches_the_golden_file(registry: Path, cli: Cli) -> None:
    repo = on_branch(registry)
    golden_scenario(repo)
    markdown = cli("diff", "main", "HEAD", "--format", "markdown", cwd=repo).out
    golden = GOLDEN / "review.md"
    if os.environ.get("GITCKPT_UPDATE_GOLDEN"):
        golden.write_text(markdown)
    assert markdown == golden.read_text()


def test_every_markdown_table_row_has_the_header_column_count(registry: Path, cli: Cli) -> None:
    repo = on_branch(registry)
    golden_scenario(repo)
    edit(repo, MODEL_CARD, "license: CC-BY-NC-4.0", "license: 'x'")
    markdown = cli("ci", "--base", "main", cwd=repo).out
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables = 0
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            tables += 1
            header = _row_cells(tokens, index, "thead_open")
            rows = [
                _cells_from(tokens, position)
                for position in range(index, len(tokens))
                if tokens[position].type == "tr_open" and _in_body(tokens, index, position)
            ]
            assert rows and all(len(row) == header for row in rows)
    assert tables >= 3


def _row_cells(tokens: list, start: int, section: str) -> int:  # type: ignore[type-arg]
    position = next(i for i in range(start, len(tokens)) if tokens[i].type == section)
    return _cells_from(
        tokens, next(i for i in range(position, len(tokens)) if tokens[i].type == "tr_open")
    ).__len__()


def _cells_from(tokens: list, tr_open: int) -> list[str]:  # type: ignore[type-arg]
    cells = []
    for token in tokens[tr_open + 1 :]:
        if token.type == "tr_close":
            return cells
        if token.type in ("td_open", "th_open"):
            cells.append(token.type)
    return cells


def _in_body(tokens: list, table_open: int, position: int) -> bool:  # type: ignore[type-arg]
    body = next(i for i in range(table_open, len(tokens)) if tokens[i].type == "tbody_open")
    close = next(i for i in range(table_open, len(tokens)) if tokens[i].type == "table_close")
    return body < position < close


def test_ci_fails_on_errors_and_writes_report_summary_and_annotations(
    registry: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = on_branch(registry)
    edit(repo, MODEL_CARD, "license: Apache-2.0", "license: CC-BY-NC-4.0")
    commit_all(repo, "relicense")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = cli("ci", "--base", "main", "--report", str(tmp_path / "report.md"), cwd=repo)
    assert result.code == 1
    assert (
        "::error file=models/clf.card.md,title=license-changed::license: Apache-2.0 → CC-BY-NC-4.0"
        in result.out
    )
    assert (tmp_path / "report.md").read_text() in summary.read_text()
    assert "license-changed" in (tmp_path / "report.md").read_text()


def test_ci_passes_a_clean_pull_request(registry: Path, cli: Cli) -> None:
    repo = on_branch(registry)
    edit(repo, MODEL_CARD, "Prose for reviewers.", "Better prose.")
    commit_all(repo, "prose")
    result = cli("ci", "--base", "main", "--json", cwd=repo)
    assert result.code == 0 and json.loads(result.out)["ok"] is True


def test_check_findings_are_in_the_ci_report_with_annotations(
    registry: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = on_branch(registry)
    edit(repo, MODEL_CARD, "license: Apache-2.0", "license: 42")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = cli("ci", "--base", "main", cwd=repo)
    assert result.code == 1
    assert re.search(r"::error file=models/clf.card.md,line=\d+,title=GC103::", result.out)
    assert "### Checks" in result.out


def test_unknown_base_is_a_usage_error(registry: Path, cli: Cli) -> None:
    result = cli("diff", "no-such-branch", cwd=registry)
    assert result.code == 2 and "'no-such-branch' is not a revision" in result.err


def test_shallow_clone_without_the_base_says_how_to_fetch_it(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    git(registry, "commit", "--allow-empty", "-q", "-m", "second")
    base = git(registry, "rev-parse", "HEAD~1").strip()
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{registry}", str(clone)],
        check=True,
        capture_output=True,
    )
    result = cli("diff", base, cwd=clone)
    assert result.code == 2
    assert "shallow clone" in result.err and "git fetch --unshallow" in result.err


def test_a_card_invalid_on_one_side_is_reported_not_a_traceback(registry: Path, cli: Cli) -> None:
    repo = on_branch(registry)
    (repo / MODEL_CARD).write_text("---\nname: [unclosed\n---\n")
    commit_all(repo, "break it")
    result = cli("diff", "main", "--format", "json", cwd=repo)
    assert result.code == 0
    (card,) = json.loads(result.out)
    assert (
        card["changes"][0]["kind"] == "card-invalid"
        and "head side" in card["changes"][0]["summary"]
    )
    assert cli("ci", "--base", "main", cwd=repo).code == 1
