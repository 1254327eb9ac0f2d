"""How the API's results show in a notebook: Jupyter calls `_repr_html_` (or `_repr_markdown_`)
on the last value of a cell. Every value shown is masked as all output is (secrets.py) and then
escaped, so a card cannot inject markup or leak a credential into a notebook."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gitckpt.human_text import human_value
from gitckpt.secrets import mask_secrets

if TYPE_CHECKING:
    from gitckpt.registry_view import ArtifactRow
    from gitckpt.search import Hit

Row = Sequence[object]
HTML_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))


class Table:
    """A value shown as a titled table (and, below it, optional prose): subclasses say what."""

    def _table(self) -> tuple[str, Sequence[str], list[Row]]:
        """The title, the column headers and the rows."""
        raise NotImplementedError

    def _prose(self) -> str:
        """Markdown shown under the table (as text in HTML)."""
        return ""

    def _repr_html_(self) -> str:
        title, headers, rows = self._table()
        head = "".join(f"<th>{_cell(header)}</th>" for header in headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{_cell(value)}</td>" for value in row) + "</tr>" for row in rows
        )
        prose = self._prose()
        below = f"<pre>{_cell(prose)}</pre>" if prose else ""
        return (
            f"<div><strong>{_cell(title)}</strong><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{below}</div>"
        )

    def _repr_markdown_(self) -> str:
        title, headers, rows = self._table()
        lines = [f"**{_markdown_cell(title)}**", ""]
        if rows:
            lines.append("| " + " | ".join(_markdown_cell(header) for header in headers) + " |")
            lines.append("|" + "---|" * len(headers))
            lines.extend(
                "| " + " | ".join(_markdown_cell(value) for value in row) + " |" for row in rows
            )
        prose = self._prose()
        if prose:
            lines.extend(["", mask_secrets(prose)])
        return "\n".join(lines) + "\n"


def _shown(value: object) -> str:
    return mask_secrets(value if isinstance(value, str) else human_value(value))


def _escape(text: str) -> str:
    """`html.escape(text)`, without loading html.entities (~1.5 ms) into every `git ckpt check`,
    whose report class shows as a table too."""
    for char, entity in HTML_ENTITIES:
        text = text.replace(char, entity)
    return text


def _cell(value: object) -> str:
    return _escape(_shown(value))


def _markdown_cell(value: object) -> str:
    """One table cell: masked, with Markdown's and HTML's special characters escaped."""
    text = _escape(_shown(value)).replace("\n", " ")
    return "".join(f"\\{char}" if char in "\\`*_[]|#" else char for char in text)


def stages_text(stages: dict[str, str]) -> str:
    return ", ".join(f"{stage}: v{version}" for stage, version in sorted(stages.items()))


class SearchResults(list["Hit"], Table):
    """The hits of `Registry.search`, best first: a list that shows as a table in a notebook."""

    def _table(self) -> tuple[str, Sequence[str], list[Row]]:
        rows: list[Row] = [
            [
                hit.name,
                hit.kind,
                f"v{hit.latest}" if hit.latest else "unreleased",
                stages_text(hit.stages),
                "; ".join(hit.reasons) or hit.snippet,
            ]
            for hit in self
        ]
        return f"{len(self)} hit(s)", ("name", "kind", "latest", "stages", "why"), rows


class ArtifactList(list["ArtifactRow"], Table):
    """The artifacts of `Registry.ls`: a list that shows as a table in a notebook."""

    def _table(self) -> tuple[str, Sequence[str], list[Row]]:
        rows: list[Row] = [
            [
                row.name,
                row.kind,
                f"v{row.latest}" if row.latest else "unreleased",
                stages_text(row.stages),
                "deprecated" if row.deprecated else "; ".join(row.notes),
            ]
            for row in self
        ]
        return f"{len(self)} artifact(s)", ("name", "kind", "latest", "stages", "notes"), rows


def fact_rows(facts: dict[str, Any]) -> list[Row]:
    """A card's front matter as (field, value) rows, one per top-level field."""
    return [[key, value] for key, value in facts.items()]
