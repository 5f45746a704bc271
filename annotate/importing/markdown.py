"""The text of a Markdown file as an annotator should read it: markup parsed by markdown-it-py, not shown.

Front matter (a YAML block between ``---`` lines at the top, as static site generators
write it) becomes metadata; a level-one heading at the top becomes the title.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AnnotateError
from ..yamlio import load_yaml

_TEXT_BLOCKS = ("paragraph_open", "heading_open")
"""Block tokens whose inline content is text to keep (list items and quotes hold paragraphs)."""


@dataclass
class MarkdownText:
    """The plain text of a Markdown document (blocks separated by blank lines), its title and front matter."""

    text: str
    title: str | None = None
    front_matter: dict[str, Any] = field(default_factory=dict)


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter (a mapping, else empty) and the text after it."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0 or text[end + 4 : end + 5] not in ("", "\n"):
        return {}, text
    data = load_yaml(text[4:end], Path(where))
    return (data if isinstance(data, dict) else {}), text[end + 5 :]


def _inline_text(token: Any) -> str:
    """An inline token's text as read: link and emphasis markup dropped, image alt text kept, breaks as spaces."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n" if child.type == "hardbreak" else " ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def markdown_text(source: str, where: str) -> MarkdownText:
    """Parse Markdown (CommonMark) and keep what a reader sees: headings, paragraphs, list items, code."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # pragma: no cover - a dependency of rich, always present
        raise AnnotateError("importing Markdown needs markdown-it-py: pip install markdown-it-py") from None
    front, body = split_front_matter(source, where)
    tokens = MarkdownIt("commonmark").parse(body)
    blocks: list[str] = []
    title = None
    for i, token in enumerate(tokens):
        if token.type == "inline" and i and tokens[i - 1].type in _TEXT_BLOCKS:
            text = _inline_text(token).strip()
            if not text:
                continue
            if tokens[i - 1].type == "heading_open" and tokens[i - 1].tag == "h1" and not blocks and title is None:
                title = text
                continue
            blocks.append(text)
        elif token.type in ("fence", "code_block") and token.content.strip():
            blocks.append(token.content.strip("\n"))
    return MarkdownText("\n\n".join(blocks), title, front)
