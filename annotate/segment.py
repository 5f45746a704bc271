"""Sentence segmentation: source text to exact, trimmed, gap-free sentence spans (pySBD inside)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

Span = tuple[int, int]

SEGMENTER_RULES = 2
"""Version of our own rules around pySBD (blank lines, trimming, offset mapping); bump on change."""

_BLOCK_SEP = re.compile(
    r"(?:\r\n?|[\n\u2028\u2029])(?:[^\S\r\n\u2028\u2029]*+(?:\r\n?|[\n\u2028\u2029]))+|\u2029"
)

MAX_CHUNK = 5_000
"""pySBD is given at most this many characters at once (it slows down badly on huge paragraphs)."""


def segmenter_id() -> str:
    """Name and version of the segmenter, recorded in every label file."""
    from importlib.metadata import version

    return f"pysbd {version('pysbd')}; annotate-rules {SEGMENTER_RULES}"


@lru_cache(maxsize=1)
def _pysbd() -> Callable[[str], list[str]]:
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False)
    return seg.segment  # type: ignore[no-any-return]


def _blocks(text: str) -> Iterator[Span]:
    """Spans of the text between blank lines (a blank line always ends a sentence)."""
    pos = 0
    for m in _BLOCK_SEP.finditer(text):
        if m.start() > pos:
            yield (pos, m.start())
        pos = m.end()
    if pos < len(text):
        yield (pos, len(text))


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _chunks(text: str, start: int, end: int) -> Iterator[Span]:
    """Cut a very long block at line breaks, else at spaces, so pySBD never sees a huge input."""
    while end - start > MAX_CHUNK:
        cut = -1
        for sep in ("\n", "\u2028", ". ", " "):
            cut = text.rfind(sep, start + MAX_CHUNK // 2, start + MAX_CHUNK)
            if cut != -1:
                cut += len(sep)
                break
        if cut == -1:
            cut = start + MAX_CHUNK
        yield (start, cut)
        start = cut
    yield (start, end)


def _split_block(text: str, start: int, end: int) -> Iterator[Span]:
    """Split one block with pySBD and map its sentences back to exact offsets.

    pySBD's output is mapped by counting non-whitespace characters, so the spans
    cover every non-whitespace character of the block exactly once even if the
    segmenter changed whitespace.
    """
    block = text[start:end]
    pieces = _pysbd()(block.replace("\u2028", "\n"))  # pySBD breaks lines at \n, not U+2028
    # Cut points: after the n-th non-whitespace character of the block.
    nonspace_positions = [i for i, ch in enumerate(block) if not ch.isspace()]
    total = len(nonspace_positions)
    cuts: list[int] = []
    consumed = 0
    for piece in pieces[:-1]:
        consumed += sum(1 for ch in piece if not ch.isspace())
        if 0 < consumed < total:
            cuts.append(nonspace_positions[consumed - 1] + 1)
    prev = 0
    for cut in [*cuts, len(block)]:
        if cut <= prev:
            continue
        trimmed = _trim(block, prev, cut)
        if trimmed:
            yield (start + trimmed[0], start + trimmed[1])
        prev = cut


def segment(text: str) -> list[Span]:
    """Split ``text`` into sentences and return their ``(start, end)`` character offsets.

    Guarantees: deterministic; ``text[start:end]`` is the sentence with no
    leading or trailing whitespace; every non-whitespace character lies in
    exactly one sentence; spans are in order and do not overlap; a blank line
    always ends a sentence, so a headline above a blank line is its own sentence.
    """
    return list(iter_segment(text))


def iter_segment(text: str) -> Iterator[Span]:
    """Like :func:`segment`, yielding spans as they are found (for progress on big documents)."""
    for b_start, b_end in _blocks(text):
        trimmed = _trim(text, b_start, b_end)
        if not trimmed:
            continue
        for c_start, c_end in _chunks(text, *trimmed):
            yield from _split_block(text, c_start, c_end)
