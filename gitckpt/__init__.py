"""gitckpt: Git-native versioning for responsibly sharing pretrained checkpoints."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"
PACKAGE_DIR = Path(__file__).parent  # schemas/, templates/ and hooks/ ship inside the package
