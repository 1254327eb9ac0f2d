"""Bad input gets a clear finding naming file and line, exit 1, no traceback, and no file changed.

The whole suite runs twice, once with each strict YAML reader (libyaml's and the ruamel.yaml
reference): their findings are identical."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repos import clean_env
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
CARD = "models/clf.card.md"
POINTER = "models/clf.bin.dvc"


@pytest.fixture(autouse=True, params=["libyaml", "reference"])
def yaml_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GITCKPT_YAML_READER", request.param)
    return str(request.param)


def snapshot(repo: Path) -> dict[str, str]:
    """Every file outside .git with its digest (symlinks with their targets; a FIFO is never
    opened)."""
    state = {}
    for path in sorted(repo.rglob("*")):
        relative = path.relative_to(repo).as_posix()
        if relative.startswith(".git/") or (path.is_dir() and not path.is_symlink()):
            continue
        if path.is_symlink():
            state[relative] = os.readlink(path)
        else:
            state[relative] = (
                hashlib.sha256(path.read_bytes()).hexdigest()
                if path.is_file()
                else "not a regular file"
            )
    return state


def check_refuses(repo: Path, cli: Cli, path: str, line: int, text: str) -> dict[str, object]:
    before = snapshot(repo)
    result = cli("check", "--json", cwd=repo)
    assert result.code == 1, result.out
    assert snapshot(repo) == before
    matching = [
        f for f in json.loads(result.out)["findings"] if f["path"] == path and text in f["message"]
    ]
    assert matching, json.loads(result.out)["findings"]
    assert matching[0]["line"] == line
    human = cli("check", cwd=repo)
    assert f"{path}:{line}:" in human.out
    return matching[0]  # type: ignore[no-any-return]


def replace_front_matter(repo: Path, front_matter: str) -> None:
    (repo / CARD).write_text(f"---\n{front_matter}---\n# body\n")


def test_invalid_yaml(registry: Path, cli: Cli) -> None:
    replace_front_matter(registry, "name: clf\nkind: [model\nversion: 1.0.0\n")
    check_refuses(registry, cli, CARD, 4, "invalid YAML")


def test_missing_front_matter(registry: Path, cli: Cli) -> None:
    (registry / CARD).write_text("# A card without front matter\n\nname: clf\n")
    finding = check_refuses(registry, cli, CARD, 1, "card has no YAML front matter")
    assert finding["check"] == "GC102"


def test_unterminated_front_matter(registry: Path, cli: Cli) -> None:
    (registry / CARD).write_text("---\nname: clf\nkind: model\n# forgot to close\n")
    check_refuses(registry, cli, CARD, 1, "never closed")


def test_front_matter_that_is_not_a_mapping(registry: Path, cli: Cli) -> None:
    replace_front_matter(registry, "- name: clf\n- kind: model\n")
    check_refuses(registry, cli, CARD, 2, "front matter must be a mapping")


def test_yaml_anchors_and_aliases_are_refused(registry: Path, cli: Cli) -> None:
    replace_front_matter(registry, "name: clf\nlicense: &lic Apache-2.0\nother: *lic\n")
    check_refuses(registry, cli, CARD, 3, "anchors and aliases")


def test_yaml_alias_bomb_is_refused_before_expansion(registry: Path, cli: Cli) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)
    ]
    replace_front_matter(registry, "\n".join(levels) + "\n")
    check_refuses(registry, cli, CARD, 2, "anchors and aliases")


def test_explicit_yaml_tags_are_refused(registry: Path, cli: Cli) -> None:
    replace_front_matter(registry, "name: clf\nkind: !!python/object:os.system model\n")
    check_refuses(registry, cli, CARD, 3, "explicit YAML tags")


def test_duplicate_keys(registry: Path, cli: Cli) -> None:
    replace_front_matter(registry, "name: clf\nkind: model\nname: other\n")
    check_refuses(registry, cli, CARD, 4, 'duplicate key "name"')


def test_non_utf8_card(registry: Path, cli: Cli) -> None:
    (registry / CARD).write_bytes(b"---\nname: clf\ndescription: caf\xe9\n---\n")
    finding = check_refuses(registry, cli, CARD, 3, "not valid UTF-8")
    assert finding["check"] == "GC101"


def test_binary_card(registry: Path, cli: Cli) -> None:
    (registry / CARD).write_bytes(b"---\nname: clf\n\x00\x01\x02binary\n---\n")
    check_refuses(registry, cli, CARD, 3, "binary")


def test_card_over_one_mebibyte(registry: Path, cli: Cli) -> None:
    card = registry / CARD
    card.write_text(card.read_text() + "\n" + "padding line\n" * 90_000)
    check_refuses(registry, cli, CARD, 0, "over the 1,048,576-byte limit")


def test_pointer_over_64_kibibytes(registry: Path, cli: Cli) -> None:
    pointer = registry / POINTER
    pointer.write_text(pointer.read_text() + "#" + "x" * 70_000 + "\n")
    finding = check_refuses(registry, cli, POINTER, 0, "over the 65,536-byte limit")
    assert finding["check"] == "GC201"


def set_pointer_field(repo: Path, key: str, value: str) -> int:
    pointer = repo / POINTER
    lines = pointer.read_text().splitlines()
    number = next(
        index for index, line in enumerate(lines) if line.strip().lstrip("- ").startswith(f"{key}:")
    )
    prefix = lines[number][: lines[number].index(key)]
    lines[number] = f"{prefix}{key}: {value}"
    pointer.write_text("\n".join(lines) + "\n")
    return number + 1


def test_pointer_path_that_is_absolute(registry: Path, cli: Cli) -> None:
    line = set_pointer_field(registry, "path", "/etc/passwd")
    check_refuses(registry, cli, POINTER, line, "path is absolute")


def test_pointer_path_that_leaves_the_repository(registry: Path, cli: Cli) -> None:
    set_pointer_field(registry, "path", "../../../outside.bin")
    finding = check_refuses(registry, cli, POINTER, 2, "path leaves the repository")
    assert finding["check"] == "GC205"


def test_pointer_path_through_a_symlinked_directory(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "clf.bin").write_bytes(b"elsewhere")
    (registry / "models/linked").symlink_to(outside, target_is_directory=True)
    set_pointer_field(registry, "path", "linked/clf.bin")
    check_refuses(registry, cli, POINTER, 2, "runs through a symlinked directory")


def test_card_and_pointer_through_one_symlinked_directory_both_refused(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    """The path guard looks at a path once; both files that name it still get the finding."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "clf.bin").write_bytes(b"elsewhere")
    (registry / "models/linked").symlink_to(outside, target_is_directory=True)
    set_pointer_field(registry, "path", "linked/clf.bin")
    card = registry / CARD
    card.write_text(card.read_text().replace("path: clf.bin", "path: linked/clf.bin"))
    line = next(
        number
        for number, line in enumerate(card.read_text().splitlines(), start=1)
        if "linked/clf.bin" in line
    )
    check_refuses(registry, cli, POINTER, 2, "runs through a symlinked directory")
    check_refuses(registry, cli, CARD, line, "runs through a symlinked directory")


