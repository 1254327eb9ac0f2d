"""The compiled validator (jsonschema_rs) and jsonschema agree on what every schema accepts.

`validate` trusts jsonschema_rs when it calls an instance valid and asks jsonschema otherwise, so
the one disagreement that would change behaviour is jsonschema_rs accepting what jsonschema
refuses. The corpus is the valid instances the fixtures produce plus thousands of deterministic
random mutations of them; the only disagreements allowed are the refusals of jsonschema_rs that
jsonschema overrules (see `overruled`)."""

from __future__ import annotations

import copy
import json
import math
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gitckpt.config import DEFAULT_CONFIG_TEXT
from gitckpt.records import (
    AllowedGlobal,
    DeprecationRecord,
    RecordedArtifact,
    RecordedBytes,
    RecordedCard,
    RecordedChecks,
    RecordedLink,
    ReleaseRecord,
    StageRecord,
)
from gitckpt.schema import (
    CARD_SCHEMAS,
    CONFIG_SCHEMA,
    explained_problems,
    is_valid,
    load_schema,
    python_pattern,
    schema_files,
)
from gitckpt.strict_yaml import load_yaml
from testing.cards import card_front_matter, dataset_fields, eval_fields, model_fields

MUTATIONS_PER_INSTANCE = 400
TAG_MESSAGE_SCHEMA = "tag-message.schema.json"
PIPELINE_SCHEMA = "dvc-pipeline.schema.json"
TRICKY_CHARACTERS = (
    "\n", "\t", " ", "\x0b", "\x1c", "\x1f", "\x85", "\xa0", "\u1680", "\u2007", "\u200b",
    "\u2028", "\u3000", "\ufeff", "\u0661", "\uff11", "é", "e\u0301", "\U0001f600", "\ud800",
    "0", "9", "a", "f", "g", "A", "Z", "_", "-", "/", "\\", ":", ".", "+", "@", "T", "Z", "v",
)  # fmt: skip
TRICKY_VALUES: tuple[Any, ...] = (
    None, True, False, 0, 1, -1, 2, 1.0, -0.0, 0.5, -1.5, 1e308, -1e308, 10**30, -(10**30),
    float("nan"), float("inf"), float("-inf"), "", " ", "\n", "x", "\x1c", "\x85", "\ufeff",
    "a" * 10_000, "\U0001f600" * 10, "\ud800", [], [None], [[]], {}, {"noassertion": "not known"},
    {"noassertion": ""}, {"noassertion": None}, [{"noassertion": "x"}], {"": None},
)  # fmt: skip


def card_instances() -> Iterator[tuple[str, dict[str, Any]]]:
    out = {"md5": "0123456789abcdef" * 2, "size": 4}
    fields = {
        "model": model_fields("d0001", eval_log="e0001"),
        "dataset": dataset_fields(),
        "eval": eval_fields("m0001", "d0001", "ab" * 32),
    }
    for kind, kind_fields in fields.items():
        yield (
            CARD_SCHEMAS[kind],
            card_front_matter(kind, f"{kind[0]}0001", "data/x.bin", out, kind_fields, b"data"),
        )


def record_instances() -> Iterator[tuple[str, dict[str, Any]]]:
    artifact = RecordedArtifact("m0001", "model")
    checks = RecordedChecks(
        "passed-with-warnings",
        ("GC101", "GC201"),
        ("GC301",),
        ("GC401: a warning",),
        (AllowedGlobal("collections.OrderedDict", "a plain ordered mapping"),),
    )
    release = ReleaseRecord(
        tag="m0001@v1.2.3",
        artifact=artifact,
        version="1.2.3",
        commit="1" * 40,
        card=RecordedCard("models/m0001.card.md", "2" * 40),
        bytes=RecordedBytes("models/weights.bin", "3" * 32, "4" * 64, 17),
        links=(RecordedLink("training_data", "d0001", "data/d0001.card.md", None, "5" * 64),),
        checks=checks,
        data_in_remote=True,
        allow_unpushed=False,
        created="2025-07-01T12:00:00Z",
        gitckpt_version="0.1.0",
    )
    stage = StageRecord(
        "m0001#prod#1", RecordedArtifact("m0001"), "1.2.3", "1" * 40, "prod", "promote",
        "2025-07-01T12:00:00+02:00", "0.1.0",
    )  # fmt: skip
    deprecation = DeprecationRecord(
        "m0001@deprecated", "1" * 40, RecordedArtifact("m0001"), "2025-07-01 12:00Z", "0.1.0",
        sunset="2026-01-01", reason="superseded by m0002",
    )  # fmt: skip
    for record in (release, stage, deprecation):
        yield TAG_MESSAGE_SCHEMA, record.to_json()


