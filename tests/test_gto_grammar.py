"""gitckpt reads exactly the tag names GTO 1.10 reads (`gto.tag.parse_name`, the real package).

Tens of thousands of names are generated deterministically: every combination of valid and
broken parts (monorepo directories, names, actions, versions, counters), then random mutations of
valid names (case, separators, unicode, spaces...). Both parsers must agree on each one.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from gto.constants import Action
from gto.tag import parse_name

from gitckpt.tags import (
    ASSIGN,
    CREATE,
    DEPRECATE,
    REGISTER,
    UNASSIGN,
    WITHDRAW,
    TagName,
    parse_tag_name,
)

GTO_ACTION = {
    Action.REGISTER: REGISTER,
    Action.DEREGISTER: WITHDRAW,
    Action.ASSIGN: ASSIGN,
    Action.UNASSIGN: UNASSIGN,
    Action.DEPRECATE: DEPRECATE,
    None: CREATE,  # `name@created` is the one form GTO gives no action
}

DIRECTORIES = [
    "",
    "models=",
    "path/to=",
    "./=",
    "../up=",
    "a_b.c-d=",
    "/abs=",
    "=",
    "p q=",
    "ü=",
    "a:b=",
    "x==",
    "A/B=",
]
NAMES = [
    "a",
    "ab",
    "clf",
    "ResNet_50",
    "models/cnn",
    "a-b_c/D9",
    "9",
    "Z",
    "_a",
    "a_",
    "-a",
    "a-",
    "/a",
    "a/",
    "",
    "a b",
    "é",
    "a.b",
    "a:b",
    "a=b",
    "a@b",
    "a!b",
    "ИМЯ",
]
VERSIONS = [
    "1.0.0",
    "0.0.0",
    "10.20.30",
    "1.0.0-rc.1",
    "1.0.0-alpha-beta.0.x7",
    "1.0.0+build.5",
    "1.0.0-rc.1+b.2",
    "1.0.0-0a",
    "1.0.0-01",
    "01.0.0",
    "1.0",
    "1",
    "1.0.0-",
    "1.0.0+",
    "1.0.0-a..b",
    "1.0.0+a..b",
    "1.0.0-α",
    "1١.0.0",
    "1.0.0 ",
    "-1.0.0",
]
STAGES = ["prod", "Prod_1", "dev/eu", "a", "", "_x", "x_", "st age", "ста", "p.q"]
ACTIONS = (
    [f"@v{version}" for version in VERSIONS]
    + [f"@v{VERSIONS[0]}!", f"@v{VERSIONS[4]}!", "@V1.0.0", "@1.0.0", "@vv1.0.0", "@v1.0.0!!"]
    + [f"#{stage}" for stage in STAGES]
    + [f"#{stage}!" for stage in STAGES[:3]]
    + [
        "#prod!!",
        "@deprecated",
        "@created",
        "@deprecated!",
        "@created!",
        "@Deprecated",
        "@latest",
        "@",
        "#",
        "!",
        "",
    ]
)
COUNTERS = ["", "#1", "#0", "#007", "#42", "#", "#-1", "#a", "#1#2", "#١", "#1 ", "!#1"]
MUTATION_CHARACTERS = "aZ09_-/=@#!.:+ \n\tüé١ß\u200b~^"


def gto_view(tag: str) -> TagName | None:
    """GTO's reading of `tag` in gitckpt's terms."""
    parsed: dict[str, Any] = parse_name(tag, raise_on_fail=False)
    if not parsed:
        return None
    version = parsed.get("version")
    return TagName(
        artifact=parsed["name"],
        action=GTO_ACTION[parsed.get("action")],
        version=version.removeprefix("v") if version else None,
        stage=parsed.get("stage"),
        counter=parsed.get("counter"),
    )


def combinations() -> list[str]:
    return [
        "".join(parts) for parts in itertools.product(DIRECTORIES, NAMES, ACTIONS, COUNTERS[:6])
    ]


def mutate(tag: str, rng: random.Random) -> str:
    position = rng.randrange(len(tag) + 1)
    kind = rng.randrange(5)
    if kind == 0:
        return tag[:position] + rng.choice(MUTATION_CHARACTERS) + tag[position:]
    if kind == 1:
        return tag[:position] + tag[position + 1 :]
    if kind == 2:
        return tag[:position] + tag[position:].swapcase()
    if kind == 3:
        return rng.choice(MUTATION_CHARACTERS) + tag + rng.choice(MUTATION_CHARACTERS)
    return tag[:position] + rng.choice(COUNTERS) + tag[position:]


def mutations(count: int) -> list[str]:
    rng = random.Random(18)
    valid = [
        "".join(parts)
        for parts in itertools.product(DIRECTORIES[:7], NAMES[:8], ACTIONS, COUNTERS)
        if gto_view("".join(parts)) is not None
    ]
    names = []
    for _ in range(count):
        tag = rng.choice(valid)
        for _ in range(rng.randrange(1, 4)):
            tag = mutate(tag, rng)
        names.append(tag)
    return names


def test_parse_tag_name_reads_exactly_what_gto_reads() -> None:
    names = sorted(set(combinations()) | set(mutations(20_000)))
    assert len(names) >= 20_000
    disagreements = [
        (name, ours, theirs)
        for name in names
        if (ours := parse_tag_name(name)) != (theirs := gto_view(name))
    ]
    assert not disagreements, (
        f"{len(disagreements)} of {len(names)} disagree, e.g. {disagreements[:5]}"
    )
    accepted = [parsed for name in names if (parsed := parse_tag_name(name)) is not None]
    # Each kind of tag, and refusals, are well represented.
    assert {parsed.action for parsed in accepted} == set(GTO_ACTION.values())
    assert any(":" in parsed.artifact for parsed in accepted)
    assert any(parsed.counter is not None for parsed in accepted)
    assert len(accepted) > 5_000 and len(names) - len(accepted) > 5_000


def test_the_issues_examples() -> None:
    assert parse_tag_name("ResNet_50@v1.0.0") == TagName("ResNet_50", REGISTER, version="1.0.0")
    assert parse_tag_name("models=cnn#prod#3") == TagName(
        "models:cnn", ASSIGN, stage="prod", counter=3
    )
    assert parse_tag_name("clf@created") == TagName("clf", CREATE)
    assert parse_tag_name("clf@v1.0.0-01") is None  # semver: no leading zero in a number
