"""The Python API: the capabilities the `git ckpt` commands use, as typed methods of `Registry`,
for training scripts, notebooks and pipeline steps.

Each method wraps the capability its command calls (`check` → checking.py, `show` →
registry_view.py, `search` → search/, `track` → tracking.py, `record_evaluation` →
eval_runs.py, `release` → release.py), so the API and the CLI give the same answers and raise
the same errors (`gitckpt.errors`), with the messages the CLI prints. Results show as tables in
a notebook (notebook.py). The registry's views and
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
from gitckpt.errors import UsageError
from gitckpt.file_facts import Progress
from gitckpt.notebook import ArtifactList, Row, SearchResults, Table, fact_rows
from gitckpt.repo import Repository, find_repository

if TYPE_CHECKING:
    from gitckpt.checking import CheckOptions, CheckReport
    from gitckpt.eval_runs import Recorded
    from gitckpt.provenance import LogEntry
    from gitckpt.registry_view import ArtifactView, HistoryRow, ReleaseSummary, ReleaseView
    from gitckpt.release import Created
    from gitckpt.search import Query
    from gitckpt.tracking import AddResult, Artifact


@dataclass(frozen=True)
class CardView(Table):
    """A card as written in the work tree, read-only: its front matter (`facts`), its Markdown
    prose, the evaluation results it reports and the artifacts it links to. In a notebook it
    shows as a table of its facts with the prose below, credentials masked.

        >>> card = registry.card("resnet50")
        >>> card.facts["architecture"]["parameters"]
        25557032
    """

    name: str
    kind: str | None
    path: str  # relative to the repository root
    facts: Mapping[str, Any]
    prose: str
    evaluations: tuple[Mapping[str, Any], ...]  # entries naming a metric with a finite value
    links: tuple[Link, ...]

    def _table(self) -> tuple[str, Sequence[str], list[Row]]:
        return (
            f"{self.kind} card {self.name} ({self.path})",
            ("field", "value"),
            fact_rows(dict(self.facts)),
        )

    def _prose(self) -> str:
        return self.prose


class Registry:
    """A gitckpt registry: the git repository holding the cards, DVC pointers and release tags.

    Open one with `Registry.open`; every method does what the matching `git ckpt` command
    does and raises the same `GitckptError` subclasses. Reading: `check`, `card`, `show`,
    `releases`, `search`, `ls`, `history`, `log`. Writing: `track` (add), `update_card`,
    `record_evaluation` (eval record), `release` (tag). In a notebook a registry shows as the
    table of its artifacts.

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
        """The top of the work tree.

        >>> Registry.open("models").root
        PosixPath('/home/ada/registry')
        """
        return self.repo.root

    def __repr__(self) -> str:
        return f"Registry.open({str(self.root)!r})"

    def _repr_html_(self) -> str:
        """In a notebook, a registry shows as the table of its artifacts (`ls`)."""
        return self.ls()._repr_html_()

    def _repr_markdown_(self) -> str:
        return self.ls()._repr_markdown_()

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
        from gitckpt.card_update import card_named
        from gitckpt.inventory import load_inventory, read_card

        inventory = load_inventory(self.repo)
        facts = card_named(inventory, name)
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
    ) -> SearchResults:
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
        return SearchResults(search(self.repo, wanted, revision, progress, trust_ref))

    def ls(
        self, *, kind: str | None = None, stage: str | None = None, trust_ref: str | None = None
    ) -> ArtifactList:
        """What `git ckpt ls` lists: every artifact with a card or a release, its latest version
        and stages, optionally only of one `kind` or holding a `stage`.

            >>> [(row.name, row.latest) for row in registry.ls(kind="model")]
            [('resnet50', '1.2.0')]
        """
        from gitckpt.registry_view import list_artifacts

        return ArtifactList(list_artifacts(self.repo, kind=kind, stage=stage, trust_ref=trust_ref))

    def history(
        self,
        name: str | None = None,
        *,
        include_rejected: bool = False,
        trust_ref: str | None = None,
    ) -> list[HistoryRow]:
        """What `git ckpt history` lists: the registry's events (releases, stage changes,
        deprecations), oldest first, of one artifact or all; with `include_rejected`, also the
        tags that do not count, with why.

            >>> [row.event.action for row in registry.history("resnet50")]
            ['register', 'assignment']
        """
        from gitckpt.registry_view import history

        return history(self.repo, name, include_rejected=include_rejected, trust_ref=trust_ref)

    def log(self, name: str) -> list[LogEntry]:
        """What `git ckpt log` shows: every commit that changed the committed card or pointer of
        `name`, newest first, with who, signatures, trailers and the fields that changed.

            >>> [entry.bytes_changed is not None for entry in registry.log("resnet50")]
            [True, False]
        """
        from gitckpt.provenance import artifact_log

        return artifact_log(self.repo, name)

    def track(
        self,
        path: str | Path,
        *,
        kind: str | None = None,
        name: str | None = None,
        facts: Mapping[str, Any] | None = None,
        remote: str | None = None,
        infer: bool = False,
        progress: Progress | None = None,
    ) -> Artifact:
        """What `git ckpt add PATH` does: track the file or folder at `path` (relative to the
        current directory, as on the command line) with DVC, write its card (a new artifact
        needs `kind`: model, dataset or eval; `name` defaults to the file's) or update the
        card's bytes block, set `facts` on the card, and stage pointer, card and .gitignore in
        git. With `infer`, the facts the run knows (`gitckpt.collect`) fill the fields no
        person wrote; so do facts passed as `InferredFacts`. With `remote`, the bytes are
        pushed there if their access level allows. Bad facts raise InputError (GC103, naming
        card, line and field).

            >>> artifact = registry.track(
            ...     "models/clf.safetensors", kind="model", facts={"license": "MIT"}, infer=True
            ... )
            >>> artifact.name, artifact.card, artifact.created
            ('clf', 'models/clf.card.md', True)
        """
        from gitckpt.tracking import AddRequest, add

        request = AddRequest(kind=kind, name=name, remote=remote, facts=facts, infer=infer)
        (artifact,) = add(self.repo, [Path(path)], request, progress).artifacts
        return artifact

    def track_all(
        self,
        paths: Sequence[str | Path],
        *,
        kind: str | None = None,
        name: str | None = None,
        remote: str | None = None,
        infer: bool = False,
        progress: Progress | None = None,
    ) -> AddResult:
        """`track` for several paths at once (what `git ckpt add PATH...` does): every path is
        read before anything is written (`name` names a single path's new artifact). The result
        lists the artifacts, and says when DVC had to copy the bytes itself (`note`).

            >>> result = registry.track_all(["data/train.csv", "data/test.csv"], kind="dataset")
            >>> [artifact.name for artifact in result.artifacts]
            ['train', 'test']
        """
        from gitckpt.tracking import AddRequest, add

        request = AddRequest(kind=kind, name=name, remote=remote, infer=infer)
        return add(self.repo, [Path(path) for path in paths], request, progress)

    def update_card(
        self, name: str, facts: Mapping[str, Any] | None = None, *, prose: str | None = None
    ) -> CardView:
        """Set `facts` on the card of `name` in the work tree, as a person editing its front
        matter would: nested mappings merge field by field, comments, key order and prose stay.
        Facts gathered from the run (`InferredFacts`) fill only fields no person wrote. A field
        the card's schema does not define, or a value it refuses, raises InputError (GC103,
        with card, line and field) and nothing is written. `prose` replaces the Markdown body.
        Returns the card as updated.

            >>> card = registry.update_card("resnet50", {"architecture": {"family": "ResNet"}})
            >>> card.facts["architecture"]["family"]
            'ResNet'
        """
        from gitckpt.card_update import apply_facts, card_named, set_prose
        from gitckpt.inventory import load_inventory

        path = card_named(load_inventory(self.repo), name).path
        if facts:
            apply_facts(self.repo, path, facts)
        if prose is not None:
            set_prose(self.repo, path, prose)
        return self.card(name)

    def record_evaluation(
        self,
        name: str,
        stage: str,
        *,
        samples: str | Path | None = None,
        dataset: str | None = None,
        split: str | None = None,
    ) -> Recorded:
        """What `git ckpt eval record NAME --stage STAGE` does: read the DVC stage's metrics file
        and dvc.lock, compute each metric's interval (bootstrap over `samples`, a JSON lines
        file; else Wilson for a proportion; else a noassertion saying why), check the stage
        ran on the bytes the model card describes, and write eval card `name`'s results and the
        model card's evaluation entries.

            >>> recorded = registry.record_evaluation("resnet50-eval", "evaluate")
            >>> [(item.metric, item.value) for item in recorded.results]
            [('top1_accuracy', 0.761)]
        """
        from gitckpt.eval_runs import EvaluatedData, record

        return record(
            self.repo,
            name,
            stage,
            samples=Path(samples) if samples is not None else None,
            evaluated=EvaluatedData(dataset, split),
        )

    def release(
        self,
        name: str,
        *,
        bump: str = "patch",
        version: str | None = None,
        message: str = "",
        sign: bool = False,
        push: str | None = None,
        allow_unpushed: bool = False,
        trust_ref: str | None = None,
    ) -> Created:
        """What `git ckpt tag NAME` does: check the artifact as committed at HEAD and cut the
        annotated tag NAME@vX.Y.Z (the latest version bumped by `bump`, or `version`) carrying
        a release record; `sign` signs it with SSH, `push` pushes it to that git remote. Refused
        (GitckptError, with the CLI's message) when a check fails, the card has uncommitted
        changes or the bytes are not in the DVC remote (unless `allow_unpushed`).

            >>> created = registry.release("resnet50", bump="minor")
            >>> created.tag
            'resnet50@v1.3.0'
        """
        from gitckpt.release import ReleaseRequest, TagOptions, tag_release

        request = ReleaseRequest(name, version, bump, message, allow_unpushed)
        return tag_release(self.repo, request, TagOptions(sign, push, trust_ref))
