"""`git ckpt site`: read the registry at a revision and write it as a static site."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from gitckpt.arguments import Subcommands, add_trust_ref, subparser
from gitckpt.audience import AUDIENCES, DEFAULT_AUDIENCE
from gitckpt.console import print_json, progress_bar
from gitckpt.errors import EXIT_OK
from gitckpt.file_facts import Progress
from gitckpt.repo import Repository, find_repository
from gitckpt.site.model import SiteRead, read_site_model
from gitckpt.site.render import write_site

DEFAULT_OUTPUT = "_site"


@dataclass(frozen=True)
class SiteRequest:
    """What `git ckpt site` was asked for: where to write (default: _site at the top of the
    repository), which commit's cards, the title, where trust is read from, and who may read
    the site."""

    output: Path | None = None
    revision: str = "HEAD"
    title: str | None = None
    trust_ref: str | None = None
    audience: str = DEFAULT_AUDIENCE


@dataclass(frozen=True)
class SiteResult:
    output: Path
    index: Path
    artifacts: int
    stubs: int
    files: int


def build_site(
    repo: Repository, request: SiteRequest, progress: Progress | None = None
) -> SiteResult:
    target = (request.output or repo.root / DEFAULT_OUTPUT).absolute()
    read = SiteRead(request.revision, request.trust_ref, request.audience)
    model = read_site_model(repo, read, progress)
    written = write_site(model, target, request.title or f"{repo.root.name} registry")
    return SiteResult(
        output=target,
        index=target / "index.html",
        artifacts=len(model.artifacts),
        stubs=len(model.stubs),
        files=len(written),
    )


SITE_EPILOG = """\
Writes the registry as a static site: an index you can search and filter, a page per artifact
(its card, releases and stages, provenance log, lineage graph, and each metric across releases
with confidence intervals) and an audit page. Plain HTML, CSS and a little JavaScript that make no
request of their own: open index.html from disk, or publish the directory with GitHub or GitLab
Pages. The output directory is replaced whole, so it must be new, empty, or an earlier site.
While any card at REV holds a credential (GC601, at any severity) no site is built and nothing is
written: the error names each file and line. Cards are refused, never redacted, as by `export`;
remove the credential (and rotate it: it stays in git history), commit, and build again.
--audience says who will read the site: public, internal (the default) or all. An artifact whose
access level is above the audience gets a stub page with only its name, level, contacts and the
samples its card links; no prose, facts, evaluation, lineage, search text or audit entry of its
card reaches any file. The audience sees the policy's levels up to the one of its name (without
one: public the first level, internal the first two); a card with no level, or one the policy
does not define, is above every audience but all. A level is judged by the bytes, as `push`
judges it: the most closed level any card naming the same data gives, at REV or at the trusted
revision.

Examples:
  git ckpt site                      # writes _site/ at the top of the repository
  git ckpt site --audience public -o public   # what the world may read
  git ckpt site -o public            # GitLab Pages publishes public/
  git ckpt site --rev v2-release -o /tmp/registry --title "Vision group registry"
"""


def register(commands: Subcommands) -> None:
    parser = subparser(commands, "site", "write the registry as a static site", SITE_EPILOG)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="the directory to write (default: _site at the top of the repository)",
    )
    parser.add_argument(
        "--rev",
        default="HEAD",
        help="the commit whose cards are shown (default HEAD); tags are always all read",
    )
    parser.add_argument(
        "--title", help="the site's title (default: the repository's directory name + ' registry')"
    )
    parser.add_argument(
        "--audience",
        choices=AUDIENCES,
        default=DEFAULT_AUDIENCE,
        help="who will read the site: artifacts above it get a stub page (default: internal)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print where the site was written, as JSON"
    )
    add_trust_ref(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with progress_bar("Reading artifacts") as progress:
        request = SiteRequest(args.output, args.rev, args.title, args.trust_ref, args.audience)
        result = build_site(find_repository(), request, progress)
    if args.json:
        print_json(
            {
                "output": str(result.output),
                "index": str(result.index),
                "artifacts": result.artifacts,
                "stubs": result.stubs,
                "audience": args.audience,
                "files": result.files,
            }
        )
        return EXIT_OK
    stubbed = f" (and stubs for {result.stubs} above the {args.audience} audience)"
    print(
        f"Wrote {result.files} files for {result.artifacts} "
        f"{'artifact' if result.artifacts == 1 else 'artifacts'}"
        f"{stubbed if result.stubs else ''} to {result.output}"
    )
    print(f"Open {result.index.as_uri()} or serve the directory with any static web host.")
    return EXIT_OK
