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
            env=_hook_environment(),
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
        return _on_path(name)
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


def _on_path(name: str) -> str:
    """`name` in the absolute directories of PATH: an entry like `.` would let the work tree (a
    branch's checkout) supply the program."""
    entries = os.environ.get("PATH", "").split(os.pathsep)
    directories = [entry for entry in entries if os.path.isabs(entry)]
    found = shutil.which(name, path=os.pathsep.join(directories))
    if found is None:
        raise ValueError(f"{name} is not found in PATH's absolute directories")
    return found


def _hook_environment() -> dict[str, str]:
    """The user's environment without inherited GIT_* variables (a hook running git elsewhere
    must not act on this repository by accident)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
