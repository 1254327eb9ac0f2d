"""The Python API (issue 21): `gitckpt.Registry` over real git + DVC registries, called as a
training script would, not through the CLI; its public surface; and `import gitckpt` staying
light."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import gitckpt
from gitckpt import CardView, GitckptError, Query, Registry, UsageError
from gitckpt.registry_view import ArtifactView, ReleaseView
from testing.heavy import HEAVY_PACKAGES, PER_METHOD_MODULES
from testing.repos import commit_all
from tests.conftest import MODEL, CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"
PUBLIC_SURFACE = [
    "Artifact",
    "CardView",
    "CheckReport",
    "GitckptError",
    "InferredFacts",
    "InputError",
    "PublishRefused",
    "Published",
    "Query",
    "Registry",
    "ResultSource",
    "UsageError",
    "__version__",
    "collect",
    "facts",
    "publish",
]


def release_to_dev(cli: Cli, repo: Path) -> None:
    """Setup only: releasing is not in the API yet, so the CLI cuts the release."""
    assert cli("tag", "clf", "--allow-unpushed", cwd=repo).code == 0
    assert cli("promote", "clf@v0.1.0", "dev", cwd=repo).code == 0


def test_open_finds_the_repository_around_a_path(registry: Path) -> None:
    opened = Registry.open(registry / "models")

    assert opened.root == registry.resolve()
    assert repr(opened) == f"Registry.open({str(registry.resolve())!r})"


def test_open_outside_a_repository_raises_the_cli_message(tmp_path: Path) -> None:
    with pytest.raises(GitckptError, match="is not inside a git work tree"):
        Registry.open(tmp_path)


def test_check_of_a_complete_registry_finds_nothing(registry: Path) -> None:
    report = Registry.open(registry).check()

    assert (report.errors, report.cards, report.pointers) == (0, 3, 3)


def test_check_returns_findings_as_values_scoped_to_the_paths(registry: Path) -> None:
    card = registry / MODEL_CARD
    card.write_text(
        card.read_text(encoding="utf-8").replace("Testing gitckpt.", "<FILL intended use>", 1),
        encoding="utf-8",
    )
    opened = Registry.open(registry)

    report = opened.check([card])
    dataset_only = opened.check([registry / "data/points.card.md"])

    (finding,) = [item.finding for item in report.findings if item.severity == "error"]
    assert (finding.path, finding.check) == (MODEL_CARD, "GC104")
    assert finding.line > 1 and "<FILL intended use>" in finding.message
    assert report.to_json()["ok"] is False
    assert dataset_only.errors == 0 and dataset_only.cards == 1


def test_check_with_data_compares_the_bytes(registry: Path) -> None:
    (registry / MODEL).write_bytes(b"retrained")
    opened = Registry.open(registry)

    assert opened.check().errors == 0
    with_data = opened.check(data=True)

    assert with_data.errors >= 1
    assert {item.finding.path for item in with_data.findings} >= {MODEL_CARD}


def test_card_reads_facts_prose_evaluations_and_links(registry: Path) -> None:
    card = Registry.open(registry).card("clf")

    assert isinstance(card, CardView)
    assert (card.name, card.kind, card.path) == ("clf", "model", MODEL_CARD)
    assert card.facts["hyperparameters"]["learning_rate"] == 0.1
    assert "Prose for reviewers." in card.prose
    assert [(entry["metric"], entry["value"]) for entry in card.evaluations] == [("accuracy", 0.84)]
    assert {link.target for link in card.links} == {"points", "clf-eval"}
    with pytest.raises(TypeError):
        card.facts["license"] = "MIT"  # type: ignore[index]


def test_card_errors_name_the_card(registry: Path) -> None:
    opened = Registry.open(registry)
    with pytest.raises(GitckptError, match=r"^there is no card named 'nope'$"):
        opened.card("nope")
    (registry / MODEL_CARD).write_text("no front matter\n", encoding="utf-8")
    with pytest.raises(GitckptError, match=f"'clf' \\(unreadable: {MODEL_CARD}; `git ckpt check`"):
        opened.card("clf")


def test_card_refuses_a_name_two_cards_share(registry: Path) -> None:
    """As `push` does: which of two cards named clf is meant cannot be guessed."""
    dataset = registry / "data/points.card.md"
    dataset.write_text(dataset.read_text().replace("name: points\n", "name: clf\n", 1))
    with pytest.raises(GitckptError, match=r"both name 'clf' \(GC301\)"):
        Registry.open(registry).card("clf")


def test_releases_and_show_before_and_after_a_release(registry: Path, cli: Cli) -> None:
    opened = Registry.open(registry)
    assert opened.releases("clf") == []
    unreleased = opened.show("clf")
    assert isinstance(unreleased, ArtifactView)
    assert unreleased.note and unreleased.note.startswith("not released yet")

    release_to_dev(cli, registry)
    (release,) = opened.releases("clf")
    latest = opened.show("clf@latest")

    assert (release.version, release.tag, release.stages) == ("0.1.0", "clf@v0.1.0", ["dev"])
    assert isinstance(latest, ReleaseView)
    assert latest.current_stages == ["dev"]
    assert latest.record is not None and latest.record.to_json()["artifact"]["name"] == "clf"
    assert opened.show("clf#dev") == latest


def test_show_errors_carry_the_cli_messages(registry: Path, cli: Cli) -> None:
    opened = Registry.open(registry)
    with pytest.raises(GitckptError) as missing:
        opened.show("nope")
    with pytest.raises(UsageError, match="expected NAME"):
        opened.show("Not A Name")
    with pytest.raises(UsageError, match="without @ or #"):
        opened.releases("clf@latest")

    shown = cli("show", "nope", cwd=registry)
    assert shown.code == missing.value.exit_code == 1
    assert str(missing.value) in shown.err


def test_search_by_text_and_by_facets(registry: Path, cli: Cli) -> None:
    opened = Registry.open(registry)

    by_text = opened.search("synthetic")
    models = opened.search(Query(kind="model"))
    release_to_dev(cli, registry)
    in_dev = opened.search(Query(stage="dev"))

    assert {hit.name for hit in by_text} == {"clf", "points", "clf-eval"}
    assert all(hit.reasons == ["text matches 'synthetic'"] for hit in by_text)
    assert [hit.name for hit in models] == ["clf"]
    assert [(hit.name, hit.latest, hit.reasons) for hit in in_dev] == [
        ("clf", "0.1.0", ["v0.1.0 is in dev"])
    ]


def test_search_reads_the_committed_revision(registry: Path) -> None:
    card = registry / "data/points.card.md"
    card.write_text(
        card.read_text(encoding="utf-8").replace("Synthetic two-class", "Quasar-like", 1),
        encoding="utf-8",
    )
    opened = Registry.open(registry)
    assert opened.search("quasar") == []
    commit_all(registry, "describe the points as quasars")
    assert [hit.name for hit in opened.search("quasar")] == ["points"]
    assert [hit.name for hit in opened.search("quasar", revision="HEAD~1")] == []


def test_the_public_surface_is_listed() -> None:
    """Removing a name from `__all__` breaks the scripts that import it: this list changes only
    on purpose."""
    assert sorted(gitckpt.__all__) == PUBLIC_SURFACE
    for name in PUBLIC_SURFACE:
        assert getattr(gitckpt, name) is not None
    assert set(PUBLIC_SURFACE) <= set(dir(gitckpt))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = gitckpt.nothing
    assert gitckpt.facts.collect is gitckpt.collect  # both spellings, one function


def _python(code: str) -> str:
    """What a fresh interpreter prints running `code`, with this checkout's gitckpt."""
    env = {**os.environ, "PYTHONPATH": str(Path(gitckpt.__file__).parent.parent), "PAGER": "cat"}
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return completed.stdout


