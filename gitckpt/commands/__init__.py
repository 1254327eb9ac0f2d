"""One module per command; each exposes one function the CLI calls."""
