from __future__ import annotations

from gitckpt.cli import main

raise SystemExit(main())
