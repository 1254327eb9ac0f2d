"""The Python API: the capabilities the `git ckpt` commands use, as typed methods of `Registry`,
for training scripts, notebooks and pipeline steps.

Each method wraps the capability its command calls (`check` → checking.py, `show` →
registry_view.py, `search` → search/), so the API and the CLI give the same answers and raise
the same errors (`gitckpt.errors`), with the messages the CLI prints. The registry's views and
search, and the checks with their card inventory, are imported by the methods that use them
(testing/heavy.py): `git ckpt check` and `search` both go through this module, and neither may
load what only the other needs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from gitckpt.card import Link, iter_links, metric_entries
from gitckpt.errors import GitckptError, UsageError
from gitckpt.facts import Progress
from gitckpt.repo import Repository, find_repository

if TYPE_CHECKING:
    from gitckpt.checking import CheckOptions, CheckReport
    from gitckpt.registry_view import ArtifactView, ReleaseSummary, ReleaseView
    from gitckpt.search import Hit, Query


@dataclass(frozen=True)
class CardView:
    """A card as written in the work tree, read-only: its front matter (`facts`), its Markdown
    prose, the evaluation results it reports and the artifacts it links to."""

    name: str
    kind: str | None
    path: str  # relative to the repository root
    facts: Mapping[str, Any]
    prose: str
    evaluations: tuple[Mapping[str, Any], ...]  # entries naming a metric with a finite value
    links: tuple[Link, ...]


class Registry:
    """A gitckpt registry: the git repository holding the cards, DVC pointers and release tags.

    Open one with `Registry.open`; every method reads the repository as the matching
    `git ckpt` command does and raises the same `GitckptError` subclasses.

        >>> from gitckpt import Registry
        >>> registry = Registry.open("path/to/repo")
        >>> registry.check().errors
        0
    """

    def __init__(self, repo: Repository) -> None:
        """Wrap a repository already found (`Registry.open` finds one from a path)."""
        self.repo = repo

    @classmethod
    def open(cls, path: str | Path = ".") -> Registry:
        """The registry of the git work tree containing `path` (as `git ckpt` finds it from the
        current directory); GitckptError when `path` is not inside one.

            >>> registry = Registry.open()  # the repository around the current directory
            >>> registry.root
            PosixPath('/home/ada/models')
        """
        return cls(find_repository(Path(path)))

    @property
    def root(self) -> Path:
        """The top of the work tree."""
        return self.repo.root

    def __repr__(self) -> str:
        return f"Registry.open({str(self.root)!r})"

    def check(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        data: bool = False,
        options: CheckOptions | None = None,
        progress: Progress | None = None,
    ) -> CheckReport:
        """Run every check, as `git ckpt check` does: over `paths` (cards, pointers or tracked
        data, relative to the current directory, with their counterparts) or, with none, the
        whole work tree; with `data`, also the bytes against their digests. `options` carries
        the command line's other switches (staged, use_cache, remote); `progress(done, total)`
        hears of a long read. The report's `findings` are dataclasses with `severity` and
        `finding` (path, line, check id, field, message).

            >>> report = registry.check(["models/resnet50.card.md"], data=True)
            >>> report.errors
            1
            >>> [item.finding.check for item in report.findings]
            ['GC104']
        """
        from gitckpt.checking import CheckOptions, check

        chosen = options or CheckOptions()
        if paths is not None:
            chosen = replace(chosen, paths=tuple(Path(path) for path in paths))
        return check(self.repo, replace(chosen, data=chosen.data or data), progress)

    def card(self, name: str) -> CardView:
        """The card of artifact `name` in the work tree, read-only; GitckptError when no card
        has that name (naming the cards that cannot be read, and so have none).

            >>> card = registry.card("resnet50")
            >>> card.facts["license"]
            'Apache-2.0'
            >>> [link.target for link in card.links]
            ['imagenet-train']
        """
        from gitckpt.inventory import load_inventory, read_card

        inventory = load_inventory(self.repo)
        named = [card for card in inventory.cards.values() if card.name == name]
        if len(named) > 1:
            paths = " and ".join(card.path for card in named)
            raise GitckptError(f"{paths} both name {name!r} (GC301): give each its own name")
        facts = named[0] if named else None
        if facts is None:
            unread = [path for path, card in sorted(inventory.cards.items()) if card.name is None]
            hint = f" (unreadable: {', '.join(unread)}; `git ckpt check` says why)"
            raise GitckptError(f"there is no card named {name!r}" + (hint if unread else ""))
        card = read_card(inventory, facts.path)
        data = copy.deepcopy(card.data)
        return CardView(
            name=name,
            kind=card.kind,
            path=card.path,
            facts=MappingProxyType(data),
            prose=card.body,
            evaluations=tuple(MappingProxyType(entry) for entry in metric_entries(data)),
            links=tuple(iter_links(card)),
        )

    def show(self, reference: str, *, trust_ref: str | None = None) -> ArtifactView | ReleaseView:
        """What `git ckpt show` reports: an artifact (`NAME`: its releases, stages and
        deprecation) or one release (`NAME@vX.Y.Z`, `NAME@latest`, `NAME#STAGE`: its tag,
        signature and record), judged by the trust root (`trust_ref`: --trust-ref).

            >>> release = registry.show("resnet50@latest")
            >>> release.summary.version, release.current_stages
            ('1.2.0', ['prod'])
            >>> registry.show("resnet50").latest
            '1.2.0'
        """
        from gitckpt.registry_view import show

        return show(self.repo, reference, trust_ref=trust_ref)

    def releases(self, name: str, *, trust_ref: str | None = None) -> list[ReleaseSummary]:
        """The releases of artifact `name`, newest version first (none when its card is not
        released yet); GitckptError when there is no such artifact.

            >>> [(release.version, release.stages) for release in registry.releases("resnet50")]
            [('1.2.0', ['prod']), ('1.1.0', [])]
        """
        from gitckpt.registry_view import ArtifactView

        if "@" in name or "#" in name:
            raise UsageError(f"expected an artifact NAME, without @ or #; got {name!r}")
        view = self.show(name, trust_ref=trust_ref)
        assert isinstance(view, ArtifactView)  # a bare name shows the artifact
        return view.releases

    def search(
        self,
        query: str | Query = "",
        *,
        revision: str = "HEAD",
        trust_ref: str | None = None,
        progress: Progress | None = None,
    ) -> list[Hit]:
        """What `git ckpt search` finds among the cards committed at `revision`: `query` is full
        text (SQLite FTS5 syntax over names, descriptions and prose) or a `Query` with facets
        (kind, stage, license, dataset, owner, metric thresholds, ...). Hits are best first
        for a text query, and say why they matched.

            >>> [hit.name for hit in registry.search("mixed precision")]
            ['resnet50']
            >>> from gitckpt import Query
            >>> hits = registry.search(Query(kind="model", stage="prod"))
            >>> hits[0].reasons
            ['kind is model', 'v1.2.0 is in prod']
        """
        from gitckpt.search import Query, search

        wanted = query if isinstance(query, Query) else Query(text=query or None)
        return search(self.repo, wanted, revision, progress, trust_ref)
