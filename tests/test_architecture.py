"""The shape of the package itself (issue 16's "Done when")."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import gitckpt

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


@pytest.mark.xfail(
    strict=True,
    reason="site/model.py still defines its own Progress (= facts.Progress); it is being edited"
    " in another branch. Remove this mark once it imports gitckpt.facts.Progress.",
)
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