def test_pointer_digest_of_the_wrong_length(registry: Path, cli: Cli) -> None:
    line = set_pointer_field(registry, "md5", "0123456789abcdef")
    finding = check_refuses(registry, cli, POINTER, line, "32 lowercase hex digits")
    assert finding["field"] == "outs[0].md5"


def test_card_digest_of_the_wrong_alphabet(registry: Path, cli: Cli) -> None:
    card = registry / CARD
    text = card.read_text()
    sha_line = next(line for line in text.splitlines() if line.strip().startswith("sha256:"))
    card.write_text(text.replace(sha_line, "  sha256: " + "g" * 64))
    line = next(
        number
        for number, line in enumerate(card.read_text().splitlines(), start=1)
        if line.strip().startswith("sha256:")
    )
    finding = check_refuses(registry, cli, CARD, line, "does not have the expected form")
    assert finding["field"] == "checkpoint.sha256"


def test_card_data_path_that_leaves_the_repository(registry: Path, cli: Cli) -> None:
    card = registry / CARD
    card.write_text(card.read_text().replace("path: clf.bin", "path: ../../elsewhere.bin"))
    line = next(
        number
        for number, line in enumerate(card.read_text().splitlines(), start=1)
        if "elsewhere.bin" in line
    )
    check_refuses(registry, cli, CARD, line, "path leaves the repository")


