"""The shape of the package itself (issue 16's "Done when"): one definition per public name, no
module over 500 lines, and git reached only through repo.py, which `lint-imports` checks too, but
not for `git` run by subprocess."""

from __future__ import annotations

import ast
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

import gitckpt
from testing.heavy import HEAVY_PACKAGES, PER_METHOD_MODULES

PACKAGE = Path(gitckpt.__file__).parent

# Every command module defines these by protocol: `cli.py` calls `register` and `run`, and each
# command's help text is its own `<NAME>_EPILOG`.
COMMAND_PROTOCOL = frozenset({"register", "run"})


def _assigned_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.AnnAssign):
        targets = [node.target]
    elif isinstance(node, ast.Assign):
        targets = node.targets
    else:
        return []
    return [
        element.id
        for target in targets
        for element in (target.elts if isinstance(target, ast.Tuple) else [target])
        if isinstance(element, ast.Name)
    ]


def _public_names(path: Path) -> set[str]:
    """The public names `path` defines at module level (not the ones it imports)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        else:
            names.update(_assigned_names(node))
    return {name for name in names if not name.startswith("_")}


def _is_command_protocol(module: Path, name: str) -> bool:
    in_commands = module.parent == PACKAGE / "commands"
    return in_commands and (name in COMMAND_PROTOCOL or name.endswith("_EPILOG"))


def test_no_public_name_defined_twice() -> None:
    """One name, one meaning: a reader who meets `Progress` or `card_facts` finds one
    definition. Imports are not definitions; private (`_`) names are each module's own."""
    definitions: dict[str, list[str]] = defaultdict(list)
    for module in sorted(PACKAGE.rglob("*.py")):
        for name in _public_names(module):
            if not _is_command_protocol(module, name):
                definitions[name].append(str(module.relative_to(PACKAGE)))
    duplicates = {name: where for name, where in sorted(definitions.items()) if len(where) > 1}
    assert not duplicates, "\n".join(
        f"{name}: {', '.join(where)}" for name, where in duplicates.items()
    )


MAX_MODULE_LINES = 500


def test_no_module_is_over_500_lines() -> None:
    """A module a reader can hold in their head has one job; one that grows past this is split
    along its seam (as release.py gave release_gate.py its gate), not trimmed to fit."""
    long = {
        str(module.relative_to(PACKAGE)): lines
        for module in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(module.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


GIT_PACKAGES = ("pygit2", "git")  # libgit2's binding, and GitPython


def git_accesses(source: str) -> list[str]:
    """Each import of pygit2 or GitPython (inside a function too) and each call that runs `git`,
    as `line: what`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            names = []
        found += [
            f"{node.lineno}: import {name}" for name in names if name.split(".")[0] in GIT_PACKAGES
        ]
        if isinstance(node, ast.Call) and _runs_git(node):
            found.append(f"{node.lineno}: runs git")
    return found


def _runs_git(call: ast.Call) -> bool:
    """A call given a command that starts with `git` (`subprocess.run(["git", …])`, whichever
    way the function was imported)."""
    command = call.args[0] if call.args else None
    return (
        isinstance(command, (ast.List, ast.Tuple))
        and bool(command.elts)
        and isinstance(command.elts[0], ast.Constant)
        and command.elts[0].value == "git"
    )


def test_only_repo_py_reaches_git() -> None:
    """repo.py is the one way into git: nothing else imports pygit2 or GitPython, or runs git."""
    found = {
        path.relative_to(PACKAGE.parent).as_posix(): accesses
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "repo.py" and (accesses := git_accesses(path.read_text()))
    }
    assert found == {}


@pytest.mark.parametrize(
    "source",
    [
        "def read():\n    import pygit2\n",
        "from pygit2.enums import SortMode\n",
        "import git\n",
        "from git import Repo\n",
        "import subprocess\nsubprocess.run(['git', 'log'], check=True)\n",
        "from subprocess import check_output\ncheck_output(('git', 'rev-parse', 'HEAD'))\n",
    ],
)
def test_a_way_into_git_is_seen(source: str) -> None:
    assert git_accesses(source)


def test_repo_py_is_seen_to_reach_git() -> None:
    assert git_accesses((PACKAGE / "repo.py").read_text())


def imports_inside_functions(source: str) -> list[tuple[int, str]]:
    """Each module imported inside a function or method, as (line, dotted name)."""
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                found += [(node.lineno, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((node.lineno, node.module))
    return found


def _is_heavy(module: str) -> bool:
    return module in PER_METHOD_MODULES or any(
        module == name or module.startswith(f"{name}.") for name in HEAVY_PACKAGES
    )


def test_only_heavy_packages_are_imported_inside_functions() -> None:
    """The import graph is at the top of each module, where readers and tools see it; only the
    packages in testing/heavy.py wait for the function that needs them."""
    hidden = [
        f"{module.relative_to(PACKAGE)}:{line}: {name}"
        for module in sorted(PACKAGE.rglob("*.py"))
        for line, name in imports_inside_functions(module.read_text())
        if not _is_heavy(name)
    ]
    assert hidden == [], "\n".join(hidden)


def test_a_light_import_inside_a_function_is_found() -> None:
    source = "def f():\n    import json\n    from gitckpt.card import Card\n    import dvc.api\n"
    found = imports_inside_functions(source)
    assert found == [(2, "json"), (3, "gitckpt.card"), (4, "dvc.api")]
    assert [name for _, name in found if not _is_heavy(name)] == ["json", "gitckpt.card"]


def _layers() -> list[str]:
    """The modules of the layers contract in pyproject.toml, in order, one entry per module."""
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
    (contract,) = [
        contract
        for contract in project["tool"]["importlinter"]["contracts"]
        if contract["type"] == "layers"
    ]
    return [
        module.strip()
        for layer in contract["layers"]
        for module in layer.replace("|", ":").split(":")
    ]


def test_every_module_is_in_one_layer() -> None:
    """A module outside the layers contract would be free to import anything: a new module must
    be placed in a layer (ARCHITECTURE.md says which)."""
    listed = _layers()
    present = {
        f"gitckpt.{path.relative_to(PACKAGE).parts[0].removesuffix('.py')}"
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "__init__.py"
    }
    assert sorted(module for module in set(listed) if listed.count(module) > 1) == []
    assert sorted(present - set(listed)) == [], "not in any layer"
    assert sorted(set(listed) - present) == [], "in a layer but not in the package"
