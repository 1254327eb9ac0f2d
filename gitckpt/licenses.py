"""SPDX license expressions and the compatibility rules in rules/licenses.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from gitckpt import PACKAGE_DIR
from gitckpt.strict_yaml import load_yaml

RULES_FILE = PACKAGE_DIR / "rules" / "licenses.yaml"
LICENSE_REF = "LicenseRef-"


@dataclass(frozen=True)
class Rule:
    id: str
    trait: str
    upstream: tuple[str, ...]
    requires: str
    explain: str


@cache
def _table() -> dict[str, Any]:
    """The rules, through the strict reader every card goes through (libyaml): ruamel's pure
    Python loader would cost each process that judges cards ~40 ms of imports."""
    return dict(load_yaml(RULES_FILE.read_text(encoding="utf-8"), str(RULES_FILE)).data)


def rules() -> list[Rule]:
    return [
        Rule(item["id"], item["trait"], tuple(item["upstream"]), item["requires"], item["explain"])
        for item in _table()["rules"]
    ]


def normalize(expression: str) -> str:
    """A Hugging Face license id becomes the SPDX expression it stands for; others are unchanged."""
    return str(_table()["hugging_face_ids"].get(expression.strip().lower(), expression.strip()))


def hugging_face_id(spdx: str) -> str | None:
    """The Hub's license id for an SPDX expression, when the Hub has one."""
    reverse = {str(value): str(key) for key, value in _table()["hugging_face_ids"].items()}
    return reverse.get(spdx.strip())


# Licenses repeat across a registry's cards: each distinct expression is parsed once a process
# (parsing one costs ~0.25 ms, a sixth of judging a card).
DISTINCT_EXPRESSIONS = 4096


@lru_cache(maxsize=DISTINCT_EXPRESSIONS)
def problem(expression: str, *, has_link: bool) -> str | None:
    """Why `expression` is not a usable SPDX expression, or None."""
    from license_expression import ExpressionError

    spdx = normalize(expression)
    try:
        _licensing().parse(spdx, validate=False)
    except ExpressionError as exc:
        return f"{expression!r} is not an SPDX license expression ({exc})"
    unknown = [
        str(key)
        for key in _licensing().validate(spdx).invalid_symbols
        if str(key) not in _table()["traits"]
    ]
    refs = [key for key in unknown if key.startswith(LICENSE_REF)]
    if refs and not has_link:
        return (
            f"{', '.join(refs)} is a custom license: add `license_link` with where its text "
            "can be read"
        )
    others = [key for key in unknown if not key.startswith(LICENSE_REF)]
    if others:
        return (
            f"unknown license id(s) {', '.join(others)}: use SPDX ids (e.g. Apache-2.0) or "
            "LicenseRef-<name> with a license_link"
        )
    return None


@cache
def _licensing() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@lru_cache(maxsize=DISTINCT_EXPRESSIONS)
def traits(expression: str) -> frozenset[str]:
    """What the license demands of derived work: AND combines demands, OR lets the licensee
    pick the least demanding option."""
    from license_expression import AND, OR, ExpressionError, LicenseWithExceptionSymbol

    try:
        parsed = _licensing().parse(normalize(expression), validate=False)
    except ExpressionError:
        return frozenset()

    def walk(node: Any) -> frozenset[str]:
        if isinstance(node, AND):
            return frozenset().union(*(walk(arg) for arg in node.args))
        if isinstance(node, OR):
            return frozenset.intersection(*(walk(arg) for arg in node.args))
        if isinstance(node, LicenseWithExceptionSymbol):
            return walk(node.license_symbol)
        return frozenset(_table()["traits"].get(str(node.key), []))

    return walk(parsed) if parsed is not None else frozenset()
