"""The loader: every card and pointer in the work tree, read into the facts the checks need
(`facts.py`), with the per-file checks run as each file is read.

Reading is the expensive part (YAML parsing, schema validation), so the facts and the
per-file findings are cached by content digest; a warm run only hashes small files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gitckpt.cache import Cache
from gitckpt.card import (
    BYTES_FIELD,
    Card,
    card_from_json,
    is_card_path,
    iter_links,
    iter_noassertions,
    mapping,
    parse_card,
)
from gitckpt.checks.card_format import UNREADABLE, load_card
from gitckpt.checks.card_schema import check_card_schema
from gitckpt.checks.evaluation_binding import check_model_evaluations
from gitckpt.checks.license import check_license_expressions, upstream_entries
from gitckpt.checks.placeholders import check_placeholders
from gitckpt.checks.pointer_format import POINTER_FORMAT, load_pointer
from gitckpt.checks.sensitive import SECRET, scan_card_text
from gitckpt.config import CONFIG_PATH, Config, cached_config, known_config
from gitckpt.dvc_artifacts import is_dvc_yaml_path, read_declared
from gitckpt.errors import GitckptError, InputError
from gitckpt.file_facts import (
    CardFacts,
    Finding,
    GapFacts,
    Inventory,
    LinkFacts,
    OutFacts,
    PointerFacts,
    Progress,
    resolved_data_path,
    resolved_out_paths,
)
from gitckpt.files import CARD_SIZE_LIMIT, POINTER_SIZE_LIMIT, decode_text
from gitckpt.hashing import git_blob_id
from gitckpt.parallel import map_in_processes
from gitckpt.parsed_cards import ParsedCards, Payload, encoded_parse
from gitckpt.pointer import is_pointer_path
from gitckpt.repo import Repository
from gitckpt.schema import rules_fingerprint
from gitckpt.secrets import mask_secrets
from gitckpt.sources import RevisionSource, Source, WorkTreeSource
from gitckpt.strict_yaml import format_field_path
from gitckpt.tag_refs import read_tag_names

if TYPE_CHECKING:  # the type only: tag objects are read (tag_events loaded) only when one exists
    from gitckpt.tag_events import Deprecation

LISTED_LAST_TIME = "work-tree-listing"  # the cache entry: the work tree's cards and pointers
PARALLEL_READ_FROM = (
    200  # uncached cards and pointers from which reading them is spread over processes
)


def load_inventory(
    repo: Repository, progress: Progress | None = None, revision: str | None = None
) -> Inventory:
    """Read every card and pointer of the work tree (or of the commit `revision`), from the
    cache where the bytes are known."""
    with Cache(repo.state_dir) as cache:
        source: Source = RevisionSource(repo, revision) if revision else WorkTreeSource(repo, cache)
        listing = source.start_listing()
        tag_names = read_tag_names(repo, cache)
        inventory = Inventory(
            repo=repo,
            config=_load_config(source, cache),
            source=source,
            deprecations=_deprecations(repo, tag_names),
            release_tags=frozenset(name for name in tag_names if "@v" in name),
        )
        files = _read_listed_files(source, cache, listing, inventory, progress)
        inventory.dvc_artifacts = read_declared(
            source, cache, [path for path in files if is_dvc_yaml_path(path)]
        )
        return inventory


def _read_listed_files(
    source: Source,
    cache: Cache,
    listing: Callable[[], list[str]],
    inventory: Inventory,
    progress: Progress | None,
) -> list[str]:
    """Every file `listing` names, with the facts of its cards and pointers in `inventory`.
    While git lists the work tree, the cards and pointers it listed last time are read (from
    the cache, mostly); then those no longer listed are dropped and the new ones read, so the
    inventory is exactly what git lists now, in git's order."""
    expected = _listed_last_time(source, cache)
    _read_files(source, cache, expected, inventory, progress)
    files = listing()
    paths = [path for path in files if is_card_path(path) or is_pointer_path(path)]
    unread = [
        path for path in paths if path not in inventory.cards and path not in inventory.pointers
    ]
    _read_files(source, cache, unread, inventory, progress)
    inventory.cards = {path: inventory.cards[path] for path in paths if path in inventory.cards}
    inventory.pointers = {
        path: inventory.pointers[path] for path in paths if path in inventory.pointers
    }
    if source.revision is None and paths != expected:
        cache.put_results({LISTED_LAST_TIME: paths})
    return files