@pytest.mark.parametrize("content", ["", "outs: []\n", "outs:\n- 7\n", "just text\n"])
def test_malformed_pointer_structure(registry: Path, cli: Cli, content: str) -> None:
    (registry / POINTER).write_text(content)
    before = snapshot(registry)
    result = cli("check", "--json", cwd=registry)
    assert result.code == 1
    assert snapshot(registry) == before
    assert any(
        f["path"] == POINTER and f["check"] == "GC201" for f in json.loads(result.out)["findings"]
    )


def line_of(repo: Path, path: str, text: str) -> int:
    return next(
        number
        for number, line in enumerate((repo / path).read_text().splitlines(), start=1)
        if text in line
    )


def bounded_cli(
    repo: Path, *args: str, memory: int = 1024**3, seconds: int = 30
) -> subprocess.CompletedProcess[str]:
    """`git ckpt ARGS` in a child process held to `memory` bytes of address space and `seconds`:
    when a refusal regresses into a memory bomb or a hang, the test fails fast instead of
    exhausting the machine it shares."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    completed = subprocess.run(
        [sys.executable, "-m", "gitckpt", *args],
        cwd=repo,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=seconds,
        preexec_fn=limit_memory,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def bounded_check_refuses(
    repo: Path, path: str, line: int, field: str, text: str
) -> dict[str, object]:
    before = snapshot(repo)
    result = bounded_cli(repo, "check", "--json")
    assert result.returncode == 1, result.stderr
    assert snapshot(repo) == before
    matching = [
        f
        for f in json.loads(result.stdout)["findings"]
        if f["path"] == path and text in f["message"]
    ]
    assert matching, result.stdout
    assert (matching[0]["line"], matching[0]["field"]) == (line, field)
    return matching[0]  # type: ignore[no-any-return]


def test_card_that_is_a_fifo(registry: Path) -> None:
    (registry / CARD).unlink()
    os.mkfifo(registry / CARD)
    finding = bounded_check_refuses(registry, CARD, 0, "", "not a regular file")
    assert finding["check"] == "GC101"


def test_card_nested_deeper_than_the_limit(registry: Path, cli: Cli) -> None:
    card = registry / CARD
    card.write_text(card.read_text().replace("name: clf\n", f"name: {'[' * 5000}{']' * 5000}\n"))
    finding = check_refuses(
        registry, cli, CARD, line_of(registry, CARD, "name: ["), "nested deeper than 64 levels"
    )
    assert finding["field"] == "name"


@pytest.mark.parametrize(
    ("path", "key", "check", "field"),
    [(CARD, "  size:", "GC102", "checkpoint.size"), (POINTER, "  size:", "GC201", "outs[0].size")],
    ids=["card", "pointer"],
)
def test_integer_of_five_thousand_digits(
    registry: Path, cli: Cli, path: str, key: str, check: str, field: str
) -> None:
    file = registry / path
    line = line_of(registry, path, key)
    lines = file.read_text().splitlines()
    lines[line - 1] = f"{key} {'9' * 5000}"
    file.write_text("\n".join(lines) + "\n")
    finding = check_refuses(
        registry, cli, path, line, "integer of 5,000 digits (at most 32 are accepted)"
    )
    assert (finding["check"], finding["field"]) == (check, field)


def test_integer_of_five_thousand_digits_in_the_config(registry: Path, cli: Cli) -> None:
    (registry / ".gitckpt").mkdir()
    (registry / ".gitckpt/config.yaml").write_text(f"audit:\n  stale_days: {'9' * 5000}\n")
    before = snapshot(registry)
    result = cli("check", cwd=registry)
    assert result.code == 1 and snapshot(registry) == before
    assert (
        ".gitckpt/config.yaml:2: [audit.stale_days] integer of 5,000 digits (at most 32 "
        "are accepted)" in result.err
    )


EVAL_CARD = "evals/clf-eval.card.md"


def record_pipeline(repo: Path, metrics: str, samples: str = "samples.jsonl") -> int:
    """Give the eval card a `pipeline:` block naming `metrics`; returns the line of `metrics:`."""
    card = repo / EVAL_CARD
    block = (
        "pipeline:\n  stage: evaluate\n  command: python evaluate.py\n  metrics: "
        f"{metrics}\n  samples: {samples}\n  deps: []\n"
    )
    card.write_text(card.read_text().replace("results:\n", f"{block}results:\n", 1))
    return line_of(repo, EVAL_CARD, "  metrics: ")


def test_metrics_file_with_an_alias_bomb(registry: Path) -> None:
    keys = "abcdefghi"
    levels = [f"l0: &l0 {{{', '.join(f'{key}: 1' for key in keys)}}}"]
    levels += [
        f"l{depth}: &l{depth} {{{', '.join(f'{key}: *l{depth - 1}' for key in keys)}}}"
        for depth in range(1, 9)
    ]
    (registry / "metrics.yaml").write_text(
        "\n".join(levels) + "\n"
    )  # 9**9 metrics once the aliases are expanded
    line = record_pipeline(registry, "metrics.yaml")
    finding = bounded_check_refuses(
        registry, EVAL_CARD, line, "pipeline.metrics", "metrics.yaml:1: YAML anchors and aliases"
    )
    assert finding["check"] == "GC801"


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        ("/dev/zero", "path is absolute"),
        ("../outside-metrics.json", "path leaves the repository"),
        ("../../../../../../../../../../etc/passwd", "path leaves the repository"),
        ("linked-metrics.json", "path is a symlink that points outside the repository"),
    ],
    ids=["device", "outside", "etc-passwd", "symlink-outside"],
)
def test_metrics_file_named_outside_the_repository(
    registry: Path, metrics: str, reason: str
) -> None:
    outside = registry.parent / "outside-metrics.json"
    outside.write_text('{"accuracy": 0.84}\n')  # what the card says: read, it would pass
    (registry / "linked-metrics.json").symlink_to(outside)
    line = record_pipeline(registry, metrics)
    finding = bounded_check_refuses(registry, EVAL_CARD, line, "pipeline.metrics", reason)
    assert str(finding["message"]).endswith(f": {metrics!r}")


def test_metrics_file_that_is_a_fifo(registry: Path) -> None:
    os.mkfifo(registry / "metrics.json")
    line = record_pipeline(registry, "metrics.json")
    bounded_check_refuses(
        registry, EVAL_CARD, line, "pipeline.metrics", "metrics.json: not a regular file"
    )


def test_metrics_file_over_the_size_limit(registry: Path, cli: Cli) -> None:
    (registry / "metrics.json").write_text('{"accuracy": 0.84}' + " " * 1024 * 1024)
    line = record_pipeline(registry, "metrics.json")
    finding = check_refuses(
        registry,
        cli,
        EVAL_CARD,
        line,
        "metrics.json: file is 1,048,594 bytes, over the 1,048,576-byte limit",
    )
    assert finding["field"] == "pipeline.metrics"


def test_metrics_file_nested_deeper_than_the_limit(registry: Path, cli: Cli) -> None:
    (registry / "metrics.json").write_text(
        '{"accuracy": 0.84, "deep": ' + "[" * 5000 + "]" * 5000 + "}"
    )
    line = record_pipeline(registry, "metrics.json")
    finding = check_refuses(
        registry, cli, EVAL_CARD, line, "metrics.json: JSON is nested deeper than 64 levels"
    )
    assert finding["field"] == "pipeline.metrics"


@pytest.mark.parametrize("key", ["metrics", "samples"])
def test_eval_run_refuses_a_file_outside_before_running_anything(
    registry: Path, cli: Cli, key: str
) -> None:
    paths = {"metrics": "metrics.json", "samples": "samples.jsonl", key: "/dev/zero"}
    line = record_pipeline(registry, paths["metrics"], paths["samples"]) + (key == "samples")
    before = snapshot(registry)
    result = cli("eval", "run", "clf-eval", cwd=registry)
    assert result.code == 1 and snapshot(registry) == before
    assert f"{EVAL_CARD}:{line}: [pipeline.{key}] path is absolute" in result.err


DVC_YAML = """\
stages:
  evaluate:
    cmd: python evaluate.py
    deps:
    - models/clf.bin
    metrics:
    - metrics.json