def config_instances() -> Iterator[tuple[str, dict[str, Any]]]:
    yield CONFIG_SCHEMA, load_yaml(DEFAULT_CONFIG_TEXT, "config.yaml").data
    yield (
        CONFIG_SCHEMA,
        {
            "schema_version": 1,
            "naming": {"pattern": "^(?P<project>[a-z]+)-[a-z0-9-]+$"},
            "stages": {"allowed": ["dev", "staging", "prod"], "enforce_order": False},
            "release": {
                "trust_ref": "refs/heads/release-policy",
                "require_signature": True,
                "signers": [
                    {"principal": "ada@example.org", "artifacts": ["m*"], "stages": ["dev"]}
                ],
            },
            "serialization": {
                "allow_globals": [{"global": "numpy.dtype", "reason": "a type description"}]
            },
            "audit": {"stale_days": 30},
            "review": {"license-changed": "error", "metric-drop-significant": "info"},
            "checks": {"GC301": "warning", "GC402": "off"},
        },
    )


def pipeline_instances() -> Iterator[tuple[str, dict[str, Any]]]:
    yield (
        PIPELINE_SCHEMA,
        {
            "stages": {
                "train": {
                    "cmd": ["python train.py", "python export.py"],
                    "deps": ["train.py", {"path": "data/points.csv", "md5": "6" * 32}],
                    "params": ["lr"],
                    "metrics": ["metrics.json", {"eval.json": {"cache": False}}],
                },
                "evaluate": {"cmd": "python evaluate.py"},
            }
        },
    )


def valid_instances() -> list[tuple[str, dict[str, Any]]]:
    return [
        *card_instances(),
        *record_instances(),
        *config_instances(),
        *pipeline_instances(),
    ]


