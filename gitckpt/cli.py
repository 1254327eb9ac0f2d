"""Argument parsing and dispatch only: one small function per command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gitckpt import __version__
from gitckpt.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, GitckptError

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a killed pipe

CHECK_EPILOG = """\
With no paths, checks every card and pointer in the work tree (as --all does).
With paths (as the pre-commit framework passes them), checks those cards and pointers
and their counterparts: a card's pointer, a pointer's card.

Checks (configure severities under `checks:` in .gitckpt/config.yaml):
{checks}

Exit status: 0 clean (warnings allowed), 1 findings, 2 usage error.

Examples:
  git ckpt check                         # the whole work tree
  git ckpt check models/resnet50.card.md # one card and its pointer
  git ckpt check --staged                # what the next commit records (git hook)
  git ckpt check --data                  # also the bytes in the work tree (stat-cached)
  git ckpt check --data --no-cache --remote   # CI: re-hash everything, and ask the remote
  git ckpt check --json | jq '.findings[] | select(.severity == "error")'
"""

INIT_EPILOG = """\
Sets the repository up: runs `dvc init` if DVC is missing, writes .gitckpt/config.yaml
(the policy, with commented defaults), and adds gitckpt's hook to .pre-commit-config.yaml
(merged into an existing file; your comments and order survive). Running it twice changes nothing.

Examples:
  git ckpt init                 # then: pre-commit install
  git ckpt init --git-hooks     # plain git hooks, for teams without the pre-commit framework
"""

CARD_NEW_EPILOG = """\
Reads the DVC pointer DATA_PATH.dvc and writes <name>.card.md beside the data, with the facts
that are known filled in (name, kind, path, md5, sha256, size, format, snapshot time, Python and
framework versions, git HEAD) and every other field a visible <FILL …> placeholder.
A fresh card fails `git ckpt check` until a person has filled it in. Never overwrites a card.

Examples:
  dvc add models/resnet50.pt
  git ckpt card new models/resnet50.pt --kind model
  git ckpt card new data/cifar10-train.tar --kind dataset --name cifar10-train
"""


ADD_EPILOG = """\
Tracks each path with DVC (pointer, cache, .gitignore), computes md5 and sha256 in one read,
writes the card (pre-filled, as `card new` does) or updates the bytes block of the existing card,
and stages pointer, card and .gitignore in git. A path DVC already tracks is re-added. A directory
(e.g. a sharded checkpoint) gets per-file digests and a root digest. Nothing is written until
every path has been read, so an interrupted add changes nothing.

Examples:
  git ckpt add models/resnet50.safetensors --kind model
  git ckpt add data/cifar10-train.tar --kind dataset --name cifar10-train
  git ckpt add checkpoints/llama-ft/ --kind model --remote storage   # and push the bytes
  git ckpt add models/resnet50.safetensors                            # new bytes for an existing card
"""


STATUS_EPILOG = """\
One row per artifact:
  card    complete | incomplete (fields missing or placeholders) | out of sync (with its pointer or bytes)
  data    matches | modified | missing (not in the work tree) | untracked (no pointer)
  remote  in remote | not pushed | no remote (none configured)
Reading the bytes goes through the stat cache, so a second run is fast.

Examples:
  git ckpt status
  git ckpt status --no-remote         # skip asking the DVC remote
  git ckpt status --json | jq '.[] | select(.remote_state == "not pushed") | .name'
"""

PUSH_EPILOG = """\
Moves the bytes of the named artifacts (all artifacts when none is named) through DVC.

Examples:
  git ckpt push                      # every artifact, to the default DVC remote
  git ckpt push resnet50 cifar10-train -r team-s3
  git ckpt pull resnet50             # bytes into the DVC cache and the work tree
"""

EVAL_CONFIRM_EPILOG = """\
When a checkpoint's bytes change, the results recorded for the old bytes are flagged (GC206)
until the evaluation is re-run or a person confirms they still hold. Confirming re-binds each
stale result to the current checkpoint and records who confirmed it, when, why, and which
bytes were actually measured, in the model card and in eval cards that measured the model.

Examples:
  git ckpt eval confirm resnet50 --reason "Only the optimizer state was stripped; weights are identical."
"""


TAG_EPILOG = """\
Checks the artifact as committed at HEAD (not the work tree) with every check, together with the
cards it links to, and refuses when the card or pointer has uncommitted changes, a check fails, the
bytes are not in the DVC remote (unless --allow-unpushed, which the record then states), or the
version is not greater than the latest. It looks inside the committed bytes (pickles, safetensors,
shipped text files): the work tree's copy when it has the pointer's md5 and the card's sha256, else
the DVC cache's; a work tree holding another version the cache cannot replace is refused. With the
bytes in neither, the release goes ahead and its record leaves GC701 and GC702 out of checks.run.
Creates the annotated tag NAME@vX.Y.Z on HEAD, whose message carries a release record (see
`git ckpt show NAME@vX.Y.Z --json`).
The first release is v0.1.0; later ones bump the patch number unless told otherwise.

Examples:
  git ckpt tag resnet50 -m "Retrained on cifar10-train v2"
  git ckpt tag resnet50 --bump minor --sign --push origin
  git ckpt tag resnet50 --version 1.0.0 --allow-unpushed
"""

PROMOTE_EPILOG = """\
Stages are tags in GTO's grammar: NAME#STAGE#N to enter a stage, NAME#STAGE!#N to leave it, on the
release's commit. Allowed stages and their order are in .gitckpt/config.yaml (stages.allowed); with
stages.enforce_order, a version must have held the previous stage first.

Examples:
  git ckpt promote resnet50@v1.2.0 staging
  git ckpt promote resnet50@v1.2.0 prod --sign --push origin
  git ckpt demote resnet50@v1.2.0 prod
"""

DEPRECATE_EPILOG = """\
Tags NAME@deprecated. `git ckpt check` then warns about cards that link to the artifact (GC402)
and, after the sunset date, fails them (GC403).

Examples:
  git ckpt deprecate resnet50 --sunset 2026-06-30 --reason "superseded by resnet50-v2; label noise in v1 data"
"""

SEARCH_EPILOG = """\
Searches the cards committed at --rev (default HEAD) and the registry's tags. The index lives in
.git/gitckpt/search.sqlite, keyed by card blob ids and tag object ids: only cards whose blob
changed and tags that are new or moved are re-read.
QUERY is SQLite FTS5 syntax over each card's name, description and prose: words, "a phrase",
prefix*, AND / OR / NOT. Every filter must hold; --metric and --field may be repeated.
--field filters on the named groups of naming.pattern in .gitckpt/config.yaml, e.g. with
'(?P<project>[a-z0-9]+)-(?P<architecture>[a-z0-9]+)-v(?P<version>[0-9]+)' the name
projx-resnet50-v3 has the fields project, architecture and version (--json lists them per hit).

Examples:
  git ckpt search "mixed precision"
  git ckpt search --kind model --stage prod --dataset cifar10-train-v2
  git ckpt search --license Apache-2.0 --metric 'top1_accuracy>=0.9' --json
  git ckpt search --commercial --no-deprecated
  git ckpt search --kind model --version 2          # latest release in the 2.x series
  git ckpt search --field project=projx --field architecture=resnet50
  git ckpt search --owner ada --rev v1.0
