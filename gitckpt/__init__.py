"""gitckpt: Git-native versioning for responsibly sharing pretrained checkpoints.

The Python API (the capabilities the `git ckpt` commands use):

    >>> from gitckpt import Registry
    >>> registry = Registry.open(".")
    >>> registry.check().errors
    0
    >>> artifact = registry.track("models/clf.safetensors", kind="model", infer=True)

Facts a run already knows: `gitckpt.facts.collect("models/clf.safetensors", params="params.yaml")`.
After a training run, `gitckpt.publish(path, kind=..., facts=..., metrics=...)` does it all:
track, fill in the card, record results from their source, check, and stage. docs/api.md has
the common tasks.

The names in `__all__` are the public surface; they are imported on first use (PEP 562), so
`import gitckpt` (which the command line does for `__version__`) stays light.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitckpt.api import CardView, Registry
    from gitckpt.checking import CheckReport
    from gitckpt.errors import GitckptError, InputError, UsageError
    from gitckpt.eval_runs import ResultSource
    from gitckpt.facts import InferredFacts, collect
    from gitckpt.publishing import Published, PublishRefused, publish
    from gitckpt.search import Query
    from gitckpt.tracking import Artifact

__version__ = "0.1.0"
PACKAGE_DIR = Path(__file__).parent  # schemas/, templates/ and hooks/ ship inside the package

__all__ = [
    "Artifact",
    "CardView",
    "CheckReport",
    "GitckptError",
    "InferredFacts",
    "InputError",
    "PublishRefused",
    "Published",
    "Query",
    "Registry",
    "ResultSource",
    "UsageError",
    "__version__",
    "collect",
    "facts",
    "publish",
]

# Where each public name is defined, imported when first asked for.
_PUBLIC_MODULES = {
    "Artifact": "gitckpt.tracking",
    "CardView": "gitckpt.api",
    "CheckReport": "gitckpt.checking",
    "InferredFacts": "gitckpt.facts",
    "PublishRefused": "gitckpt.publishing",
    "Published": "gitckpt.publishing",
    "Registry": "gitckpt.api",
    "ResultSource": "gitckpt.eval_runs",
    "collect": "gitckpt.facts",
    "publish": "gitckpt.publishing",
    "GitckptError": "gitckpt.errors",
    "InputError": "gitckpt.errors",
    "UsageError": "gitckpt.errors",
    "Query": "gitckpt.search",
}


# Public submodules: `gitckpt.facts.collect(...)` works after a bare `import gitckpt`.
_PUBLIC_SUBMODULES = frozenset({"facts"})


def __getattr__(name: str) -> Any:
    if name in _PUBLIC_SUBMODULES:
        return importlib.import_module(f"gitckpt.{name}")
    module = _PUBLIC_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'gitckpt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # asked once: later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
