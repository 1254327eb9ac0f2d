"""One module per command (`git ckpt NAME` is `commands/NAME.py`): its help text with examples,
`register(subparsers)` and `run(args) -> int`. Commands import capabilities and core, never each
other (import-linter checks it)."""
