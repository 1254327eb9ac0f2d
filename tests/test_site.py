"""`git ckpt site`: the registry as a static site, read back as HTML and driven in a real
headless Chromium served from 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from testing.repos import commit_all, make_repo
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
MODEL_CARD = "models/clf.card.md"


class PageParts(HTMLParser):
    """The links, sources and text of one page (enough to check what a page shows and loads)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.sources: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag in ("script", "img", "link", "iframe", "source", "video", "audio") and (
            values.get("src") or values.get("href")
        ):
            self.sources.append(str(values.get("src") or values.get("href")))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def page(path: Path) -> PageParts:
    parts = PageParts()
    parts.feed(path.read_text(encoding="utf-8"))
    return parts


def text_of(path: Path) -> str:
    return " ".join(" ".join(page(path).text).split())


def release_two_versions(repo: Path, cli: Cli) -> None:
    """clf v0.1.0 (accuracy 0.84) in dev, then v0.2.0 with a better, narrower result in prod."""
    assert cli("tag", "clf", "--allow-unpushed", cwd=repo).code == 0
    assert cli("promote", "clf@v0.1.0", "dev", cwd=repo).code == 0
    card = repo / MODEL_CARD
    text = card.read_text(encoding="utf-8")
    for old, new in (
        ("value: 0.84", "value: 0.9"),
        ("low: 0.81", "low: 0.88"),
        ("high: 0.87", "high: 0.92"),
    ):
        text = text.replace(old, new)
    card.write_text(text, encoding="utf-8")
    commit_all(repo, "report the re-run evaluation")
    result = cli("tag", "clf", "--bump", "minor", "--allow-unpushed", cwd=repo)
    assert result.code == 0, result.err
    assert cli("promote", "clf@v0.2.0", "dev", cwd=repo).code == 0


@pytest.fixture
def site(registry: Path, cli: Cli) -> Path:
    release_two_versions(registry, cli)
    assert (
        cli(
            "deprecate",
            "clf-eval",
            "--sunset",
            "2099-01-01",
            "--reason",
            "superseded by a larger test set",
            cwd=registry,
        ).code
        == 0
    )
    result = cli("site", "-o", "public", "--json", cwd=registry)
    assert result.code == 0, result.err
    return Path(json.loads(result.out)["output"])


def test_index_lists_every_artifact_with_its_state(site: Path) -> None:
    index = page(site / "index.html")
    assert {"a/points.html", "a/clf.html", "a/clf-eval.html"} <= set(index.links)
    text = text_of(site / "index.html")
    assert (
        "3 artifacts" in text and "v0.2.0" in text and "dev v0.2.0" in text and "CC-BY-4.0" in text
    )


def test_artifact_page_shows_card_releases_provenance_and_lineage(site: Path) -> None:
    text = text_of(site / "a" / "clf.html")
    assert "v0.2.0" in text and "v0.1.0" in text and "clf@v0.2.0" in text  # releases
    assert "report the re-run evaluation" in text  # provenance log
    assert "trained on" in text  # lineage, in words as well as drawn
    assert "../a/points.html" in page(site / "a" / "clf.html").links
    assert "Ada Researcher" in text  # the card's fields
    assert "Any real decision." in text  # out of scope, from the front matter


def test_a_deprecated_artifact_says_so_with_its_sunset_and_reason(site: Path) -> None:
    assert (
        "Deprecated (clf-eval@deprecated), sunset 2099-01-01: superseded by a larger test set"
        in text_of(site / "a" / "clf-eval.html")
    )
    assert "clf-eval deprecated" in text_of(site / "index.html")


def test_audit_page_shows_gaps_deprecated_links_and_unsigned_releases(site: Path) -> None:
    text = text_of(site / "audit.html")
    assert "compute.energy_kwh" in text and "not measured on a laptop" in text
    assert "clf-eval clf-eval@deprecated 2099-01-01 superseded by a larger test set clf" in text
    assert "clf@v0.1.0 clf" in text and "clf@v0.2.0 clf" in text and "annotated, unsigned" in text
    assert {"a/clf.html", "a/clf-eval.html"} <= set(page(site / "audit.html").links)


def test_metric_chart_plots_each_release_with_its_interval(site: Path) -> None:
    html = (site / "a" / "clf.html").read_text(encoding="utf-8")
    chart = html[html.index('<figure class="chart">') : html.index("</figure>")]
    assert "accuracy on points" in chart
    assert (
        "v0.1.0: 0.84 [0.81, 0.87] at 95%" in chart and "v0.2.0: 0.9 [0.88, 0.92] at 95%" in chart
    )
    assert len(re.findall(r"<circle ", chart)) == 2
    assert len(re.findall(r'class="whisker"', chart)) == 6