def places(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into `node`, the root first."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from places(value, (*path, index))


def near_miss(text: str, rng: random.Random) -> str:
    """`text` one small edit away: what almost matches a pattern the original matched."""
    position = rng.randrange(len(text) + 1)
    character = rng.choice(TRICKY_CHARACTERS)
    edits: list[Callable[[], str]] = [
        lambda: text[:position] + character + text[position:],
        lambda: text[:position] + character + text[position + 1 :],
        lambda: text[:position] + text[position + 1 :],
        lambda: text + "\n",
        lambda: " " + text,
        lambda: text.upper(),
        lambda: text * 2,
    ]
    return rng.choice(edits)()


def replacement(value: Any, rng: random.Random) -> Any:
    """A value to put where `value` was: a near miss of it, or something of another type."""
    if isinstance(value, str) and rng.random() < 0.6:
        return near_miss(value, rng)
    if isinstance(value, bool) and rng.random() < 0.5:
        return rng.choice([int(value), float(value), str(value).lower(), None])
    if isinstance(value, (int, float)) and rng.random() < 0.5:
        number = float(value) if math.isfinite(value) else 0.0
        return rng.choice([number, int(number), -number, number + 0.5, number - 1, True, False])
    if isinstance(value, list) and value and rng.random() < 0.6:
        return rng.choice([[*value, copy.deepcopy(value[0])], [None, *value], value[:-1]])
    return copy.deepcopy(rng.choice(TRICKY_VALUES))


def mutate(instance: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One to three edits at random places: drop, add, rename or replace a field or an item."""
    mutated = copy.deepcopy(instance)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(list(places(mutated)))
        parent: Any = mutated
        for part in path[:-1]:
            parent = parent[part]
        target = parent[path[-1]] if path else mutated
        edit = rng.randrange(5)
        if edit == 0 and isinstance(target, dict) and target:
            del target[rng.choice(list(target))]
        elif edit == 1 and isinstance(target, dict):
            target[rng.choice(["unknown", "noassertion", "GC1000", "x-y", ""])] = rng.choice(
                TRICKY_VALUES
            )
        elif edit == 2 and isinstance(target, dict) and target:
            key = rng.choice(list(target))
            target[near_miss(key, rng)] = target.pop(key)
        elif edit == 3 and isinstance(target, list) and target:
            target.append(copy.deepcopy(rng.choice(target)))
        elif path:
            parent[path[-1]] = replacement(target, rng)
    return mutated


def overruled(node: Any) -> bool:
    """What jsonschema_rs refuses and jsonschema accepts, which `validate` hands to jsonschema:
    a string ending in a newline (`$` in Python's `re` matches before it), NaN and infinities
    (JSON has no such numbers), lone surrogates (not UTF-8)."""
    if isinstance(node, dict):
        return any(overruled(key) or overruled(value) for key, value in node.items())
    if isinstance(node, list):
        return any(overruled(value) for value in node)
    if isinstance(node, float):
        return not math.isfinite(node)
    if isinstance(node, str):
        return node.endswith("\n") or any("\ud800" <= char <= "\udfff" for char in node)
    return False


def assert_agree(instance: Any, filename: str) -> bool:
    """The validators agree on `instance` (up to `overruled`); whether it is valid."""
    fast = is_valid(instance, filename)
    problems = explained_problems(instance, filename)
    assert not (fast and problems), f"{filename}: jsonschema_rs accepts {instance!r}: {problems}"
    assert fast or problems or overruled(instance), (
        f"{filename}: jsonschema_rs refuses what jsonschema accepts: {instance!r}"
    )
    return not problems


def test_every_valid_fixture_is_valid_to_both() -> None:
    instances = valid_instances()
    assert {filename for filename, _ in instances} >= set(schema_files()) - {
        "card-common.schema.json"
    }
    for filename, instance in instances:
        assert is_valid(instance, filename), filename
        assert explained_problems(instance, filename) == [], filename


@pytest.mark.parametrize(
    ("filename", "instance"),
    valid_instances(),
    ids=[f"{filename}-{index}" for index, (filename, _) in enumerate(valid_instances())],
)
def test_the_validators_agree_on_mutations(filename: str, instance: dict[str, Any]) -> None:
    rng = random.Random(f"{filename}:{sorted(instance)}")
    verdicts = [
        assert_agree(mutate(instance, rng), filename) for _ in range(MUTATIONS_PER_INSTANCE)
    ]
    assert 0 < verdicts.count(True) < len(verdicts)  # the corpus holds both kinds


def schema_patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from schema_patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_patterns(value)


ALL_PATTERNS = sorted(
    {pattern for name in schema_files() for pattern in schema_patterns(load_schema(name))}
)


def test_every_pattern_uses_only_escapes_both_engines_read_alike() -> None:
    """`\\d` and `\\w` are Unicode in Python and ASCII in ECMA-262, `\\b` follows `\\w`: a pattern
    using them needs a translation in `python_pattern` (as `\\s` has) and corpus strings here."""
    for pattern in ALL_PATTERNS:
        escapes = set(re.findall(r"\\(.)", pattern))
        assert escapes <= {"S", "s", ".", "\\", "+"}, (pattern, escapes)


@pytest.mark.parametrize("pattern", ALL_PATTERNS)
def test_each_pattern_matches_the_same_strings_in_both(pattern: str) -> None:
    """Single characters up to U+3000 (every whitespace but U+FEFF, a tricky character), and near
    misses of strings the pattern accepts."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "pattern": pattern}
    examples = [
        text
        for _, instance in valid_instances()
        for text in strings(instance)
        if re.search(pattern, text)
    ]
    rng = random.Random(pattern)
    corpus = [chr(code) for code in range(0x3001)]
    corpus += [near_miss(rng.choice(examples or ["x"]), rng) for _ in range(2000)]
    fast = compiled(schema)
    for text in (text for text in corpus if not overruled(text)):
        python = re.search(pattern, text) is not None
        assert fast(text) == python, (pattern, text)


def compiled(schema: dict[str, Any]) -> Callable[[str], bool]:
    """The verdict of jsonschema_rs, with the pattern translated as `validate` does."""
    import jsonschema_rs

    translated = {**schema, "pattern": python_pattern(schema["pattern"])}
    validator = jsonschema_rs.Draft202012Validator(translated, validate_formats=False)
    return lambda text: bool(validator.is_valid(text))


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif isinstance(node, str):
        yield node


@pytest.mark.parametrize(("escape", "wrap"), [("\\S", "{}"), ("\\s", '{{"not": {}}}')])
def test_the_spelled_out_space_classes_match_what_python_means(escape: str, wrap: str) -> None:
    """Over every code point: Python reads the spelled-out class as it reads the escape, and
    jsonschema_rs reads the spelled-out class as Python does. (`wrap` makes the few whitespace
    characters the errors, so that jsonschema_rs reports a handful rather than a million.)"""
    import jsonschema_rs

    characters = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    spelled = python_pattern(escape)
    assert spelled != escape
    python = set(re.findall(escape, "".join(characters)))
    assert set(re.findall(spelled, "".join(characters))) == python
    schema = json.loads(wrap.format(json.dumps({"pattern": f"^{spelled}$"})))
    validator = jsonschema_rs.Draft202012Validator({"items": schema}, validate_formats=False)
    errors = {characters[error.instance_path[0]] for error in validator.iter_errors(characters)}
    assert (errors if "not" in schema else set(characters) - errors) == python


def test_explaining_a_problem_leaves_the_iri_grammar_until_a_validator_needs_it() -> None:
    """jsonschema's `iri` format checker (rfc3987_syntax) builds its grammars at import, ~1.5 s
    that a `check` explaining an invalid card would pay; gitckpt defers it, and a validator that
    checks IRIs (CycloneDX's) still refuses a bad one in the same process."""
    script = (
        "import sys\n"
        "from gitckpt.schema import explained_problems\n"
        "assert explained_problems({'name': 1}, 'model-card.schema.json')\n"
        "print('rfc3987_syntax' in sys.modules)\n"
        "from jsonschema import Draft7Validator\n"
        "checker = Draft7Validator.FORMAT_CHECKER\n"
        "print(checker.conforms('http://a b', 'iri-reference'))\n"
        "print(checker.conforms('https://example.org/a', 'iri-reference'))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert completed.stdout.split() == ["False", "False", "True"]
