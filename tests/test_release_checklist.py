"""The responsible-release checklist: sensitive content, unsafe serialization, the checklist and
the release gate, `git ckpt checks`."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gitckpt.checklist import ITEMS
from testing.repos import commit_all, environ_path_with_venv, git, run
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"


class RunsCode:
    """Pickling this records `os.system(...)`; loading the pickle would run it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def data_findings(repo: Path, cli: Cli) -> list[dict[str, object]]:
    # type: ignore[no-any-return]
    return json.loads(cli("check", "--data", "--json", cwd=repo).out)["findings"]


def replace_model_bytes(repo: Path, cli: Cli, name: str, content: bytes) -> None:
    """Swap the model's file for `name` holding `content`, tracked and carded as the model."""
    card = repo / MODEL_CARD
    card.write_text(card.read_text().replace("path: clf.bin", f"path: {name}"))
    git(repo, "rm", "-q", "--cached", "models/clf.bin.dvc")
    (repo / "models/clf.bin.dvc").unlink()
    (repo / "models" / name).write_bytes(content)
    assert cli("add", f"models/{name}", cwd=repo).code == 0
    assert cli(
        "eval", "confirm", "clf", "--reason", "Same weights, other serialization format.", cwd=repo
    ).code in (0, 1)


@pytest.mark.parametrize("protocol", [2, 4])
def test_pickle_that_would_run_code_is_caught_without_running_it(
    registry: Path, cli: Cli, tmp_path: Path, protocol: int
) -> None:
    marker = tmp_path / "pwned"
    replace_model_bytes(registry, cli, "clf.pt", pickle.dumps(RunsCode(marker), protocol=protocol))
    findings = [f for f in data_findings(registry, cli) if f["check"] == "GC701"]
    assert (
        len(findings) == 1
        and "system" in str(findings[0]["message"])
        and "ship safetensors instead" in str(findings[0]["message"])
    )
    assert not marker.exists(), "the pickle must never be loaded"


