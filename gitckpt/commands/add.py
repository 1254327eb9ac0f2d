"""`git ckpt add`: its help, its arguments and its output (what it does is gitckpt/tracking.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gitckpt.api import Registry
from gitckpt.arguments import Subcommands, subparser
from gitckpt.console import print_json, progress_bar
from gitckpt.errors import EXIT_OK
from gitckpt.repo import find_repository

ADD_EPILOG = """\
Tracks each path with DVC (pointer, cache, .gitignore), reading it once for md5, sha256 and the
copy into DVC's cache (DVC links the file from its cache as cache.type says), writes the card
(pre-filled, as `card new` does) or updates the bytes block of the existing card, and stages
pointer, card and .gitignore in git. A path DVC already tracks is re-added. A directory (e.g. a
sharded checkpoint) gets per-file digests and a root digest. Nothing is written until every path
has been read, so an interrupted add changes nothing.
With --infer, the card's fields no person wrote (missing, or a <FILL …>) are filled with what the
run knows: parameter count, dtypes and shapes from a safetensors header, Python and ML framework
versions (package metadata), the GPUs the NVIDIA driver reports, the container digest from the
variable .gitckpt/config.yaml's environment.container_digest_env names, the git commit, and the
hyperparameters and seeds of params.yaml.

Examples:
  git ckpt add models/resnet50.safetensors --kind model
  git ckpt add data/cifar10-train.tar --kind dataset --name cifar10-train
  git ckpt add checkpoints/llama-ft/ --kind model --remote storage   # and push the bytes
  git ckpt add models/resnet50.safetensors                         # new bytes for an existing card
  git ckpt add models/resnet50.safetensors --kind model --infer    # fill in what the run knows
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "add", "track data with DVC and write or update its card", ADD_EPILOG
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", type=Path, help="files or directories to track"
    )
    parser.add_argument(
        "--kind",
        choices=("model", "dataset", "eval"),
        help="what a new artifact is (required when it has no card yet)",
    )
    parser.add_argument("--name", help="artifact name for a new card (default: from the file name)")
    parser.add_argument(
        "--remote",
        metavar="NAME",
        help="also push the bytes to this DVC remote, if their access level allows it",
    )
    parser.add_argument(
        "--infer",
        action="store_true",
        help="fill the card's unwritten fields with what the run knows (tensors, versions, params)",
    )
    parser.add_argument("--json", action="store_true", help="print what was added as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with progress_bar("Hashing", unit_bytes=True) as progress:
        result = Registry(find_repository()).track_all(
            args.paths,
            kind=args.kind,
            name=args.name,
            remote=args.remote,
            infer=args.infer,
            progress=progress,
        )
    if result.note:
        print(result.note, file=sys.stderr)
    if args.json:
        print_json([vars(item) for item in result.artifacts])
        return EXIT_OK
    for item in result.artifacts:
        action = "created" if item.created else ("updated" if item.bytes_changed else "unchanged")
        print(
            f"{item.data}: {item.kind} {item.name!r}, {item.size:,} bytes, sha256 "
            f"{item.sha256[:16]}…; card {item.card} {action}"
        )
    print("Staged in git. Fill in any <FILL …> in new cards, then `git ckpt check` and commit.")
    return EXIT_OK
