"""Card scaffolding (`git ckpt card new`, `add`, `import-card`): a card from a DVC pointer,
pre-filled with what is known."""

from __future__ import annotations

import datetime
import json
import platform
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from string import Template

from gitckpt import PACKAGE_DIR
from gitckpt.cache import Cache
from gitckpt.card import BYTES_FIELD, card_path_for, update_front_matter
from gitckpt.config import GTO_NAME_PATTERN
from gitckpt.digests import DigestReader, TreeDigests, bytes_block_values
from gitckpt.dvc_artifacts import edited_dvc_yamls, entry_for, write_dvc_yamls
from gitckpt.errors import GitckptError, UsageError
from gitckpt.facts import installed_frameworks
from gitckpt.files import POINTER_SIZE_LIMIT, atomic_write, read_text
from gitckpt.hashing import FileDigests
from gitckpt.pointer import POINTER_SUFFIX, PointerOut, parse_pointer
from gitckpt.repo import Repository, head_commit

SHA256_PLACEHOLDER = "<FILL: sha256 of the bytes (64 hex digits)>"
FORMAT_BY_SUFFIX = {
    ".safetensors": "safetensors",
    ".pt": "pytorch",
    ".pth": "pytorch",
    ".ckpt": "pytorch-lightning",
    ".bin": "binary",
    ".onnx": "onnx",
    ".gguf": "gguf",
    ".h5": "keras-h5",
    ".keras": "keras",
    ".npz": "numpy",
    ".npy": "numpy",
    ".pkl": "pickle",
    ".joblib": "joblib",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".json": "json",
    ".arrow": "arrow",
    ".tar": "tar",
    ".zip": "zip",
    ".log": "text-log",
    ".txt": "text",
}


@dataclass(frozen=True)
class DescribedData:
    """The data a new card describes: its path relative to the root, DVC's record of it, and
    its digests when the bytes are here to read."""

    relpath: str
    out: PointerOut
    digests: FileDigests | TreeDigests | None


@dataclass(frozen=True)
class NewCard:
    """The card written, and the dvc.yaml that now declares its artifact for DVC (None when it
    already did)."""

    relpath: str
    name: str
    dvc_yaml: str | None


def create_card(repo: Repository, data_path: Path, kind: str, name: str | None) -> NewCard:
    """Write `<name>.card.md` beside the data, and declare the artifact in dvc.yaml's
    `artifacts:` (for `dvc artifacts get`); refuse to overwrite an existing card."""
    data_relpath = data_relpath_of(repo, data_path)
    out = read_pointer_out(repo, data_relpath)
    name = checked_name(name or suggest_name(data_relpath))
    card_relpath = card_path_for(data_relpath, name)
    refuse_existing_card(repo, card_relpath)
    digests = _measure_if_present(repo, data_relpath, out)
    dvc_yamls = edited_dvc_yamls(repo.root, [entry_for(name, kind, data_relpath, {})])
    write_scaffold(repo, kind, name, DescribedData(data_relpath, out, digests))
    write_dvc_yamls(repo.root, dvc_yamls)
    return NewCard(relpath=card_relpath, name=name, dvc_yaml=next(iter(dvc_yamls), None))


def data_relpath_of(repo: Repository, data_path: Path) -> str:
    """The data's path relative to the root, whether given as the data or as its pointer."""
    absolute = data_path if data_path.is_absolute() else Path.cwd() / data_path
    absolute = (
        Path(str(absolute).removesuffix(POINTER_SUFFIX))
        if absolute.name.endswith(POINTER_SUFFIX)
        else absolute
    )
    try:
        return absolute.parent.resolve().joinpath(absolute.name).relative_to(repo.root).as_posix()
    except ValueError as exc:
        raise UsageError(f"{data_path} is outside the repository {repo.root}") from exc


