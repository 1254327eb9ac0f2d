"""`git ckpt migrate` and GC105: cards moved from one schema version to the next through the
steps in gitckpt/migrations.py, round-trip, all or nothing. The shipped schemas are at version 2
(the `access` block, from the step 1 → 2); these tests also supply a version 3 of the model schema
(a copy with `architecture` renamed to `model_architecture`) and its step, the way a further schema
change would ship them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gitckpt import migrations, schema
from gitckpt.card import edit_front_matter, parse_card
from gitckpt.errors import GitckptError, InputError
from gitckpt.migrations import MigrationStep, apply_chain, migration_chain
from gitckpt.schema import CARD_SCHEMAS, current_schema_version, validate
from testing.cards import SHARED
from testing.repos import commit_all, git, track
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"
ADDED_CARD = "models/second.card.md"
SCAFFOLD_CARD = "data/extra.card.md"
COMMENT = "# measured on the final checkpoint, not the EMA weights"
OLD_FIELD, NEW_FIELD = "architecture", "model_architecture"


def rename_architecture(data: Any) -> None:
    """The v2 → v3 step: `architecture` becomes `model_architecture`, in place and with its
    comments (ruamel keeps a key's comments under the key)."""
    if NEW_FIELD in data:
        raise InputError(f"has both `{OLD_FIELD}` and `{NEW_FIELD}`", field=NEW_FIELD)
    position = list(data).index(OLD_FIELD)
    comment = data.ca.items.pop(OLD_FIELD, None)
    data.insert(position, NEW_FIELD, data.pop(OLD_FIELD))
    if comment is not None:
        data.ca.items[NEW_FIELD] = comment


RENAME_STEP = MigrationStep(
    from_version=2,
    kinds=frozenset({"model"}),
    summary=f"renames `{OLD_FIELD}` to `{NEW_FIELD}`",
    edit=rename_architecture,
)


def _forget_loaded_schemas() -> None:
    for cached in (
        schema.load_schema,
        schema._validator,
        schema._compiled_validator,
        schema.rules_fingerprint,
    ):
        cached.cache_clear()


@pytest.fixture
def model_schema_v3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], None]]:
    """Installs, when called, the shipped schemas with the model schema at version 3 and the
    step to it, as a release of gitckpt with that schema change would ship them."""

    def install() -> None:
        schemas = Path(shutil.copytree(schema.SCHEMA_DIR, tmp_path / "schemas"))
        model_path = schemas / CARD_SCHEMAS["model"]
        model = json.loads(model_path.read_text())
        model["properties"]["schema_version"]["const"] = 3
        model["properties"][NEW_FIELD] = model["properties"].pop(OLD_FIELD)
        model["required"] = [NEW_FIELD if key == OLD_FIELD else key for key in model["required"]]
        model_path.write_text(json.dumps(model, indent=2))
        monkeypatch.setattr(schema, "SCHEMA_DIR", schemas)
        monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS, RENAME_STEP))
        _forget_loaded_schemas()

    yield install
    monkeypatch.undo()
    _forget_loaded_schemas()


@pytest.fixture
def cards(registry: Path, cli: Cli) -> Path:
    """The registry's complete cards (one with a comment on the field to rename), a model card
    written by `git ckpt add` and a dataset card by `git ckpt card new`, committed."""
    card = registry / MODEL_CARD
    card.write_text(card.read_text().replace(f"\n{OLD_FIELD}:", f"\n{OLD_FIELD}:  {COMMENT}"))
    (registry / "models/second.bin").write_bytes(b"second model" * 100)
    assert cli("add", "models/second.bin", "--kind", "model", cwd=registry).code == 0
    track(registry, {"data/extra.csv": b"a,b\n1,2\n"})
    assert cli("card", "new", "data/extra.csv", "--kind", "dataset", cwd=registry).code == 0
    commit_all(registry, "cards at schema version 2")
    return registry