def _loaded_after(statement: str) -> list[str]:
    return _python(f"import sys\n{statement}\nprint(*sorted(sys.modules), sep='\\n')").split()


@pytest.mark.parametrize(
    "statement",
    [
        "import gitckpt",
        "from gitckpt import Registry",
        "from gitckpt import CardView, GitckptError, InputError, UsageError",
    ],
)
def test_importing_the_api_stays_light(statement: str) -> None:
    loaded = set(_loaded_after(statement))

    assert sorted(name for name in HEAVY_PACKAGES if name in loaded) == []  # testing/heavy.py
    assert "dvc" not in loaded


def test_importing_the_write_side_loads_no_dvc() -> None:
    """A training script imports `publish` and `collect` at its top: DVC waits for the call."""
    loaded = set(
        _loaded_after("from gitckpt import Artifact, InferredFacts, ResultSource, collect, publish")
    )
    assert sorted(name for name in loaded if name == "dvc" or name.startswith("dvc.")) == []
    assert "pygit2" not in loaded and "ruamel" not in loaded


def test_every_public_function_has_a_docstring_with_an_example() -> None:
    functions = {name: getattr(gitckpt, name) for name in ("collect", "publish")}
    methods = {
        f"Registry.{name}": member
        for name, member in vars(Registry).items()
        if not name.startswith("_")
    }
    for name, member in {**functions, **methods}.items():
        assert ">>>" in (member.__doc__ or ""), name
    for name in PUBLIC_SURFACE:
        value = getattr(gitckpt, name)
        assert isinstance(value, str) or (value.__doc__ or "").strip(), name


def test_the_api_loads_the_checks_only_to_check() -> None:
    """`git ckpt search` and `show` go through the API too: they must not pay for the checks."""
    loaded = set(_loaded_after("from gitckpt.api import Registry"))
    assert sorted(PER_METHOD_MODULES & loaded) == []  # testing/heavy.py


def test_import_gitckpt_loads_only_the_package() -> None:
    """The command line imports the package for `__version__`: the API waits to be asked for."""
    loaded = _loaded_after("import gitckpt")
    assert [name for name in loaded if name.startswith("gitckpt")] == ["gitckpt"]


def test_help_on_registry_reads_as_documentation() -> None:
    shown = _python("import gitckpt; help(gitckpt.Registry)")

    assert "class Registry(builtins.object)" in shown
    assert "A gitckpt registry: the git repository holding the cards" in shown
    for method in (
        "open(path",
        "check(self, paths",
        "card(self, name",
        "releases(self, name",
        "track(self, path",
        "update_card(self, name",
        "record_evaluation(self, name",
        "release(self, name",
    ):
        assert method in shown
    assert '>>> release = registry.show("resnet50@latest")' in shown
    assert '>>> [hit.name for hit in registry.search("mixed precision")]' in shown
