"""The fast strict YAML reader (libyaml) and the reference (ruamel.yaml) give identical answers:
the same data and field lines for what they accept, the same refusal for what they refuse.
`tests/test_bad_input.py` runs its whole suite once with each reader as well."""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
from collections.abc import Iterator

import pytest

from gitckpt.errors import InputError
from gitckpt.libyaml_reader import read_with_libyaml
from gitckpt.strict_yaml import load_yaml
from testing.cards import card_front_matter, model_fields, render_card


def read(text: str, reader: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """What a reader makes of `text`, as comparable text: data and lines, or the refusal."""
    monkeypatch.setenv("GITCKPT_YAML_READER", reader)
    try:
        document = load_yaml(text, "card.md", first_line=2)
    except InputError as exc:
        return f"refused: {exc}"
    lines = sorted((json.dumps(path), line) for path, line in document.lines.items())
    return repr((document.data, lines))  # repr: NaN equals NaN as text


def assert_same(texts: Iterator[str], monkeypatch: pytest.MonkeyPatch) -> int:
    compared = 0
    for text in texts:
        fast, reference = (read(text, reader, monkeypatch) for reader in ("libyaml", "reference"))
        assert fast == reference, f"readers disagree on {text!r}"
        compared += 1
    return compared


def a_card() -> str:
    fields = model_fields("points")
    front = card_front_matter(
        "model", "clf", "models/clf.bin", {"md5": "0" * 32, "size": 1}, fields, b"x"
    )
    return render_card(front).split("---\n")[1]


SCALARS = [
    *[
        "0777",
        "0o17",
        "0b101",
        "0x1F",
        "0x_",
        "+_",
        "-_",
        "1_000",
        "1__",
        "_1",
        "0",
        "-0",
        "+0",
        "00",
        "08",
        "0o8",
        "1e3",
        "1E3",
        "1e+3",
        "1.e5",
        ".5",
        "._",
        "1.",
        ".inf",
        "-.Inf",
        "+.INF",
        ".nan",
        ".NaN",
        "NaN",
        "inf",
        "1:20",
        "1:20.5",
        "true",
        "True",
        "TRUE",
        "tRue",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "~",
        "null",
        "Null",
        "NULL",
        "nULL",
        "<<",
        "=",
        "!",
        "2026-01-02",
        "2026-1-2",
        "2026-01-02T10:00:00Z",
        "2026-01-02",
        "10:00:00.5",
        "+05:00",
        "12:30",
        "0x",
        "0b",
        "0o",
        "-",
        "--",
        "-.",
        "+.",
        "1e",
        "1e-",
        "1_e5",
    ],
    "1" * 200,  # long but under the limit
    "1" * 5000,  # over the integer limit: refused
    "'quoted 1'",
    '"double \\/ escaped \\u00e9"',
    "|\n  block\n  text\n",
    ">-\n  folded\n  text\n",
    "plain text: with colon",
    "[1, 2, {a: b}]",
    "{}",
    "[]",
    "",
]


def test_every_kind_of_scalar_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = (
        form.format(s)
        for s in SCALARS
        for form in ("k: {}\n", "- {}\n", "{}: v\n", "a:\n  - x: {}\n    y: 2\n")
    )
    assert assert_same(texts, monkeypatch) == len(SCALARS) * 4


def test_short_strings_of_yaml_characters_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every string of up to three characters from the characters that change a scalar's type."""
    alphabet = "019+-._:eExob~tn<=!&*'\"#[{,"
    texts = (
        f"k: {''.join(chars)}\n"
        for size in (1, 2, 3)
        for chars in itertools.product(alphabet, repeat=size)
    )
    assert assert_same(texts, monkeypatch) == sum(len(alphabet) ** size for size in (1, 2, 3))


def mutations(text: str, count: int, seed: int) -> Iterator[str]:
    """`text` with one to three characters inserted, deleted or replaced by YAML's own."""
    rng = random.Random(seed)
    pieces = list(":-?#&*!|>'\"%@`{}[], \t\n0.~")
    for _ in range(count):
        chars = list(text)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(chars))
            choice = rng.random()
            if choice < 0.4:
                chars.insert(at, rng.choice(pieces))
            elif choice < 0.7:
                del chars[at]
            else:
                chars[at] = rng.choice(pieces)
        yield "".join(chars)


def test_mutated_cards_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """A card with random damage: each reader accepts it with the same data and lines, or both
    refuse it with the same message."""
    assert assert_same(mutations(a_card(), 3000, seed=16), monkeypatch) == 3000


def test_a_card_takes_the_fast_path() -> None:
    """A typical card is read by libyaml; the reference is only for what the fast path hands
    back."""
    text = a_card()
    assert read_with_libyaml(text, 2) is not None
    for handed_back in (
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: 1\na: 2\n",
        "%YAML 1.1\n---\na: 1\n",
    ):
        assert read_with_libyaml(handed_back, 1) is None


def test_reading_a_card_loads_no_ruamel() -> None:
    """The fast path is what a cold check runs: ruamel.yaml's import is not paid for."""
    probe = (
        "import sys\nfrom gitckpt.strict_yaml import load_yaml\n"
        f"load_yaml({a_card()!r}, 'card.md')\nprint('ruamel' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