def _findings(cli: Cli, repo: Path) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads(cli("check", "--json", cwd=repo).out)["findings"]
    return findings


def test_the_shipped_schemas_state_their_version(registry: Path, cli: Cli) -> None:
    assert {kind: current_schema_version(kind) for kind in CARD_SCHEMAS} == {
        "model": 2,
        "dataset": 2,
        "eval": 2,
    }
    result = cli("migrate", "--json", cwd=registry)
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "cards": [],
        "already_current": ["data/points.card.md", "evals/clf-eval.card.md", MODEL_CARD],
        "written": False,
    }
    human = cli("migrate", cwd=registry)
    assert human.code == 0
    assert "Nothing to migrate" in human.out
    assert git(registry, "status", "--porcelain") == ""


def test_check_names_migrate_for_a_card_older_than_the_schema(
    cards: Path, cli: Cli, model_schema_v3: Callable[[], None]
) -> None:
    model_schema_v3()
    result = cli("check", cwd=cards)
    assert result.code == 1
    findings = _findings(cli, cards)
    outdated = [finding for finding in findings if finding["check"] == "GC105"]
    assert {finding["path"] for finding in outdated} == {MODEL_CARD, ADDED_CARD}
    assert all(finding["field"] == "schema_version" and finding["line"] for finding in outdated)
    assert "git ckpt migrate" in result.out
    # the version field is GC105's alone; GC103 still reports what the old card lacks
    assert not any(
        finding["check"] == "GC103" and finding["field"] == "schema_version" for finding in findings
    )


def test_migrate_renames_the_field_keeps_comments_and_prose_and_validates(
    cards: Path, cli: Cli, model_schema_v3: Callable[[], None]
) -> None:
    before = {path: (cards / path).read_text() for path in (MODEL_CARD, ADDED_CARD, SCAFFOLD_CARD)}
    model_schema_v3()

    dry = cli("migrate", "--dry-run", cwd=cards)
    assert dry.code == 0, dry.err
    assert git(cards, "status", "--porcelain") == ""
    assert f"{MODEL_CARD} (model card): schema version 2 → 3" in dry.out
    assert f"v2 → v3: renames `{OLD_FIELD}` to `{NEW_FIELD}`" in dry.out
    assert f"-{OLD_FIELD}:  {COMMENT}" in dry.out
    assert f"+{NEW_FIELD}: {COMMENT}" in dry.out  # kept; ruamel moves it after the longer key
    assert "Would migrate 2 cards" in dry.out

    result = cli("migrate", "--json", cwd=cards)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert [(card["path"], card["from"], card["to"]) for card in report["cards"]] == [
        (MODEL_CARD, 2, 3),
        (ADDED_CARD, 2, 3),
    ]
    assert report["written"] is True
    assert (cards / SCAFFOLD_CARD).read_text() == before[SCAFFOLD_CARD]
    after = {path: (cards / path).read_text() for path in (MODEL_CARD, ADDED_CARD)}
    # the card `add` wrote: byte for byte the same but for the two changed lines (its comments,
    # key order, quoting, `null`s and Markdown body kept)
    assert after[ADDED_CARD] == before[ADDED_CARD].replace(
        "schema_version: 2", "schema_version: 3"
    ).replace(f"\n{OLD_FIELD}:", f"\n{NEW_FIELD}:")
    # the hand-commented card: the comment moves with its key, the prose and every fact stay
    assert f"\n{NEW_FIELD}: {COMMENT}\n" in after[MODEL_CARD]
    old_card, new_card = parse_card(before[MODEL_CARD], "old"), parse_card(after[MODEL_CARD], "new")
    assert new_card.body == old_card.body
    renamed = {
        NEW_FIELD if key == OLD_FIELD else key: value for key, value in old_card.data.items()
    }
    assert new_card.data == {**renamed, "schema_version": 3}
    assert list(new_card.data) == list(renamed)
    assert validate(parse_card(after[MODEL_CARD], MODEL_CARD).data, CARD_SCHEMAS["model"]) == []
    # the scaffolds still hold placeholders (GC104), and nothing else is wrong under v3
    assert {finding["check"] for finding in _findings(cli, cards)} == {"GC104"}

    again = cli("migrate", "--json", cwd=cards)
    assert again.code == 0
    assert json.loads(again.out)["cards"] == []
    assert {path: (cards / path).read_text() for path in after} == after


