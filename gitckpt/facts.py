"""Facts a training run already knows, gathered for its card (`gitckpt.facts.collect`,
`git ckpt add --infer`): the checkpoint's parameter count and tensors from its safetensors
header, the software and hardware it ran on, and its DVC hyperparameters and seeds.

Each fact goes to the card field the schemas already define (architecture, environment,
compute.hardware, hyperparameters, seeds). A card takes an inferred fact only where no person
wrote one (the field is missing or still a `<FILL …>` placeholder): `fill_in` never overwrites.
Gathering never fails on a missing tool or file; what cannot be seen is simply left out.
"""

from __future__ import annotations

import os
import platform
from collections import Counter
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from gitckpt.card import PLACEHOLDER_PATTERN
from gitckpt.config import CONFIG_PATH, Config, parse_config
from gitckpt.errors import GitckptError, InputError
from gitckpt.files import read_text
from gitckpt.repo import find_repository, head_commit
from gitckpt.safetensors_file import tensor_shapes
from gitckpt.strict_yaml import FieldPath, load_yaml

# Recorded in environment.frameworks when installed (by package name, as metadata knows it).
ML_FRAMEWORKS = (
    "torch",
    "tensorflow",
    "jax",
    "flax",
    "keras",
    "transformers",
    "safetensors",
    "scikit-learn",
    "numpy",
    "onnx",
    "lightgbm",
    "xgboost",
)
NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")  # one folder per GPU the driver sees
PARAMS_FILE = "params.yaml"  # DVC's default parameters file
PARAMS_SIZE_LIMIT = 1_000_000
SHAPES_SHOWN = 5  # the largest tensors named in architecture.details
# Fields that are maps of free-form names: the scaffold's example names (optimizer, ...) give way
# to the run's own when every one is still a placeholder.
FREE_FORM_FIELDS = frozenset({"hyperparameters", "seeds"})


class InferredFacts(dict[str, Any]):
    """Card facts gathered from the run, as nested fields of the card's front matter. A card
    takes each only where a person has not written a value; merge them into a plain dict and
    they become values a person wrote.

        >>> from gitckpt.facts import collect
        >>> collect("models/clf.safetensors")["architecture"]["parameters"]
        11689512
    """


def collect(
    checkpoint: str | Path | None = None,
    *,
    params: str | Path | Mapping[str, Any] | None = None,
    repo: str | Path = ".",
) -> InferredFacts:
    """What the run knows about the checkpoint at `checkpoint` (a safetensors file, or a folder
    of shards): parameter count, dtypes, tensor count and the largest shapes; the Python and ML
    framework versions installed (from package metadata: nothing is imported); the accelerators
    the NVIDIA driver reports; the container image digest from the environment variable that
    `.gitckpt/config.yaml`'s `environment.container_digest_env` names; the git commit of the
    repository around `repo`; and the hyperparameters and seeds of `params` (a DVC params.yaml,
    or a dict; default: the repository's params.yaml when there is one).

        >>> facts = collect("models/clf.safetensors", params={"lr": 0.1, "seed": 7})
        >>> facts["seeds"], facts["hyperparameters"]
        ({'training': 7}, {'lr': 0.1})
        >>> registry.track("models/clf.safetensors", kind="model", facts=facts)
    """
    root = _repository_root(Path(repo))
    facts = InferredFacts()
    if checkpoint is not None:
        facts.update(checkpoint_facts(Path(checkpoint)))
    facts["environment"] = environment_facts(root)
    hardware = accelerator_description()
    if hardware:
        facts["compute"] = {"hardware": hardware}
    chosen = params if params is not None else _default_params(root)
    if chosen is not None:
        values = dict(chosen) if isinstance(chosen, Mapping) else read_params(Path(chosen))
        facts.update(params_facts(values))
    return facts


def checkpoint_facts(path: Path) -> dict[str, Any]:
    """`architecture.parameters` and `.details` from the safetensors header(s) of `path`; none for
    another format. InputError when a safetensors header is malformed."""
    files = sorted(path.rglob("*.safetensors")) if path.is_dir() else [path]
    tensors: dict[str, tuple[str, tuple[int, ...]]] = {}
    for file in files:
        if file.suffix == ".safetensors":
            tensors.update(tensor_shapes(file))
    if not tensors:
        return {}
    counts = {name: _elements(shape) for name, (_, shape) in tensors.items()}
    dtypes = Counter(dtype for dtype, _ in tensors.values())
    largest = sorted(counts, key=lambda name: (-counts[name], name))[:SHAPES_SHOWN]
    shapes = ", ".join(f"{name} {list(tensors[name][1])}" for name in largest)
    details = f"{len(tensors)} tensors; dtypes {', '.join(sorted(dtypes))}; largest: {shapes}"
    architecture: dict[str, Any] = {"details": details}
    total = sum(counts.values())
    if total > 0:
        architecture["parameters"] = total
    return {"architecture": architecture}