"""

AUDIT_EPILOG = """\
Reports the metadata quality of the cards committed at --rev (default HEAD) and of the registry's
tags, in five sections and a summary:
  noassertion         every field holding {noassertion: "<reason>"}, grouped by field
                      (list items as training_data[].license), with the artifacts and reasons
  stale cards         cards last changed more than --stale-days days (default: audit.stale_days in
                      .gitckpt/config.yaml, else 90) before the last change to their DVC pointer
  deprecated linked   artifacts tagged NAME@deprecated that cards not deprecated themselves link to
  unsigned releases   release tags NAME@vX.Y.Z without a signature (lightweight tags included)
  uncarded inputs     datasets, sources and base models that cards use (by URI, or by a name) but
                      that have no card in this registry, with who uses them
A report, not a gate: the exit status is 0 whatever it finds (2 for a usage error).

Examples:
  git ckpt audit
  git ckpt audit --stale-days 30
  git ckpt audit --rev v1.0 --json | jq '.noassertion[] | {field, count}'
"""

REGISTRY_EPILOG = """\
Reads every tag in one pass (including tags GTO wrote; lightweight tags are listed with a note
that they carry no record) and the cards in the work tree.

Examples:
  git ckpt ls
  git ckpt ls --kind model --stage prod --json
  git ckpt show resnet50
  git ckpt show resnet50@v1.2.0 --json     # the release record
  git ckpt show resnet50@latest
  git ckpt show resnet50#prod
  git ckpt history resnet50
"""

VERIFY_EPILOG = """\
Verifies a release: the tag's SSH signature is valid and by a principal in .gitckpt/allowed_signers
whom release.signers allows to release the artifact; the record matches the card and pointer at the
tagged commit; with --data, the bytes (from the work tree, or fetched from the DVC remote) match the
recorded digests. Exit 1 when anything does not verify.

With --attestation FILE (made by `git ckpt attest --sign`): the statement is a valid in-toto
Statement, FILE.sig is by an allowed principal, and every subject's sha256 matches the bytes.

Examples:
  git ckpt verify resnet50@v1.2.0
  git ckpt verify resnet50@v1.2.0 --data --json
  git ckpt verify --attestation resnet50-v1.2.0.intoto.json
"""

LOG_EPILOG = """\
Every commit that changed the artifact's card or pointer, newest first, following renames: author
and committer with dates, signature status, trailers (Reviewed-by, Signed-off-by, Co-authored-by,
Approved-by), the merge that brought it into the default branch, whether the bytes changed (old →
new digests), which card fields changed, and the release and stage tags at that commit.

Examples:
  git ckpt log resnet50
  git ckpt log resnet50 --json | jq '.[] | select(.bytes_changed)'
"""

LINEAGE_EPILOG = """\
The graph of what an artifact links to: base model, datasets (with their cards, versions and
licenses), the code commit, eval logs; --dependents reverses it (which models used this dataset).
Cycles are detected and reported, never followed. Mermaid output renders in a pull request.

Examples:
  git ckpt lineage resnet50
  git ckpt lineage resnet50@v1.2.0 --format mermaid
  git ckpt lineage cifar10-train --dependents --depth 2 --format json
"""

ATTEST_EPILOG = """\
Writes an in-toto Statement v1 for a release: its subjects are the released files by sha256, its
predicate SLSA Provenance v1 (training parameters, the datasets, base model and code commit it was
built from with their digests, the environment from the card). --sign signs it with your SSH key
(ssh-keygen -Y sign, namespace gitckpt) into FILE.sig.

Examples:
  git ckpt attest resnet50@v1.2.0 --sign
  git ckpt verify --attestation resnet50-v1.2.0.intoto.json
"""


DIFF_EPILOG = """\
The semantic diff of every card changed between BASE (default: the merge base with the default
branch) and HEAD (default: the work tree), grouped per artifact: bytes, license and redistribution,
limitations / risks / out-of-scope uses removed or changed, evaluation changes judged against their
confidence intervals (significant vs within noise), new noassertion gaps, contributors, other
fields, and the prose as a unified diff. Added, deleted and renamed cards are paired by name.

Each kind of change has a severity, set under `review:` in .gitckpt/config.yaml:
{severities}

Examples:
  git ckpt diff                              # this branch's card changes, work tree included
  git ckpt diff origin/main HEAD --format markdown
  git ckpt diff v1.0 --format json
"""

CI_EPILOG = """\
Runs every check on the work tree and reviews the card changes against BASE (default: the merge
base with the default branch). Writes the Markdown report to --report, and in GitHub Actions
prints annotations on the offending lines and appends the report to $GITHUB_STEP_SUMMARY.
Exit 1 when any check or review change is an error. Templates: hooks/github-actions.yml and
hooks/gitlab-ci.yml.

Examples:
  git ckpt ci --base origin/main --report gitckpt-review.md
"""


HOOK_EPILOG = """\
The plain git hooks that `git ckpt init --git-hooks` installs call these.

Examples:
  git ckpt hook pre-push origin git@example.org:lab/repo.git < refs
"""


CHECKLIST_EPILOG = """\
Shows the model's responsible-release checklist, or confirms one item: your git identity and the
time are recorded in the card (commit the change). `git ckpt tag` refuses to release a model while
any item is unconfirmed. Items:
{items}

Examples:
  git ckpt checklist resnet50
  git ckpt checklist resnet50 --confirm licenses_aligned --note "Legal review LEGAL-42"
"""

CHECKS_EPILOG = """\
Lists every check: its id, name, default and configured severity, and why it exists. Set a
severity under `checks:` in .gitckpt/config.yaml (error, warning, off); mandatory checks cannot be
turned off. A release record lists the checks that were off.

Examples:
  git ckpt checks
  git ckpt checks --json
"""


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

SITE_EPILOG = """\
Writes the registry as a static site: an index you can search and filter, a page per artifact
(its card, releases and stages, provenance log, lineage graph, and each metric across releases
with confidence intervals) and an audit page. Plain HTML, CSS and a little JavaScript that make no
request of their own: open index.html from disk, or publish the directory with GitHub or GitLab
Pages. The output directory is replaced whole, so it must be new, empty, or an earlier site.
While any card at REV holds a credential (GC601, at any severity) no site is built and nothing is
written: the error names each file and line. Cards are refused, never redacted, as by `export`;
remove the credential (and rotate it: it stays in git history), commit, and build again.

Examples:
  git ckpt site                      # writes _site/ at the top of the repository
  git ckpt site -o public            # GitLab Pages publishes public/
  git ckpt site --rev v2-release -o /tmp/registry --title "Vision group registry"
"""

IMPORT_EPILOG = """\
Turns a Hugging Face model card into a gitckpt model card: license, datasets, base model and every
model-index result are kept; each required field the source lacks is a <FILL …> placeholder, so
`git ckpt check` lists what a person still has to write.

Examples:
  git ckpt import-card downloaded/README.md --name bert-ft -o models/bert-ft.card.md