def test_a_card_newer_than_gitckpt_is_refused_and_nothing_is_written(
    cards: Path, cli: Cli, model_schema_v3: Callable[[], None]
) -> None:
    model_schema_v3()
    newer = cards / "evals/clf-eval.card.md"
    newer.write_text(newer.read_text().replace("schema_version: 2", "schema_version: 4"))
    commit_all(cards, "a card from a newer gitckpt")
    result = cli("migrate", cwd=cards)
    assert result.code == 1
    assert "evals/clf-eval.card.md:" in result.err
    assert "schema version 4, newer than this gitckpt knows" in result.err
    assert git(cards, "status", "--porcelain") == ""  # the two v2 model cards were not written
    check = cli("check", "--json", cwd=cards)
    assert any(
        finding["check"] == "GC105" and "upgrade gitckpt" in finding["message"]
        for finding in json.loads(check.out)["findings"]
    )


@pytest.mark.parametrize(
    ("to", "message"),
    [("4", "--to 4: this gitckpt knows card schema versions up to 3"), ("2", "")],
)
def test_to_unknown_or_older_than_a_card_is_refused(
    cards: Path, cli: Cli, model_schema_v3: Callable[[], None], to: str, message: str
) -> None:
    model_schema_v3()
    assert cli("migrate", cwd=cards).code == 0
    commit_all(cards, "migrated")
    result = cli("migrate", "--to", to, cwd=cards)
    assert result.code == 1
    assert (message or "--to 2 is older than the card's schema version 3") in result.err
    assert git(cards, "status", "--porcelain") == ""


def test_a_step_that_refuses_a_card_stops_the_run_before_any_write(
    cards: Path, cli: Cli, model_schema_v3: Callable[[], None]
) -> None:
    model_schema_v3()
    card = cards / ADDED_CARD
    card.write_text(card.read_text().replace("\nbase_model:", f"\n{NEW_FIELD}: x\nbase_model:"))
    commit_all(cards, "both fields")
    result = cli("migrate", cwd=cards)
    assert result.code == 1
    assert f"{ADDED_CARD}:" in result.err
    assert f"cannot be migrated: has both `{OLD_FIELD}` and `{NEW_FIELD}`" in result.err
    assert git(cards, "status", "--porcelain") == ""


def test_a_bad_to_is_a_usage_error(registry: Path, cli: Cli) -> None:
    result = cli("migrate", "--to", "0", cwd=registry)
    assert result.code == 2
    assert "1 or more" in result.err


def test_a_step_edits_the_round_trip_mapping_and_the_version_alone() -> None:
    text = (
        "---\n# why this card exists\nschema_version: 2\narchitecture:  # from the paper\n"
        "  family: ResNet-50 # the family\nbase_model: null\nseeds: {training: 1}\n---\n"
        "# Prose\n\nkept as written.\n"
    )
    migrated = edit_front_matter(text, "card", lambda data: apply_chain(data, [RENAME_STEP]))
    assert migrated == (
        "---\n# why this card exists\nschema_version: 3\nmodel_architecture: # from the paper\n"
        "  family: ResNet-50 # the family\nbase_model: null\nseeds: {training: 1}\n---\n"
        "# Prose\n\nkept as written.\n"
    )


