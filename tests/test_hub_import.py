"""`import-card` over real Hugging Face Hub cards (tests/hub_cards/): never a crash, and nothing
huggingface_hub reads from a card is lost or replaced by a guess."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from huggingface_hub import metadata_load
from huggingface_hub.repocard import REGEX_YAML_BLOCK
from huggingface_hub.repocard_data import model_index_to_eval_results

from gitckpt.card import parse_card
from gitckpt.licenses import normalize
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
CORPUS = Path(__file__).parent / "hub_cards"
CARDS = sorted(CORPUS.glob("*.md"), key=lambda path: path.name)
CARDS = [path for path in CARDS if path.name != "README.md"]
WHERE = re.compile(r":\d+: ")


def test_the_corpus_is_large_and_has_the_hard_cases() -> None:
    text = {path.name: path.read_text(encoding="utf-8") for path in CARDS}
    assert len(CARDS) >= 40
    assert any("{{card_data}}" in body or "{{ card_data }}" in body for body in text.values())
    assert sum("model-index" in body for body in text.values()) >= 15
    manifest = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert all(f"| {name} |" in manifest for name in text)


def _import(cli: Cli, card: Path, tmp_path: Path) -> tuple[CliResult, Path]:
    target = tmp_path / "imported.card.md"
    result = cli("import-card", str(card), "--name", "imported", "-o", str(target), cwd=tmp_path)
    return result, target


def _hub_prose(card: Path) -> str:
    """The card's body as huggingface_hub's ModelCard splits it (its `text`)."""
    content = card.read_text(encoding="utf-8")
    match = REGEX_YAML_BLOCK.search(content)
    return (content[match.end() :] if match else content).replace("\r\n", "\n").strip()


def _hub_metadata(card: Path) -> dict[str, Any] | None:
    """What huggingface_hub reads from the card's front matter (None when PyYAML cannot read
    it: gitckpt's YAML 1.2 reader then decides alone)."""
    try:
        return metadata_load(card) or {}
    except yaml.YAMLError:
        return None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in (value if isinstance(value, list) else [value])]


@pytest.mark.parametrize("card", CARDS, ids=[path.stem for path in CARDS])
def test_every_real_card_imports_or_is_refused_with_its_line(
    card: Path, cli: Cli, tmp_path: Path
) -> None:
    result, target = _import(cli, card, tmp_path)
    assert result.code in (0, 1), result.err
    if result.code == 1:
        assert f"{card}:" in result.err and WHERE.search(result.err), result.err
        assert not target.exists()
        return
    imported = parse_card(target.read_text(encoding="utf-8"), "imported")
    data = imported.data
    environment = data["environment"]
    assert "<FILL" in str(environment["python"]) and "<FILL" in str(environment["frameworks"])
    assert _hub_prose(card) in imported.body
    metadata = _hub_metadata(card)
    if metadata is None:
        return
    for key in ("language", "tags"):
        assert data.get(key, []) == _as_list(metadata.get(key)), key
    for key in ("pipeline_tag", "library_name"):
        assert data.get(key) == metadata.get(key), key
    _assert_license_kept(metadata, data)
    _assert_base_model_kept(metadata, data)
    _assert_datasets_kept(metadata, data)
    _assert_results_kept(metadata, data)


def _assert_license_kept(metadata: dict[str, Any], data: dict[str, Any]) -> None:
    ids = _as_list(metadata.get("license"))
    if ids and ids != ["other"]:
        assert normalize(ids[0]) == data["license"] or all(
            item in data["license"] for item in ids
        ), (ids, data["license"])


def _assert_base_model_kept(metadata: dict[str, Any], data: dict[str, Any]) -> None:
    bases = _as_list(metadata.get("base_model"))
    if bases:
        assert data["base_model"]["uri"] == f"hf://{bases[0]}"
        assert data["base_model"].get("relation") == metadata.get("base_model_relation")


def _assert_datasets_kept(metadata: dict[str, Any], data: dict[str, Any]) -> None:
    names = _as_list(metadata.get("datasets"))
    if not names:
        return
    entries = data["training_data"]
    assert len(entries) == len(names)
    for name, entry in zip(names, entries, strict=True):
        if re.fullmatch(r"[\w.-]+(/[\w.-]+)?", name):
            assert entry["uri"] == f"hf://datasets/{name}"
        elif re.match(r"https?://", name):
            assert entry["uri"] == name
        else:
            assert "<FILL" in entry["uri"] and name in entry["note"]
        assert entry["role"] != "train" or "test" not in name.lower()


