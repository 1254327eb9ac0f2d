"""What leaves the repository respects the access level (issue 19, point 5): `site --audience`
stubs what the audience may not read, `export` refuses a restricted card, `search` shows each
level and `lineage` marks restricted nodes. Real git, DVC, and a headless Chromium.

The registry gets a restricted dataset `clinic`, whose prose, facts and links carry MARKER, and a
second card `clinic-copy` that names the same bytes and calls them public (its text carries
COPY_MARKER): a level is judged by the bytes, so both are restricted."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from gitckpt.cli import build_parser
from testing.cards import dataset_fields, write_card
from testing.repos import commit_all, git, track
from tests.conftest import CliResult
from tests.test_hooks import ckpt_commands
from tests.test_site import visible_artifacts

Cli = Callable[..., CliResult]
MARKER = "zq-marker-7f3a"  # in the restricted card only
COPY_MARKER = "zq-copymark-91c2"  # in the public card that names the same bytes
CLINIC_DATA = "data/clinic.bin"
CLINIC_CARD = "data/clinic.card.md"
COPY_CARD = "data/clinic-copy.card.md"
MODEL_CARD = "models/clf.card.md"
CONTACT = "privacy-officer@example.org"


def _clinic_fields(marker: str, level: str) -> dict[str, object]:
    fields = dataset_fields()
    return {
        **fields,
        "access": {
            "level": level,
            "reason": f"Patients' notes {marker}.",
            "contacts": [CONTACT],
        },
        "description": f"Clinic notes {marker}.",
        "sources": [{**fields["sources"][0], "uri": f"secret://{marker}/notes"}],
        "splits": {"noassertion": f"split protocol {marker} is confidential"},
        "samples": {
            "artifact": "points",
            "method": "synthetic",
            "description": "Synthetic rows with the same columns.",
        },
    }


def _rewrite(card: Path, body: str, *replacements: tuple[str, str]) -> None:
    text = card.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    card.write_text(text.replace("Prose for reviewers.", body), encoding="utf-8")


@pytest.fixture
def leveled(registry: Path) -> Path:
    """points, clf and clf-eval public; clinic restricted, clf trained on it too; clinic-copy
    a public card of clinic's bytes."""
    outs = track(registry, {CLINIC_DATA: b"patient,note\n1,confidential\n" * 40})
    card = write_card(
        registry, "dataset", "clinic", CLINIC_DATA, outs[CLINIC_DATA], _clinic_fields(MARKER, "x")
    )
    _rewrite(card, f"Prose about the clinic {MARKER}.", ("level: x", "level: restricted"))
    copy = write_card(
        registry,
        "dataset",
        "clinic-copy",
        CLINIC_DATA,
        outs[CLINIC_DATA],
        {**_clinic_fields(COPY_MARKER, "public"), "samples": None},
        declare=False,
    )
    _rewrite(copy, f"The same bytes {COPY_MARKER}.")
    for path in ("data/points.card.md", "evals/clf-eval.card.md", MODEL_CARD):
        _rewrite(registry / path, "Prose for reviewers.", ("level: internal", "level: public"))
    _rewrite(
        registry / MODEL_CARD,
        "Prose for reviewers.",
        (
            "  role: train\n",
            "  role: train\n- artifact: clinic\n  license: CC-BY-4.0\n"
            "  summary: Clinic notes.\n  role: train\n",
        ),
    )
    commit_all(registry, "a restricted dataset, and a public card of the same bytes")
    return registry


def _files_holding(root: Path, text: str) -> list[str]:
    return [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*"))
        if path.is_file() and text.encode() in path.read_bytes()
    ]


def _site(repo: Path, cli: Cli, out: str, *audience: str) -> dict[str, object]:
    result = cli("site", "-o", out, "--json", *audience, cwd=repo)
    assert result.code == 0, result.err
    report: dict[str, object] = json.loads(result.out)
    return report


def test_a_public_site_holds_no_restricted_text_only_stubs(leveled: Path, cli: Cli) -> None:
    report = _site(leveled, cli, "public", "--audience", "public")
    assert (report["artifacts"], report["stubs"], report["audience"]) == (3, 2, "public")
    site = leveled / "public"
    assert _files_holding(site, MARKER) == []  # pages, index search text, audit, everything
    assert _files_holding(site, COPY_MARKER) == []  # its card says public; its bytes do not
    assert _files_holding(site, "secret://") == []  # no lineage detail of the restricted card
    stub = (site / "a" / "clinic.html").read_text(encoding="utf-8")
    assert "restricted" in stub and CONTACT in stub
    assert 'href="../a/points.html"' in stub and "(synthetic)" in stub  # the samples link
    assert "Evaluation" not in stub and "Provenance" not in stub and "Card" not in stub
    copy = (site / "a" / "clinic-copy.html").read_text(encoding="utf-8")
    assert "restricted" in copy and "none linked" in copy
    model = (site / "a" / "clf.html").read_text(encoding="utf-8")
    assert 'data-artifact="clinic"' in model and "RESTRICTED: restricted" in model
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="a/clinic.html"' in index and "5 artifacts" in index


