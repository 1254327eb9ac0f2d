"""`git ckpt pull`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.archive import ReleasePull, pull_release
from gitckpt.arguments import Subcommands, add_transfer
from gitckpt.console import print_json
from gitckpt.errors import EXIT_OK
from gitckpt.repo import find_repository
from gitckpt.transfer import pull


def register(commands: Subcommands) -> None:
    add_transfer(commands, "pull", "pull artifacts' bytes from the DVC remote", run)


def run(args: argparse.Namespace) -> int:
    repo = find_repository()
    references = [name for name in args.names if "@" in name]
    names = [name for name in args.names if "@" not in name]
    releases = [pull_release(repo, reference, args.remote) for reference in references]
    count = pull(repo, names, args.remote) if names or not references else 0
    if args.json:
        print_json({"pulled": count, "releases": [release.to_json() for release in releases]})
        return EXIT_OK
    for release in releases:
        print(_release_line(release))
    if names or not references:
        print(f"Pulled {count:,} file(s).")
    return EXIT_OK


def _release_line(release: ReleasePull) -> str:
    source = (
        f"from the archive: remote {release.remote!r} ({release.archive.tag})"
        if release.archive
        else f"from remote {release.remote or '(default)'}"
    )
    where = "DVC's cache and the work tree" if release.checked_out else "DVC's cache"
    return f"Reading {release.tag} {source}: its bytes ({release.md5}) are in {where}."