def torch_style_zip(*globals_: str) -> bytes:
    """A PyTorch-format archive: archive/data.pkl referencing the given globals."""
    stream = (
        b"\x80\x02"
        + b"".join(
            f"c{name.rsplit('.', 1)[0]}\n{name.rsplit('.', 1)[1]}\n".encode() + b")R"
            for name in globals_
        )
        + b"."
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", stream)
        archive.writestr("archive/version", "3\n")
        archive.writestr("archive/data/0", b"\0" * 16)
    return buffer.getvalue()


def test_pytorch_zip_with_only_tensor_globals_passes(registry: Path, cli: Cli) -> None:
    replace_model_bytes(
        registry,
        cli,
        "clf.pt",
        torch_style_zip(
            "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch.FloatStorage"
        ),
    )
    assert [f for f in data_findings(registry, cli) if f["check"] == "GC701"] == []


def test_pytorch_zip_with_a_dangerous_global_fails(registry: Path, cli: Cli) -> None:
    replace_model_bytes(
        registry, cli, "clf.pt", torch_style_zip("collections.OrderedDict", "builtins.eval")
    )
    (finding,) = [f for f in data_findings(registry, cli) if f["check"] == "GC701"]
    assert "builtins.eval" in str(finding["message"]) and "data.pkl" in str(finding["message"])


def safetensors(tensors: dict[str, tuple[str, list[int], list[int]]], data: bytes) -> bytes:
    header = json.dumps(
        {
            name: {"dtype": dtype, "shape": shape, "data_offsets": offsets}
            for name, (dtype, shape, offsets) in tensors.items()
        }
    ).encode()
    return struct.pack("<Q", len(header)) + header + data


VALID = {"w": ("F32", [2], [0, 8]), "b": ("F32", [1], [8, 12])}


def test_valid_safetensors_passes(registry: Path, cli: Cli) -> None:
    replace_model_bytes(registry, cli, "clf.safetensors", safetensors(VALID, b"\0" * 12))
    assert [f for f in data_findings(registry, cli) if f["check"] == "GC702"] == []


@pytest.mark.parametrize(
    ("tensors", "data", "message"),
    [
        (VALID, b"\0" * 10, "outside the data"),
        ({"w": ("F32", [2], [0, 8]), "b": ("F32", [2], [4, 12])}, b"\0" * 12, "overlap"),
        ({"w": ("F33", [2], [0, 8])}, b"\0" * 8, "unknown dtype"),
        ({"w": ("F32", [3], [0, 8])}, b"\0" * 8, "needs 12"),
    ],
    ids=["truncated", "overlapping", "bad-dtype", "wrong-size"],
)
def test_broken_safetensors_are_rejected(
    registry: Path,
    cli: Cli,
    tensors: dict[str, tuple[str, list[int], list[int]]],
    data: bytes,
    message: str,
) -> None:
    replace_model_bytes(registry, cli, "clf.safetensors", safetensors(tensors, data))
    (finding,) = [f for f in data_findings(registry, cli) if f["check"] == "GC702"]
    assert message in str(finding["message"])


def test_header_length_beyond_the_file(registry: Path, cli: Cli) -> None:
    replace_model_bytes(registry, cli, "clf.safetensors", struct.pack("<Q", 10**9) + b"{}")
    (finding,) = [f for f in data_findings(registry, cli) if f["check"] == "GC702"]
    assert "header length" in str(finding["message"])


def test_header_nested_deeper_than_the_limit(registry: Path, cli: Cli) -> None:
    header = b'{"__metadata__": {"deep": ' + b"[" * 5000 + b"]" * 5000 + b"}}"
    replace_model_bytes(registry, cli, "clf.safetensors", struct.pack("<Q", len(header)) + header)
    result = cli("check", "--data", "--json", cwd=registry)
    assert result.code == 1
    (finding,) = [f for f in json.loads(result.out)["findings"] if f["check"] == "GC702"]
    assert (
        finding["message"]
        == "models/clf.safetensors: clf.safetensors: header refused: JSON is nested deeper "
        "than 64 levels"
    )


def git_ckpt_check_data(repo: Path) -> tuple[int, list[dict[str, object]]]:
    """`git ckpt check --data --json` as a user runs it: git finds the git-ckpt script on PATH."""
    completed = run(
        ["git", "ckpt", "check", "--data", "--json"],
        repo,
        check=False,
        env={"PATH": environ_path_with_venv()},
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed.returncode, [
        f for f in json.loads(completed.stdout)["findings"] if f["check"] == "GC702"
    ]


def test_git_ckpt_check_data_passes_a_file_the_library_wrote(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    from safetensors.numpy import save_file

    weights = tmp_path / "clf.safetensors"
    save_file(
        {"w": np.ones((4, 3), np.float32), "b": np.zeros(0, np.float16)},
        weights,
        metadata={"format": "np"},
    )
    replace_model_bytes(registry, cli, "clf.safetensors", weights.read_bytes())
    commit_all(registry, "safetensors checkpoint")
    assert git_ckpt_check_data(registry) == (0, [])


def test_git_ckpt_check_data_refuses_bytes_after_the_last_tensor(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    """A file the library wrote, with a payload appended: the library refuses to open it, and so
    does the check, naming the tensor the stray bytes follow."""
    from safetensors import SafetensorError, safe_open
    from safetensors.numpy import save_file

    weights = tmp_path / "clf.safetensors"
    save_file({"w": np.ones((4, 3), np.float32)}, weights)
    weights.write_bytes(weights.read_bytes() + b"#!/bin/sh\n")
    with (
        pytest.raises(SafetensorError, match="incomplete metadata"),
        safe_open(str(weights), framework="np"),
    ):
        pass
    replace_model_bytes(registry, cli, "clf.safetensors", weights.read_bytes())
    commit_all(registry, "safetensors checkpoint")
    code, (finding,) = git_ckpt_check_data(registry)
    assert code == 1 and finding["path"] == MODEL_CARD
    assert (
        finding["message"]
        == "models/clf.safetensors: clf.safetensors: data bytes 48–58 after the last tensor, "
        "'w', belong to no tensor"
    )


def test_aws_key_in_a_card_is_found_and_masked(registry: Path, cli: Cli) -> None:
    card = registry / MODEL_CARD
    card.write_text(
        card.read_text().replace(
            "Prose for reviewers.", f"Upload with key {AWS_KEY} to the bucket."
        )
    )
    result = cli("check", cwd=registry)
    assert (
        result.code == 1
        and "GC601" in result.out
        and "AWS Access Key: AKIA…(20 characters)" in result.out
    )
    assert AWS_KEY not in result.out and AWS_KEY not in cli("check", "--json", cwd=registry).out


def test_secrets_and_personal_data_in_shipped_text_files(repo: Path, cli: Cli) -> None:
    (repo / "ckpt").mkdir()
    (repo / "ckpt/model.safetensors").write_bytes(safetensors(VALID, b"\0" * 12))
    (repo / "ckpt/config.json").write_text(
        '{\n  "hub_token": "ghp_1234567890abcdefghijklmnopqrstuvwxyzAB",\n  "author": '
        '"jane.doe@university.edu"\n}\n'
    )
    assert cli("add", "ckpt", "--kind", "model", "--name", "shipped", cwd=repo).code == 0
    found = {(f["check"], f["path"], f["line"]) for f in data_findings(repo, cli)}
    assert ("GC601", "ckpt/config.json", 2) in found and ("GC602", "ckpt/config.json", 3) in found


def test_release_gate_refuses_unconfirmed_checklist_then_passes(registry: Path, cli: Cli) -> None:
    card = registry / MODEL_CARD
    text = card.read_text()
    for item in ("licenses_aligned", "export_controls_stated"):
        start = text.index(f"  {item}:")
        end = text.index("\n", text.index("confirmed_at", start))
        text = text[:start] + f"  {item}: null" + text[end:]
    card.write_text(text)
    commit_all(registry, "reopen two checklist items")
    refused = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert refused.code == 1
    assert (
        "licenses_aligned" in refused.err
        and "export_controls_stated" in refused.err
        and "--confirm" in refused.err
    )
    assert git(registry, "tag").strip() == ""
    state = {
        row["item"]: row["confirmed"]
        for row in json.loads(cli("checklist", "clf", "--json", cwd=registry).out)
    }
    assert state == {
        item: item not in ("licenses_aligned", "export_controls_stated") for item in ITEMS
    }
    for item in ("licenses_aligned", "export_controls_stated"):
        assert (
            cli("checklist", "clf", "--confirm", item, "--note", "reviewed", cwd=registry).code == 0
        )
    confirmed = json.loads(cli("checklist", "clf", "--json", cwd=registry).out)
    assert all(row["confirmed"] for row in confirmed)
    assert {row["confirmed_by"] for row in confirmed if row["item"] == "licenses_aligned"} == {
        "Ada Researcher <ada@example.org>"
    }
    commit_all(registry, "checklist confirmed")
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0


def test_release_gate_refuses_a_code_running_pickle(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    replace_model_bytes(registry, cli, "clf.pt", pickle.dumps(RunsCode(tmp_path / "pwned")))
    commit_all(registry, "pickle checkpoint")
    refused = cli("tag", "clf", "--allow-unpushed", cwd=registry)
    assert refused.code == 1 and "GC701" in refused.err


def test_unknown_checklist_item(registry: Path, cli: Cli) -> None:
    assert cli("checklist", "clf", "--confirm", "vibes_checked", cwd=registry).code == 2
    assert cli("checklist", "points", cwd=registry).code == 2


def test_checks_are_listed_and_mandatory_ones_cannot_be_turned_off(
    registry: Path, cli: Cli
) -> None:
    rows = {row["id"]: row for row in json.loads(cli("checks", "--json", cwd=registry).out)}
    assert {"GC101", "GC502", "GC601", "GC701", "GC702"} <= set(rows)
    assert all(row["rationale"] and row["fix"] for row in rows.values())
    assert rows["GC601"]["mandatory"] is True and rows["GC602"]["mandatory"] is False
    (registry / ".gitckpt").mkdir()
    (registry / ".gitckpt/config.yaml").write_text("schema_version: 1\nchecks:\n  GC601: 'off'\n")
    result = cli("check", cwd=registry)
    assert result.code == 1 and "GC601 is mandatory" in result.err


def test_the_release_record_lists_what_was_off(registry: Path, cli: Cli) -> None:
    (registry / ".gitckpt").mkdir()
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nchecks:\n  GC602: 'off'\n  GC402: 'off'\n"
    )
    commit_all(registry, "policy")
    record = json.loads(cli("tag", "clf", "--allow-unpushed", "--json", cwd=registry).out)["record"]
    assert record["checks"]["off"] == ["GC402", "GC602"] and "GC602" not in record["checks"]["run"]
    assert "GC701" in record["checks"]["run"]
    assert json.loads(cli("checks", "--json", cwd=registry).out)[0]["severity"]


def test_a_global_the_policy_allows_with_a_reason_passes_and_the_release_lists_it(
    registry: Path, cli: Cli
) -> None:
    replace_model_bytes(
        registry,
        cli,
        "clf.pt",
        torch_style_zip("collections.OrderedDict", "mylab.layers.ScaledDot"),
    )
    (finding,) = [f for f in data_findings(registry, cli) if f["check"] == "GC701"]
    assert "mylab.layers.ScaledDot" in str(
        finding["message"]
    ) and "serialization.allow_globals" in str(finding["message"])
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nserialization:\n  allow_globals:\n"
        "    - global: mylab.layers.ScaledDot\n      reason: our own layer, reviewed; it "
        "only stores attributes\n"
    )
    assert [f for f in data_findings(registry, cli) if f["check"] == "GC701"] == []
    for item in ITEMS:
        assert (
            cli("checklist", "clf", "--confirm", item, "--note", "reviewed", cwd=registry).code == 0
        )
    commit_all(registry, "allow our own layer")
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0
    record = json.loads(cli("show", "clf@v0.1.0", "--json", cwd=registry).out)
    assert record["checks"]["allowed_globals"] == [
        {
            "global": "mylab.layers.ScaledDot",
            "reason": "our own layer, reviewed; it only stores attributes",
        }
    ]


def test_an_allowance_without_a_reason_is_refused(registry: Path, cli: Cli) -> None:
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nserialization:\n  allow_globals:\n    - global: os.system\n"
    )
    result = cli("check", cwd=registry)
    assert result.code == 1 and ".gitckpt/config.yaml:4" in result.err and "reason" in result.err
