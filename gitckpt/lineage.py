"""The graph of what an artifact was built from, or what uses it (`git ckpt lineage`, and the
site's lineage pictures): the links cards declare, followed breadth-first, cycles reported and
never followed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitckpt.audience import is_restricted
from gitckpt.card import parse_card
from gitckpt.checks.access import SAMPLES_LINK
from gitckpt.config import Config
from gitckpt.errors import GitckptError, InputError
from gitckpt.files import decode_text
from gitckpt.inventory import load_inventory
from gitckpt.registry import read_registry
from gitckpt.repo import Repository
from gitckpt.tags import parse_release_reference

RELATIONS = {
    "training_data": "trained on",
    "base_model": "derived from",
    "evaluation": "evaluated with",
    "sources": "built from",
    "model": "evaluates",
    "dataset": "evaluated on",
    "samples": "has samples",
}


@dataclass
class Lineage:
    root: str
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[dict[str, str]] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)


def lineage(
    repo: Repository, reference: str, *, depth: int | None = None, dependents: bool = False
) -> Lineage:
    """What `reference` (NAME or NAME@vX.Y.Z) links to, transitively; or, with `dependents`,
    everything that links to it. Cycles are reported, never followed."""

    registry = read_registry(repo)
    revision = None
    name = reference
    if "@" in reference:
        name, version = parse_release_reference(reference)
        state = registry.artifact(name)
        release = state.releases.get(version) if state else None
        if release is None:
            raise GitckptError(f"there is no release {reference}")
        revision = release.event.commit
    inventory = load_inventory(repo, revision=revision)
    cards = {card.name: card for card in inventory.cards.values() if card.name}
    if name not in cards:
        raise GitckptError(
            f"there is no card named {name!r}" + (f" at {reference}" if revision else "")
        )
    data = _card_data(inventory, [card.path for card in cards.values()])
    neighbours = reverse_links(cards) if dependents else upstream_links(cards)
    graph = build_lineage(name, cards, data, registry, Traversal(neighbours, dependents, depth))
    levels = {other: card.access_level for other, card in cards.items()}
    mark_restricted(graph, levels, inventory.config)
    return graph


Neighbours = dict[str, list[tuple[str, str]]]  # artifact -> (link field, linked artifact)


@dataclass(frozen=True)
class Traversal:
    """How a graph is followed: over which links (`upstream_links` or, for `dependents`,
    `reverse_links` of the cards: a caller drawing many graphs computes them once), which way,
    and how many links deep (None: all the way)."""

    neighbours: Neighbours
    dependents: bool = False
    depth: int | None = None


def build_lineage(
    name: str,
    cards: dict[str, Any],
    data: dict[str, dict[str, Any]],
    registry: Any,
    traversal: Traversal,
) -> Lineage:
    """The graph of `name` from cards already read (CardFacts by name, front matter by card
    path)."""
    graph = Lineage(root=name)
    _visit(graph, name, [], traversal)
    if not traversal.dependents:
        _add_samples(graph, cards)
    for node in list(graph.nodes):
        graph.nodes[node] = _node(node, cards, data, registry)
    if not traversal.dependents:
        _add_external(graph, cards, data)
    return graph


def _add_samples(graph: Lineage, cards: dict[str, Any]) -> None:
    """A restricted dataset's samples, as leaves: they are made from the dataset (their card
    may name it as a source), so following them upstream would loop."""
    for name in [node for node in graph.nodes if node in cards]:
        for link in cards[name].links:
            if link.field == SAMPLES_LINK:
                graph.nodes.setdefault(link.target, {})
                graph.edges.append({"from": name, "to": link.target, "relation": "has samples"})


def _card_data(inventory: Any, paths: list[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for path, content in inventory.source.read(paths, lambda _: 1024 * 1024).items():
        if isinstance(content, bytes):
            try:
                found[path] = parse_card(decode_text(content, path), path).data
            except InputError:
                continue
    return found


def upstream_links(cards: dict[str, Any]) -> Neighbours:
    """What each artifact was built from. An eval card's `model` link points back at the model
    whose card already links the eval log, and a dataset's samples are made from it, so neither
    is followed upstream (no false cycle)."""
    return {
        name: [
            (link.field, link.target)
            for link in card.links
            if not (card.kind == "eval" and link.field.startswith("model"))
            and link.field != SAMPLES_LINK
        ]
        for name, card in cards.items()
    }


def reverse_links(cards: dict[str, Any]) -> Neighbours:
    reverse: dict[str, list[tuple[str, str]]] = {}
    for name, card in cards.items():
        for link in card.links:
            reverse.setdefault(link.target, []).append((link.field, name))
    return reverse


def _visit(graph: Lineage, name: str, path: list[str], traversal: Traversal) -> None:
    graph.nodes.setdefault(name, {})
    if traversal.depth is not None and len(path) >= traversal.depth:
        return
    for field_path, other in traversal.neighbours.get(name, []):
        relation = RELATIONS.get(field_path.split(".")[0].split("[")[0], "links to")
        edge = (
            {"from": other, "to": name, "relation": relation}
            if traversal.dependents
            else {"from": name, "to": other, "relation": relation}
        )
        if edge not in graph.edges:
            graph.edges.append(edge)
        if other in path or other == name:
            cycle = [*path[path.index(other) :], name, other] if other in path else [name, other]
            if cycle not in graph.cycles:
                graph.cycles.append(cycle)
            continue
        if other not in graph.nodes:
            _visit(graph, other, [*path, name], traversal)


def _node(
    name: str, cards: dict[str, Any], data: dict[str, dict[str, Any]], registry: Any
) -> dict[str, Any]:
    card = cards.get(name)
    state = registry.artifact(name)
    latest = state.latest if state else None
    facts = data.get(card.path, {}) if card else {}
    return {
        "name": name,
        "kind": card.kind if card else "missing",
        "card": card.path if card else None,
        "version": latest.version if latest else None,
        "license": facts.get("license"),
        "deprecated": bool(state and state.deprecation),
    }


def mark_restricted(graph: Lineage, levels: Mapping[str, str | None], config: Config) -> None:
    """Mark each node whose artifact's level (`levels`, by name) is restricted under `config`
    (gitckpt.audience), so that every rendering of the graph says so."""
    for name, node in graph.nodes.items():
        if name in levels and is_restricted(config, levels[name]):
            node.update(level=levels[name], restricted=True)


def _add_external(graph: Lineage, cards: dict[str, Any], data: dict[str, dict[str, Any]]) -> None:
    """Code commits and links by URI: leaves of the graph, with what pins them."""
    for name in [node for node in graph.nodes if node in cards]:
        facts = data.get(cards[name].path, {})
        commit = (
            (facts.get("environment") or {}).get("code_commit")
            if isinstance(facts.get("environment"), dict)
            else None
        )
        if isinstance(commit, str):
            node = f"commit:{commit[:12]}"
            graph.nodes[node] = {"name": node, "kind": "code", "commit": commit}
            graph.edges.append({"from": name, "to": node, "relation": "built by code"})
        for key in ("training_data", "sources"):
            for entry in facts.get(key) or []:
                if isinstance(entry, dict) and entry.get("uri"):
                    node = str(entry["uri"])
                    graph.nodes[node] = {
                        "name": node,
                        "kind": "external",
                        "pinned_by": entry.get("sha256") or entry.get("revision"),
                        "license": entry.get("license"),
                    }
                    graph.edges.append({"from": name, "to": node, "relation": RELATIONS[key]})


def render_lineage(graph: Lineage, style: str) -> str:
    if style == "mermaid":
        ids = {name: f"n{index}" for index, name in enumerate(graph.nodes)}
        lines = ["```mermaid", "graph LR"]
        lines += [f'  {ids[name]}["{_label(node)}"]' for name, node in graph.nodes.items()]
        lines += [
            f"  {ids[edge['from']]} -->|{edge['relation']}| {ids[edge['to']]}"
            for edge in graph.edges
            if edge["from"] in ids and edge["to"] in ids
        ]
        return "\n".join([*lines, "```"]) + "\n"
    if style == "dot":
        lines = ["digraph lineage {", "  rankdir=LR;"]
        lines += [f'  "{name}" [label="{_label(node)}"];' for name, node in graph.nodes.items()]
        lines += [
            f'  "{edge["from"]}" -> "{edge["to"]}" [label="{edge["relation"]}"];'
            for edge in graph.edges
        ]
        return "\n".join([*lines, "}"]) + "\n"
    lines = [_label(graph.nodes[graph.root])]
    lines += [
        f"  {edge['from']} —{edge['relation']}→ "
        f"{_label(graph.nodes.get(edge['to'], {'name': edge['to']}))}"
        for edge in graph.edges
    ]
    lines += [f"  CYCLE: {' → '.join(cycle)}" for cycle in graph.cycles]
    return "\n".join(lines) + "\n"


def _label(node: dict[str, Any]) -> str:
    details = [str(node[key]) for key in ("kind", "license") if node.get(key)]
    if node.get("version"):
        details.insert(1, f"v{node['version']}")
    if node.get("deprecated"):
        details.append("deprecated")
    if node.get("restricted"):
        details.append(f"RESTRICTED: {node.get('level') or 'no level'}")
    text = f"{node['name']} ({', '.join(details)})" if details else str(node["name"])
    return text.replace('"', "'")