def test_the_internal_site_stubs_restricted_and_the_full_site_marks_it(
    leveled: Path, cli: Cli
) -> None:
    report = _site(leveled, cli, "internal")
    assert (report["stubs"], report["audience"]) == (2, "internal")
    assert _files_holding(leveled / "internal", MARKER) == []
    report = _site(leveled, cli, "everything", "--audience", "all")
    assert report["stubs"] == 0
    leaking = {"a/clinic.html", "index.html", "audit.html"}  # prose, search text, a gap's reason
    assert leaking <= set(_files_holding(leveled / "everything", MARKER))
    model = (leveled / "everything" / "a" / "clf.html").read_text(encoding="utf-8")
    assert "RESTRICTED: restricted" in model  # shown to all, and marked


def test_a_reader_of_the_public_site_sees_the_stub_in_chromium(leveled: Path, cli: Cli) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from testing.browser import headless_chromium, serve_directory

    _site(leveled, cli, "public", "--audience", "public")
    with serve_directory(leveled / "public") as base, headless_chromium() as driver:
        driver.get(base + "index.html")
        driver.find_element(By.ID, "query").send_keys("clinic")
        WebDriverWait(driver, 5).until(  # clf's own card names clinic as its training data
            lambda d: visible_artifacts(d) == {"clinic", "clinic-copy", "clf"}
        )
        driver.find_element(By.LINK_TEXT, "clinic").click()
        WebDriverWait(driver, 5).until(lambda d: d.current_url.endswith("/a/clinic.html"))
        text = driver.find_element(By.TAG_NAME, "main").text
        assert "clinic restricted" in text and CONTACT in text and "points (synthetic)" in text
        assert MARKER not in driver.page_source
        driver.find_element(By.LINK_TEXT, "points").click()
        WebDriverWait(driver, 5).until(lambda d: d.current_url.endswith("/a/points.html"))


def test_export_refuses_a_restricted_card_unless_allowed(leveled: Path, cli: Cli) -> None:
    refused = cli("export", "clinic", "--format", "json", cwd=leveled)
    assert refused.code == 1 and refused.out == ""
    assert f"{CLINIC_CARD}:" in refused.err and "'clinic' is restricted" in refused.err
    assert "--allow-restricted" in refused.err
    copy = cli("export", "clinic-copy", "--format", "json", cwd=leveled)
    assert copy.code == 1 and "'clinic-copy' is restricted (its card says public" in copy.err
    bom = cli("export", "clf", "--format", "cyclonedx", cwd=leveled)  # copies clinic's card
    assert bom.code == 1 and f"{CLINIC_CARD}:" in bom.err and MARKER not in bom.out
    assert cli("export", "clf", "--format", "hf", cwd=leveled).code == 0  # names it only
    git(leveled, "branch", "-m", "main", "work")  # no default branch: name the trusted one
    assert cli("export", "clinic", "--format", "json", cwd=leveled).code == 2
    refused = cli("export", "clinic", "--format", "json", "--trust-ref", "work", cwd=leveled)
    assert refused.code == 1 and "'clinic' is restricted" in refused.err
    allowed = cli("export", "clinic", "--format", "json", "--allow-restricted", cwd=leveled)
    assert allowed.code == 0, allowed.err
    assert MARKER in json.loads(allowed.out)["description"]


def test_search_shows_each_level(leveled: Path, cli: Cli) -> None:
    result = cli("search", "--kind", "dataset", "--json", cwd=leveled)
    assert result.code == 0, result.err
    levels = {hit["name"]: hit["level"] for hit in json.loads(result.out)}
    assert levels == {"points": "public", "clinic": "restricted", "clinic-copy": "public"}
    human = cli("search", "--kind", "dataset", cwd=leveled)
    assert human.code == 0 and "access" in human.out and "restricted" in human.out


def test_lineage_marks_restricted_nodes_in_every_format(leveled: Path, cli: Cli) -> None:
    for style in ("text", "mermaid", "dot"):
        result = cli("lineage", "clf", "--format", style, cwd=leveled)
        assert result.code == 0, result.err
        assert "clinic (dataset, CC-BY-4.0, RESTRICTED: restricted)" in result.out, style
        assert "points (dataset, CC-BY-4.0)" in result.out, style
    graph = json.loads(cli("lineage", "clf", "--format", "json", cwd=leveled).out)
    assert graph["nodes"]["clinic"]["restricted"] is True
    assert graph["nodes"]["clinic"]["level"] == "restricted"
    assert "restricted" not in graph["nodes"]["points"]


def test_the_pages_templates_publish_only_what_the_public_may_read() -> None:
    for template in ("github-pages.yml", "gitlab-pages.yml"):
        (command,) = ckpt_commands(template, "site")
        assert build_parser("site").parse_args(shlex.split(command)).audience == "public"


def test_the_policy_order_decides_what_an_audience_reads() -> None:
    from gitckpt.audience import audience_levels, is_restricted, sees
    from gitckpt.config import AccessLevel, Config

    default = Config()
    assert audience_levels(default, "public") == {"public"}
    assert audience_levels(default, "internal") == {"public", "internal"}
    assert is_restricted(default, "restricted") and is_restricted(default, None)
    assert is_restricted(default, "typo") and not is_restricted(default, "internal")
    assert sees(default, "all", None) and not sees(default, "public", "internal")
    named = Config(access_levels=tuple(map(AccessLevel, ("open", "lab", "consortium"))))
    assert audience_levels(named, "public") == {"open"}  # no level named so: by position
    assert audience_levels(named, "internal") == {"open", "lab"}
    assert audience_levels(named, "all") == {"open", "lab", "consortium"}
    partners = Config(
        access_levels=tuple(map(AccessLevel, ("public", "partners", "internal", "restricted")))
    )
    assert audience_levels(partners, "internal") == {"public", "partners", "internal"}