"""


EVAL_RECORD_EPILOG = """\
Reads the stage's metrics file (DVC `metrics:` output) and dvc.lock, computes an interval for each
metric (a seeded bootstrap over --samples; else Wilson for a proportion with a known `n` in the
metrics; else a noassertion saying why), checks the stage ran on the checkpoint the model card
describes, and writes the eval card's results and pipeline and the model card's evaluation entries.

Examples:
  dvc repro evaluate
  git ckpt eval record resnet50-eval --stage evaluate --samples evals/samples.jsonl
"""

EVAL_RUN_EPILOG = """\
Re-runs the recorded stage through DVC (`dvc repro --force`) and reports, per metric, whether the
new value reproduces (inside the recorded interval, or equal when none was recorded). The cards are
left as they are unless --record is given. Exit 1 when something does not reproduce.

With --seeds N the stage runs N times with seeds 0..N-1 (the DVC parameter `seed` from
params.yaml, which is restored afterwards) and the spread of each metric is reported (and, with
--record, written to the eval card as a sensitivity analysis).

Examples:
  git ckpt eval run resnet50-eval
  git ckpt eval run resnet50-eval --record
  git ckpt eval run resnet50-eval --seeds 5 --record
"""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` just that command (building all of them costs
    more than a warm `check` does)."""
    parser = argparse.ArgumentParser(
        prog="git ckpt",
        description="Version, document and release pretrained checkpoints, datasets and evaluation logs in git.",
        epilog="Run `git ckpt COMMAND -h` for a command's options and examples. (`git ckpt --help` asks git for a man page; use -h.)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gitckpt {__version__}", help="show gitckpt's version and exit")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True, help="the command to run")
    for register in dict.fromkeys(register for name, register in COMMANDS.items() if only is None or name == only):
        register(commands)
    return parser


