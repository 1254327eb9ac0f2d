from __future__ import annotations

from gitckpt.cli import command_line

command_line()