def _elements(shape: tuple[int, ...]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count


def environment_facts(root: Path | None) -> dict[str, Any]:
    """`environment`: Python, the ML frameworks installed, the git commit and, when the team's
    config names its variable, the container image digest."""
    environment: dict[str, Any] = {
        "python": platform.python_version(),
        "frameworks": installed_frameworks(),
    }
    commit = _commit(root)
    if commit:
        environment["code_commit"] = commit
    variable = _policy(root).container_digest_env
    digest = os.environ.get(variable, "").strip() if variable else ""
    if digest:
        environment["container_or_lockfile"] = digest
    if not environment["frameworks"]:
        del environment["frameworks"]
    return environment


def installed_frameworks() -> dict[str, str]:
    """The version of each ML framework installed, read from package metadata (the packages are
    not imported)."""
    installed = {}
    for package in ML_FRAMEWORKS:
        try:
            installed[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return installed


def accelerator_description() -> str | None:
    """The GPUs the NVIDIA driver reports (e.g. `2x NVIDIA A100-SXM4-80GB`), read from /proc
    without running a tool; None when none is visible."""
    try:
        folders = sorted(NVIDIA_GPUS.iterdir())
    except OSError:
        return None
    models: Counter[str] = Counter()
    for folder in folders:
        try:
            lines = (folder / "information").read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            key, _, value = line.partition(":")
            if key.strip() == "Model" and value.strip():
                models[value.strip()] += 1
    return ", ".join(f"{count}x {model}" for model, count in sorted(models.items())) or None


def read_params(path: Path) -> dict[str, Any]:
    """A DVC parameters file (YAML) as a mapping; InputError naming the file when it is not."""
    document = load_yaml(read_text(path, PARAMS_SIZE_LIMIT, str(path)), str(path))
    if not isinstance(document.data, dict):
        raise InputError("a parameters file must be a mapping of names to values", path=str(path))
    return dict(document.data)


def params_facts(params: Mapping[str, Any]) -> dict[str, Any]:
    """`seeds` (each integer parameter named seed, `*_seed` or `seed_*`, one section deep) and
    `hyperparameters` (every other parameter), as the model card's schema takes them."""
    seeds: dict[str, int] = {}
    hyperparameters: dict[str, Any] = {}
    for key, value in params.items():
        purpose = _seed_purpose(str(key), value)
        if purpose:
            seeds[purpose] = value
        elif isinstance(value, Mapping):
            rest = {}
            for inner, inner_value in value.items():
                inner_purpose = _seed_purpose(str(inner), inner_value, section=str(key))
                if inner_purpose:
                    seeds[inner_purpose] = inner_value
                else:
                    rest[inner] = inner_value
            if rest:
                hyperparameters[key] = rest
        else:
            hyperparameters[key] = value
    facts: dict[str, Any] = {}
    if hyperparameters:
        facts["hyperparameters"] = hyperparameters
    if seeds:
        facts["seeds"] = seeds
    return facts


def _seed_purpose(key: str, value: object, section: str = "training") -> str | None:
    """What the seed `key` seeds (`seed` → the section, `data_seed` → `data`), or None when the
    parameter is not an integer seed."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    lowered = key.lower()
    if lowered == "seed":
        return section
    for affix in ("_seed", "seed_"):
        if lowered.endswith(affix) or lowered.startswith(affix):
            return lowered.replace(affix, "", 1) or section
    return None


def fill_in(data: dict[str, Any], inferred: Mapping[str, Any]) -> dict[FieldPath, Any]:
    """The fields of `inferred` that a card with front matter `data` lacks or still holds as a
    `<FILL …>` placeholder (mappings are merged field by field): what a person wrote stays."""
    updates: dict[FieldPath, Any] = {}
    for key, value in inferred.items():
        written = data.get(key)
        if key in FREE_FORM_FIELDS and only_placeholders(written):
            updates[(key,)] = dict(value) if isinstance(value, Mapping) else value
        elif (
            isinstance(value, Mapping)
            and isinstance(written, dict)
            and "noassertion" not in written
        ):
            for field, inner in fill_in(written, value).items():
                updates[(key, *field)] = inner
        elif key not in data or _is_placeholder(written):
            updates[(key,)] = dict(value) if isinstance(value, Mapping) else value
    return updates


def _gap(written: dict[str, Any]) -> bool:
    """A person's `{noassertion: why}`: the fact is known to be unknown."""
    return "noassertion" in written


def only_placeholders(value: object) -> bool:
    """A scaffold's example block: a mapping whose every value is a `<FILL …>` placeholder."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(_is_placeholder(inner) for inner in value.values())
    ) or _is_placeholder(value)


def _is_placeholder(value: object) -> bool:
    return isinstance(value, str) and PLACEHOLDER_PATTERN.search(value) is not None


def _repository_root(start: Path) -> Path | None:
    try:
        return find_repository(start).root
    except GitckptError:
        return None


def _commit(root: Path | None) -> str | None:
    if root is None:
        return None
    try:
        return head_commit(find_repository(root))
    except GitckptError:
        return None


def _policy(root: Path | None) -> Config:
    """The work tree's policy (for the container variable); the defaults without one."""
    path = root / CONFIG_PATH if root else None
    if path is None or not path.is_file():
        return Config()
    return parse_config(read_text(path, PARAMS_SIZE_LIMIT, CONFIG_PATH))


def _default_params(root: Path | None) -> Path | None:
    path = root / PARAMS_FILE if root else None
    return path if path is not None and path.is_file() else None