def test_the_site_loads_nothing_from_elsewhere(site: Path) -> None:
    for html in site.rglob("*.html"):
        for source in page(html).sources:
            assert "//" not in source, f"{html.name} loads {source}"


def test_card_html_and_remote_images_are_not_passed_through(registry: Path, cli: Cli) -> None:
    card = registry / MODEL_CARD
    prose = "\n<script>alert(1)</script>\n\n![plot](https://example.org/plot.png)\n"
    text = card.read_text(encoding="utf-8").replace(
        "standardise features", "standardise <em>features</em>"
    )
    card.write_text(text + prose, encoding="utf-8")
    commit_all(registry, "prose with html and a remote image")
    assert cli("site", "-o", "out", cwd=registry).code == 0
    html = (registry / "out" / "a" / "clf.html").read_text(encoding="utf-8")
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    )
    assert (
        "<em>features</em>" not in html and "standardise &lt;em&gt;features&lt;/em&gt;" in html
    )  # front matter too
    assert "https://example.org/plot.png" in page(registry / "out" / "a" / "clf.html").links
    assert "https://example.org/plot.png" not in page(registry / "out" / "a" / "clf.html").sources


def test_a_directory_that_is_not_a_site_is_never_overwritten(registry: Path, cli: Cli) -> None:
    mine = registry / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("keep me", encoding="utf-8")
    result = cli("site", "-o", "notes", cwd=registry)
    assert result.code == 1
    assert "not empty and was not written by `git ckpt site`" in result.err
    assert sorted(path.name for path in mine.iterdir()) == ["todo.txt"]
    assert cli("site", "-o", "fresh", cwd=registry).code == 0
    previous_umask = os.umask(0o022)
    try:
        assert cli("site", "-o", "fresh", cwd=registry).code == 0  # an earlier site is replaced
    finally:
        os.umask(previous_umask)
    assert (
        registry / "fresh"
    ).stat().st_mode & 0o777 == 0o755  # not mkdtemp's 0700: a web server's user reads it
    result = cli("site", "-o", "notes/todo.txt/site", cwd=registry)
    assert result.code == 1 and "notes/todo.txt/site: cannot write there" in result.err
    assert not [path for path in registry.iterdir() if path.name.startswith(".fresh")]


def visible_artifacts(driver: object) -> set[str]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "#artifacts tbody tr")  # type: ignore[attr-defined]
    return {row.find_element(By.CSS_SELECTOR, "td a").text for row in rows if row.is_displayed()}


def test_a_reader_searches_the_index_and_follows_lineage_in_chromium(
    site: Path, tmp_path: Path
) -> None:
    from io import BytesIO

    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from testing.browser import headless_chromium, network_requests, serve_directory

    with serve_directory(site) as base, headless_chromium() as driver:
        driver.get(base + "index.html")
        assert visible_artifacts(driver) == {"points", "clf", "clf-eval"}
        driver.find_element(By.ID, "query").send_keys("logistic")
        WebDriverWait(driver, 5).until(lambda d: visible_artifacts(d) == {"clf"})
        assert driver.find_element(By.ID, "count").text == "1 of 3 artifacts"
        assert "q=logistic" in driver.current_url  # the filtered view can be shared
        driver.find_element(By.ID, "query").clear()
        Select(driver.find_element(By.ID, "kind")).select_by_value("dataset")
        WebDriverWait(driver, 5).until(lambda d: visible_artifacts(d) == {"points"})
        Select(driver.find_element(By.ID, "kind")).select_by_value("")
        driver.find_element(By.ID, "deprecated").click()
        WebDriverWait(driver, 5).until(lambda d: visible_artifacts(d) == {"points", "clf"})
        Select(driver.find_element(By.ID, "stage")).select_by_value("dev")
        WebDriverWait(driver, 5).until(lambda d: visible_artifacts(d) == {"clf"})

        driver.find_element(By.LINK_TEXT, "clf").click()
        WebDriverWait(driver, 5).until(lambda d: d.current_url.endswith("/a/clf.html"))
        driver.find_element(By.CSS_SELECTOR, 'svg.lineage a[data-artifact="points"]').click()
        WebDriverWait(driver, 5).until(lambda d: d.current_url.endswith("/a/points.html"))
        assert driver.find_element(By.TAG_NAME, "h1").text.startswith("points")

        driver.get(base + "a/clf.html")
        screenshot = Image.open(BytesIO(driver.get_screenshot_as_png())).convert("RGB")
        screenshot.save(tmp_path / "clf.png")
        colours = screenshot.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 50, "the page rendered (nearly) blank"
        assert max(count for count, _ in colours) < 0.95 * screenshot.width * screenshot.height
        requests = network_requests(driver)
        assert base + "assets/site.css" in requests  # the log does see the page's own requests
        elsewhere = [url for url in requests if not url.startswith(base)]
        assert not elsewhere, f"the pages asked for {elsewhere}"