def _listed_last_time(source: Source, cache: Cache) -> list[str]:
    """The cards and pointers the work tree held at the last run (none for a commit's tree,
    which is listed without waiting)."""
    if source.revision is not None:
        return []
    listed = cache.get_results([LISTED_LAST_TIME]).get(LISTED_LAST_TIME)
    if not isinstance(listed, list) or not all(isinstance(path, str) for path in listed):
        return []
    return listed


def _deprecations(repo: Repository, tag_names: list[str]) -> dict[str, Deprecation]:
    """The deprecated artifacts; tag objects and their records are read (and their modules
    loaded) only when a deprecation tag exists."""
    if not any(name.endswith("@deprecated") for name in tag_names):
        return {}
    from gitckpt.tag_events import read_deprecations

    return read_deprecations(repo, tag_names)


def _content_key(relpath: str, blob_id: str) -> str:
    kind = "card" if is_card_path(relpath) else "pointer"
    return f"{kind}:{rules_fingerprint()}:{relpath}:{blob_id}"


def _load_config(source: Source, cache: Cache) -> Config:
    blob_id = source.blob_ids([CONFIG_PATH], lambda _: CARD_SIZE_LIMIT).get(CONFIG_PATH)
    known = known_config(blob_id, cache) if blob_id else None
    if known is not None:
        return known
    data = source.read([CONFIG_PATH], lambda _: CARD_SIZE_LIMIT).get(CONFIG_PATH)
    if data is None:
        return Config()
    if isinstance(data, InputError):
        raise data
    return cached_config(data, cache)


def _read_files(
    source: Source, cache: Cache, paths: list[str], inventory: Inventory, progress: Progress | None
) -> None:
    """The facts of every path: from the cache when its blob id is known without reading (a
    commit's tree, or a work-tree file whose stat is unchanged) or once it is read, else judged
    now (from the card's cached parse when another command parsed it already)."""
    blob_ids = source.blob_ids(paths, _size_limit)
    keys = {path: _content_key(path, blob_id) for path, blob_id in blob_ids.items()}
    known = cache.get_results(keys.values())
    contents: dict[str, bytes | Finding] = {}
    unread = [path for path in paths if keys.get(path) not in known]
    for relpath, read in source.read(unread, _size_limit).items():
        if isinstance(read, InputError):
            check = UNREADABLE if is_card_path(relpath) else POINTER_FORMAT
            contents[relpath] = check.finding(relpath, read.message, line=read.line)
        else:
            blob_ids[relpath] = git_blob_id(read)
            keys[relpath] = _content_key(relpath, blob_ids[relpath])
            contents[relpath] = read
    known.update(cache.get_results(keys[path] for path in contents if path in keys))
    judged = _judge(
        [(path, content) for path, content in contents.items() if keys.get(path) not in known],
        blob_ids,
        ParsedCards(cache),
        progress,
    )
    cache.put_results({keys[path]: facts for path, facts in judged.items() if path in keys})
    for relpath in paths:
        found = judged.get(relpath) or known.get(keys.get(relpath, ""))
        if found is not None:
            _add_facts(inventory, _facts_from_json(relpath, found))


def _judge(
    files: list[tuple[str, bytes | Finding]],
    blob_ids: dict[str, str],
    parses: ParsedCards,
    progress: Progress | None,
) -> dict[str, list[Any]]:
    """The facts (as JSON) of files not judged before, by path; card parses are shared with
    the other commands through `parses`. Many of them (a fresh clone, or the first run after an
    upgrade) are read by one process per core: parsing and validating a card costs ~1 ms."""
    payloads = parses.known(blob_ids[path] for path, _ in files if path in blob_ids)
    items = [(path, content, payloads.get(blob_ids.get(path, ""))) for path, content in files]
    judged: dict[str, list[Any]] = {}
    for done, ((relpath, _, _), (facts, parse)) in enumerate(
        zip(
            items,
            map_in_processes(
                _facts_json, items, parallel_from=PARALLEL_READ_FROM, preload=__name__
            ),
            strict=True,
        ),
        start=1,
    ):
        judged[relpath] = facts
        if relpath in blob_ids:
            parses.remember(blob_ids[relpath], parse)
        if progress:
            progress(done, len(items))
    parses.save()
    return judged


def _add_facts(inventory: Inventory, facts: CardFacts | PointerFacts) -> None:
    if isinstance(facts, CardFacts):
        inventory.cards[facts.path] = facts
    else:
        inventory.pointers[facts.path] = facts