"""
DVC_LOCK = """\
schema: '2.0'
stages:
  evaluate:
    cmd: python evaluate.py
    deps:
    - path: models/clf.bin
      md5: 0123456789abcdef0123456789abcdef
"""


@pytest.mark.parametrize(("file", "line"), [("dvc.yaml", 3), ("dvc.lock", 4)])
def test_pipeline_files_with_aliases(registry: Path, cli: Cli, file: str, line: int) -> None:
    (registry / "dvc.yaml").write_text(DVC_YAML)
    (registry / "dvc.lock").write_text(DVC_LOCK)
    aliased = registry / file
    aliased.write_text(
        aliased.read_text().replace(
            "cmd: python evaluate.py", "cmd: &cmd python evaluate.py\n    desc: *cmd"
        )
    )
    before = snapshot(registry)
    result = cli("eval", "record", "clf-eval", "--stage", "evaluate", cwd=registry)
    assert result.code == 1 and snapshot(registry) == before
    assert f"{file}:{line}: YAML anchors and aliases (&name, *name) are not allowed" in result.err


@pytest.mark.parametrize(
    ("file", "old", "new", "where"),
    [
        (
            "dvc.yaml",
            "  evaluate:\n    cmd: python evaluate.py\n    deps:\n    - models/clf.bin\n   "
            " metrics:\n    - metrics.json\n",
            "  evaluate: 5\n",
            "dvc.yaml:2: [stages.evaluate]",
        ),
        (
            "dvc.lock",
            "    - path: models/clf.bin\n      md5: 0123456789abcdef0123456789abcdef\n",
            "    - [models/clf.bin]\n",
            "dvc.lock:6: [stages.evaluate.deps[0]]",
        ),
    ],
    ids=["stage-not-a-mapping", "dependency-not-a-mapping"],
)
def test_pipeline_files_of_the_wrong_shape(
    registry: Path, cli: Cli, file: str, old: str, new: str, where: str
) -> None:
    (registry / "dvc.yaml").write_text(DVC_YAML)
    (registry / "dvc.lock").write_text(DVC_LOCK)
    target = registry / file
    assert old in target.read_text()
    target.write_text(target.read_text().replace(old, new))
    before = snapshot(registry)
    result = cli("eval", "record", "clf-eval", "--stage", "evaluate", cwd=registry)
    assert result.code == 1 and snapshot(registry) == before
    assert where in result.err, result.err


def test_attestation_nested_deeper_than_the_limit(registry: Path, cli: Cli, tmp_path: Path) -> None:
    attestation = tmp_path / "deep.intoto.json"
    attestation.write_text('{"_type": ' + "[" * 5000 + "]" * 5000 + "}")
    before = snapshot(registry)
    result = cli("verify", "--attestation", str(attestation), "--json", cwd=registry)
    assert result.code == 1 and snapshot(registry) == before
    assert json.loads(result.out)["problems"] == [
        f"{attestation}: JSON is nested deeper than 64 levels"
    ]


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        ("/dev/zero", "not a regular file"),
        ("big.intoto.json", "file is 67,108,864 bytes, over the 4,194,304-byte limit"),
    ],
    ids=["never-ends", "too-big"],
)
def test_attestation_that_never_ends_or_is_too_big(
    registry: Path, tmp_path: Path, file: str, reason: str
) -> None:
    path = tmp_path / file
    if file == "big.intoto.json":
        with path.open("wb") as handle:
            handle.truncate(64 * 1024 * 1024)
    before = snapshot(registry)
    result = bounded_cli(registry, "verify", "--attestation", str(path), "--json")
    assert result.returncode == 1 and snapshot(registry) == before, result.stderr
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem.startswith(f"{path}: {reason}")
