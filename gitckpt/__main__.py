from __future__ import annotations

from gitckpt.cli import run

run()
