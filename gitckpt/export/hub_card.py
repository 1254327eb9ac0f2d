"""What a Hugging Face Hub model card says, read strictly: its front matter (with the line of
every field, so each refusal and warning names one) and its prose body.

The Hub's front matter is ordinary YAML; gitckpt reads it with its own strict reader, so an
anchor, a tag or a duplicate key is refused with its line rather than guessed at, and a
template (`{{card_data}}`) or a front matter that is not a mapping is refused with what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gitckpt.errors import InputError
from gitckpt.strict_yaml import FieldPath, YamlDocument, load_yaml

# The Hub's own rule (huggingface_hub's REGEX_YAML_BLOCK, once line breaks are `\n`): a front
# matter opens on the first line with `---` and closes at the next line that is `---`.
HUB_FRONT_MATTER = re.compile(r"\A\s*---\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
TEMPLATE_MARK = re.compile(r"\{\{|\{%")
TEMPLATE_LINE = re.compile(r"^\s*(\{\{|\{%)")


@dataclass(frozen=True)
class HubCard:
    """A Hub card's metadata (a mapping, empty when the card has none), the line of each of its
    fields, and the Markdown body below it."""

    path: str
    metadata: dict[str, Any]
    document: YamlDocument
    body: str

    def line(self, field: FieldPath) -> int:
        return self.document.line_of(field)

    def where(self, field: FieldPath) -> str:
        """`README.md:12`, for a warning about `field`."""
        line = self.line(field)
        return f"{self.path}:{line}" if line else self.path


def read_hub_card(text: str, path: str) -> HubCard:
    """The card in `text`, or an InputError naming the line and what to fix."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    match = HUB_FRONT_MATTER.match(text)
    if match is None:
        empty = YamlDocument({}, {})
        return HubCard(path, {}, empty, text)
    yaml_text = match.group(1)
    first_line = text[: match.start(1)].count("\n") + 1
    _refuse_template(yaml_text, path, first_line, TEMPLATE_LINE)
    try:
        document = load_yaml(yaml_text, path, first_line=first_line)
    except InputError as exc:
        _refuse_template(yaml_text, path, first_line, TEMPLATE_MARK)
        raise InputError(
            f"{exc.message}; fix the front matter between the `---` lines (the Hub reads it as "
            "YAML too)",
            path=path,
            line=exc.line,
        ) from exc
    if document.data is None:
        document = YamlDocument({}, {})
    if not isinstance(document.data, dict):
        _refuse_template(yaml_text, path, first_line, TEMPLATE_MARK)
        raise InputError(
            "the front matter must be a mapping of field names to values (license: …, "
            f"datasets: …), not a {type(document.data).__name__}",
            path=path,
            line=first_line,
        )
    return HubCard(path, document.data, document, text[match.end() :])


def _refuse_template(yaml_text: str, path: str, first_line: int, mark: re.Pattern[str]) -> None:
    """A front matter that is a template (a line `{{card_data}}`, or YAML that fails where a
    `{{ … }}` stands) is refused as one: the fix is to render it, not to edit the YAML."""
    template = next(
        (index for index, line in enumerate(yaml_text.split("\n")) if mark.search(line)),
        None,
    )
    if template is not None:
        raise InputError(
            "this is a card template, not a card: its front matter holds a template placeholder "
            "(`{{ … }}`); render it first (huggingface_hub's ModelCard.from_template) and import "
            "the rendered README.md",
            path=path,
            line=first_line + template,
        )