def test_page_names_are_unique_file_names() -> None:
    from gitckpt.site.model import page_slug

    names = ["team/resnet", "team-resnet", "team--resnet", "resnet50"]
    slugs = [page_slug(name) for name in names]
    assert slugs[0] == "team~2fresnet" and len(set(slugs)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9~-]+", slug) for slug in slugs)


def test_card_facts_are_escaped_as_the_templates_escape() -> None:
    from markupsafe import escape

    from gitckpt.site.render import facts_html

    text = "R&D <b>'quoted'</b> \"twice\""
    assert facts_html({text: [text, 0.5, None, {"noassertion": text}]}) == (
        f"<dl><dt>{escape(text)}</dt><dd><ol><li>{escape(text)}</li><li>0.5</li>"
        '<li><span class="none">none</span></li>'
        f'<li><span class="gap" title="noassertion">unknown: {escape(text)}</span></li>'
        "</ol></dd></dl>"
    )


def test_an_unknown_revision_is_refused_and_nothing_is_written(
    registry: Path, cli: Cli, tmp_path: Path
) -> None:
    result = cli("site", "--rev", "no-such-branch", "-o", "out", cwd=registry)
    assert result.code == 2 and "--rev 'no-such-branch' is not a commit" in result.err
    assert not (registry / "out").exists()
    empty = make_repo(tmp_path / "empty", with_dvc=False)
    result = cli("site", cwd=empty)
    assert (
        result.code == 2
        and "nothing is committed yet: site reads the cards of a commit" in result.err
    )


def test_a_chart_leaves_out_what_is_not_a_finite_number() -> None:
    from gitckpt.site.charts import metric_chart
    from gitckpt.site.model import MetricPoint, MetricSeries, add_metric_points

    series: dict[tuple[str, str | None], MetricSeries] = {}
    add_metric_points(
        series,
        "v1.0.0",
        {"evaluation": [{"metric": "loss", "value": float("nan")}, {"metric": "f1", "value": 0.5}]},
    )
    unbounded_below = {"low": float("-inf"), "high": 0.7}
    add_metric_points(
        series,
        "v1.1.0",
        {"evaluation": [{"metric": "f1", "value": 0.6, "confidence_interval": unbounded_below}]},
    )
    assert list(series) == [("f1", None)]
    assert series[("f1", None)].points == [
        MetricPoint("v1.0.0", 0.5, None, None, None),
        MetricPoint("v1.1.0", 0.6, None, 0.7, None),
    ]
    chart = metric_chart(series[("f1", None)])
    assert all(0 <= point.y <= chart.height for point in chart.points)


def test_a_release_without_a_record_is_charted_from_the_card_at_its_commit(
    registry: Path, cli: Cli
) -> None:
    from testing.repos import git

    git(
        registry, "tag", "-a", "clf@v1.0.0", "-m", "released by GTO"
    )  # GTO's message: no gitckpt record
    assert cli("site", "-o", "out", cwd=registry).code == 0
    html = (registry / "out" / "a" / "clf.html").read_text(encoding="utf-8")
    assert "v1.0.0: 0.84 [0.81, 0.87] at 95%" in html
    assert "HEAD:" not in html  # the committed card is the released one: no separate HEAD point


def test_pages_rendered_by_worker_processes_are_the_bytes_rendered_in_one(
    site: Path, registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gitckpt.site.render
    from gitckpt.repo import find_repository
    from gitckpt.site.model import read_site_model
    from gitckpt.site.render import write_site

    model = read_site_model(find_repository(registry))
    monkeypatch.setattr(gitckpt.site.render, "PARALLEL_BATCHES_FROM", 10**9)
    serial = write_site(model, tmp_path / "serial", "title")
    monkeypatch.setattr(gitckpt.site.render, "PAGES_PER_BATCH", 1)
    monkeypatch.setattr(gitckpt.site.render, "PARALLEL_BATCHES_FROM", 2)  # 3 batches: a pool
    parallel = write_site(model, tmp_path / "parallel", "title")
    assert [path.relative_to(tmp_path / "parallel") for path in parallel] == [
        path.relative_to(tmp_path / "serial") for path in serial
    ]
    assert len(serial) == 9 and {path.name for path in serial} >= {"clf.html", "index.html"}
    for path in serial:
        assert (tmp_path / "parallel" / path.relative_to(tmp_path / "serial")).read_bytes() == (
            path.read_bytes()
        )


def test_every_module_the_process_server_preloads_exists() -> None:
    import importlib.util

    from gitckpt.site.model import WORKER_MODULES

    # the server skips a module it cannot import, silently: a renamed one would only be slower
    assert all(importlib.util.find_spec(name) is not None for name in WORKER_MODULES)
