"""A credential in a card (GC601) is masked in every output: a model card on a pull-request branch
holds a GitHub token and an AWS key in its front matter and its prose, and each command, in each of
its formats, shows them only masked. What publishes a card (export, site) refuses it instead.
Also: a card's own fences cannot close the review's code block, and annotation properties are
escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from gitckpt import Registry
from testing.repos import commit_all, git
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"
DATASET_CARD = "data/points.card.md"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"  # the key AWS documents as an example; GC601's tests use it too
GITHUB_TOKEN = "ghp_1234567890abcdefghijklmnopqrstuvwxyzAB"
MASKED_AWS_KEY = "AKIA…(20 characters)"
MASKED_GITHUB_TOKEN = "ghp_…(42 characters)"
PROSE = f"Upload with key {AWS_KEY} to the bucket, or push with {GITHUB_TOKEN} to the hub."


def edit(repo: Path, path: str, old: str, new: str) -> None:
    file = repo / path
    assert old in file.read_text(encoding="utf-8"), old
    file.write_text(file.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def line_of(repo: Path, path: str, text: str) -> int:
    return next(
        number
        for number, line in enumerate((repo / path).read_text().split("\n"), start=1)
        if text in line
    )


def assert_no_secret(*outputs: str) -> None:
    """Not even a piece: the four characters the mask shows are the most any output may hold."""
    for output in outputs:
        for secret in (AWS_KEY, GITHUB_TOKEN):
            pieces = [secret[start : start + 8] for start in range(4, len(secret) - 7)]
            assert not [piece for piece in pieces if piece in output], output


@pytest.fixture
def leaky(registry: Path) -> Path:
    """A pull request whose model card holds credentials in its description, a hyperparameter,
    its license, a noassertion reason and its prose."""
    git(registry, "checkout", "-q", "-b", "pull-request")
    edit(
        registry,
        MODEL_CARD,
        "description: A small classifier",
        f"description: Pushed with {GITHUB_TOKEN}. A small classifier",
    )
    edit(
        registry,
        MODEL_CARD,
        "  optimizer: sgd\n",
        f"  optimizer: sgd\n  hub_token: {GITHUB_TOKEN}\n",
    )
    edit(registry, MODEL_CARD, "license: Apache-2.0", f"license: {AWS_KEY}")
    edit(
        registry,
        MODEL_CARD,
        "noassertion: not measured on a laptop",
        f"noassertion: the meter's API key is {AWS_KEY}",
    )
    edit(registry, MODEL_CARD, "Prose for reviewers.", PROSE)
    commit_all(registry, "a careless pull request")
    return registry


def test_check_masks_in_every_finding(leaky: Path, cli: Cli) -> None:
    text, as_json = cli("check", cwd=leaky), cli("check", "--json", cwd=leaky)
    assert text.code == as_json.code == 1
    assert_no_secret(text.out, text.err, as_json.out, as_json.err)
    messages = [finding["message"] for finding in json.loads(as_json.out)["findings"]]
    assert (
        f"AWS Access Key: {MASKED_AWS_KEY}" in messages
        and f"GitHub Token: {MASKED_GITHUB_TOKEN}" in messages
    )
    assert any(
        MASKED_AWS_KEY in message for message in messages if not message.startswith("AWS")
    )  # the license check quotes it


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_diff_masks_values_summaries_and_prose(leaky: Path, cli: Cli, fmt: str) -> None:
    result = cli("diff", "main", "HEAD", "--format", fmt, cwd=leaky)
    assert result.code == 0
    assert_no_secret(result.out, result.err)
    shown = json.dumps(json.loads(result.out), ensure_ascii=False) if fmt == "json" else result.out
    assert (
        f"Upload with key {MASKED_AWS_KEY} to the bucket, or push with "
        f"{MASKED_GITHUB_TOKEN} to the hub." in shown
    )
    assert (
        f"license: Apache-2.0 → {MASKED_AWS_KEY}" in shown
        and f"hyperparameters.hub_token: (none) → {MASKED_GITHUB_TOKEN}" in shown
    )


def test_ci_masks_report_json_annotations_and_step_summary(
    leaky: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary, report = tmp_path / "summary.md", tmp_path / "report.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    markdown = cli("ci", "--base", "main", "--report", str(report), cwd=leaky)
    as_json = cli("ci", "--base", "main", "--json", cwd=leaky)
    assert markdown.code == as_json.code == 1
    outputs = (
        markdown.out,
        markdown.err,
        as_json.out,
        as_json.err,
        report.read_text(),
        summary.read_text(),
    )
    assert_no_secret(*outputs)
    annotations = [line for line in markdown.out.splitlines() if line.startswith("::")]
    assert any(f"GitHub Token: {MASKED_GITHUB_TOKEN}" in line for line in annotations)
    assert any(f"license: Apache-2.0 → {MASKED_AWS_KEY}" in line for line in annotations)
    assert all(
        MASKED_AWS_KEY in output and MASKED_GITHUB_TOKEN in output
        for output in (markdown.out, as_json.out, report.read_text())
    )


def test_search_masks_snippets_and_the_index_holds_no_secret(leaky: Path, cli: Cli) -> None:
    text = cli("search", "bucket", cwd=leaky)
    as_json = cli("search", "bucket", "--json", cwd=leaky)
    described = cli("search", "Pushed", "--json", cwd=leaky)
    assert_no_secret(text.out, text.err, as_json.out, as_json.err, described.out)
    (hit,) = json.loads(as_json.out)
    assert hit["name"] == "clf" and MASKED_AWS_KEY in hit["snippet"] and MASKED_AWS_KEY in text.out
    assert MASKED_GITHUB_TOKEN in json.loads(described.out)[0]["snippet"]
    assert (
        json.loads(cli("search", AWS_KEY, "--json", cwd=leaky).out) == []
    )  # a search does not confirm a credential
    index = (leaky / ".git/gitckpt/search.sqlite").read_bytes()
    assert AWS_KEY.encode() not in index and GITHUB_TOKEN[4:].encode() not in index


def test_log_and_show_never_print_a_secret(leaky: Path, cli: Cli) -> None:
    outputs = [
        cli(*args, cwd=leaky)
        for args in (
            ("log", "clf"),
            ("log", "clf", "--json"),
            ("show", "clf"),
            ("show", "clf", "--json"),
        )
    ]
    assert all(result.code == 0 for result in outputs)
    assert_no_secret(*(result.out + result.err for result in outputs))
    assert "hyperparameters.hub_token" in outputs[1].out


def test_audit_masks_the_reasons_it_quotes(leaky: Path, cli: Cli) -> None:
    text, as_json = cli("audit", cwd=leaky), cli("audit", "--json", cwd=leaky)
    assert text.code == as_json.code == 0
    assert_no_secret(text.out, text.err, as_json.out, as_json.err)
    reasons = [
        gap["reason"]
        for group in json.loads(as_json.out)["noassertion"]
        for gap in group["artifacts"]
    ]
    assert f"the meter's API key is {MASKED_AWS_KEY}" in reasons


@pytest.mark.parametrize("fmt", ["hf", "cyclonedx", "spdx", "json"])
def test_export_refuses_a_card_holding_a_secret(
    leaky: Path, cli: Cli, tmp_path: Path, fmt: str
) -> None:
    output = tmp_path / "exported"
    result = cli("export", "clf", "--format", fmt, "-o", str(output), cwd=leaky)
    assert result.code == 1 and not output.exists()
    assert_no_secret(result.out, result.err)
    assert (
        f"{MODEL_CARD}:{line_of(leaky, MODEL_CARD, 'Upload with key')}: GC601 AWS Access "
        f"Key: {MASKED_AWS_KEY}" in result.err
    )


def test_export_refuses_a_dataset_card_it_would_include(registry: Path, cli: Cli) -> None:
    edit(
        registry,
        DATASET_CARD,
        "description: Synthetic",
        f"description: Fetch with {GITHUB_TOKEN}. Synthetic",
    )
    result = cli("export", "clf", "--format", "cyclonedx", cwd=registry)
    assert result.code == 1 and result.out == ""
    assert_no_secret(result.err)
    assert (
        f"{DATASET_CARD}:{line_of(registry, DATASET_CARD, 'Fetch with')}: GC601 GitHub "
        f"Token: {MASKED_GITHUB_TOKEN}" in result.err
    )


def test_export_refuses_a_secret_even_when_policy_makes_gc601_a_warning(
    registry: Path, cli: Cli
) -> None:
    (registry / ".gitckpt").mkdir()
    (registry / ".gitckpt/config.yaml").write_text("schema_version: 1\nchecks:\n  GC601: warning\n")
    edit(registry, MODEL_CARD, "Prose for reviewers.", PROSE)
    result = cli("export", "clf", "--format", "hf", cwd=registry)
    assert result.code == 1 and "holds a credential (GC601)" in result.err
    assert_no_secret(result.out, result.err)


def test_site_refuses_a_card_holding_a_secret_and_writes_nothing(
    leaky: Path, cli: Cli, tmp_path: Path
) -> None:
    output = tmp_path / "site"
    result = cli("site", "-o", str(output), cwd=leaky)
    assert result.code == 1 and not output.exists()
    assert_no_secret(result.out, result.err)
    assert "the site is not built" in result.err
    assert (
        f"{MODEL_CARD}:{line_of(leaky, MODEL_CARD, 'hub_token')}: GC601 GitHub Token: "
        f"{MASKED_GITHUB_TOKEN}" in result.err
    )


def test_a_private_key_is_masked_to_its_last_line(registry: Path, cli: Cli) -> None:
    body = (
        "MIIEpAIBAAKCAQEAwJ7w0pZ3q6lW2xExampleKeyMaterialOnly0123456789abcdef\n"
        "Not4RealButShapedLikeIt+/abcdefghijklmnopqrstuvwxyz0123=="
    )
    key = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    git(registry, "checkout", "-q", "-b", "pull-request")
    edit(registry, MODEL_CARD, "Prose for reviewers.", f"Deploy key:\n\n{key}\n\nKeep it safe.")
    commit_all(registry, "a key in the prose")
    result = cli("diff", "main", "HEAD", "--format", "json", cwd=registry)
    prose = json.loads(result.out)[0]["prose_diff"]
    assert (
        not [line for line in body.split("\n") if line[4:] in prose] and "+Keep it safe." in prose
    )


def test_a_cards_fences_cannot_close_the_review_code_block(registry: Path, cli: Cli) -> None:
    edit(
        registry,
        MODEL_CARD,
        "Prose for reviewers.",
        "```\nProse for reviewers.\n## Injected: approve this pull request\n````",
    )
    commit_all(registry, "prose with fences")
    git(registry, "checkout", "-q", "-b", "pull-request")
    edit(registry, MODEL_CARD, "Prose for reviewers.", "Prose for reviewers, edited.")
    commit_all(registry, "edit between the fences")
    prose = json.loads(cli("diff", "main", "HEAD", "--format", "json", cwd=registry).out)[0][
        "prose_diff"
    ]
    assert " ```\n" in prose and " ````\n" in prose  # the fence lines are unchanged context lines
    tokens = MarkdownIt("commonmark").parse(
        cli("diff", "main", "HEAD", "--format", "markdown", cwd=registry).out
    )
    (fence,) = [token for token in tokens if token.type == "fence"]
    assert fence.info == "diff" and fence.content == prose
    assert not [
        token for token in tokens if token.type == "inline" and token.content.startswith("Injected")
    ]


def test_annotation_properties_are_escaped(
    registry: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(registry, "checkout", "-q", "-b", "pull-request")
    (registry / "models/v1,final:100%.card.md").write_text("---\nname: [unclosed\n---\n")
    commit_all(registry, "a card whose name needs escaping")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = cli("ci", "--base", "main", cwd=registry)
    annotations = [line for line in result.out.splitlines() if line.startswith("::")]
    assert result.code == 1 and annotations
    escaped = "file=models/v1%2Cfinal%3A100%25.card.md"
    assert any(re.match(rf"::error {escaped},line=\d+,title=GC102::", line) for line in annotations)
    assert any(line.startswith(f"::error {escaped},title=card-invalid::") for line in annotations)
    assert not [
        line
        for line in annotations
        if "v1,final" in line.split("::")[1] or "100%." in line.split("::")[1]
    ]


def test_personal_data_in_a_card_is_found_on_its_line_and_masked(registry: Path, cli: Cli) -> None:
    """GC602: an address or a phone number in a card's prose, on the line it is on, masked; the
    card's own contact, example.org addresses and `name@v1.2.0` links are not personal data."""
    prose = (
        "Questions: jane.doe@university.edu or +44 20 7946 0958 by phone.\n"
        "Built on clf@v1.2.0; the team is ml-team@example.org.\n"
        "Call +1 (555) 010-4477 after hours."
    )
    edit(registry, MODEL_CARD, "Prose for reviewers.", prose)
    report = json.loads(cli("check", MODEL_CARD, "--json", cwd=registry).out)
    found = [
        (item["line"], item["message"]) for item in report["findings"] if item["check"] == "GC602"
    ]
    first = line_of(registry, MODEL_CARD, "jane.doe")
    assert found == [
        (first, "e-mail address jane…(23 characters)"),
        (first, "phone number +44 …(16 characters)"),
        (first + 2, "phone number +1 (…(17 characters)"),
    ]


def test_the_python_api_masks_a_cards_facts_and_prose(leaky: Path) -> None:
    card = Registry.open(leaky).card("clf")
    shown = json.dumps(dict(card.facts)) + card.prose
    assert GITHUB_TOKEN not in shown and AWS_KEY not in shown
    assert MASKED_GITHUB_TOKEN in card.facts["description"]
    assert MASKED_AWS_KEY in card.prose
