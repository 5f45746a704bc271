"""Document ids for imported documents: safe, readable slugs, unique within the project."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

MAX_SLUG = 80
"""Longest slug (characters); longer titles are cut at a word boundary."""

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                               *(f"lpt{i}" for i in range(10))})


def slugify(text: str, limit: int = MAX_SLUG) -> str:
    """``text`` as lower-case ASCII words joined by ``-`` (accents dropped); '' when nothing is left.

    >>> slugify("North Korea's Kim Visits Beijing!")
    'north-korea-s-kim-visits-beijing'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = _NOT_SLUG.sub("-", ascii_text).strip("-")
    if len(slug) > limit:
        cut = slug.rfind("-", 0, limit + 1)
        slug = slug[: cut if cut > limit // 2 else limit].rstrip("-")
    if slug in _WINDOWS_RESERVED:
        slug += "-doc"
    return slug


def slug_path(parts: list[str]) -> str:
    """A document id with folders: each part slugified, empty parts dropped (so never ``..`` or absolute)."""
    return "/".join(p for p in (slugify(part) for part in parts) if p)


def with_suffix(doc_id: str, *taken: Container[str]) -> str:
    """``doc_id``, or ``doc_id-2``, ``doc_id-3``... whichever is in none of ``taken``."""
    candidate, n = doc_id, 1
    while any(candidate in ids for ids in taken):
        n += 1
        candidate = f"{doc_id}-{n}"
    return candidate
