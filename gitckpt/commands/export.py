"""`git ckpt export`: its help, its arguments and its output (the exporters are the gitckpt.export
package)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gitckpt.arguments import Subcommands, add_trust_ref, subparser
from gitckpt.console import error, print_json
from gitckpt.errors import EXIT_OK
from gitckpt.export import FORMATS, ExportRequest, export
from gitckpt.export.cyclonedx import DEFAULT_SPEC_VERSION, SPEC_VERSIONS
from gitckpt.files import atomic_write
from gitckpt.repo import find_repository

EXPORT_EPILOG = """\
Writes the card (as in the work tree, or as released with NAME@vX.Y.Z) in another format, and says
which of the card's facts the format has no field for. A card that fails its checks is not exported,
nor one that holds a credential (GC601, at any severity), nor one whose export would include a
dataset card that holds one: the error names each file and line. Such a card is refused, never
redacted; remove the credential (and rotate it: it stays in git history) and export again.
A restricted card is refused too (exit 1, naming card:line and its level), as is a CycloneDX or
SPDX export that would copy a restricted dataset card, unless --allow-restricted. Restricted
means above what `site --audience internal` shows: beyond the policy's level named internal (the
first two levels when none is), or a level the policy does not define, or none. The level is
judged by the bytes, as `push` judges it: the most closed any card naming the same data gives,
here or at the trusted revision (the default branch, or --trust-ref), whose policy orders the
levels.
  hf    a Hugging Face Hub README.md: license (Hub id, or other + license_name/license_link),
        datasets, base_model and base_model_relation, tags, pipeline_tag, model-index with every
        evaluation, and the sections of the Hub's model-card template; the body adds a table of
        the evaluations with n and confidence intervals (level, method), the checkpoint's sha256
        per file, and the release exported from (NAME@vX.Y.Z)
  cyclonedx  a CycloneDX JSON ML-BOM, 1.7 unless --spec-version 1.6: the model (hashes, license,
        authors, modelCard with parameters, datasets, metrics with confidence intervals, each
        metric's n and interval level/method as properties, considerations) and its datasets;
        1.7 adds citations saying who supplied the model card and who measured its metrics.
        Checked by cyclonedx-python-lib's strict validator for that version
  spdx  an SPDX 3.0.1 JSON-LD document: an AIPackage with its licenses, and a DatasetPackage per
        dataset, linked by trainedOn / testedOn relationships
  croissant  (dataset cards) Croissant 1.1 JSON-LD with the responsible-AI fields the card holds
  json  the card's front matter as JSON

Examples:
  git ckpt export resnet50 --format hf -o hub/README.md
  git ckpt export resnet50@v1.2.0 --format hf -o hub/README.md
  git ckpt export resnet50@v1.2.0 --format cyclonedx -o resnet50.cdx.json
  git ckpt export resnet50 --format cyclonedx --spec-version 1.6 -o resnet50.cdx.json
  git ckpt export resnet50@v1.2.0 --format json
  git ckpt export clinic-notes --format croissant --allow-restricted -o vault/clinic.json
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "export", "write a card in another standard's format", EXPORT_EPILOG
    )
    parser.add_argument(
        "reference", metavar="NAME[@vX.Y.Z]", help="the artifact, or one of its releases"
    )
    parser.add_argument(
        "--format", required=True, metavar="|".join(FORMATS), help="the target format"
    )
    parser.add_argument(
        "--spec-version",
        metavar="|".join(SPEC_VERSIONS),
        help=f"with --format cyclonedx: the specification version (default {DEFAULT_SPEC_VERSION})",
    )
    parser.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    parser.add_argument(
        "--allow-restricted",
        action="store_true",
        help="export a restricted card (or one copying a restricted dataset card) all the same",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print where it was written and what could not be expressed, as JSON",
    )
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    request = ExportRequest(args.format, args.spec_version, args.allow_restricted, args.trust_ref)
    result = export(find_repository(), args.reference, request)
    if args.output:
        atomic_write(args.output, result.text)
    if args.json:
        print_json(
            {"output": str(args.output) if args.output else None, "unexpressed": result.unexpressed}
        )
    elif not args.output:
        sys.stdout.write(result.text)
    for fact in result.unexpressed:
        error(f"not expressible in {args.format}: {fact}")
    return EXIT_OK
