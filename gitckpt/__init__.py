"""gitckpt: Git-native versioning for responsibly sharing pretrained checkpoints."""

from __future__ import annotations

__version__ = "0.1.0"