def _facts_json(
    item: tuple[str, bytes | Finding, Payload | None],
) -> tuple[list[Any], str | None]:
    """A file's facts as JSON, and the card's parse when it was parsed here (for the cache)."""
    relpath, content, payload = item
    if not is_card_path(relpath):
        return _facts_to_json(_pointer_facts(relpath, content)), None
    loaded = _load_card(relpath, content, payload)
    parse = encoded_parse(loaded) if payload is None and isinstance(loaded, Card) else None
    return _facts_to_json(_card_facts(relpath, content, loaded)), parse


def _load_card(relpath: str, content: bytes | Finding, payload: Payload | None) -> Card | Finding:
    if isinstance(content, Finding):
        return content
    if payload is not None:
        return card_from_json(payload, decode_text(content, relpath), relpath)
    return load_card(content, relpath)


def _size_limit(relpath: str) -> int:
    return CARD_SIZE_LIMIT if is_card_path(relpath) else POINTER_SIZE_LIMIT


def _card_facts(relpath: str, content: bytes | Finding, loaded: Card | Finding) -> CardFacts:
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
    from gitckpt.known_issues import named_versions  # what judging a card needs, not a warm run
    from gitckpt.licenses import traits

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
    access = mapping(data, "access")
    data_path = _text(block.get("path"))

    return CardFacts(
        path=card.path,
        name=_text(data.get("name")),
        name_line=card.line_of(("name",)) or 2,
        kind=kind,
        data_path=data_path,
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
        access_level=_text(access.get("level")),
        access_level_line=card.line_of(("access", "level")),
        access_until=_text(access.get("until")),
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
        known_issue_versions=tuple(
            (format_field_path(path), version, card.line_of(path))
            for path, version in named_versions(data)
        ),
        findings=findings,
        data_relpath=resolved_data_path(card.path, data_path),
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
    outs = tuple(OutFacts(out.path, out.md5, out.size, out.line, out.remote) for out in loaded)
    return PointerFacts(path=relpath, outs=outs, out_relpaths=resolved_out_paths(relpath, outs))


def _facts_to_json(facts: CardFacts | PointerFacts) -> list[Any]:
    """The facts as a JSON array in field order, without `path` (the cache key holds it): an
    array decodes faster than an object and restores with `_make`, and the cache keys carry
    the code's fingerprint, so the order read is the order written."""
    data: list[Any] = _plain(facts)
    return data[1:]


def _plain(value: Any) -> Any:
    """Records and tuples as JSON arrays (a fact's dictionaries go to `json.dumps` as they are)."""
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _field_indexes(record: type[CardFacts | PointerFacts], *names: str) -> tuple[int, ...]:
    return tuple(record._fields.index(name) for name in names)


_LINKS, _GAPS, _CARD_FINDINGS, _TRAITS, _UPSTREAM, _ISSUE_VERSIONS = _field_indexes(
    CardFacts, "links", "gaps", "findings", "license_traits", "upstream", "known_issue_versions"
)
_OUTS, _POINTER_FINDINGS, _OUT_PATHS = _field_indexes(
    PointerFacts, "outs", "findings", "out_relpaths"
)


def _facts_from_json(relpath: str, data: list[Any]) -> CardFacts | PointerFacts:
    """The facts `_facts_to_json` wrote, each record rebuilt in field order."""
    values = [relpath, *data]
    if not is_card_path(relpath):
        values[_OUTS] = tuple(map(OutFacts._make, values[_OUTS]))
        values[_POINTER_FINDINGS] = tuple(map(Finding._make, values[_POINTER_FINDINGS]))
        values[_OUT_PATHS] = tuple(values[_OUT_PATHS])
        return PointerFacts._make(values)
    values[_LINKS] = tuple(map(LinkFacts._make, values[_LINKS]))
    values[_GAPS] = tuple(map(GapFacts._make, values[_GAPS]))
    values[_CARD_FINDINGS] = tuple(map(Finding._make, values[_CARD_FINDINGS]))
    values[_TRAITS] = tuple(values[_TRAITS])
    values[_UPSTREAM] = tuple(values[_UPSTREAM])
    values[_ISSUE_VERSIONS] = tuple(map(tuple, values[_ISSUE_VERSIONS]))
    return CardFacts._make(values)


def read_card(inventory: Inventory, path: str) -> Card:
    """The card at `path` in the inventory's source (work tree or commit), parsed with every
    credential GC601 finds in it masked, as every output shows a card."""
    content = inventory.source.read([path], lambda _: CARD_SIZE_LIMIT)[path]
    if not isinstance(content, bytes):
        raise GitckptError(str(content))
    return parse_card(mask_secrets(decode_text(content, path)), path)
