"""Facts the run already knows (issue 21): `gitckpt.collect` reads a safetensors header, the
installed frameworks' metadata, the GPUs the driver reports, the container digest the team's
config points at, the git commit and DVC parameters; `git ckpt add --infer` fills a card with
them, never over what a person wrote."""

from __future__ import annotations

import json
import platform
import struct
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest

from gitckpt import InferredFacts, InputError, collect
from gitckpt.card import parse_card
from gitckpt.facts import NVIDIA_GPUS, accelerator_description, fill_in
from testing.repos import commit_all, git
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
DIGEST = "sha256:" + "ab" * 32


def write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> None:
    """A valid safetensors file with zeroed tensors of the given dtypes and shapes."""
    sizes = {"F32": 4, "BF16": 2, "I64": 8}
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        count = 1
        for dim in shape:
            count *= dim
        header[name] = {
            "dtype": dtype,
            "shape": shape,
            "data_offsets": [offset, offset + count * sizes[dtype]],
        }
        offset += count * sizes[dtype]
    encoded = json.dumps(header).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + bytes(offset))


TENSORS = {
    "embed.weight": ("BF16", [100, 16]),
    "head.weight": ("F32", [16, 4]),
    "step": ("I64", []),
}


def test_collect_reads_the_safetensors_header(tmp_path: Path) -> None:
    write_safetensors(tmp_path / "model.safetensors", TENSORS)

    facts = collect(tmp_path / "model.safetensors", params={}, repo=tmp_path)

    assert isinstance(facts, InferredFacts)
    assert facts["architecture"] == {
        "parameters": 100 * 16 + 16 * 4 + 1,
        "details": "3 tensors; dtypes BF16, F32, I64; largest: embed.weight [100, 16], "
        "head.weight [16, 4], step []",
    }


def test_collect_sums_the_shards_of_a_folder(tmp_path: Path) -> None:
    write_safetensors(tmp_path / "ckpt/part-1.safetensors", {"a": ("F32", [10])})
    write_safetensors(tmp_path / "ckpt/part-2.safetensors", {"b": ("F32", [5, 2])})

    facts = collect(tmp_path / "ckpt", params={}, repo=tmp_path)

    assert facts["architecture"]["parameters"] == 20


def test_a_malformed_header_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.safetensors").write_bytes(b"\x02")

    with pytest.raises(InputError, match=r"bad\.safetensors: shorter than the 8-byte header"):
        collect(tmp_path / "bad.safetensors", params={}, repo=tmp_path)


def test_other_formats_give_no_architecture(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"weights")

    assert "architecture" not in collect(tmp_path / "model.bin", params={}, repo=tmp_path)


def test_the_environment_comes_from_metadata_and_git(repo: Path) -> None:
    (repo / "README").write_text("x")
    commit_all(repo, "first")

    environment = collect(repo=repo, params={})["environment"]

    assert environment["python"] == platform.python_version()
    assert environment["code_commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert environment["frameworks"]["numpy"] == metadata.version("numpy")
    assert "torch" not in environment["frameworks"]  # not installed: left out, not guessed
    assert "container_or_lockfile" not in environment  # no variable configured


def test_the_container_digest_comes_from_the_configured_variable(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / ".gitckpt").mkdir(exist_ok=True)
    (repo / ".gitckpt/config.yaml").write_text(
        "schema_version: 1\nenvironment:\n  container_digest_env: IMAGE_DIGEST\n"
    )
    monkeypatch.setenv("IMAGE_DIGEST", DIGEST)

    assert collect(repo=repo, params={})["environment"]["container_or_lockfile"] == DIGEST


def test_no_visible_accelerator_gives_no_hardware_fact(tmp_path: Path) -> None:
    if NVIDIA_GPUS.exists():
        pytest.skip("this machine has an NVIDIA driver")

    assert accelerator_description() is None
    assert "compute" not in collect(params={}, repo=tmp_path)


def test_params_give_hyperparameters_and_seeds(repo: Path) -> None:
    (repo / "params.yaml").write_text(
        "train:\n  lr: 0.1\n  seed: 3\n  data_seed: 4\nepochs: 5\nseed: 7\nuse_amp: true\n"
    )

    facts = collect(repo=repo)  # the repository's params.yaml by default
    passed = collect(repo=repo, params={"batch_size": 32, "init_seed": 1})

    assert facts["hyperparameters"] == {"train": {"lr": 0.1}, "epochs": 5, "use_amp": True}
    assert facts["seeds"] == {"train": 3, "data": 4, "training": 7}
    assert (passed["hyperparameters"], passed["seeds"]) == ({"batch_size": 32}, {"init": 1})


def test_fill_in_leaves_what_a_person_wrote() -> None:
    card = {
        "license": "MIT",
        "architecture": {"family": "MLP", "parameters": "<FILL: count>"},
        "hyperparameters": {"optimizer": "<FILL: optimizer>", "lr": "<FILL: lr>"},
        "compute": {"noassertion": "not recorded"},
    }
    inferred = {
        "license": "Apache-2.0",
        "architecture": {"family": "CNN", "parameters": 10},
        "hyperparameters": {"epochs": 3},
        "compute": {"hardware": "1x GPU"},
        "seeds": {"training": 1},
    }

    assert fill_in(card, inferred) == {
        ("architecture", "parameters"): 10,
        ("hyperparameters",): {"epochs": 3},  # the scaffold's examples give way whole
        ("seeds",): {"training": 1},
    }


def test_add_infer_fills_the_card_from_the_run(repo: Path, cli: Cli) -> None:
    write_safetensors(repo / "models/net.safetensors", TENSORS)
    (repo / "params.yaml").write_text("lr: 0.01\nseed: 11\n")

    result = cli("add", "models/net.safetensors", "--kind", "model", "--infer", cwd=repo)

    assert result.code == 0, result.err
    data = parse_card((repo / "models/net.card.md").read_text(), "card").data
    assert data["architecture"]["parameters"] == 1665
    assert (data["hyperparameters"], data["seeds"]) == ({"lr": 0.01}, {"training": 11})
    assert data["architecture"]["family"].startswith("<FILL")  # no fact the run knows


def test_add_infer_keeps_a_written_card(registry: Path, cli: Cli) -> None:
    (registry / "params.yaml").write_text("seed: 99\noptimizer: adam\n")
    card = registry / "models/clf.card.md"
    before = parse_card(card.read_text(), "card").data

    assert cli("add", "models/clf.bin", "--infer", cwd=registry).code == 0

    after = parse_card(card.read_text(), "card").data
    assert (after["seeds"], after["hyperparameters"]) == (
        before["seeds"],
        before["hyperparameters"],
    )