def _positive(text: str) -> int:
    """An argparse type: a whole number, 1 or more (a usage error, exit 2, otherwise)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number, 1 or more; got {text!r}")
    return int(text)


def _subparser(commands: argparse._SubParsersAction, name: str, summary: str, epilog: str) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    return commands.add_parser(  # type: ignore[no-any-return]
        name, help=summary, description=summary, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def _add_trust_ref(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust-ref",
        metavar="REF",
        help="read the policy and allowed signers from REF's committed .gitckpt/ (default: the default branch; see SECURITY.md)",
    )


def _add_init(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "init", "set this repository up for gitckpt (DVC, policy, hooks)", INIT_EPILOG)
    parser.add_argument("--git-hooks", action="store_true", help="install plain git hooks instead of a pre-commit framework hook")
    parser.add_argument("--json", action="store_true", help="print what was changed as JSON")
    parser.set_defaults(handler=run_init)


def _add_add(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "add", "track data with DVC and write or update its card", ADD_EPILOG)
    parser.add_argument("paths", nargs="+", metavar="PATH", type=Path, help="files or directories to track")
    parser.add_argument("--kind", choices=("model", "dataset", "eval"), help="what a new artifact is (required when it has no card yet)")
    parser.add_argument("--name", help="artifact name for a new card (default: from the file name)")
    parser.add_argument("--remote", metavar="NAME", help="also push the bytes to this DVC remote")
    parser.add_argument("--json", action="store_true", help="print what was added as JSON")
    parser.set_defaults(handler=run_add)


def _add_card(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    card = _subparser(
        commands, "card", "work with model, dataset and eval cards", "Examples:\n  git ckpt card new models/resnet50.pt --kind model\n"
    )
    card_commands = card.add_subparsers(title="card commands", metavar="CARD_COMMAND", required=True, help="what to do with cards")
    new = _subparser(card_commands, "new", "scaffold a card for data tracked by a DVC pointer", CARD_NEW_EPILOG)
    new.add_argument("data_path", metavar="DATA_PATH", type=Path, help="the tracked data (or its .dvc pointer)")
    new.add_argument("--kind", required=True, choices=("model", "dataset", "eval"), help="what the artifact is")
    new.add_argument("--name", help="artifact name (default: from the file name, e.g. resnet50)")
    new.add_argument("--json", action="store_true", help="print the new card's path and name as JSON")
    new.set_defaults(handler=run_card_new)


def _add_check(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from gitckpt.checks import ALL_CHECKS

    listing = "\n".join(f"  {check.id}  {check.name:<22} {check.rationale}" for check in ALL_CHECKS.values())
    parser = _subparser(commands, "check", "check cards and pointers: complete, valid and matching", CHECK_EPILOG.format(checks=listing))
    parser.add_argument("paths", nargs="*", metavar="PATH", type=Path, help="cards, pointers or tracked data to check")
    parser.add_argument("--all", action="store_true", help="check every card and pointer in the work tree")
    parser.add_argument("--staged", action="store_true", help="check the cards and pointers staged for the next commit")
    parser.add_argument("--data", action="store_true", help="also verify the bytes in the work tree against card and pointer digests")
    parser.add_argument(
        "--no-cache", action="store_true", help="with --data, re-hash every file instead of trusting the stat cache (for CI)"
    )
    parser.add_argument("--remote", action="store_true", help="also verify that the DVC remote holds every artifact's bytes")
    parser.add_argument("--remote-name", metavar="NAME", help="with --remote, the DVC remote to ask (default: the configured default)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(handler=run_check)


def _add_status(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "status", "show each artifact's card, data and remote state", STATUS_EPILOG)
    parser.add_argument("--no-remote", action="store_true", help="do not ask the DVC remote what it holds")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.set_defaults(handler=run_status)


def _add_push(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    _add_transfer(commands, "push", "push artifacts' bytes to the DVC remote", run_push)


def _add_pull(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    _add_transfer(commands, "pull", "pull artifacts' bytes from the DVC remote", run_pull)


def _add_transfer(commands: argparse._SubParsersAction, name: str, summary: str, handler: Any) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, name, summary, PUSH_EPILOG)
    parser.add_argument("names", nargs="*", metavar="NAME", help="artifact names (default: every artifact)")
    parser.add_argument("-r", "--remote", metavar="REMOTE", help="DVC remote to use (default: the configured default)")
    parser.add_argument("--json", action="store_true", help="print the number of files moved as JSON")
    parser.set_defaults(handler=handler)


def _add_eval(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = _subparser(commands, "eval", "work with evaluation results", 'Examples:\n  git ckpt eval confirm resnet50 --reason "..."\n')
    eval_commands = group.add_subparsers(title="eval commands", metavar="EVAL_COMMAND", required=True, help="what to do with results")
    confirm = _subparser(eval_commands, "confirm", "re-confirm results recorded for earlier bytes of a model", EVAL_CONFIRM_EPILOG)
    confirm.add_argument("name", metavar="NAME", help="the model artifact")
    confirm.add_argument("--reason", required=True, help="why the results still hold for the current bytes")
    confirm.add_argument("--json", action="store_true", help="print the confirmed entries as JSON")
    confirm.set_defaults(handler=run_eval_confirm)
    record = _subparser(eval_commands, "record", "record results from the DVC stage that produced them", EVAL_RECORD_EPILOG)
    record.add_argument("name", metavar="NAME", help="the eval card")
    record.add_argument("--stage", required=True, help="the dvc.yaml stage whose metrics file holds the results")
    record.add_argument("--samples", type=Path, help="per-sample results (JSON lines) to bootstrap intervals from")
    record.add_argument("--dataset", metavar="DATASET", help="the dataset card evaluated (default: the eval card's dataset)")
    record.add_argument("--split", metavar="SPLIT", help="the split evaluated (default: the eval card's split)")
    record.add_argument("--json", action="store_true", help="print the recorded results as JSON")
    record.set_defaults(handler=run_eval_record)
    rerun = _subparser(eval_commands, "run", "re-run the recorded stage and check the results reproduce", EVAL_RUN_EPILOG)
    rerun.add_argument("name", metavar="NAME", help="the eval card")
    rerun.add_argument("--record", action="store_true", help="record the new results (or, with --seeds, the spread) in the cards")
    rerun.add_argument(
        "--seeds", type=_positive, metavar="N", help="run the stage with seeds 0..N-1 (DVC parameter `seed`) and report the spread"
    )
    rerun.add_argument("--json", action="store_true", help="print the comparison as JSON")
    rerun.set_defaults(handler=run_eval_run)


def _add_tag(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "tag", "cut a release: an annotated tag NAME@vX.Y.Z with a release record", TAG_EPILOG)
    parser.add_argument("name", metavar="NAME", help="the artifact to release")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--version", help="the version to release, X.Y.Z (default: the next patch)")
    which.add_argument("--bump", choices=("major", "minor", "patch"), default="patch", help="which part of the latest version to increase")
    _add_tag_options(parser)
    parser.add_argument("--allow-unpushed", action="store_true", help="release even if the bytes are not in the DVC remote (recorded)")
    _add_trust_ref(parser)
    parser.set_defaults(handler=run_tag)


def _add_tag_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--message", default="", help="what this release is; first line becomes the summary")
    parser.add_argument("--sign", action="store_true", help="sign the tag with your SSH key (git config user.signingkey)")
    parser.add_argument("--push", metavar="GIT_REMOTE", help="push the tag to this git remote (e.g. origin)")
    parser.add_argument("--json", action="store_true", help="print the tag and its record as JSON")


def _add_promote(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for name, summary in (("promote", "put a release into a stage"), ("demote", "take a release out of a stage")):
        parser = _subparser(commands, name, summary, PROMOTE_EPILOG)
        parser.add_argument("reference", metavar="NAME@vX.Y.Z", help="the release")
        parser.add_argument("stage", metavar="STAGE", help="the stage, one of stages.allowed")
        _add_tag_options(parser)
        _add_trust_ref(parser)
        parser.set_defaults(handler=run_promote, demote=name == "demote")


def _add_deprecate(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "deprecate", "mark an artifact deprecated (NAME@deprecated)", DEPRECATE_EPILOG)
    parser.add_argument("name", metavar="NAME", help="the artifact")
    parser.add_argument("--sunset", metavar="YYYY-MM-DD", help="after this date, cards linking to it fail check")
    parser.add_argument("--reason", default="", help="why it is deprecated and what to use instead")
    parser.add_argument("--sign", action="store_true", help="sign the tag with your SSH key")
    parser.add_argument("--push", metavar="GIT_REMOTE", help="push the tag to this git remote")
    parser.add_argument("--json", action="store_true", help="print the tag and its record as JSON")
    _add_trust_ref(parser)
    parser.set_defaults(handler=run_deprecate)


def _add_ls(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "ls", "list the artifacts in the registry", REGISTRY_EPILOG)
    parser.add_argument("--kind", choices=("model", "dataset", "eval"), help="only artifacts of this kind")
    parser.add_argument("--stage", help="only artifacts with a version in this stage")
    parser.add_argument(
        "--version", metavar="X[.Y[.Z]]", help="only artifacts whose latest release is this version, or in this major or minor series"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    _add_trust_ref(parser)
    parser.set_defaults(handler=run_ls)


def _add_search(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "search", "find artifacts by facets, metrics and full text", SEARCH_EPILOG)
    parser.add_argument("query", nargs="?", metavar="QUERY", help="full-text query over card prose and descriptions")
    parser.add_argument("--kind", choices=("model", "dataset", "eval"), help="only artifacts of this kind")
    parser.add_argument("--stage", help="only artifacts with a version in this stage")
    parser.add_argument(
        "--version", metavar="X[.Y[.Z]]", help="only artifacts whose latest release is this version, or in this major or minor series"
    )
    parser.add_argument("--license", metavar="EXPR", help="only cards whose license names every SPDX identifier in EXPR")
    parser.add_argument("--dataset", metavar="NAME", help="only cards trained or evaluated on this dataset")
    parser.add_argument("--owner", metavar="WHO", help="only cards naming WHO as a contributor or contact")
    parser.add_argument("--metric", action="append", default=[], metavar="'NAME>=VALUE'", help="a numeric filter on a reported metric")
    parser.add_argument(
        "--deprecated", action=argparse.BooleanOptionalAction, help="only deprecated artifacts (--no-deprecated: only the others)"
    )
    parser.add_argument(
        "--commercial", action="store_true", help="only cards whose license is a known SPDX expression without non-commercial terms"
    )
    parser.add_argument(
        "--field", action="append", default=[], metavar="NAME=VALUE", help="a named group of naming.pattern must have this value"
    )
    parser.add_argument("--rev", default="HEAD", metavar="REV", help="search the registry as committed at REV (default HEAD)")
    parser.add_argument("--json", action="store_true", help="print the hits as JSON")
    _add_trust_ref(parser)
    parser.set_defaults(handler=run_search)


def _add_audit(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "audit", "report metadata gaps, stale cards, deprecated links and unsigned releases", AUDIT_EPILOG)
    parser.add_argument("--rev", default="HEAD", metavar="REV", help="audit the cards as committed at REV (default HEAD)")
    parser.add_argument(
        "--stale-days", type=int, metavar="N", help="days a card may lag behind its bytes (default: audit.stale_days, else 90)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_trust_ref(parser)
    parser.set_defaults(handler=run_audit)


def _add_show(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "show", "show an artifact or one of its releases", REGISTRY_EPILOG)
    parser.add_argument("reference", metavar="NAME[@vX.Y.Z|@latest|#STAGE]", help="what to show")
    parser.add_argument("--json", action="store_true", help="print as JSON (for a release: its record)")
    _add_trust_ref(parser)
    parser.set_defaults(handler=run_show)


def _add_history(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "history", "list registry events: releases, stage changes, deprecations", REGISTRY_EPILOG)
    parser.add_argument("name", nargs="?", metavar="NAME", help="only this artifact's events")
    parser.add_argument(
        "--all", action="store_true", help="also list the tags that do not count (unbound, badly signed, refused by policy) and why"
    )
    parser.add_argument("--json", action="store_true", help="print the events as JSON")
    _add_trust_ref(parser)
    parser.set_defaults(handler=run_history)


def _add_verify(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "verify", "verify a registry tag's signature, binding, record and (optionally) bytes", VERIFY_EPILOG)
    parser.add_argument(
        "reference", nargs="?", metavar="TAG", help="the release (NAME@vX.Y.Z), stage move (NAME#STAGE[#N]) or other registry tag"
    )
    parser.add_argument("--attestation", metavar="FILE", type=Path, help="verify this attestation (and FILE.sig) instead of a tag")
    parser.add_argument("--data", action="store_true", help="also verify the bytes against the recorded digests")
    parser.add_argument("--json", action="store_true", help="print the verification as JSON")
    _add_trust_ref(parser)
    parser.set_defaults(handler=run_verify)


def _add_diff(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from gitckpt.review import DEFAULT_SEVERITY

    listing = "\n".join(f"  {kind:<27} {severity}" for kind, severity in DEFAULT_SEVERITY.items())
    parser = _subparser(
        commands, "diff", "show what changed in meaning in the cards between two revisions", DIFF_EPILOG.format(severities=listing)
    )
    parser.add_argument(
        "base", nargs="?", metavar="BASE", help="the revision to compare against (default: merge base with the default branch)"
    )
    parser.add_argument("head", nargs="?", metavar="HEAD", help="the revision to review (default: the work tree)")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="output format")
    parser.set_defaults(handler=run_diff)


def _add_ci(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "ci", "run every check and the card review for a pull request", CI_EPILOG)
    parser.add_argument("--base", metavar="REF", help="the target branch or commit (default: merge base with the default branch)")
    parser.add_argument("--report", metavar="FILE", type=Path, help="write the Markdown report here")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of the Markdown report")
    _add_trust_ref(parser)
    parser.set_defaults(handler=run_ci)


def _add_hook(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    epilog = HOOK_EPILOG
    group = _subparser(commands, "hook", "entry points for git hooks", epilog)
    hooks = group.add_subparsers(title="hooks", metavar="HOOK", required=True, help="which hook")
    pre_push = _subparser(hooks, "pre-push", "refuse to push release tags whose bytes are not in the DVC remote", epilog)
    pre_push.add_argument("remote", nargs="?", help="the git remote's name (given by git)")
    pre_push.add_argument("url", nargs="?", help="the git remote's URL (given by git)")
    pre_push.set_defaults(handler=run_pre_push)


def _add_log(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "log", "the provenance trail: every commit that changed an artifact's card or pointer", LOG_EPILOG)
    parser.add_argument("name", metavar="NAME", help="the artifact")
    parser.add_argument("--json", action="store_true", help="print the entries as JSON")
    parser.set_defaults(handler=run_log)


def _add_lineage(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "lineage", "the graph of what an artifact was built from (or what uses it)", LINEAGE_EPILOG)
    parser.add_argument("reference", metavar="NAME[@vX.Y.Z]", help="the artifact, or one of its releases")
    parser.add_argument("--depth", type=_positive, help="follow links at most this many steps")
    parser.add_argument("--dependents", action="store_true", help="the reverse graph: what links to this artifact")
    parser.add_argument("--format", choices=("text", "json", "dot", "mermaid"), default="text", help="output format")
    parser.set_defaults(handler=run_lineage)


def _add_attest(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "attest", "write an in-toto / SLSA provenance attestation for a release", ATTEST_EPILOG)
    parser.add_argument("reference", metavar="NAME@vX.Y.Z", help="the release")
    parser.add_argument("-o", "--output", type=Path, help="where to write it (default: NAME-vX.Y.Z.intoto.json)")
    parser.add_argument("--sign", action="store_true", help="also write an SSH signature, FILE.sig")
    parser.add_argument("--json", action="store_true", help="print the paths written as JSON")
    parser.set_defaults(handler=run_attest)


def _add_checklist(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from gitckpt.checklist import ITEMS

    items = "\n".join(f"  {item:<36} {description}" for item, description in ITEMS.items())
    parser = _subparser(
        commands, "checklist", "show or confirm a model's responsible-release checklist", CHECKLIST_EPILOG.format(items=items)
    )
    parser.add_argument("name", metavar="NAME", help="the model")
    parser.add_argument("--confirm", metavar="ITEM", help="confirm this item")
    parser.add_argument("--note", help="with --confirm, a note (e.g. where the review is recorded)")
    parser.add_argument("--json", action="store_true", help="print the checklist as JSON")
    parser.set_defaults(handler=run_checklist)


def _add_checks(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "checks", "list every check, its severity and rationale", CHECKS_EPILOG)
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.set_defaults(handler=run_checks_list)


def _add_export(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from gitckpt.commands.export import FORMATS

    parser = _subparser(commands, "export", "write a card in another standard's format", EXPORT_EPILOG)
    parser.add_argument("reference", metavar="NAME[@vX.Y.Z]", help="the artifact, or one of its releases")
    parser.add_argument("--format", required=True, metavar="|".join(FORMATS), help="the target format")
    parser.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    parser.add_argument("--json", action="store_true", help="print where it was written and what could not be expressed, as JSON")
    parser.set_defaults(handler=run_export)


def _add_site(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "site", "write the registry as a static site", SITE_EPILOG)
    parser.add_argument("-o", "--output", type=Path, help="the directory to write (default: _site at the top of the repository)")
    parser.add_argument("--rev", default="HEAD", help="the commit whose cards are shown (default HEAD); tags are always all read")
    parser.add_argument("--title", help="the site's title (default: the repository's directory name + ' registry')")
    parser.add_argument("--json", action="store_true", help="print where the site was written, as JSON")
    _add_trust_ref(parser)
    parser.set_defaults(handler=run_site)


def _add_import_card(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = _subparser(commands, "import-card", "turn a Hugging Face model card into a gitckpt card", IMPORT_EPILOG)
    parser.add_argument("source", metavar="README.md", type=Path, help="the Hugging Face model card")
    parser.add_argument("--name", required=True, help="the artifact name of the new card")
    parser.add_argument("--kind", choices=("model",), default="model", help="what the artifact is (Hub cards describe models)")
    parser.add_argument("-o", "--output", type=Path, help="where to write the card (default: NAME.card.md)")
    parser.add_argument("--json", action="store_true", help="print the new card's path as JSON")
    parser.set_defaults(handler=run_import_card)


def run_init(args: argparse.Namespace) -> int:
    from gitckpt.commands.init import init
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository

    result = init(find_repository(), git_hooks=args.git_hooks)
    if args.json:
        print_json({"changed": result.changed, "unchanged": result.unchanged})
        return EXIT_OK
    for item in result.changed:
        print(f"  set up  {item}")
    for item in result.unchanged:
        print(f"  kept    {item}")
    print("gitckpt is ready." if result.changed else "Nothing to do: this repository is already set up for gitckpt.")
    return EXIT_OK


def run_add(args: argparse.Namespace) -> int:
    from gitckpt.commands.add import add
    from gitckpt.console import print_json, progress_bar
    from gitckpt.repo import find_repository

    with progress_bar("Hashing", unit_bytes=True) as progress:
        added = add(find_repository(), args.paths, kind=args.kind, name=args.name, remote=args.remote, progress=progress)
    if args.json:
        print_json([vars(item) for item in added])
        return EXIT_OK
    for item in added:
        action = "created" if item.created else ("updated" if item.bytes_changed else "unchanged")
        print(f"{item.data}: {item.kind} {item.name!r}, {item.size:,} bytes, sha256 {item.sha256[:16]}…; card {item.card} {action}")
    print("Staged in git. Fill in any <FILL …> in new cards, then `git ckpt check` and commit.")
    return EXIT_OK


def run_card_new(args: argparse.Namespace) -> int:
    from gitckpt.commands.card_new import create_card
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository

    card = create_card(find_repository(), args.data_path, args.kind, args.name)
    if args.json:
        print_json({"card": card.relpath, "name": card.name})
        return EXIT_OK
    print(f"Wrote {card.relpath} for artifact {card.name!r}.")
    print(f"Next: replace every <FILL …> in it, then `git ckpt check {card.relpath}`.")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    from gitckpt.commands.check import CheckOptions, check
    from gitckpt.console import print_check_report, print_json, progress_bar
    from gitckpt.repo import find_repository

    options = CheckOptions(
        paths=[] if args.all else args.paths,
        staged=args.staged and not args.all,
        data=args.data,
        use_cache=not args.no_cache,
        remote=args.remote,
        remote_name=args.remote_name,
    )
    with progress_bar("Checking") as progress:
        report = check(find_repository(), options, progress)
    if args.json:
        print_json(report.to_json())
    else:
        print_check_report(report)
    return EXIT_FINDINGS if report.errors else EXIT_OK


def run_status(args: argparse.Namespace) -> int:
    from gitckpt.commands.status import status
    from gitckpt.console import print_json, print_table, progress_bar
    from gitckpt.repo import find_repository

    with progress_bar("Reading") as progress:
        rows = status(find_repository(), remote=not args.no_remote, progress=progress)
    if args.json:
        print_json([vars(row) for row in rows])
    else:
        columns = ("name", "kind", "card_state", "data_state", "remote_state")
        print_table(("name", "kind", "card", "data", "remote"), [[getattr(row, column) for column in columns] for row in rows])
    return EXIT_OK


def run_push(args: argparse.Namespace) -> int:
    from gitckpt.commands.transfer import push
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository

    count = push(find_repository(), args.names, args.remote)
    print_json({"pushed": count}) if args.json else print(f"Pushed {count:,} file(s).")
    return EXIT_OK


def run_pull(args: argparse.Namespace) -> int:
    from gitckpt.commands.transfer import pull
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository

    count = pull(find_repository(), args.names, args.remote)
    print_json({"pulled": count}) if args.json else print(f"Pulled {count:,} file(s).")
    return EXIT_OK


def run_eval_record(args: argparse.Namespace) -> int:
    from gitckpt.commands.eval_record import record
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository

    recorded = record(find_repository(), args.name, args.stage, samples=args.samples, dataset=args.dataset, split=args.split)
    rows = [
        {"metric": item.metric, "value": item.value, "n": item.n, "interval": item.interval.to_card() if item.interval else None}
        for item in recorded.results
    ]
    if args.json:
        print_json({"eval_card": recorded.eval_card, "model_card": recorded.model_card, "results": rows})
        return EXIT_OK
    for row in rows:
        interval: Any = row["interval"]
        where = f"[{interval['low']}, {interval['high']}] ({interval['method']})" if interval else "no interval"
        print(f"  {row['metric']} = {row['value']} (n={row['n']}) {where}")
    print(f"Recorded in {recorded.eval_card} and {recorded.model_card}; review and commit them.")
    return EXIT_OK


def run_eval_run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from gitckpt.commands.eval_record import run
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository

    if args.seeds:
        from gitckpt.commands.eval_record import seed_sensitivity

        spreads = seed_sensitivity(find_repository(), args.name, args.seeds, record_after=args.record)
        if args.json:
            print_json([asdict(spread) for spread in spreads])
        for spread in [] if args.json else spreads:
            summary = f"min {spread.minimum}, max {spread.maximum}, mean {spread.mean:.6g}, stdev {spread.stdev:.6g}"
            print(f"  {spread.metric}: {spread.seeds} seeds, {summary}")
        return EXIT_OK
    comparisons = run(find_repository(), args.name, record_after=args.record)
    if args.json:
        print_json([asdict(item) for item in comparisons])
    else:
        for item in comparisons:
            verdict = "reproduced" if item.reproduced else "NOT REPRODUCED"
            print(f"  {verdict}  {item.metric}: recorded {item.recorded}, now {item.now} ({item.why})")
    return EXIT_OK if all(item.reproduced for item in comparisons) else EXIT_FINDINGS


def run_eval_confirm(args: argparse.Namespace) -> int:
    from gitckpt.commands.eval_confirm import confirm
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository

    confirmed = confirm(find_repository(), args.name, args.reason)
    if args.json:
        print_json([vars(item) for item in confirmed])
        return EXIT_OK
    for item in confirmed:
        print(f"{item.card}: {item.field} re-bound (measured on {item.measured_sha256[:16]}…)")
    print("Review the change and commit it.")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {  # type: ignore[type-arg]
    "init": _add_init,
    "add": _add_add,
    "card": _add_card,
    "check": _add_check,
    "status": _add_status,
    "push": _add_push,
    "pull": _add_pull,
    "eval": _add_eval,
    "tag": _add_tag,
    "promote": _add_promote,
    "demote": _add_promote,
    "deprecate": _add_deprecate,
    "ls": _add_ls,
    "show": _add_show,
    "search": _add_search,
    "audit": _add_audit,
    "history": _add_history,
    "verify": _add_verify,
    "diff": _add_diff,
    "ci": _add_ci,
    "hook": _add_hook,
    "log": _add_log,
    "lineage": _add_lineage,
    "attest": _add_attest,
    "checklist": _add_checklist,
    "checks": _add_checks,
    "export": _add_export,
    "import-card": _add_import_card,
    "site": _add_site,
}


def _print_created(created: Any, as_json: bool) -> None:
    from gitckpt.console import print_json

    if as_json:
        print_json(
            {
                "tag": created.tag,
                "commit": created.commit,
                "pushed": created.pushed,
                "record": created.record,
                "trust": created.trust.to_json(),
            }
        )
        return
    print(f"Created {created.tag} on {created.commit[:12]}" + (" and pushed it." if created.pushed else "."))
    print(f"  judged by the {created.trust.describe()}")


def run_tag(args: argparse.Namespace) -> int:
    from gitckpt.release import TagOptions, tag_release
    from gitckpt.repo import find_repository

    options = TagOptions(args.version, args.bump, args.message, args.sign, args.push, args.allow_unpushed, args.trust_ref)
    _print_created(tag_release(find_repository(), args.name, options), args.json)
    return EXIT_OK


def run_promote(args: argparse.Namespace) -> int:
    from gitckpt.release import promote
    from gitckpt.repo import find_repository

    created = promote(
        find_repository(),
        args.reference,
        args.stage,
        demote=args.demote,
        sign=args.sign,
        push=args.push,
        message=args.message,
        trust_ref=args.trust_ref,
    )
    _print_created(created, args.json)
    return EXIT_OK


def run_deprecate(args: argparse.Namespace) -> int:
    from gitckpt.release import deprecate
    from gitckpt.repo import find_repository

    _print_created(
        deprecate(
            find_repository(), args.name, sunset=args.sunset, reason=args.reason, sign=args.sign, push=args.push, trust_ref=args.trust_ref
        ),
        args.json,
    )
    return EXIT_OK


def run_ls(args: argparse.Namespace) -> int:
    from gitckpt.commands.registry_view import list_artifacts
    from gitckpt.console import print_json, print_table
    from gitckpt.repo import find_repository

    rows = list_artifacts(find_repository(), kind=args.kind, stage=args.stage, trust_ref=args.trust_ref)
    if args.json:
        print_json(rows)
        return EXIT_OK
    stages = [", ".join(f"{stage}: v{version}" for stage, version in row["stages"].items()) for row in rows]
    table = [
        [row["name"], row["kind"], f"v{row['latest']}" if row["latest"] else "unreleased", stage, "deprecated" if row["deprecated"] else ""]
        for row, stage in zip(rows, stages, strict=True)
    ]
    print_table(("name", "kind", "latest", "stages", ""), table)
    for row in rows:
        for note in row["notes"]:
            print(f"note: {note}")
    return EXIT_OK


def run_search(args: argparse.Namespace) -> int:
    from gitckpt.console import print_json, print_table, progress_bar
    from gitckpt.repo import find_repository
    from gitckpt.search import Query, parse_field_filter, parse_metric_filter, parse_version_filter, search

    query = Query(
        text=args.query,
        kind=args.kind,
        stage=args.stage,
        version=parse_version_filter(args.version) if args.version else None,
        license=args.license,
        dataset=args.dataset,
        owner=args.owner,
        metrics=tuple(parse_metric_filter(text) for text in args.metric),
        deprecated=args.deprecated,
        commercial=args.commercial,
        fields=tuple(parse_field_filter(text) for text in args.field),
    )
    with progress_bar("Indexing cards") as progress:
        hits = search(find_repository(), query, args.rev, progress, args.trust_ref)
    if args.json:
        print_json([hit.to_json() for hit in hits])
        return EXIT_OK
    if not hits:
        print("no artifact matches")
        return EXIT_OK
    rows = [
        [hit.name, hit.kind, f"v{hit.latest}" if hit.latest else "unreleased", ", ".join(hit.stages), "; ".join(hit.reasons)]
        for hit in hits
    ]
    print_table(("name", "kind", "latest", "stages", "why"), rows)
    for hit in hits:
        if hit.snippet:
            print(f"  {hit.name}: {hit.snippet}")
    return EXIT_OK


def run_audit(args: argparse.Namespace) -> int:
    from gitckpt.audit import audit
    from gitckpt.console import print_audit_report, print_json
    from gitckpt.repo import find_repository

    report = audit(find_repository(), args.rev, args.stale_days, trust_ref=args.trust_ref)
    if args.json:
        print_json(report.to_json())
    else:
        print_audit_report(report)
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    from gitckpt.commands.registry_view import show
    from gitckpt.console import print_json, print_release, print_table
    from gitckpt.repo import find_repository

    view = show(find_repository(), args.reference, trust_ref=args.trust_ref)
    if args.json:
        print_json(view.get("record", view) if "record" in view else view)
        return EXIT_OK
    if "record" in view:
        print_release(view)
        return EXIT_OK
    latest = f"latest v{view['latest']}" if view.get("latest") else "not released yet"
    print(f"{view['name']}: {latest}, stages {view.get('stages') or 'none'}" + (", DEPRECATED" if view.get("deprecated") else ""))
    _print_baseline(view)
    rows = [
        [f"v{r['version']}", r["created"], r["author"], r["commit"][:12], ", ".join(r["stages"]), r["signature"]["description"]]
        for r in view["releases"]
    ]
    print_table(("version", "created", "by", "commit", "stages held", "signature"), rows)
    for note in view.get("notes", []):
        print(f"note: {note}")
    print(view["trust"]["description"])
    return EXIT_OK


def _print_baseline(view: dict[str, Any]) -> None:
    from gitckpt.evaluation import Comparison, describe

    baseline: Any = view.get("baseline") or {"comparisons": []}
    for comparison in baseline["comparisons"]:
        print(f"  against {baseline['artifact']}: {describe(Comparison(**comparison))}")


def run_history(args: argparse.Namespace) -> int:
    from gitckpt.commands.registry_view import history
    from gitckpt.console import print_json, print_table
    from gitckpt.repo import find_repository

    events = history(find_repository(), args.name, include_rejected=args.all, trust_ref=args.trust_ref)
    if args.json:
        print_json(events)
        return EXIT_OK
    rows = [
        [
            e["created"],
            e["artifact"],
            e["action"],
            f"v{e['version']}" if e["version"] else "",
            e["stage"] or "",
            e["author"],
            e["tag"],
            e["signature"]["description"] if e["counts"] else f"IGNORED: {e['rejected']}",
        ]
        for e in events
    ]
    print_table(("when", "artifact", "event", "version", "stage", "by", "tag", "signature"), rows)
    if events:
        print(f"signatures checked against the {events[0]['trust']}")
    return EXIT_OK


def run_verify(args: argparse.Namespace) -> int:
    from gitckpt.commands.verify import verify, verify_attestation
    from gitckpt.console import print_json
    from gitckpt.errors import UsageError
    from gitckpt.repo import find_repository

    if (args.reference is None) == (args.attestation is None):
        raise UsageError("name a release (NAME@vX.Y.Z) or an --attestation FILE, not both")
    repo = find_repository()
    if args.attestation:
        result = verify_attestation(repo, args.attestation, trust_ref=args.trust_ref)
    else:
        result = verify(repo, args.reference, data=args.data, trust_ref=args.trust_ref)
    if args.json:
        print_json(
            {
                "tag": result.tag,
                "ok": result.ok,
                "principal": result.principal,
                "verified": result.verified,
                "problems": result.problems,
                "trust": result.trust,
            }
        )
    else:
        print(result.trust)
        for line in result.verified:
            print(f"  ok    {line}")
        for line in result.problems:
            print(f"  FAIL  {line}")
        print(f"{result.tag}: {'verified' if result.ok else 'NOT verified'}")
    return EXIT_OK if result.ok else EXIT_FINDINGS


def run_diff(args: argparse.Namespace) -> int:
    from gitckpt.commands.diff import card_diff
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository
    from gitckpt.review_report import to_json, to_markdown, to_text

    _, _, diffs = card_diff(find_repository(), args.base, args.head)
    if args.format == "json":
        print_json(to_json(diffs))
    else:
        sys.stdout.write(to_markdown(diffs) if args.format == "markdown" else to_text(diffs))
    return EXIT_OK


def run_ci(args: argparse.Namespace) -> int:
    import os

    from gitckpt.commands.ci import ci, github_annotations
    from gitckpt.console import print_json
    from gitckpt.repo import find_repository
    from gitckpt.review_report import to_json

    report = ci(find_repository(), args.base, args.report)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(report):
            print(line)
    if args.json:
        findings = [{**item.finding.to_json(), "severity": item.severity} for item in report.findings]
        print_json(
            {"ok": report.errors == 0, "base": report.base, "errors": report.errors, "findings": findings, "cards": to_json(report.diffs)}
        )
    else:
        sys.stdout.write(report.markdown)
    return EXIT_FINDINGS if report.errors else EXIT_OK


def run_pre_push(args: argparse.Namespace) -> int:
    from gitckpt.commands.pre_push import unpushed_releases
    from gitckpt.console import error
    from gitckpt.repo import find_repository

    problems = unpushed_releases(find_repository(), sys.stdin.read().splitlines())
    for problem in problems:
        error(problem)
    return EXIT_FINDINGS if problems else EXIT_OK


def run_log(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from gitckpt.console import print_json
    from gitckpt.provenance import artifact_log, summarize_fields
    from gitckpt.repo import find_repository

    entries = artifact_log(find_repository(), args.name)
    if args.json:
        print_json([asdict(entry) for entry in entries])
        return EXIT_OK
    for entry in entries:
        print(f"{entry.commit[:12]}  {entry.author_date}  {entry.author}  {entry.signature}")
        print(f"    {entry.summary}")
        if entry.bytes_changed:
            old, new = entry.bytes_changed["old"], entry.bytes_changed["new"]
            print(f"    bytes: sha256 {str(old.get('sha256'))[:16]}… → {str(new.get('sha256'))[:16]}…")
        if entry.fields_changed:
            print(f"    fields: {', '.join(summarize_fields(entry.fields_changed))}")
        for key, values in entry.trailers.items():
            print(f"    {key}: {', '.join(values)}")
        if entry.renamed_from:
            print(f"    renamed from {entry.renamed_from}")
        if entry.merged_by:
            print(f"    merged by {entry.merged_by[:12]}")
        if entry.tags:
            print(f"    tags: {', '.join(entry.tags)}")
    return EXIT_OK


def run_lineage(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from gitckpt.console import print_json
    from gitckpt.provenance import lineage, render_lineage
    from gitckpt.repo import find_repository

    graph = lineage(find_repository(), args.reference, depth=args.depth, dependents=args.dependents)
    if args.format == "json":
        print_json(asdict(graph))
    else:
        sys.stdout.write(render_lineage(graph, args.format))
    return EXIT_OK


def run_attest(args: argparse.Namespace) -> int:
    import json

    from gitckpt.attestation import build_statement, sign_file
    from gitckpt.console import print_json
    from gitckpt.errors import GitckptError
    from gitckpt.files import atomic_write
    from gitckpt.registry import read_registry
    from gitckpt.release import parse_release_reference
    from gitckpt.repo import find_repository

    repo = find_repository()
    name, version = parse_release_reference(args.reference)
    state = read_registry(repo).artifact(name)
    release = state.releases.get(version) if state else None
    if release is None:
        raise GitckptError(f"there is no release {args.reference}")
    output = args.output or Path(f"{name.replace('/', '-')}-v{version}.intoto.json")
    atomic_write(output, json.dumps(build_statement(repo, release), indent=2) + "\n")
    signature = sign_file(repo, output) if args.sign else None
    if args.json:
        print_json({"attestation": str(output), "signature": str(signature) if signature else None})
    else:
        print(f"Wrote {output}" + (f" and {signature}" if signature else ""))
    return EXIT_OK


def run_checklist(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from gitckpt.commands.checklist import confirm, show
    from gitckpt.console import print_json, print_table
    from gitckpt.repo import find_repository

    repo = find_repository()
    if args.confirm:
        state = confirm(repo, args.name, args.confirm, args.note)
        print_json(asdict(state)) if args.json else print(
            f"Confirmed {state.item} as {state.confirmed_by} at {state.confirmed_at}; commit the card."
        )
        return EXIT_OK
    states = show(repo, args.name)
    if args.json:
        print_json([{**asdict(state), "confirmed": state.confirmed} for state in states])
        return EXIT_OK
    print_table(
        ("item", "state", "by", "at"),
        [[s.item, "confirmed" if s.confirmed else "OPEN", s.confirmed_by or "", s.confirmed_at or ""] for s in states],
    )
    return EXIT_OK


def run_checks_list(args: argparse.Namespace) -> int:
    from gitckpt.checks import ALL_CHECKS
    from gitckpt.config import MANDATORY_CHECKS
    from gitckpt.console import print_json, print_table
    from gitckpt.errors import GitckptError
    from gitckpt.inventory import load_inventory
    from gitckpt.repo import find_repository

    try:
        configured = load_inventory(find_repository()).config.severities
    except GitckptError:
        configured = {}
    rows = [
        {
            "id": check.id,
            "name": check.name,
            "default": check.severity,
            "severity": configured.get(check.id, check.severity),
            "mandatory": check.id in MANDATORY_CHECKS,
            "rationale": check.rationale,
            "fix": check.fix,
        }
        for check in ALL_CHECKS.values()
    ]
    if args.json:
        print_json(rows)
    else:
        print_table(
            ("id", "name", "severity", "rationale"),
            [[r["id"], r["name"], f"{r['severity']}{' (mandatory)' if r['mandatory'] else ''}", r["rationale"]] for r in rows],
        )
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    from gitckpt.commands.export import export
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


def run_import_card(args: argparse.Namespace) -> int:
    from gitckpt.commands.export import import_card
    from gitckpt.console import print_json

    target = import_card(args.source, args.name, args.output)
    print_json({"card": str(target)}) if args.json else print(f"Wrote {target}; `git ckpt check` lists the fields left to fill in.")
    return EXIT_OK


def run_site(args: argparse.Namespace) -> int:
    from gitckpt.commands.site import build_site
    from gitckpt.console import print_json, progress_bar
    from gitckpt.repo import find_repository

    with progress_bar("Reading artifacts") as progress:
        result = build_site(find_repository(), args.output, args.rev, args.title, progress, args.trust_ref)
    if args.json:
        print_json({"output": str(result.output), "index": str(result.index), "artifacts": result.artifacts, "files": result.files})
        return EXIT_OK
    print(f"Wrote {result.files} files for {result.artifacts} artifacts to {result.output}")
    print(f"Open {result.index.as_uri()} or serve the directory with any static web host.")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(words[0] if words and words[0] in COMMANDS else None).parse_args(words)
    try:
        code = int(args.handler(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below, not at exit
        return code
    except GitckptError as exc:
        from gitckpt.console import error

        error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _stdout_closed()
    except Exception:
        return _report_internal_error()


def _stdout_closed() -> int:
    """The reader went away (`git ckpt history | head`): stop quietly, as a killed pipe would."""
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def _report_internal_error() -> int:
    import tempfile
    import traceback

    from gitckpt.console import error

    with tempfile.NamedTemporaryFile("w", prefix="gitckpt-crash-", suffix=".log", delete=False) as log:
        traceback.print_exc(file=log)
    error(f"internal error (a bug in gitckpt): {sys.exc_info()[1]!r}; the full traceback is in {log.name}")
    return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
