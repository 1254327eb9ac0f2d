"""`gitckpt.publish`: what a training script calls after a successful run. It tracks the bytes,
sets the facts on the card (with what the run knows), records results that come from a DVC
stage or a metrics file (never numbers typed without a source), checks the artifact as
`git ckpt check` would, and stages it in git only when nothing is left to fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitckpt.api import Registry
from gitckpt.card_update import set_prose
from gitckpt.checking import CheckReport
from gitckpt.errors import GitckptError, UsageError
from gitckpt.eval_runs import ResultSource, record_model_results
from gitckpt.file_facts import Progress
from gitckpt.pointer import POINTER_SUFFIX
from gitckpt.repo import git
from gitckpt.tracking import AddRequest, Artifact, add


class PublishRefused(GitckptError):
    """`publish` found errors: the card or bytes need a person before they are staged. The
    findings are in `report`; the work tree keeps what was written so far, unstaged.

        >>> try:
        ...     gitckpt.publish("models/clf.safetensors", kind="model")
        ... except gitckpt.PublishRefused as refused:
        ...     print(refused.report.errors)
        31
    """

    def __init__(self, card: str, report: CheckReport) -> None:
        lines = [  # as `git ckpt check` prints them
            f"  {item.finding.path}:{item.finding.line}: error {item.finding.check} "
            + (f"{item.finding.field}: " if item.finding.field else "")
            + item.finding.message
            for item in report.findings
            if item.severity == "error"
        ]
        super().__init__(
            f"not staged: {card} has {report.errors} error(s) to fix first\n" + "\n".join(lines)
        )
        self.report = report


@dataclass(frozen=True)
class Published:
    """What `publish` staged: the artifact, the check that passed, and the files staged.

    >>> published = gitckpt.publish("models/clf.safetensors", kind="model", facts=facts)
    >>> published.artifact.name, published.report.errors
    ('clf', 0)
    """

    artifact: Artifact
    report: CheckReport
    staged: list[str]


def publish(
    path: str | Path,
    *,
    kind: str | None = None,
    name: str | None = None,
    metrics: ResultSource | None = None,
    facts: Mapping[str, Any] | None = None,
    prose: str | None = None,
    repo: str | Path = ".",
    infer: bool = True,
    progress: Progress | None = None,
) -> Published:
    """Publish the checkpoint at `path` after a successful run: track it with DVC and write or
    update its card (a new artifact needs `kind`), set `facts` on the card (and `prose`, its
    Markdown body), fill the fields no person wrote with what the run knows (`infer`:
    parameters, versions, params.yaml), record the results of `metrics` (a `ResultSource`: a
    DVC stage or a metrics file), run every check over card and pointer, and stage them in
    git. PublishRefused, carrying the findings,
    when a check fails: nothing is staged then, and the card is left to complete.

        >>> import gitckpt
        >>> published = gitckpt.publish(
        ...     "models/clf.safetensors",
        ...     kind="model",
        ...     facts={"license": "MIT", "architecture": {"family": "MLP"}},
        ...     metrics=gitckpt.ResultSource(
        ...         task="classification", dataset="points", stage="evaluate"
        ...     ),
        ... )
        >>> published.staged
        ['dvc.yaml', 'models/.gitignore', 'models/clf.card.md', 'models/clf.safetensors.dvc']
    """
    if metrics is not None and not isinstance(metrics, ResultSource):
        raise UsageError(
            "metrics must say where they come from: ResultSource(stage=...) for a DVC stage's "
            "metrics file or ResultSource(file=...) for a metrics file; numbers typed without "
            f"a source are not recorded (got {type(metrics).__name__})"
        )
    registry = Registry.open(repo)
    request = AddRequest(kind=kind, name=name, facts=facts, infer=infer, stage=False)
    result = add(registry.repo, [Path(path)], request, progress)
    (artifact,) = result.artifacts
    if prose is not None:
        set_prose(registry.repo, artifact.card, prose)
    if metrics is not None:
        record_model_results(registry.repo, artifact.name, metrics)
    report = registry.check(
        [registry.root / artifact.card, registry.root / f"{artifact.data}{POINTER_SUFFIX}"]
    )
    if report.errors:
        raise PublishRefused(artifact.card, report)
    git(["add", "--", *result.paths], registry.root)
    return Published(artifact, report, result.paths)
