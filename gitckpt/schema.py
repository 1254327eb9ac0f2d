"""Loading the JSON Schemas in `schemas/` and turning jsonschema errors into messages
that name the field, what was expected and what the field is for."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import re
import sys
import types
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, NamedTuple

from gitckpt import PACKAGE_DIR
from gitckpt.errors import InputError
from gitckpt.hashing import content_digest
from gitckpt.strict_yaml import FieldPath, YamlDocument, format_field_path, load_yaml

CARD_SCHEMAS = {
    "model": "model-card.schema.json",
    "dataset": "dataset-card.schema.json",
    "eval": "eval-card.schema.json",
}
CONFIG_SCHEMA = "config.schema.json"
SCHEMA_DIR = PACKAGE_DIR / "schemas"
NOASSERTION_KEY = "noassertion"
SCHEMA_VERSION_FIELD = "schema_version"
# Python's `\s` in a str pattern (str.isspace): jsonschema reads patterns with `re`, while
# jsonschema_rs reads `\s` as ECMA-262 does (no U+001C-U+001F or U+0085, but U+FEFF).
_PYTHON_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACE_CLASSES = {"s": f"[{_PYTHON_SPACE}]", "S": f"[^{_PYTHON_SPACE}]"}
_SPACE_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


class SchemaProblem(NamedTuple):
    field: FieldPath
    message: str


def schema_files() -> list[str]:
    return sorted(entry.name for entry in SCHEMA_DIR.iterdir() if entry.name.endswith(".json"))


@cache
def load_schema(filename: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / filename).read_text(encoding="utf-8"))
    return schema


def current_schema_version(kind: str) -> int:
    """The schema version this gitckpt validates `kind` cards against: the schema states it, as
    the `const` of its `schema_version` field, so a new schema brings its version with it."""
    version: int = load_schema(CARD_SCHEMAS[kind])["properties"][SCHEMA_VERSION_FIELD]["const"]
    return version


@cache
def rules_fingerprint() -> str:
    """Changes whenever a schema or gitckpt's code changes, so cached results are never stale."""
    parts = [(SCHEMA_DIR / name).read_bytes() for name in schema_files()]
    parts += [path.read_bytes() for path in sorted((PACKAGE_DIR / "rules").glob("*.yaml"))]
    parts += [f"{name}:{size}:{mtime_ns}".encode() for name, size, mtime_ns in _module_stamps()]
    return content_digest(b"\0".join(parts))[:16]


def _module_stamps() -> list[tuple[str, int, int]]:
    """Each of gitckpt's modules (relative to the package) with its size and modification time.
    Walked with `os.walk`: a pathlib glob of the package costs every process ~8 ms more."""
    root = str(PACKAGE_DIR)
    stamps = []
    for directory, _, names in os.walk(root):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                status = os.stat(path)
                stamps.append((path[len(root) + 1 :], status.st_size, status.st_mtime_ns))
    return sorted(stamps)


@cache
def _validator(filename: str) -> Any:
    with _iri_grammar_deferred():
        from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    resources = [
        (load_schema(name)["$id"], Resource.from_contents(load_schema(name)))
        for name in schema_files()
    ]
    registry: Registry = Registry().with_resources(resources)
    return Draft202012Validator(load_schema(filename), registry=registry)


_IRI_GRAMMAR = "rfc3987_syntax"


@contextlib.contextmanager
def _iri_grammar_deferred() -> Iterator[None]:
    """While jsonschema is first imported, `rfc3987_syntax` (its `iri` format checker, installed
    with the CycloneDX validator's extras) is a stand-in whose `is_valid_syntax` imports the real
    module on first call. Importing the real one builds ~40 grammars (~1.5 s), which every `check`
    that finds an invalid card would pay for a format gitckpt's schemas never use; the CycloneDX
    validator, which does use it, still gets the real check."""
    if (
        "jsonschema" in sys.modules
        or _IRI_GRAMMAR in sys.modules
        or importlib.util.find_spec(_IRI_GRAMMAR) is None
    ):
        yield
        return
    stand_in = types.ModuleType(_IRI_GRAMMAR)
    stand_in.__dict__["is_valid_syntax"] = _imported_on_first_call(_IRI_GRAMMAR, "is_valid_syntax")
    sys.modules[_IRI_GRAMMAR] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(_IRI_GRAMMAR) is stand_in:
            del sys.modules[_IRI_GRAMMAR]


