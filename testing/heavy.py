"""The one list of packages gitckpt imports only inside the functions that need them.

Each costs a command that does not need it real time: DVC and the git bindings take a second
between them, `jsonschema` two, `hashlib` initialises OpenSSL. Everything else, gitckpt's own
modules included, is imported at the top of the module, where readers and tools see the graph.
`tests/test_architecture.py` holds every import inside a function to this list, and
`tests/test_check.py` holds a warm `git ckpt check` on a clean tree to loading none of them.
"""

from __future__ import annotations

HEAVY_PACKAGES = frozenset(
    {
        # the data and git layers
        "dvc", "dvc_data", "dvc_objects", "pygit2", "git",
        # readers and validators a warm run answers from its cache
        "ruamel", "yaml", "jsonschema", "jsonschema_rs", "referencing", "detect_secrets",
        "license_expression", "markdown_it",
        # exporters, the site, attestations and the terminal
        "cyclonedx", "spdx_python_model", "mlcroissant", "huggingface_hub", "jinja2",
        "in_toto_attestation", "google", "rich", "numpy",
        # completion scripts, generated only by `git ckpt completion SHELL`
        "shtab",
        # process and thread pools (concurrent.futures loads logging; its process half
        # multiprocessing)
        "multiprocessing", "concurrent.futures",
        # what only writing or failing needs: temporary files, DVC's log level, a crash report
        "tempfile", "logging", "traceback",
        # where bytes may live (the trusted access policy, DVC remotes): `check --remote` only
        "gitckpt.access_routes",
        # what judging a card needs (the license rules and their table, known issues) and
        # `check --data` (digests of the bytes): a warm check reads their results from the cache
        "gitckpt.licenses", "gitckpt.known_issues", "gitckpt.digests",
        # archives and pickles, loaded with GC701 only when checkpoint bytes are read
        "gitckpt.checkpoint_files", "zipfile", "tarfile", "pickletools",
        # the registry's views and search index, which the API (gitckpt/api.py, that `check`
        # goes through) loads only for `show` and `search`: tags, signatures, statistics
        "gitckpt.registry_view", "gitckpt.search",
        # tag objects and their records, which `check` reads only when an artifact is
        # deprecated (it lists tag names with gitckpt.tag_refs)
        "gitckpt.tag_events",
    }
)  # fmt: skip

# gitckpt's own modules that the API (gitckpt/api.py) imports only in the method that needs
# them: `check`, `show` and `search` all go through it, and `search` must not load the checks and
# the card inventory (~40 modules, 10 ms). `check` loads them, so they are not heavy. The write
# side (tracking with DVC, card edits, evaluations, releases, the provenance log) waits for its
# methods too: a notebook that only reads pays for none of it.
PER_METHOD_MODULES = frozenset(
    {
        "gitckpt.checking",
        "gitckpt.inventory",
        "gitckpt.card_update",
        "gitckpt.eval_runs",
        "gitckpt.provenance",
        "gitckpt.release",
        "gitckpt.tracking",
    }
)