def _hub_results(metadata: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every model-index result huggingface_hub reads, one result at a time (it refuses a
    whole model-index for one bad result; gitckpt drops that one with a warning)."""
    found: list[tuple[Any, ...]] = []
    for model in metadata.get("model-index") or []:
        for result in model.get("results") or []:
            try:
                _, results = model_index_to_eval_results([{"name": "m", "results": [result]}])
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
            found.extend(
                (
                    item.task_type,
                    item.dataset_split,
                    item.dataset_name,
                    item.dataset_config,
                    item.metric_type,
                    item.metric_name,
                    item.metric_value,
                )
                for item in results
            )
    return found


def _assert_results_kept(metadata: dict[str, Any], data: dict[str, Any]) -> None:
    expected = _hub_results(metadata)
    if not expected:
        return
    kept = [
        (
            entry["task"],
            None if "<FILL" in str(entry["dataset"]["split"]) else entry["dataset"]["split"],
            entry["dataset"].get("name"),
            entry["dataset"].get("config"),
            entry["metric"],
            entry.get("metric_name"),
        )
        for entry in data["evaluation"]
    ]
    assert kept == [result[:-1] for result in expected]
    for entry, result in zip(data["evaluation"], expected, strict=True):
        value = result[-1]
        assert entry["value"] == value or f"the Hub card says {value})" in entry["value"]


def _readme(tmp_path: Path, front_matter: str, body: str = "# m\n\nProse.\n") -> Path:
    path = tmp_path / "README.md"
    path.write_text(f"---\n{front_matter}---\n{body}", encoding="utf-8")
    return path


def test_a_template_is_refused_with_its_line(cli: Cli, tmp_path: Path) -> None:
    result, target = _import(cli, CORPUS / "hfhub-sample_template.md", tmp_path)
    assert result.code == 1 and "hfhub-sample_template.md:2:" in result.err
    assert "card template" in result.err and "render it first" in result.err
    assert not target.exists()


def test_invalid_yaml_is_refused_with_its_line_and_the_fix(cli: Cli, tmp_path: Path) -> None:
    card = _readme(tmp_path, "license: mit\ntags: a: b\nlanguage: en\n")
    result, target = _import(cli, card, tmp_path)
    assert result.code == 1 and "README.md:3:" in result.err and "invalid YAML" in result.err
    assert "fix the front matter" in result.err and not target.exists()


def test_anchors_are_refused_clearly(cli: Cli, tmp_path: Path) -> None:
    card = _readme(tmp_path, "license: &l mit\ntags: [*l]\n")
    result, target = _import(cli, card, tmp_path)
    assert result.code == 1 and "README.md:2:" in result.err and "anchor" in result.err
    assert not target.exists()


def test_datasets_link_only_hub_ids(cli: Cli, tmp_path: Path) -> None:
    card = _readme(
        tmp_path,
        "datasets:\n- glue\n- org/set\n- http://www.statmt.org/wmt19/\n- newstest2019 (test set)\n",
    )
    result, target = _import(cli, card, tmp_path)
    assert result.code == 0, result.err
    entries = parse_card(target.read_text(), "c").data["training_data"]
    assert [entry["uri"] for entry in entries[:3]] == [
        "hf://datasets/glue",
        "hf://datasets/org/set",
        "http://www.statmt.org/wmt19/",
    ]
    free_text = entries[3]
    assert "<FILL" in free_text["uri"] and "newstest2019 (test set)" in free_text["note"]
    assert free_text["role"] == "test"


@pytest.mark.parametrize(
    ("license_yaml", "expected"),
    [
        ("license: [bsd-3-clause]\n", "BSD-3-Clause"),
        ("license: apache-2.0\n", "Apache-2.0"),
        ("license: [mit, apache-2.0]\n", "<FILL: SPDX expression joining MIT, Apache-2.0"),
        ("license: [cc, mit]\n", "<FILL: SPDX expression for the Hub license(s) cc, mit"),
        ("license: other\nlicense_name: acme-research\n", "LicenseRef-acme-research"),
    ],
)
def test_a_license_maps_only_when_the_hub_ids_do(
    license_yaml: str, expected: str, cli: Cli, tmp_path: Path
) -> None:
    result, target = _import(cli, _readme(tmp_path, license_yaml), tmp_path)
    assert result.code == 0, result.err
    assert parse_card(target.read_text(), "c").data["license"].startswith(expected)


def test_a_result_without_a_dataset_is_dropped_with_a_warning_and_the_rest_kept(
    cli: Cli, tmp_path: Path
) -> None:
    result, target = _import(cli, CORPUS / "hfhub-sample_invalid_model_index.md", tmp_path)
    assert result.code == 0
    assert "hfhub-sample_invalid_model_index.md:15: model-index[0].results[0] names no dataset" in (
        result.err
    )
    data = parse_card(target.read_text(), "c").data
    assert data["library_name"] == "timm" and data["tags"] == ["pytorch", "image-classification"]
    assert "<FILL" in str(data["evaluation"][0]["task"])  # the template's, not an invented one


def test_json_output_lists_the_warnings(cli: Cli, tmp_path: Path) -> None:
    card = CORPUS / "hfhub-sample_invalid_model_index.md"
    result = cli("import-card", str(card), "--name", "m", "--json", cwd=tmp_path)
    report = json.loads(result.out)
    assert report["card"] == "m.card.md" and len(report["warnings"]) == 1


def test_template_sections_become_suggestions_a_person_confirms(cli: Cli, tmp_path: Path) -> None:
    body = (
        "# m\n\n## Limitations and bias\n\nIt truncates repeated phrases.\n\n"
        "## Training data\n\n<!-- a comment -->\nMore information needed\n\n## Other\n\nKept.\n"
    )
    result, target = _import(cli, _readme(tmp_path, "license: mit\n", body), tmp_path)
    assert result.code == 0, result.err
    card = parse_card(target.read_text(), "c")
    limitation = card.data["limitations"][0]["description"]
    assert limitation.startswith("<FILL: confirm or rewrite")
    assert "It truncates repeated phrases." in limitation
    assert "More information needed" not in str(card.data["training_data"])
    assert body.strip() in card.body


def test_a_link_by_uri_without_a_pin_says_to_add_one(registry: Path, cli: Cli) -> None:
    card = registry / "models/clf.card.md"
    card.write_text(
        card.read_text().replace("- artifact: points", "- uri: https://example.org/points.csv")
    )
    result = cli("check", "--json", cwd=registry)
    messages = [
        finding["message"]
        for finding in json.loads(result.out)["findings"]
        if finding["field"] == "training_data[0]"
    ]
    assert messages == [
        "a link by `uri` needs `sha256` or `revision` to pin what it links to: add one (the "
        "commit, tag or dataset version as `revision`, or the sha256 of its bytes)"
    ]
