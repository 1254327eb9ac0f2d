"""The pictures on an artifact's page as inline SVG: the lineage graph (columns by distance from
the artifact) and a chart of one metric across releases with its confidence intervals. Each is
laid out, then drawn in Python: as Jinja macros the two cost a sixth of a thousand-page build."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from gitckpt.lineage import Lineage
from gitckpt.site.model import MetricSeries

ARROW_HEAD = (
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
    'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>'
)
NODE_WIDTH, NODE_HEIGHT, COLUMN_GAP, ROW_GAP, MARGIN = 210, 46, 70, 18, 10
LABEL_CHARACTERS = 26
CHART_WIDTH, CHART_HEIGHT = 560, 240
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 64, 20, 16, 40
Y_TICKS = 5


@dataclass(frozen=True)
class NodeBox:
    name: str
    label: str
    detail: str
    kind: str
    x: int
    y: int
    href: str | None
    deprecated: bool
    root: bool
    restricted: bool = False


@dataclass(frozen=True)
class EdgeLine:
    path: str  # an SVG path: a curve from the source's right side to the target's left
    relation: str
    source: str
    target: str


@dataclass(frozen=True)
class GraphLayout:
    width: int
    height: int
    node_width: int
    node_height: int
    nodes: list[NodeBox]
    edges: list[EdgeLine]


def lineage_layout(graph: Lineage, href_of: Callable[[str], str | None]) -> GraphLayout:
    """Columns by hops from the root along the edges; a node reached twice stays in its nearest
    column."""
    columns = _columns(graph)
    boxes: dict[str, NodeBox] = {}
    for column, names in enumerate(columns):
        for row, name in enumerate(names):
            node = graph.nodes.get(name, {"name": name})
            boxes[name] = NodeBox(
                name=name,
                label=_shorten(name),
                detail=_detail(node),
                kind=str(node.get("kind") or "?"),
                x=MARGIN + column * (NODE_WIDTH + COLUMN_GAP),
                y=MARGIN + row * (NODE_HEIGHT + ROW_GAP),
                href=href_of(name),
                deprecated=bool(node.get("deprecated")),
                root=name == graph.root,
                restricted=bool(node.get("restricted")),
            )
    edges = [
        _edge(boxes[edge["from"]], boxes[edge["to"]], edge["relation"])
        for edge in graph.edges
        if edge["from"] in boxes and edge["to"] in boxes
    ]
    rows = max((len(names) for names in columns), default=1)
    return GraphLayout(
        width=2 * MARGIN + len(columns) * NODE_WIDTH + max(len(columns) - 1, 0) * COLUMN_GAP,
        height=2 * MARGIN
        + rows * NODE_HEIGHT
        + (rows - 1) * ROW_GAP
        + NODE_HEIGHT // 2,  # room for arcs below
        node_width=NODE_WIDTH,
        node_height=NODE_HEIGHT,
        nodes=list(boxes.values()),
        edges=edges,
    )


def _columns(graph: Lineage) -> list[list[str]]:
    """Longest-path layers: a node sits one column right of everything that links to it, so every
    edge points rightwards (a cycle is cut after as many passes as there are nodes)."""
    depth = dict.fromkeys(graph.nodes, 0)
    for _ in range(len(graph.nodes)):
        moved = False
        for edge in graph.edges:
            source, target = edge["from"], edge["to"]
            if (
                source in depth
                and target in depth
                and target != graph.root
                and depth[target] < depth[source] + 1
            ):
                depth[target] = depth[source] + 1
                moved = True
        if not moved:
            break
    columns: list[list[str]] = [[] for _ in range(max(depth.values(), default=0) + 1)]
    for name, column in depth.items():
        columns[column].append(name)
    return [names for names in columns if names]


def _shorten(text: str) -> str:
    return text if len(text) <= LABEL_CHARACTERS else text[: LABEL_CHARACTERS - 1] + "…"


def _detail(node: dict[str, object]) -> str:
    parts = [str(node["kind"])] if node.get("kind") else []
    if node.get("version"):
        parts.append(f"v{node['version']}")
    if node.get("deprecated"):
        parts.append("deprecated")
    if node.get("restricted"):
        parts.append(f"RESTRICTED: {node.get('level') or 'no level'}")
    return " · ".join(parts)


def _edge(source: NodeBox, target: NodeBox, relation: str) -> EdgeLine:
    """A curve to the target's left side; to a node not further right (a cycle), a loop to its right
    side."""
    x1, y1 = source.x + NODE_WIDTH, source.y + NODE_HEIGHT // 2
    y2 = target.y + NODE_HEIGHT // 2
    if target.x - x1 > COLUMN_GAP:  # over a column: arc below the boxes in between
        x2, low = target.x, max(y1, y2) + NODE_HEIGHT
        path = f"M {x1} {y1} C {x1 + COLUMN_GAP} {low}, {x2 - COLUMN_GAP} {low}, {x2} {y2}"
    elif target.x > source.x:
        x2, bend = target.x, (target.x - x1) / 2
        path = f"M {x1} {y1} C {x1 + bend} {y1}, {x2 - bend} {y2}, {x2} {y2}"
    else:
        x2 = target.x + NODE_WIDTH
        path = f"M {x1} {y1} C {x1 + COLUMN_GAP / 2} {y1}, {x2 + COLUMN_GAP / 2} {y2}, {x2} {y2}"
    return EdgeLine(path, relation, source.name, target.name)


@dataclass(frozen=True)
class PointMark:
    label: str
    x: float
    y: float
    y_low: float | None
    y_high: float | None
    text: str


@dataclass(frozen=True)
class ChartLayout:
    title: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    points: list[PointMark]
    ticks: list[tuple[float, str]]
    line: str


def metric_chart(series: MetricSeries) -> ChartLayout:
    """One metric across releases: a point per release, a whisker for its interval, a line
    between."""
    values = [
        bound
        for point in series.points
        for bound in (point.value, point.low, point.high)
        if bound is not None
    ]
    low, high = min(values), max(values)
    padding = (high - low) * 0.1 or max(abs(high) * 0.05, 0.05)
    low, high = low - padding, high + padding
    bottom, right = CHART_HEIGHT - PLOT_BOTTOM, CHART_WIDTH - PLOT_RIGHT
    step = (right - PLOT_LEFT) / len(series.points)

    def y_of(value: float) -> float:
        return round(bottom - (value - low) / (high - low) * (bottom - PLOT_TOP), 1)

    points = [
        PointMark(
            label=point.label,
            x=round(PLOT_LEFT + step * (index + 0.5), 1),
            y=y_of(point.value),
            y_low=y_of(point.low) if point.low is not None else None,
            y_high=y_of(point.high) if point.high is not None else None,
            text=_point_text(point.label, point.value, point.low, point.high, point.level),
        )
        for index, point in enumerate(series.points)
    ]
    tick_values = [low + (high - low) * index / (Y_TICKS - 1) for index in range(Y_TICKS)]
    ticks = [(y_of(value), f"{value:.3g}") for value in tick_values]
    return ChartLayout(
        title=series.title,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        plot_left=PLOT_LEFT,
        plot_right=right,
        plot_top=PLOT_TOP,
        plot_bottom=bottom,
        points=points,
        ticks=ticks,
        line=" ".join(f"{point.x},{point.y}" for point in points),
    )


def _point_text(
    label: str, value: float, low: float | None, high: float | None, level: float | None
) -> str:
    text = f"{label}: {value:.4g}"
    if low is not None and high is not None:
        text += f" [{low:.4g}, {high:.4g}]" + (f" at {level:.0%}" if level else "")
    return text


def lineage_svg(layout: GraphLayout) -> Markup:
    """The lineage graph: an arrow per edge, a box per node (a link to its page, if it has one)."""
    edges = "".join(
        f'  <path class="edge" d="{escape(edge.path)}" marker-end="url(#arrow)"><title>'
        f"{escape(edge.source)} {escape(edge.relation)} {escape(edge.target)}</title></path>\n"
        for edge in layout.edges
    )
    nodes = "".join(_node_svg(node, layout) for node in layout.nodes)
    return Markup(
        f'<svg class="lineage" role="img" aria-label="lineage graph" width="{layout.width}" '
        f'height="{layout.height}" viewBox="0 0 {layout.width} {layout.height}">\n'
        f"  {ARROW_HEAD}\n{edges}{nodes}</svg>"
    )


def _node_svg(node: NodeBox, layout: GraphLayout) -> str:
    classes = f"{escape(node.kind)}{' root' if node.root else ''}"
    classes += " deprecated" if node.deprecated else ""
    classes += " restricted" if node.restricted else ""
    title = f"{escape(node.name)}{escape(f' ({node.detail})') if node.detail else ''}"
    box = (
        f'  <g class="node {classes}">\n'
        f"    <title>{title}</title>\n"
        f'    <rect x="{node.x}" y="{node.y}" width="{layout.node_width}" '
        f'height="{layout.node_height}" rx="6"/>\n'
        f'    <text x="{node.x + 10}" y="{node.y + 19}" class="name">{escape(node.label)}</text>\n'
        f'    <text x="{node.x + 10}" y="{node.y + 36}" class="detail">'
        f"{escape(node.detail)}</text>\n"
        "  </g>\n"
    )
    if node.href is None:
        return box
    return (
        f'<a href="{escape(node.href)}" class="node-link" data-artifact="{escape(node.name)}">'
        f"{box}</a>"
    )


def metric_svg(chart: ChartLayout) -> Markup:
    """The chart: a grid line per tick, the line through the points, each point with its
    interval's whiskers; then every value in words."""
    title = escape(chart.title)
    ticks = "".join(
        f'  <line class="grid" x1="{chart.plot_left}" x2="{chart.plot_right}" y1="{y}" '
        f'y2="{y}"/>\n'
        f'  <text class="tick" x="{chart.plot_left - 6}" y="{y + 4}" text-anchor="end">'
        f"{escape(text)}</text>\n"
        for y, text in chart.ticks
    )
    points = "".join(_point_svg(point, chart) for point in chart.points)
    values = "".join(f"<li>{escape(point.text)}</li>" for point in chart.points)
    return Markup(
        f'<figure class="chart">\n<figcaption>{title}</figcaption>\n'
        f'<svg role="img" aria-label="{title} across releases" width="{chart.width}" '
        f'height="{chart.height}" viewBox="0 0 {chart.width} {chart.height}">\n'
        f'{ticks}  <polyline class="series" points="{escape(chart.line)}"/>\n{points}</svg>\n'
        f'<ul class="chart-values">{values}</ul>\n</figure>'
    )


def _point_svg(point: PointMark, chart: ChartLayout) -> str:
    x, low, high = point.x, point.y_low, point.y_high
    whiskers = (
        f'    <line class="whisker" x1="{x}" x2="{x}" y1="{low}" y2="{high}"/>\n'
        f'    <line class="whisker" x1="{x - 5}" x2="{x + 5}" y1="{low}" y2="{low}"/>\n'
        f'    <line class="whisker" x1="{x - 5}" x2="{x + 5}" y1="{high}" y2="{high}"/>\n'
        if low is not None and high is not None
        else ""
    )
    return (
        f'  <g class="point"><title>{escape(point.text)}</title>\n{whiskers}'
        f'    <circle cx="{x}" cy="{point.y}" r="4"/>\n'
        f'    <text class="tick" x="{x}" y="{chart.plot_bottom + 18}" text-anchor="middle">'
        f"{escape(point.label)}</text>\n"
        "  </g>\n"
    )
