"""Running the trusted policy's `hooks:` after a registry event, with the event as JSON on each
hook's standard input.

The hooks come from `.gitckpt/config.yaml` at the trusted revision, never the work tree: a
branch (a pull request checked out on a maintainer's machine) that adds or edits a hook gets
nothing run until it is merged there. A command that names a repository path (`scripts/x.sh`)
runs that file as committed at the trusted revision (copied into gitckpt's private state), not
the work tree's copy, which the branch could have changed. A hook runs without a shell, with
inherited GIT_* variables removed, and is stopped after its timeout; what it prints is kept to
its last line of errors, credentials masked. Whatever it does, the event stands."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitckpt.config import HookCommand
from gitckpt.files import atomic_write
from gitckpt.repo import Repository, read_objects
from gitckpt.secrets import mask_secrets
from gitckpt.trust import TrustRoot

HOOK_OUTPUT_LIMIT = 2000  # characters of a failing hook's error output shown


@dataclass(frozen=True)
class HookOutcome:
    """What one hook did: the command as shown (masked), and why it failed (None: it ran)."""

    command: str
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"command": self.command, "ok": self.problem is None, "problem": self.problem}


def run_hooks(
    repo: Repository, trust: TrustRoot, event_type: str, event: dict[str, Any]
) -> list[HookOutcome]:
    """Run each trusted hook that wants `event_type`, in the order the policy lists them."""
    payload = json.dumps(event, sort_keys=False) + "\n"
    return [
        _run(repo, trust, hook, payload)
        for hook in trust.config.hooks
        if not hook.events or event_type in hook.events
    ]


def _run(repo: Repository, trust: TrustRoot, hook: HookCommand, payload: str) -> HookOutcome:
    shown = mask_secrets(" ".join(hook.command))
    try:
        program = _program(repo, trust, hook.command[0])
        completed = subprocess.run(
            [program, *hook.command[1:]],
            input=payload,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=hook.timeout,
            cwd=repo.root,
            env=_hook_environment(repo),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return HookOutcome(shown, f"stopped after its timeout of {hook.timeout} s")
    except (OSError, ValueError) as error:
        return HookOutcome(shown, f"could not be run: {mask_secrets(str(error))}")
    if completed.returncode != 0:
        said = completed.stderr.strip().splitlines()
        last = f": {mask_secrets(said[-1][:HOOK_OUTPUT_LIMIT])}" if said else ""
        return HookOutcome(shown, f"exited with status {completed.returncode}{last}")
    return HookOutcome(shown)


def _program(repo: Repository, trust: TrustRoot, name: str) -> str:
    """The program to run: an absolute path as given, a name from PATH; a repository path is the
    file committed at the trusted revision, written (once per content) into private state."""
    if Path(name).is_absolute():
        return name
    if "/" not in name:
        return _on_path(repo, name)
    parts = name.removeprefix("./").split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"{name} is not a plain repository path (no '..', '.' or '//')")
    found = read_objects(repo, [f"{trust.revision}:{'/'.join(parts)}"])[0]
    if found is None:
        raise ValueError(
            f"{name} is not committed at the trusted revision {trust.revision[:12]} "
            "(a hook runs the trusted copy, never the work tree's)"
        )
    digest = hashlib.sha256(found[1]).hexdigest()
    path = repo.state_dir / "trusted" / f"hook-{digest[:32]}-{Path(name).name}"
    if not path.is_file():
        atomic_write(path, found[1].decode("utf-8", errors="strict"))
        path.chmod(0o700)
    return str(path)


def _on_path(repo: Repository, name: str) -> str:
    """`name` in PATH's directories outside the work tree (`_trusted_path`)."""
    found = shutil.which(name, path=_trusted_path(repo))
    if found is None:
        raise ValueError(
            f"{name} is not found in PATH's absolute directories outside the work tree"
        )
    return found


def _trusted_path(repo: Repository) -> str:
    """PATH without relative entries (`.` would let the work tree, a branch's checkout, supply a
    program) and without directories inside the work tree (a virtualenv activated there): the
    hook and every program it runs by name come from outside what a branch can change."""
    root = os.path.realpath(repo.root)
    kept = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if os.path.isabs(entry) and os.path.commonpath([root, os.path.realpath(entry)]) != root
    ]
    return os.pathsep.join(kept)


def _hook_environment(repo: Repository) -> dict[str, str]:
    """The user's environment without inherited GIT_* variables (a hook running git elsewhere
    must not act on this repository by accident), and with the trusted PATH, so a program the
    hook runs by name (`curl`, a `#!/usr/bin/env` line) cannot come from the work tree."""
    kept = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    return {**kept, "PATH": _trusted_path(repo)}
