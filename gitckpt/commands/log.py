"""`git ckpt log`: its help, its arguments and its output."""

from __future__ import annotations

import argparse

from gitckpt.arguments import Subcommands, subparser
from gitckpt.console import print_json, print_known_issues
from gitckpt.errors import EXIT_OK
from gitckpt.known_issue_edits import current_known_issues
from gitckpt.known_issues import ISSUE_CHANGE_WORDS, KnownIssue
from gitckpt.provenance import LogEntry, artifact_log, summarize_fields
from gitckpt.repo import find_repository

LOG_EPILOG = """\
Every commit that changed the artifact's card or pointer, newest first, following renames: author
and committer with dates, signature status, trailers (Reviewed-by, Signed-off-by, Co-authored-by,
Approved-by), the merge that brought it into the default branch, whether the bytes changed (old →
new digests), which card fields changed, and the release and stage tags at that commit.

Examples:
  git ckpt log resnet50
  git ckpt log resnet50 --json | jq '.[] | select(.bytes_changed)'
"""


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands,
        "log",
        "the provenance trail: every commit that changed an artifact's card or pointer",
        LOG_EPILOG,
    )
    parser.add_argument("name", metavar="NAME", help="the artifact")
    parser.add_argument("--json", action="store_true", help="print the entries as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    repo = find_repository()
    entries = artifact_log(repo, args.name)
    if args.json:
        print_json([entry.to_json() for entry in entries])
        return EXIT_OK
    print_known_issues(current_known_issues(repo, args.name))
    for entry in entries:
        _print_entry(entry)
    return EXIT_OK


def _print_entry(entry: LogEntry) -> None:
    print(f"{entry.commit[:12]}  {entry.author_date}  {entry.author}  {entry.signature}")
    print(f"    {entry.summary}")
    if entry.bytes_changed:
        old, new = entry.bytes_changed["old"], entry.bytes_changed["new"]
        print(f"    bytes: sha256 {str(old.get('sha256'))[:16]}… → {str(new.get('sha256'))[:16]}…")
    if entry.fields_changed:
        print(f"    fields: {', '.join(summarize_fields(entry.fields_changed))}")
    for change in entry.known_issues:
        issue = KnownIssue(**change["issue"])
        print(f"    {ISSUE_CHANGE_WORDS[change['change']]}: {issue.describe()}")
    for key, values in entry.trailers.items():
        print(f"    {key}: {', '.join(values)}")
    if entry.renamed_from:
        print(f"    renamed from {entry.renamed_from}")
    if entry.merged_by:
        print(f"    merged by {entry.merged_by[:12]}")
    if entry.tags:
        print(f"    tags: {', '.join(entry.tags)}")
