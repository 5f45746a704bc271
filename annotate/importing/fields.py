"""Which field of a row is the text, the id, the title and the metadata: named by options or recognised."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import AnnotateError

TEXT_FIELDS = ("text", "content", "body", "article", "maintext", "article_text", "full_text", "story", "document")
"""Field names recognised as the article text, in order of preference (``maintext``: news-please)."""
ID_FIELDS = ("id", "doc_id", "document_id", "article_id", "guid", "uuid")
TITLE_FIELDS = ("title", "headline", "heading")

META_FIELDS: dict[str, tuple[str, ...]] = {
    "url": ("url", "link", "source_url", "canonical_url", "article_url", "permalink"),
    "date": ("date", "published", "date_publish", "publish_date", "published_at", "publication_date",
             "published_date", "pubdate", "pub_date", "datetime"),
    "outlet": ("outlet", "publication", "publisher", "source_domain", "domain", "sitename", "site_name", "site",
               "source_name", "newspaper", "source"),
    "author": ("author", "authors", "byline"),
    "language": ("language", "lang"),
}
"""Metadata recognised in every source, and the field names it is recognised under (first present wins)."""

ALL_OTHERS = "*"
"""``--meta '*'``: keep every field not used otherwise."""

_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass
class FieldChoice:
    """The fields of one file's rows that give each part of a document."""

    text: str
    id: str | None = None
    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    """Metadata name (url, date, outlet, author, language) -> field."""
    extra: list[str] = field(default_factory=list)
    """Fields kept as they are (``--meta``)."""

    def describe(self) -> str:
        """One line for the summary: ``text=body, id=id, title=headline; url=link, date=date``."""
        parts = [f"text={self.text}"] + [f"{k}={v}" for k, v in (("id", self.id), ("title", self.title)) if v]
        meta = [f"{k}={v}" for k, v in self.meta.items()] + self.extra
        return ", ".join(parts) + (f"; metadata: {', '.join(meta)}" if meta else "")


def _find(columns: list[str], candidates: tuple[str, ...], taken: set[str]) -> str | None:
    by_lower = {c.lower(): c for c in reversed(columns)}
    for name in candidates:
        column = by_lower.get(name)
        if column is not None and column not in taken:
            return column
    return None


def _named(columns: list[str], name: str, option: str, where: str) -> str:
    if name in columns:
        return name
    by_lower = {c.lower(): c for c in columns}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    raise AnnotateError(f"{option} {name}: no such field (fields: {', '.join(columns[:20]) or 'none'})", where)


def choose_fields(columns: list[str], where: str, text: str | None = None, id: str | None = None,
                  title: str | None = None, meta: tuple[str, ...] = (), strict: bool = True) -> FieldChoice:
    """The fields to read from rows with ``columns``: those named, else those recognised.

    No text field is an error listing the fields. ``strict``: a ``--meta`` field absent
    from ``columns`` is an error (tables; JSON rows may carry it further down).
    """
    chosen_text = _named(columns, text, "--text", where) if text else _find(columns, TEXT_FIELDS, set())
    if chosen_text is None:
        raise AnnotateError(f"no text field among {', '.join(columns[:20]) or 'no fields'};"
                            " name it with --text FIELD", where)
    taken = {chosen_text}
    chosen_id = _named(columns, id, "--id", where) if id else _find(columns, ID_FIELDS, taken)
    if chosen_id is not None:
        taken.add(chosen_id)
    chosen_title = _named(columns, title, "--title", where) if title else _find(columns, TITLE_FIELDS, taken)
    if chosen_title is not None:
        taken.add(chosen_title)
    known = {}
    for name, candidates in META_FIELDS.items():
        column = _find(columns, candidates, taken)
        if column is not None:
            known[name] = column
            taken.add(column)
    if ALL_OTHERS in meta:
        extra = [c for c in columns if c not in taken]
    else:
        extra = [(_named(columns, m, "--meta", where) if strict else m) for m in meta]
        extra = [m for m in extra if m not in taken]
    return FieldChoice(chosen_text, chosen_id, chosen_title, known, list(dict.fromkeys(extra)))


# --------------------------------------------------------------------------- values


def one_line(value: str, limit: int = 2048) -> str:
    """A value as one line of printable text: whitespace runs and control characters become one space."""
    text = _WHITESPACE.sub(" ", _CONTROL.sub(" ", value)).strip()
    return text[:limit]


def meta_value(value: Any) -> str | int | float | bool | None:
    """A field's value as metadata: scalars kept, lists joined with '; ', a mapping's ``name`` (or its JSON)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        return one_line(value, 10_000) or None
    if isinstance(value, list | tuple):
        items = [str(meta_value(v)) for v in value if meta_value(v) not in (None, "")]
        return one_line("; ".join(items), 10_000) or None
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str):
            return one_line(name) or None
        return one_line(json.dumps(value, ensure_ascii=False, default=str), 10_000)
    return one_line(str(value), 10_000) or None


def normalize_date(value: Any) -> str | None:
    """A publication date as ISO 8601 when it can be read (RFC 2822 as in RSS, epoch seconds or
    milliseconds as pandas writes them, dates and datetimes), else the text as given."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value > 1e11:  # milliseconds since 1970 (pandas' to_json)
            value /= 1000
        if value > 1e8:
            return dt.datetime.fromtimestamp(value, dt.UTC).isoformat().replace("+00:00", "Z")
        return str(value)
    if not isinstance(value, str):
        found = meta_value(value)
        return None if found is None else str(found)
    text = one_line(value, 64)
    if not text:
        return None
    try:
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return text
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError, IndexError):
        return text


def field_key(column: str) -> str:
    """A field name as a metadata key: letters, digits, ``_ . -``, a letter or ``_`` first, at most 64 characters."""
    key = re.sub(r"[^A-Za-z0-9_.-]+", "_", column)[:64] or "_"
    return key if re.match(r"[A-Za-z_]", key) else f"_{key}"[:64]


def meta_of(row: dict[str, Any], choice: FieldChoice) -> dict[str, Any]:
    """The metadata of one row: the recognised fields (date normalised) and the ``--meta`` fields."""
    out: dict[str, Any] = {}
    for name, column in choice.meta.items():
        value = normalize_date(row.get(column)) if name == "date" else meta_value(row.get(column))
        if value not in (None, ""):
            out[name] = value if isinstance(value, str) else str(value)
    fields = {field_key(column): meta_value(row[column]) for column in choice.extra if column in row}
    if fields:
        out["fields"] = fields
    return out
