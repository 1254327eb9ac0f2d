"""gitckpt: Git-native versioning for responsibly sharing pretrained checkpoints.

The Python API (the capabilities the `git ckpt` commands use):

    >>> from gitckpt import Registry
    >>> registry = Registry.open(".")
    >>> registry.check().errors
    0

The names in `__all__` are the public surface; they are imported on first use (PEP 562), so
`import gitckpt` (which the command line does for `__version__`) stays light.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitckpt.api import CardView, Registry
    from gitckpt.errors import GitckptError, InputError, UsageError
    from gitckpt.search import Query

__version__ = "0.1.0"
PACKAGE_DIR = Path(__file__).parent  # schemas/, templates/ and hooks/ ship inside the package

__all__ = [
    "CardView",
    "GitckptError",
    "InputError",
    "Query",
    "Registry",
    "UsageError",
    "__version__",
]

# Where each public name is defined, imported when first asked for.
_PUBLIC_MODULES = {
    "CardView": "gitckpt.api",
    "Registry": "gitckpt.api",
    "GitckptError": "gitckpt.errors",
    "InputError": "gitckpt.errors",
    "UsageError": "gitckpt.errors",
    "Query": "gitckpt.search",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'gitckpt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # asked once: later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
