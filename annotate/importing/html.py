"""The article in a saved web page: its text, title and metadata, extracted by trafilatura.

trafilatura was chosen over readability-lxml after measuring both on saved news pages
(``benchmarks/html_extractors.py``): the same text quality, but trafilatura returns plain
text and the page's metadata (date, site name, canonical url, author) that readability
does not. It is an optional dependency (``pip install 'annotate[html]'``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..encodings import Decoded, decode_document, python_codec
from ..errors import AnnotateError

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_SNIFF_BYTES = 4096


@dataclass
class Article:
    """What a page holds: the article's text (paragraphs separated by blank lines), title and metadata."""

    text: str
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def decode_html(raw: bytes, where: str, encoding: str | None = None) -> Decoded:
    """A page's bytes as text: ``encoding`` when given, else a byte-order mark, else the page's
    own ``<meta charset>``, else as any document (UTF-8, or detected)."""
    if encoding is None and not raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        declared = _META_CHARSET.search(raw[:_SNIFF_BYTES])
        if declared:
            name = declared.group(1).decode("ascii")
            try:
                codec = python_codec(name, where)
            except AnnotateError:
                codec = None  # an unknown charset declared by the page: read it as any document
            if codec is not None and codec != "utf-8":
                decoded = decode_document(raw, where, name)
                return Decoded(decoded.text, f"{name} (declared by the page)")
    return decode_document(raw, where, encoding)


def _extractor() -> Any:
    try:
        import trafilatura
    except ImportError:
        raise AnnotateError("importing HTML needs trafilatura: pip install 'annotate[html]'") from None
    return trafilatura


def extract_article(html: str, where: str) -> Article:
    """The article of a page; an error when the page has no article text."""
    document = _extractor().bare_extraction(html, with_metadata=True, include_comments=False,
                                            include_tables=False, include_images=False)
    text = (document.text or "").strip() if document is not None else ""
    if not text:
        raise AnnotateError("no article text found in the page", where)
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    meta = {
        "url": document.url,
        "date": document.date,
        "outlet": document.sitename or document.hostname,
        "author": document.author,
        "language": document.language,
    }
    return Article("\n\n".join(paragraphs), document.title, {k: v for k, v in meta.items() if v})