def test_the_chain_of_steps_and_a_missing_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS, RENAME_STEP))
    (access_step,) = migrations.STEPS[:1]
    assert migration_chain("model", 1, 3) == [access_step, RENAME_STEP]
    assert migration_chain("model", 3, 3) == []
    with pytest.raises(GitckptError, match="no migration of dataset cards from schema version 2"):
        migration_chain("dataset", 1, 3)


V1_COMMENT = "# the checkpoint, not the EMA weights"
OWN_LINE_COMMENT = "# reviewed by Grace"
NEXT_KEY_COMMENT = "# the bytes this card describes"
SHARED_ACCESS = f"access:\n  level: internal\n  reason: {SHARED['access']['reason']}\n"
MIGRATED_ACCESS = "access:\n  level: internal\n  reason: '<FILL: why this access level>'\n"


def _as_schema_version_1(text: str) -> str:
    """The card as gitckpt wrote it before access levels (version 1, no `access` block), with
    comments where the step edits: on the version, on `kind` (the block goes after it), on the
    line after `kind` (about the key that follows), and on a line of its own."""
    assert SHARED_ACCESS in text
    return (
        text.replace(SHARED_ACCESS, "")
        .replace("schema_version: 2\n", "schema_version: 1  # before access levels\n")
        .replace("\nkind: model\n", f"\nkind: model  {V1_COMMENT}\n{NEXT_KEY_COMMENT}\n")
        .replace("\nlicense:", f"\n{OWN_LINE_COMMENT}\nlicense:")
    )


def test_the_step_to_version_2_adds_the_access_block_for_a_person_to_decide(
    registry: Path, cli: Cli
) -> None:
    card = registry / MODEL_CARD
    before = _as_schema_version_1(card.read_text())
    card.write_text(before)
    assert "access" not in parse_card(before, "v1").data
    commit_all(registry, "a card at schema version 1")
    outdated = [item for item in _findings(cli, registry) if item["check"] == "GC105"]
    assert [item["path"] for item in outdated] == [MODEL_CARD]

    result = cli("migrate", "--json", cwd=registry)
    assert result.code == 0, result.err
    (migrated,) = json.loads(result.out)["cards"]
    assert (migrated["path"], migrated["from"], migrated["to"]) == (MODEL_CARD, 1, 2)
    assert migrated["steps"] == [f"v1 → v2: {migrations.STEPS[0].summary}"]
    after = card.read_text()
    # the block follows `kind`; the comments stay where they were, and every other fact
    assert f"\nkind: model  {V1_COMMENT}\n{MIGRATED_ACCESS}{NEXT_KEY_COMMENT}\ncheckpoint:" in after
    assert after.startswith("---\nschema_version: 2  # before access levels\n")
    assert f"\n{OWN_LINE_COMMENT}\nlicense:" in after
    old_card, new_card = parse_card(before, "old"), parse_card(after, MODEL_CARD)
    assert new_card.body == old_card.body
    access = {"level": "internal", "reason": "<FILL: why this access level>"}
    assert new_card.data == {**old_card.data, "schema_version": 2, "access": access}
    assert validate(new_card.data, CARD_SCHEMAS["model"]) == []
    # what is left is the decision: GC104 names the reason's line until a person writes it
    findings = _findings(cli, registry)
    assert [(item["check"], item["field"]) for item in findings] == [("GC104", "access.reason")]
    reason_line = after.split("\n").index("  reason: '<FILL: why this access level>'") + 1
    assert findings[0]["line"] == reason_line


def test_the_step_to_version_2_refuses_a_card_that_has_an_access_field(
    registry: Path, cli: Cli
) -> None:
    card = registry / MODEL_CARD
    card.write_text(card.read_text().replace("schema_version: 2", "schema_version: 1"))
    commit_all(registry, "v1 with an access field of its own")
    result = cli("migrate", cwd=registry)
    assert result.code == 1
    assert f"{MODEL_CARD}:" in result.err
    assert "already has an `access` field" in result.err
    assert git(registry, "status", "--porcelain") == ""
