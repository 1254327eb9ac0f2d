"""Writing the site: Jinja templates (autoescaped) and markdown-it for card prose, into a new
directory that replaces the old site only once it is complete."""

from __future__ import annotations

import datetime
import functools
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from gitckpt import __version__
from gitckpt.card import BYTES_FIELD, iter_strings
from gitckpt.errors import GitckptError
from gitckpt.files import current_umask, unwritable
from gitckpt.parallel import map_in_processes
from gitckpt.provenance import summarize_fields
from gitckpt.site.charts import lineage_layout, lineage_svg, metric_chart, metric_svg
from gitckpt.site.model import ArtifactPage, SiteModel

SITE_MARKER = ".gitckpt-site"
ASSETS = ("site.css", "site.js")
SEARCH_TEXT_CHARACTERS = 4_000  # per artifact: the index page carries it for every one
PAGES_PER_BATCH = 25
PARALLEL_BATCHES_FROM = 8  # batches: from 200 pages on, one process per core renders them


def write_site(model: SiteModel, out_dir: Path, title: str) -> list[Path]:
    """Render every page into a fresh directory, then put it in place of `out_dir`. A directory
    that is neither empty nor a site gitckpt wrote is refused, so nothing of the user's is lost."""
    _refuse_foreign_directory(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as exc:
        raise unwritable(out_dir, exc) from exc
    staging.chmod(
        0o777 & ~current_umask()
    )  # mkdtemp's 0700 would hide the site from a web server's user
    try:
        written = _render_all(model, staging, title)
        _swap_into_place(staging, out_dir)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise unwritable(out_dir, exc) from exc
        raise
    return [out_dir / path.relative_to(staging) for path in written]


def _refuse_foreign_directory(out_dir: Path) -> None:
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise GitckptError(f"{out_dir}: exists and is not a directory; choose another --output")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / SITE_MARKER).is_file():
        raise GitckptError(
            f"{out_dir}: the directory is not empty and was not written by `git ckpt site` "
            f"(no {SITE_MARKER} file); "
            "choose an empty or new --output directory"
        )


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
    os.replace(out_dir, retired / "site")
    os.replace(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def _render_all(model: SiteModel, root: Path, title: str) -> list[Path]:
    """Every file of the site: the artifact pages by worker processes when there are many,
    while this process writes the index, the stub and audit pages and the assets."""
    frame = _Frame(title, model.commit, model.built_at, model.trust, model.audience)
    slugs = {page.name: page.slug for page in model.artifacts}
    slugs.update((stub.name, stub.slug) for stub in model.stubs)
    for folder in ("a", "assets"):
        (root / folder).mkdir()
    batches = [
        _PageBatch(frame, slugs, root, model.artifacts[start : start + PAGES_PER_BATCH])
        for start in range(0, len(model.artifacts), PAGES_PER_BATCH)
    ]
    rendering = map_in_processes(
        render_pages, batches, parallel_from=PARALLEL_BATCHES_FROM, preload=__name__
    )
    try:
        index = _write(root / "index.html", _index_html(model, frame))
        others = _write_others(model, frame, slugs, root)
    finally:  # the workers are done before the staging directory may be removed
        pages = [path for paths in rendering for path in paths]
    return [index, *pages, *others]


def _index_html(model: SiteModel, frame: _Frame) -> str:
    return str(
        _environment(frame)
        .get_template("index.html.jinja")
        .render(root="", pages=model.artifacts, stubs=model.stubs, **_choices(model))
    )


def _write_others(model: SiteModel, frame: _Frame, slugs: dict[str, str], root: Path) -> list[Path]:
    """The stub pages, the audit page, the assets and the marker files, in that order."""
    environment = _environment(frame)
    written = []
    for stub in model.stubs:
        html = environment.get_template("stub.html.jinja").render(
            root="../", stub=stub, href_of=lambda name: _artifact_href(name, slugs, "../")
        )
        written.append(_write(root / "a" / f"{stub.slug}.html", html))
    audit_page = environment.get_template("audit.html.jinja").render(
        root="", audit=model.audit, href_of=lambda name: _artifact_href(name, slugs, "")
    )
    written.append(_write(root / "audit.html", audit_page))
    for asset in ASSETS:
        written.append(
            _write(
                root / "assets" / asset,
                resources.files("gitckpt.site").joinpath("assets", asset).read_text("utf-8"),
            )
        )
    written.append(_write(root / ".nojekyll", ""))  # GitHub Pages: serve the files as they are
    written.append(
        _write(root / SITE_MARKER, f"written by gitckpt {__version__} from {model.commit}\n")
    )
    return written


@dataclass(frozen=True)
class _Frame:
    """What every page of one build shows around its own content: the site's title and where
    and when it was built from."""

    title: str
    commit: str
    built_at: str
    trust: str
    audience: str


@dataclass(frozen=True)
class _PageBatch:
    """Artifact pages one worker renders and writes into `root`, with what links them to the
    others (`slugs`: each page's file name, by artifact name)."""

    frame: _Frame
    slugs: dict[str, str]
    root: Path
    pages: list[ArtifactPage]


def render_pages(batch: _PageBatch) -> list[Path]:
    """Render and write a batch of artifact pages: in a worker process when there are many
    (a page costs ~2 ms of Jinja, Markdown and a file), so every core renders."""
    template = _environment(batch.frame).get_template("artifact.html.jinja")
    markdown = _markdown()

    def href_of(name: str | None) -> str | None:
        return _artifact_href(name, batch.slugs, "../")

    return [
        _write(
            batch.root / "a" / f"{page.slug}.html",
            template.render(
                root="../",
                page=page,
                prose=Markup(markdown.render(page.body)),  # markdown-it escapes the card's HTML
                lineage=lineage_layout(page.upstream, href_of),
                charts=[metric_chart(series) for series in page.metrics],
                href_of=href_of,
            ),
        )
        for page in batch.pages
    ]


@functools.lru_cache(maxsize=4)
def _environment(frame: _Frame) -> Any:
    """The templates compiled once per process and build (a worker renders many batches)."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("gitckpt.site", "templates"),
        autoescape=True,
        auto_reload=False,  # a build renders a thousand pages: not a stat of each template per page
        undefined=jinja2.ChainableUndefined,  # a card may lack any field: show nothing, never fail
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(
        site_title=frame.title,
        commit=frame.commit,
        built_at=frame.built_at,
        trust=frame.trust,
        audience=frame.audience,
        gitckpt_version=__version__,
        search_text=search_text,
        facts=facts_html,
        lineage_svg=lineage_svg,
        metric_svg=metric_svg,
        summarize_fields=summarize_fields,
        bytes_field=lambda kind: BYTES_FIELD.get(kind, ""),
        date=lambda seconds: datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime(
            "%Y-%m-%d %H:%M UTC"
        ),
    )
    return environment


def _choices(model: SiteModel) -> dict[str, list[str]]:
    return {
        "kinds": sorted({page.kind for page in model.artifacts}),
        "stages": sorted({stage for page in model.artifacts for stage in page.state.stages}),
    }


def _artifact_href(name: str | None, slugs: dict[str, str], root: str) -> str | None:
    """The address of an artifact's page from a page `root` below the site's top, if it has one
    (`slugs`: each page's file name, by artifact name)."""
    slug = slugs.get(name or "")
    return f"{root}a/{slug}.html" if slug else None


def search_text(page: ArtifactPage) -> str:
    """What the index page's search box looks in, lower-cased: names, facts people search for,
    prose."""
    data = page.data
    words: list[str] = [page.name, page.kind, *page.state.stages]
    for key in (
        "description",
        "license",
        "architecture",
        "contact",
        "intended_use",
        "training_data",
        "contributors",
        "dataset",
        "model",
    ):
        words.extend(text for _, text in iter_strings(data.get(key)))
    words.append(page.body)
    return " ".join(" ".join(words).split()).lower()[:SEARCH_TEXT_CHARACTERS]


def facts_html(value: object) -> Markup:
    """A card's front matter (or any part of it) as nested lists: a mapping as a definition
    list, a list as an ordered one, an honest gap in words. In Python, not a Jinja macro: a
    recursive macro cost seconds over a thousand cards."""
    return Markup(_facts_html(value))


def _facts_html(value: object) -> str:
    if isinstance(value, dict):
        if len(value) == 1 and "noassertion" in value:
            return (
                '<span class="gap" title="noassertion">unknown: '
                f"{_escaped(str(value['noassertion']))}</span>"
            )
        items = "".join(
            [
                f"<dt>{_escaped(str(key))}</dt><dd>{_facts_html(item)}</dd>"
                for key, item in value.items()
            ]
        )
        return f"<dl>{items}</dl>"
    if isinstance(value, list):
        items = "".join([f"<li>{_facts_html(item)}</li>" for item in value])
        return f"<ol>{items}</ol>" if value else '<span class="none">none</span>'
    return '<span class="none">none</span>' if value is None else _escaped(str(value))


def _escaped(text: str) -> str:
    """`text` escaped exactly as the templates (markupsafe) escape it, as a plain str: a Markup
    object for each of the hundred values on a card cost more than the escaping itself."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


@functools.lru_cache(maxsize=1)
def _markdown() -> Any:
    """CommonMark with tables; raw HTML in a card is shown as text, and an image from another
    host becomes a link to it, so the site never makes a request of its own."""
    from markdown_it import MarkdownIt

    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    default_image = markdown.renderer.rules["image"]  # type: ignore[attr-defined]

    def image(renderer: Any, tokens: Any, index: int, options: Any, env: Any) -> str:
        token = tokens[index]
        source = str(token.attrGet("src") or "")
        parts = urlsplit(source)
        if parts.netloc or parts.scheme not in ("", "data"):
            return (
                f'<a href="{escape(source)}" '
                f'class="external-image">{escape(token.content or source)} (image)</a>'
            )
        return str(default_image(tokens, index, options, env))

    markdown.add_render_rule("image", image)
    return markdown


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
