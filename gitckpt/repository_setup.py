"""Setting a repository up for gitckpt (`git ckpt init`) (DVC, policy, hooks). Running it twice
changes nothing."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitckpt import PACKAGE_DIR
from gitckpt.config import CONFIG_PATH, DEFAULT_CONFIG_TEXT
from gitckpt.errors import GitckptError, InputError
from gitckpt.files import atomic_write, read_text
from gitckpt.repo import Repository, git_path
from gitckpt.storage import init_dvc
from gitckpt.strict_yaml import dump_for_editing, load_for_editing

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
HOOK_ID = "gitckpt-check"
HOOK_MARKER = "gitckpt-hook"
GIT_HOOKS = ("pre-commit", "pre-push")
HOOK_FILES_PATTERN = r"(\.card\.md|\.dvc)$"


@dataclass
class InitResult:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def init(repo: Repository, *, git_hooks: bool) -> InitResult:
    result = InitResult()
    _ensure_dvc(repo, result)
    _ensure_config(repo, result)
    if git_hooks:
        for hook in GIT_HOOKS:
            _install_git_hook(repo, hook, result)
    else:
        _ensure_pre_commit_hook(repo, result)
    return result


def _ensure_dvc(repo: Repository, result: InitResult) -> None:
    if (repo.root / ".dvc").is_dir():
        result.unchanged.append(".dvc/ (DVC already set up)")
        return
    init_dvc(repo.root)
    result.changed.append(".dvc/ (ran `dvc init`)")


def _ensure_config(repo: Repository, result: InitResult) -> None:
    path = repo.root / CONFIG_PATH
    if path.exists():
        result.unchanged.append(CONFIG_PATH)
        return
    atomic_write(path, DEFAULT_CONFIG_TEXT)
    result.changed.append(CONFIG_PATH)


def pre_commit_hook_entry() -> dict[str, Any]:
    """The hook `init` adds: gitckpt as installed in the user's environment."""
    return {
        "id": HOOK_ID,
        "name": "gitckpt: model cards complete and matching their checkpoints",
        "entry": "git-ckpt check",
        "language": "system",
        "files": HOOK_FILES_PATTERN,
        "require_serial": True,
    }


def _ensure_pre_commit_hook(repo: Repository, result: InitResult) -> None:
    from ruamel.yaml.error import MarkedYAMLError

    path = repo.root / PRE_COMMIT_CONFIG
    text = read_text(path, 1024 * 1024, PRE_COMMIT_CONFIG) if path.exists() else ""
    try:
        yaml, data = load_for_editing(text)
    except MarkedYAMLError as exc:
        line = (exc.problem_mark.line + 1) if exc.problem_mark else 1
        raise InputError(
            f"invalid YAML: {exc.problem}; fix it, then run `git ckpt init` again",
            path=PRE_COMMIT_CONFIG,
            line=line,
        ) from exc
    data = {} if data is None else data
    if not isinstance(data, dict) or not isinstance(data.setdefault("repos", []), list):
        raise InputError(
            "expected a mapping with a `repos` list", path=PRE_COMMIT_CONFIG, line=1, field="repos"
        )
    if any(
        hook.get("id") == HOOK_ID
        for repo_entry in data["repos"]
        for hook in repo_entry.get("hooks", [])
    ):
        result.unchanged.append(f"{PRE_COMMIT_CONFIG} (hook {HOOK_ID} present)")
        return
    data["repos"].append({"repo": "local", "hooks": [pre_commit_hook_entry()]})
    atomic_write(path, dump_for_editing(yaml, data))
    result.changed.append(
        f"{PRE_COMMIT_CONFIG} (added hook {HOOK_ID}; run `pre-commit install` to activate it)"
    )


def _install_git_hook(repo: Repository, hook: str, result: InitResult) -> None:
    target = git_path(repo, f"hooks/{hook}")
    script = (
        (PACKAGE_DIR / "hooks" / hook)
        .read_text(encoding="utf-8")
        .replace("@PYTHON@", sys.executable)
    )
    if target.exists():
        current = target.read_text(encoding="utf-8", errors="replace")
        if HOOK_MARKER not in current:
            raise GitckptError(
                f"{target} already exists and is not gitckpt's; it was left untouched.\n"
                f"To keep it and add gitckpt's check, rename it to {target.name}.local\n"
                f"(gitckpt's hook runs {target.name}.local first), then run `git ckpt init "
                "--git-hooks` again."
            )
        if current == script:
            result.unchanged.append(f"{_display(repo, target)}")
            return
    atomic_write(target, script)
    target.chmod(0o755)
    result.changed.append(f"{_display(repo, target)}")


def _display(repo: Repository, path: Path) -> str:
    return path.relative_to(repo.root).as_posix() if path.is_relative_to(repo.root) else str(path)
