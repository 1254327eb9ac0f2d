"""The loader: every card and pointer in the work tree, read into the facts the checks need
(`facts.py`), with the per-file checks run as each file is read.

Reading is the expensive part (YAML parsing, schema validation), so the facts and the
per-file findings are cached by content digest; a warm run only hashes small files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from gitckpt.cache import Cache
from gitckpt.card import BYTES_FIELD, Card, is_card_path, iter_links, iter_noassertions
from gitckpt.checks.card_format import UNREADABLE, load_card
from gitckpt.checks.card_schema import check_card_schema
from gitckpt.checks.evaluation_binding import check_model_evaluations
from gitckpt.checks.license import check_license_expressions, upstream_entries
from gitckpt.checks.placeholders import check_placeholders
from gitckpt.checks.pointer_format import POINTER_FORMAT, load_pointer
from gitckpt.checks.sensitive import SECRET, mask_secrets, scan_card_text
from gitckpt.config import CONFIG_PATH, Config, cached_config
from gitckpt.errors import InputError
from gitckpt.facts import (
    CardFacts,
    Finding,
    GapFacts,
    Inventory,
    LinkFacts,
    OutFacts,
    PointerFacts,
    Progress,
)
from gitckpt.files import CARD_SIZE_LIMIT, POINTER_SIZE_LIMIT
from gitckpt.hashing import content_digest
from gitckpt.licenses import traits
from gitckpt.parallel import map_in_processes
from gitckpt.pointer import is_pointer_path
from gitckpt.repo import Repository
from gitckpt.schema import rules_fingerprint
from gitckpt.sources import RevisionSource, Source, WorkTreeSource
from gitckpt.strict_yaml import format_field_path
from gitckpt.tag_events import read_deprecations, read_tag_names

PARALLEL_READ_FROM = (
    200  # uncached cards and pointers from which reading them is spread over processes
)


def load_inventory(
    repo: Repository, progress: Progress | None = None, revision: str | None = None
) -> Inventory:
    """Read every card and pointer of the work tree (or of the commit `revision`), from the
    cache where the bytes are known."""
    source: Source = RevisionSource(repo, revision) if revision else WorkTreeSource(repo)
    with Cache(repo.state_dir) as cache:
        tag_names = read_tag_names(repo)
        inventory = Inventory(
            repo=repo,
            config=_load_config(source, cache),
            source=source,
            deprecations=read_deprecations(repo, tag_names),
            release_tags=frozenset(name for name in tag_names if "@v" in name),
        )
        paths = [path for path in source.files() if is_card_path(path) or is_pointer_path(path)]
        _read_files(source, cache, paths, inventory, progress)
        return inventory


def _content_key(kind: str, relpath: str, data: bytes) -> str:
    return f"{kind}:{rules_fingerprint()}:{relpath}:{content_digest(data)}"


def _load_config(source: Source, cache: Cache) -> Config:
    data = source.read([CONFIG_PATH], lambda _: CARD_SIZE_LIMIT).get(CONFIG_PATH)
    if data is None:
        return Config()
    if isinstance(data, InputError):
        raise data
    return cached_config(data, cache)


def _read_files(
    source: Source, cache: Cache, paths: list[str], inventory: Inventory, progress: Progress | None
) -> None:
    contents: dict[str, tuple[str, bytes | Finding]] = {}
    for relpath, read in source.read(paths, _size_limit).items():
        if isinstance(read, InputError):
            check = UNREADABLE if is_card_path(relpath) else POINTER_FORMAT
            contents[relpath] = ("", check.finding(relpath, read.message, line=read.line))
        else:
            contents[relpath] = (
                _content_key("card" if is_card_path(relpath) else "pointer", relpath, read),
                read,
            )
    cached = cache.get_results(key for key, _ in contents.values() if key)
    missing = [
        (relpath, content)
        for relpath, (key, content) in contents.items()
        if key and key not in cached
    ]
    fresh: dict[str, Any] = {}
    for done, ((relpath, _), json_facts) in enumerate(
        zip(missing, _read_all_facts(missing), strict=True), start=1
    ):
        fresh[contents[relpath][0]] = json_facts
        if progress:
            progress(done, len(missing))
    cache.put_results(fresh)
    for relpath, (key, content) in contents.items():
        facts = (
            _facts_from_json(relpath, cached.get(key) or fresh[key])
            if key
            else _read_facts(relpath, content)
        )
        if isinstance(facts, CardFacts):
            inventory.cards[relpath] = facts
        else:
            inventory.pointers[relpath] = facts


def _read_all_facts(files: list[tuple[str, bytes | Finding]]) -> Iterator[dict[str, Any]]:
    """The facts (as JSON) of files not in the cache, in order. Many of them (a fresh clone, or
    the first run after an upgrade) are read by one process per core: parsing and validating a
    card costs ~10 ms, so a thousand cards take seconds."""
    return map_in_processes(_facts_json, files, parallel_from=PARALLEL_READ_FROM, preload=__name__)


def _facts_json(file: tuple[str, bytes | Finding]) -> dict[str, Any]:
    return _facts_to_json(_read_facts(*file))


def _size_limit(relpath: str) -> int:
    return CARD_SIZE_LIMIT if is_card_path(relpath) else POINTER_SIZE_LIMIT


def _read_facts(relpath: str, content: bytes | Finding) -> CardFacts | PointerFacts:
    if is_card_path(relpath):
        return _card_facts(relpath, content)
    return _pointer_facts(relpath, content)


def _card_facts(relpath: str, content: bytes | Finding) -> CardFacts:
    loaded = load_card(content, relpath) if isinstance(content, bytes) else content
    if isinstance(loaded, Finding):
        return CardFacts(path=relpath, findings=(loaded,))
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else ""
    sensitive = scan_card_text(relpath, text, loaded.data.get("contact"))
    if any(finding.check == SECRET.id for finding in sensitive):
        # What the other checks say and every report of these facts (audit, site) quotes the card:
        # from here on it is the card with its credentials masked.
        loaded = load_card(mask_secrets(text).encode(), relpath)
        if isinstance(loaded, Finding):
            return CardFacts(path=relpath, findings=(loaded, *sensitive))
    findings = (
        *check_card_schema(loaded),
        *check_placeholders(loaded),
        *check_model_evaluations(loaded),
        *check_license_expressions(loaded),
        *sensitive,
    )
    return _extract_card_facts(loaded, findings)


def _extract_card_facts(card: Card, findings: tuple[Finding, ...]) -> CardFacts:
    data = card.data
    kind = card.kind
    block_key = BYTES_FIELD.get(kind or "", "")
    block = data.get(block_key)
    if not isinstance(block, dict):
        block = {}
    size = block.get("size")
    model = data.get("model")
    if kind != "eval" or not isinstance(model, dict):
        model = {}
    redistribution = data.get("redistribution")
    if not isinstance(redistribution, dict):
        redistribution = {}

    return CardFacts(
        path=card.path,
        name=_text(data.get("name")),
        name_line=card.line_of(("name",)) or 2,
        kind=kind,
        data_path=_text(block.get("path")),
        data_path_line=card.line_of((block_key, "path")),
        md5=_text(block.get("md5")),
        md5_line=card.line_of((block_key, "md5")),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        size_line=card.line_of((block_key, "size")),
        sha256=_text(block.get("sha256")),
        sha256_line=card.line_of((block_key, "sha256")),
        model_link=_text(model.get("artifact")),
        model_sha256=_text(model.get("sha256")),
        model_sha256_line=card.line_of(("model", "sha256")),
        license=_text(data.get("license")),
        license_traits=tuple(sorted(traits(data["license"])))
        if isinstance(data.get("license"), str)
        else (),
        license_exception=isinstance(data.get("license_exception"), dict),
        redistribution_allowed=redistribution.get("allowed")
        if isinstance(redistribution.get("allowed"), bool)
        else None,
        upstream=tuple(upstream_entries(card)),
        pipeline=_pipeline_facts(card),
        links=tuple(
            LinkFacts(format_field_path(link.field), link.target, link.line, link.release)
            for link in iter_links(card)
        ),
        gaps=tuple(
            GapFacts(format_field_path(path), reason, card.line_of(path))
            for path, reason in iter_noassertions(data)
        ),
        findings=findings,
    )


def _pipeline_facts(card: Card) -> dict[str, Any] | None:
    """For an eval card recorded from a DVC stage: its metrics file, the md5s it ran on, and
    each recorded value with its line (checked against the metrics file by GC801)."""
    if card.kind == "model":
        return _logged_evaluations(card)
    pipeline = card.data.get("pipeline")
    if card.kind != "eval" or not isinstance(pipeline, dict):
        return None
    results = [
        [str(entry.get("metric")), entry.get("value"), card.line_of(("results", index, "value"))]
        for index, entry in enumerate(card.data.get("results") or [])
        if isinstance(entry, dict)
    ]
    deps = {
        str(dep.get("path")): str(dep.get("md5"))
        for dep in pipeline.get("deps") or []
        if isinstance(dep, dict)
    }
    return {
        "stage": pipeline.get("stage"),
        "metrics": pipeline.get("metrics"),
        "metrics_line": card.line_of(("pipeline", "metrics")),
        "deps": deps,
        "results": results,
        "line": card.line_of(("pipeline",)),
    }


def _logged_evaluations(card: Card) -> dict[str, Any] | None:
    """A model card's results that name their eval card (`log`), to be checked against that
    eval's pipeline like the eval card's own results."""
    logged = [
        [
            str(entry["log"]["artifact"]).split("@")[0],
            str(entry.get("metric")),
            entry.get("value"),
            card.line_of(("evaluation", index, "value")),
        ]
        for index, entry in enumerate(card.data.get("evaluation") or [])
        if isinstance(entry, dict)
        and isinstance(entry.get("log"), dict)
        and entry["log"].get("artifact")
    ]
    return {"logged": logged} if logged else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _pointer_facts(relpath: str, content: bytes | Finding) -> PointerFacts:
    loaded = load_pointer(content, relpath) if isinstance(content, bytes) else content
    if isinstance(loaded, Finding):
        return PointerFacts(path=relpath, findings=(loaded,))
    return PointerFacts(
        path=relpath, outs=tuple(OutFacts(out.path, out.md5, out.size, out.line) for out in loaded)
    )


def _facts_to_json(facts: CardFacts | PointerFacts) -> dict[str, Any]:
    data = asdict(facts)
    data.pop("path")
    return data


def _facts_from_json(relpath: str, data: dict[str, Any]) -> CardFacts | PointerFacts:
    findings = tuple(Finding.from_json(item) for item in data["findings"])
    if is_card_path(relpath):
        links = tuple(LinkFacts(**item) for item in data["links"])
        rest = {
            **data,
            "links": links,
            "gaps": tuple(GapFacts(**item) for item in data["gaps"]),
            "findings": findings,
            "license_traits": tuple(data["license_traits"]),
            "upstream": tuple(data["upstream"]),
        }
        return CardFacts(path=relpath, **rest)
    outs = tuple(OutFacts(**item) for item in data["outs"])
    return PointerFacts(path=relpath, outs=outs, findings=findings)
