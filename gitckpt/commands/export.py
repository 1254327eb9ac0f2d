"""`git ckpt export` (a card in another standard's format) and `git ckpt import-card` (a
Hugging Face model card as a gitckpt card to complete)."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

from gitckpt.arguments import subparser
from gitckpt.card import Card, parse_card, update_front_matter
from gitckpt.checks import run_checks
from gitckpt.checks.sensitive import refuse_credentials
from gitckpt.errors import EXIT_OK, GitckptError
from gitckpt.export.croissant import to_croissant
from gitckpt.export.cyclonedx import to_cyclonedx
from gitckpt.export.huggingface import Export, from_hugging_face, to_hugging_face
from gitckpt.export.spdx import to_spdx
from gitckpt.files import CARD_SIZE_LIMIT, atomic_write, decode_text, read_text
from gitckpt.inventory import Inventory, load_inventory
from gitckpt.registry import read_registry
from gitckpt.release import parse_release_reference
from gitckpt.repo import Repository
from gitckpt.scaffold import checked_name, render_template
from gitckpt.strict_yaml import FieldPath

FORMATS = ("hf", "cyclonedx", "spdx", "croissant", "json")


def export(repo: Repository, reference: str, fmt: str) -> Export:
    """The card of NAME (work tree) or NAME@vX.Y.Z (as released) in format `fmt`; refused when
    the card fails its checks, since an export must not spread an incomplete card, and when it or
    a dataset card the export draws from holds a credential."""
    if fmt not in FORMATS:
        raise GitckptError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
    inventory = _inventory_for(repo, reference)
    name = reference.split("@")[0]
    facts = next((card for card in inventory.cards.values() if card.name == name), None)
    if facts is None:
        raise GitckptError(f"there is no card named {name!r}")
    targets = {link.target for link in facts.links}
    datasets = [other.path for other in inventory.cards.values() if other.kind == "dataset" and other.name in targets]
    refuse_credentials(inventory.findings(), {facts.path, *datasets}, f"{facts.path} is not exported")
    errors = [item for item in run_checks(inventory) if item.finding.path == facts.path and item.severity == "error"]
    if errors:
        listing = "\n".join(
            f"  {item.finding.path}:{item.finding.line}: {item.finding.check} {item.finding.message}" for item in errors[:10]
        )
        raise GitckptError(f"{facts.path} fails its checks, so it is not exported:\n{listing}")
    card = _read_card(inventory, facts.path)
    if fmt == "json":
        return Export(json.dumps(card.data, indent=2) + "\n", [])
    if fmt == "croissant":
        if card.kind != "dataset":
            raise GitckptError(f"the croissant export is for dataset cards; {name!r} is a {card.kind} card")
        return to_croissant(card.data, name)
    if card.kind != "model":
        raise GitckptError(f"the {fmt} export is for model cards; {name!r} is a {card.kind} card (use --format json)")
    if fmt in ("cyclonedx", "spdx"):
        linked = {str(data.get("name")): data for data in (_read_card(inventory, path).data for path in datasets)}
        return to_cyclonedx(card.data, linked) if fmt == "cyclonedx" else to_spdx(card.data, linked)
    return to_hugging_face(card.data, card.body)


def _inventory_for(repo: Repository, reference: str) -> Inventory:
    if "@" not in reference:
        return load_inventory(repo)
    name, version = parse_release_reference(reference)
    state = read_registry(repo).artifact(name)
    release = state.releases.get(version) if state else None
    if release is None:
        raise GitckptError(f"there is no release {reference}")
    return load_inventory(repo, revision=release.event.commit)


def _read_card(inventory: Inventory, path: str) -> Card:
    content = inventory.source.read([path], lambda _: CARD_SIZE_LIMIT)[path]
    if not isinstance(content, bytes):
        raise GitckptError(str(content))
    return parse_card(decode_text(content, path), path)


def import_card(source: Path, name: str, output: Path | None) -> Path:
    """A gitckpt model card from a Hugging Face README: every fact that maps is kept; every
    required field the source lacks is a <FILL …> placeholder for a person."""
    text = read_text(source, CARD_SIZE_LIMIT, str(source))
    try:
        facts = from_hugging_face(text)
    except (ValueError, KeyError, TypeError) as exc:
        raise GitckptError(f"{source}: not a Hugging Face model card this tool can read ({exc})") from exc
    target = output or Path(f"{checked_name(name).replace('/', '-')}.card.md")
    if target.exists():
        raise GitckptError(f"{target} already exists; gitckpt never overwrites a card")
    placeholder = "<FILL: {}>"
    values: dict[str, object] = {
        "name_yaml": name,
        "data_path": placeholder.format("path of the checkpoint, relative to this card"),
        "md5": placeholder.format("md5 from the DVC pointer"),
        "sha256": placeholder.format("sha256 of the checkpoint"),
        "size": placeholder.format("size in bytes"),
        "format": placeholder.format("file format"),
        "snapshot_time": placeholder.format("when the checkpoint was produced"),
        "code_commit": placeholder.format("git commit of the training code"),
        "python": platform.python_version(),
    }
    card_text = render_template("model", name, values)
    updates: dict[FieldPath, object] = {(key,): value for key, value in facts.items()}
    atomic_write(target, update_front_matter(card_text, str(target), updates))
    return target


EXPORT_EPILOG = """\
Writes the card (as in the work tree, or as released with NAME@vX.Y.Z) in another format, and says
which of the card's facts the format has no field for. A card that fails its checks is not exported,
nor one that holds a credential (GC601, at any severity), nor one whose export would include a
dataset card that holds one: the error names each file and line. Such a card is refused, never
redacted; remove the credential (and rotate it: it stays in git history) and export again.
  hf    a Hugging Face Hub README.md: license (Hub id, or other + license_name/license_link),
        datasets, base_model and base_model_relation, tags, pipeline_tag, model-index with every
        evaluation, and the sections of the Hub's model-card template
  cyclonedx  a CycloneDX 1.6 JSON ML-BOM: the model (hashes, license, modelCard with parameters,
        datasets, metrics with confidence intervals, considerations) and its datasets
  spdx  an SPDX 3.0.1 JSON-LD document: an AIPackage with its licenses, and a DatasetPackage per
        dataset, linked by trainedOn / testedOn relationships
  croissant  (dataset cards) Croissant 1.1 JSON-LD with the responsible-AI fields the card holds
  json  the card's front matter as JSON

Examples:
  git ckpt export resnet50 --format hf -o hub/README.md
  git ckpt export resnet50@v1.2.0 --format cyclonedx -o resnet50.cdx.json
  git ckpt export resnet50@v1.2.0 --format json
"""


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]

    parser = subparser(commands, "export", "write a card in another standard's format", EXPORT_EPILOG)
    parser.add_argument("reference", metavar="NAME[@vX.Y.Z]", help="the artifact, or one of its releases")
    parser.add_argument("--format", required=True, metavar="|".join(FORMATS), help="the target format")
    parser.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    parser.add_argument("--json", action="store_true", help="print where it was written and what could not be expressed, as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from gitckpt.console import error, print_json
    from gitckpt.files import atomic_write
    from gitckpt.repo import find_repository

    result = export(find_repository(), args.reference, args.format)
    if args.output:
        atomic_write(args.output, result.text)
    if args.json:
        print_json({"output": str(args.output) if args.output else None, "unexpressed": result.unexpressed})
    elif not args.output:
        sys.stdout.write(result.text)
    for fact in result.unexpressed:
        error(f"not expressible in {args.format}: {fact}")
    return EXIT_OK
