"""`git ckpt site`: read the registry at a revision and write it as a static site."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitckpt.inventory import Progress
from gitckpt.repo import Repository
from gitckpt.site.model import read_site_model
from gitckpt.site.render import write_site

DEFAULT_OUTPUT = "_site"


@dataclass(frozen=True)
class SiteResult:
    output: Path
    index: Path
    artifacts: int
    files: int


def build_site(
    repo: Repository,
    output: Path | None,
    revision: str = "HEAD",
    title: str | None = None,
    progress: Progress | None = None,
    trust_ref: str | None = None,
) -> SiteResult:
    target = (output or repo.root / DEFAULT_OUTPUT).absolute()
    model = read_site_model(repo, revision, progress, trust_ref)
    written = write_site(model, target, title or f"{repo.root.name} registry")
    return SiteResult(output=target, index=target / "index.html", artifacts=len(model.artifacts), files=len(written))