def _imported_on_first_call(module: str, name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return call


def python_pattern(pattern: str) -> str:
    """`pattern` with the whitespace escapes spelled as the classes Python's `re` means by them,
    so a compiled validator reads it as jsonschema does (none of our patterns has them inside
    brackets)."""
    return _SPACE_ESCAPE.sub(lambda match: _SPACE_CLASSES.get(match[1], match[0]), pattern)


def _python_patterns(node: Any) -> Any:
    """A copy of a schema whose every `pattern` is `python_pattern` of it."""
    if isinstance(node, list):
        return [_python_patterns(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: python_pattern(value)
        if key == "pattern" and isinstance(value, str)
        else _python_patterns(value)
        for key, value in node.items()
    }


@cache
def _compiled_validator(filename: str) -> Any:
    """jsonschema_rs's validator for the schema: draft 2020-12, our schemas as its only `$ref`
    resources, formats as annotations (as `_validator` has no format checker)."""
    import jsonschema_rs

    registry = jsonschema_rs.Registry(
        [
            (load_schema(name)["$id"], _python_patterns(load_schema(name)))
            for name in schema_files()
        ],
        draft=jsonschema_rs.Draft202012,
    )
    return jsonschema_rs.Draft202012Validator(
        _python_patterns(load_schema(filename)),
        validate_formats=False,
        registry=registry,
        offline=True,
    )


def is_valid(instance: Any, filename: str) -> bool:
    """The compiled validator's verdict; False when it cannot take the instance (a lone surrogate,
    a value JSON has no type for), so that `validate` asks jsonschema."""
    try:
        return bool(_compiled_validator(filename).is_valid(instance))
    except ValueError:
        return False


def validate(instance: Any, filename: str) -> list[SchemaProblem]:
    """Every problem of `instance` against the schema, the most specific error per field. The
    compiled validator confirms a valid instance alone; jsonschema explains the others."""
    if is_valid(instance, filename):
        return []
    return explained_problems(instance, filename)


def explained_problems(instance: Any, filename: str) -> list[SchemaProblem]:
    """jsonschema's verdict on `instance`, each error reduced to what the user must change."""
    problems: list[SchemaProblem] = []
    for error in _validator(filename).iter_errors(instance):
        problems.extend(_explain(error))
    return sorted(set(problems), key=lambda problem: [str(part) for part in problem.field])


def _explain(error: Any, outer_schema: Any = None) -> list[SchemaProblem]:
    """Reduce an error to what the user must change; for `anyOf` pick the branch they meant."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        alternatives = _missing_alternatives(error)
        if alternatives:
            return [SchemaProblem(tuple(error.absolute_path), _add_one_of(alternatives))]
        branch = _intended_branch(error)
        chosen = [sub for sub in error.context if sub.relative_schema_path[0] == branch]
        return [problem for sub in chosen for problem in _explain(sub, error.schema)]
    field = tuple(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1]
        described = _describe(error.schema.get("properties", {}).get(missing, {}))
        return [SchemaProblem((*field, missing), f"required field is missing{described}")]
    if (
        error.validator == "additionalProperties"
        and error.schema.get("additionalProperties") is False
    ):
        return [SchemaProblem(field, f"unknown field: {error.message.split('(')[-1].rstrip(')')}")]
    same_field = outer_schema is not None and not _description_of(error.schema)
    return [
        SchemaProblem(
            field, _expected(error) + _describe(outer_schema if same_field else error.schema)
        )
    ]


def _intended_branch(error: Any) -> int:
    """A mapping holding `noassertion` meant the honest-gap branch; otherwise the branch with
    the fewest, deepest errors is what the user was writing."""
    for index, option in enumerate(error.validator_value):
        if (
            isinstance(error.instance, dict)
            and NOASSERTION_KEY in error.instance
            and "noassertion" in option.get("$ref", "")
        ):
            return index
    scores: dict[int, tuple[int, int]] = {}
    for sub in error.context:
        index = sub.relative_schema_path[0]
        depth, count = scores.get(index, (0, 0))
        scores[index] = (max(depth, len(sub.absolute_path)), count + 1)
    if isinstance(error.instance, dict) and NOASSERTION_KEY not in error.instance:
        scores = {
            index: score
            for index, score in scores.items()
            if "noassertion" not in error.validator_value[index].get("$ref", "")
        } or scores
        named = [
            index
            for index in sorted(scores)
            if set(error.validator_value[index].get("required") or ["\0"]) <= error.instance.keys()
        ]
        if named:
            return named[0]
    wrong_type = {
        sub.relative_schema_path[0]
        for sub in error.context
        if sub.validator == "type" and not sub.relative_path
    }
    scores = {index: score for index, score in scores.items() if index not in wrong_type} or scores
    return max(scores, key=lambda index: (scores[index][0], -scores[index][1], -index))


def _missing_alternatives(error: Any) -> list[str]:
    """The fields of an "one of these is required" choice (a link's `sha256` or `revision`)
    when the value has none of them; empty for any other kind of choice."""
    if not all(sub.validator == "required" and not sub.relative_path for sub in error.context):
        return []
    if {sub.relative_schema_path[0] for sub in error.context} != set(
        range(len(error.validator_value))
    ):
        return []
    return [str(sub.message).split("'")[1] for sub in error.context]


def _add_one_of(fields: list[str]) -> str:
    named = " or ".join(f"`{name}`" for name in fields)
    if set(fields) == {"sha256", "revision"}:
        return (
            f"a link by `uri` needs {named} to pin what it links to: add one (the commit, tag or "
            "dataset version as `revision`, or the sha256 of its bytes)"
        )
    return f"needs {named}: add one"


def _expected(error: Any) -> str:
    shown = (
        json.dumps(error.instance)[:60]
        if not isinstance(error.instance, (dict, list))
        else type(error.instance).__name__
    )
    expected = error.validator_value
    match error.validator:
        case "type":
            return f"expected {expected}, got {shown}"
        case "const":
            return f"expected {json.dumps(expected)}, got {shown}"
        case "enum":
            return f"expected one of {', '.join(map(str, expected))}; got {shown}"
        case "pattern":
            return f"{shown} does not have the expected form"
        case "minItems":
            return f"needs at least {expected} entr{'y' if expected == 1 else 'ies'}"
        case "minProperties":
            return "must not be empty"
        case "minLength":
            return f"must be at least {expected} character(s) long"
        case "minimum" | "exclusiveMinimum" | "maximum" | "exclusiveMaximum":
            return f"{shown} is out of range ({error.validator} {expected})"
    return str(error.message)


def _describe(schema: Any) -> str:
    description = _description_of(schema)
    return f" ({description})" if description else ""


def _description_of(schema: Any) -> str | None:
    """A field's description, following a `$ref` when the field itself has none."""
    if not isinstance(schema, dict):
        return None
    if "description" in schema:
        return str(schema["description"])
    if "$ref" in schema:
        return _description_of(_resolve_local_ref(schema["$ref"]))
    return None


def _resolve_local_ref(ref: str) -> Any:
    """Our schemas only refer within `schemas/`: `file.json#/pointer`, or `#/pointer` in the common
    file."""
    filename, _, pointer = ref.partition("#")
    node: Any = load_schema(filename or "card-common.schema.json")
    for part in pointer.strip("/").split("/") if pointer.strip("/") else []:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node


def load_mapping(text: str, display: str, schema: str, expected: str) -> YamlDocument:
    """A YAML file that must be a mapping valid against `schema`, read strictly; the first problem
    is an InputError naming its line and field. `expected` says what the mapping holds."""
    document = load_yaml(text, display)
    data = document.data if document.data is not None else {}
    if not isinstance(data, dict):
        raise InputError(f"expected {expected}", path=display, line=1)
    problems = validate(data, schema)
    if problems:
        first = problems[0]
        raise InputError(
            first.message,
            path=display,
            line=document.line_of(first.field),
            field=format_field_path(first.field),
        )
    return YamlDocument(data, document.lines)