def read_pointer_out(repo: Repository, data_relpath: str) -> PointerOut:
    pointer_relpath = f"{data_relpath}{POINTER_SUFFIX}"
    pointer_path = repo.root / pointer_relpath
    if not pointer_path.is_file():
        raise GitckptError(
            f"there is no DVC pointer {pointer_relpath}.\nTrack the data first (`git ckpt "
            f"add {data_relpath}` or `dvc add {data_relpath}`)."
        )
    outs = parse_pointer(
        read_text(pointer_path, POINTER_SIZE_LIMIT, pointer_relpath), pointer_relpath
    )
    name = PurePosixPath(data_relpath).name
    out = next((out for out in outs if out.path == name), None)
    if out is None:
        raise GitckptError(f"{pointer_relpath} does not track {name}")
    return out


def suggest_name(data_relpath: str) -> str:
    """A GTO-valid name from the data's file name: `ResNet50_final.pt` → `resnet50-final`."""
    stem = PurePosixPath(data_relpath).name.split(".")[0]
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "artifact"


def checked_name(name: str) -> str:
    if not re.fullmatch(GTO_NAME_PATTERN, name):
        raise UsageError(
            f"{name!r} is not a valid artifact name: use lowercase letters, digits, '-' "
            "and '/', e.g. --name resnet50-cifar10"
        )
    return name


def refuse_existing_card(repo: Repository, card_relpath: str) -> None:
    if (repo.root / card_relpath).exists():
        raise GitckptError(
            f"{card_relpath} already exists; gitckpt never overwrites a card. Edit it, or "
            "pick another --name."
        )


def _measure_if_present(
    repo: Repository, data_relpath: str, out: PointerOut
) -> FileDigests | TreeDigests | None:
    if not (repo.root / data_relpath).exists():
        return None
    with Cache(repo.state_dir) as cache:
        digests = DigestReader(repo.root, cache).measure(data_relpath)
    if isinstance(digests, FileDigests) and digests.md5 != out.md5:
        raise GitckptError(
            f"{data_relpath} has changed since DVC recorded it (md5 {digests.md5}, pointer "
            f"says {out.md5}).\n"
            f"Run `git ckpt add {data_relpath}` to record the new bytes."
        )
    return digests


def write_scaffold(repo: Repository, kind: str, name: str, data: DescribedData) -> str:
    """Write the card scaffold; returns its path relative to the root."""
    data_relpath, out, digests = data.relpath, data.out, data.digests
    data_path = repo.root / data_relpath
    values = {
        "name_yaml": name,
        "data_path": out.path,
        "md5": out.md5,
        "sha256": digests.sha256 if digests else SHA256_PLACEHOLDER,
        "size": out.size,
        "format": "directory"
        if out.is_directory
        else FORMAT_BY_SUFFIX.get(data_path.suffix.lower(), "<FILL: file format>"),
        "snapshot_time": snapshot_time_of(data_path),
        "code_commit": head_commit(repo)
        or "<FILL: git commit of the code that produced the bytes>",
        "python": platform.python_version(),
    }
    text = render_template(kind, name, values)
    card_relpath = card_path_for(data_relpath, name)
    if isinstance(digests, TreeDigests):
        text = update_front_matter(
            text, card_relpath, {(BYTES_FIELD[kind], "files"): bytes_block_values(digests)["files"]}
        )
    atomic_write(repo.root / card_relpath, text)
    return card_relpath


def render_template(kind: str, name: str, values: dict[str, object]) -> str:
    """The card scaffold of `kind` with the known values filled in (every other field a <FILL
    …>)."""
    template = Template(
        (PACKAGE_DIR / "templates" / f"{kind}.card-template.md").read_text(encoding="utf-8")
    )
    return template.substitute(
        {key: json.dumps(value) for key, value in values.items()},
        frameworks=_frameworks_yaml(),
        name=name,
    )


def snapshot_time_of(data_path: Path) -> str:
    when = (
        data_path.stat().st_mtime
        if data_path.exists()
        else datetime.datetime.now(datetime.UTC).timestamp()
    )
    return datetime.datetime.fromtimestamp(when, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _frameworks_yaml() -> str:
    installed = installed_frameworks()
    return (
        json.dumps(installed) if installed else '"<FILL: framework versions, e.g. {torch: 2.3.0}>"'
    )
