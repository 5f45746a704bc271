"""Sentence segmentation: source text to exact, trimmed, gap-free sentence spans (pySBD inside, quote-aware)."""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from array import array
from collections.abc import Callable, Iterator
from functools import lru_cache

from . import forked

Span = tuple[int, int]

SEGMENTER_RULES = 3
"""Version of our own rules around pySBD (blank lines, trimming, offset mapping, the quotation and
dateline repairs of :func:`_repair`); bump on change."""

_LINE_BREAK = r"(?>\r\n|\r|[\n\u2028\u2029])"  # atomic: a CRLF is one line break, never two
_BLOCK_SEP = re.compile(_LINE_BREAK + r"(?:[^\S\r\n\u2028\u2029]*+" + _LINE_BREAK + r")+|\u2029")

MAX_CHUNK = 5_000
"""pySBD is given at most this many characters at once (it slows down badly on huge paragraphs)."""


@lru_cache(maxsize=1)
def segmenter_id() -> str:
    """Name and version of the segmenter, recorded in every label file."""
    return f"pysbd {_pysbd_version()}; annotate-rules {SEGMENTER_RULES}"


def _pysbd_version() -> str:
    """pySBD's version from its ``about.py``, without importing pySBD (~12 ms at a first open,
    where a prefetch segments in another process) or searching the installed distributions."""
    about = sys.modules.get("pysbd.about")
    if about is not None:
        return str(about.__version__)
    import importlib.util

    spec = importlib.util.find_spec("pysbd")
    for directory in (spec.submodule_search_locations or []) if spec else []:
        try:
            with open(os.path.join(directory, "about.py"), encoding="utf-8") as fh:
                found = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", fh.read())
        except OSError:
            continue
        if found:
            return found.group(1)
    from importlib.metadata import version

    return version("pysbd")


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


def _pysbd_spans(text: str, start: int, end: int) -> Iterator[Span]:
    """Split one piece with pySBD and map its sentences back to exact offsets.

    pySBD's output is mapped by counting non-whitespace characters, so the spans
    cover every non-whitespace character of the piece exactly once even if the
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


def _split_block(text: str, start: int, end: int) -> list[Span]:
    """The sentences of one block: pySBD on each piece between hard cuts, then :func:`_repair`."""
    spans: list[Span] = []
    piece_ends: set[int] = set()
    for p_start, p_end in _pieces(text, start, end):
        for c_start, c_end in _chunks(text, p_start, p_end):
            spans.extend(_pysbd_spans(text, c_start, c_end))
        if spans:
            piece_ends.add(len(spans))  # index of the first span after this piece
    return _repair(text, spans, piece_ends)


# --------------------------------------------------------------------------- quotation rules
#
# pySBD keeps the text between a pair of quotation marks together. News text breaks that
# pairing in two ways: a quotation that opens after a sentence-final mark while the previous
# one is still open (the BBC runs a quotation over paragraphs and only closes it in the
# last), and quotations that follow each other ("..." "..."). pySBD then pairs the wrong
# marks and glues a closing mark to the next sentence or two quotations into one unit. So
# each block is first cut where a quotation opens after a sentence-final mark (a hard cut,
# :func:`_pieces`), pySBD runs on each piece, and :func:`_repair` fixes what is left.

_SENTENCE_END = "[.?!…][)\\]\"'”’]*"
_HARD_CUT = re.compile(_SENTENCE_END + r"\s+(?=[\"“][A-Z0-9]|['‘][A-Z])")
"""Where a quotation opens (mark + capital or digit) after a sentence-final mark: a new sentence."""

_CLOSERS = "\"'”’»"
_LEADING_CLOSERS = re.compile(r"[\"'”’»]+(?=\s|$)")
"""Closing marks at the start of a unit: they close the previous sentence."""

_QUOTE_THEN_ATTRIBUTION = re.compile(r"(?:[?!,…]|\.\.\.|[-–—])[)\]]*\s?[\"'”’]+$")
"""A unit ending in a quotation that ends in ?, !, a comma, an ellipsis or a dash."""

_SPEECH_VERB = re.compile(
    r"\b(?:said|says|say|asked|asks|added|adds|told|tells|wrote|writes|recalled|recalls|explained|explains"
    r"|noted|notes|continued|continues|replied|replies|argued|argues|insisted|insists|warned|warns|stated"
    r"|states|declared|declares|answered|answers|claimed|claims|admitted|admits|acknowledged|concluded"
    r"|conceded|remarked|observed|responded|responds|quipped|joked|shouted|cried|whispered|announced"
    r"|agreed|tweeted|posted|according)\b"
)
_MAX_ATTRIBUTION_WORDS = 8

_ELLIPSIS_END = re.compile(r"(?:\.\.\.|…)[\"'”’]*$")
_NUMBER_ELLIPSIS_END = re.compile(r"\d(?:\.\.\.|…)$")
_LIST_MARKER = re.compile(r"\(?(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})[.)]")
_LEADING_NUMBER_STOP = re.compile(r"\d{1,4}\.(?=\s)")

_DATELINE = re.compile(
    r"[A-Z][A-Z.'’&\- ]*[A-Z.]"         # CITY, all capitals
    r"(?:,\s+(?:[A-Z][A-Za-z]*\.?\s?)+)?"  # , St.  /  , N.C.
    r"(?:\s*\([^()\n]{1,40}\))?"          # (Agency)
    r"(?:\s*[-–—]{1,2})?"          # -  --  —
)
"""A first unit that is only a dateline (``WEST PALM BEACH, Fla.``, ``LONDON (Reuters) -``)."""

_DOUBLE_QUOTE = re.compile("[\"\u201c\u201d]")
_WORD_CHAR = re.compile(r"\w")
_LINE_BREAK_CHAR = re.compile("[\n\r\u2028\u2029\x0b\x0c\x1c-\x1e\x85]")  # what str.splitlines() breaks at

_MAX_QUOTE_UNITS = 6
"""A quotation is kept in one unit only if pySBD cut it into at most this many pieces."""


def _pieces(text: str, start: int, end: int) -> Iterator[Span]:
    """Cut a block before every quotation that opens after a sentence-final mark (see :data:`_HARD_CUT`)."""
    pos = start
    for m in _HARD_CUT.finditer(text, start, end):
        if m.end() > pos:
            yield (pos, m.end())
            pos = m.end()
    yield (pos, end)


def _repair(text: str, spans: list[Span], piece_ends: set[int]) -> list[Span]:
    """Apply the quotation, attribution, ellipsis and dateline rules to the sentences of one block."""
    if len(spans) < 2:
        return spans
    spans = _move_leading_closers(text, spans)
    spans = _join_quotations(text, spans, piece_ends)
    spans = _join_pairs(text, spans)
    spans = _fix_number_stops(text, spans)
    return _join_punctuation_only(text, spans)


def _move_leading_closers(text: str, spans: list[Span]) -> list[Span]:
    """Give closing quotation marks at the start of a unit back to the sentence they close."""
    out = [spans[0]]
    for s, e in spans[1:]:
        m = _LEADING_CLOSERS.match(text, s, e)
        _give_head(text, out, (s, e), m.end() if m and _ends_sentence(text, out[-1]) else None)
    return out


def _give_head(text: str, out: list[Span], span: Span, head_end: int | None) -> None:
    """Append ``span`` to ``out``, or with ``head_end``, give its head (up to there) to the unit before it."""
    s, e = span
    if head_end is None:
        out.append((s, e))
        return
    out[-1] = (out[-1][0], head_end)
    rest = _trim(text, head_end, e)
    if rest:
        out.append(rest)


def _ends_sentence(text: str, span: Span) -> bool:
    """Whether a unit ends in a sentence-final mark, possibly inside a bracket or quotation."""
    end = span[1]
    while end > span[0] and text[end - 1] in _CLOSERS + ")]":
        end -= 1
    return end > span[0] and text[end - 1] in ".?!\u2026"


def _join_quotations(text: str, spans: list[Span], piece_ends: set[int]) -> list[Span]:
    """Keep a quotation in one unit: no cut inside a double quotation that closes in the same piece.

    A quotation still open at a hard cut or at the end of the block counts as closed
    there: that is the BBC's quotation over several paragraphs run together, which has
    no closing mark until the last of them, so each stretch from one opening mark to the
    next is one unit. Only double quotation marks count (a single one is often an
    apostrophe), and a quotation is kept together only over a few sentences.
    """
    out: list[Span] = []
    first = 0
    for end_index in sorted(piece_ends | {len(spans)}):
        piece = spans[first:end_index]
        first = end_index
        for opened, closed in _quotations(text, piece[0][0], piece[-1][1]) if piece else ():
            inside = [i for i in range(1, len(piece)) if opened < piece[i][0] <= closed]
            if inside and len(inside) + 1 <= _MAX_QUOTE_UNITS:
                k = inside[0] - 1
                piece[k:inside[-1] + 1] = [(piece[k][0], piece[inside[-1]][1])]
        out.extend(piece)
    return out


def _quotations(text: str, start: int, end: int) -> list[Span]:
    """(opening, closing) offsets of the double quotations in ``text[start:end]``, last ones first.

    A quotation opened again before it closes is dropped (its closing mark is missing);
    one still open at ``end`` closes there.
    """
    found: list[Span] = []
    opened = -1
    for m in _DOUBLE_QUOTE.finditer(text, start, end):
        pos = m.start()
        if m.group() == "\u201c" or (m.group() == '"' and _opens(text, pos, start, end)):
            opened = pos
        elif opened >= 0:
            found.append((opened, pos))
            opened = -1
    if opened >= 0:
        found.append((opened, end))
    return found[::-1]


def _opens(text: str, pos: int, start: int, end: int) -> bool:
    """Whether the straight double quotation mark at ``pos`` opens a quotation (by its neighbours)."""
    before = text[pos - 1] if pos > start else " "
    after = text[pos + 1] if pos + 1 < end else " "
    return (before.isspace() or before in "([{\u2014\u2013-/") and not after.isspace()


def _join_pairs(text: str, spans: list[Span]) -> list[Span]:
    """Join a unit to the one before it where the cut between them is not a sentence end."""
    out = [spans[0]]
    for i, span in enumerate(spans[1:], 1):
        if _belongs_to_previous(text, out[-1], span, first=len(out) == 1 and i == 1):
            out[-1] = (out[-1][0], span[1])
        else:
            out.append(span)
    return out


def _belongs_to_previous(text: str, prev: Span, span: Span, first: bool) -> bool:
    """The pair rules: attribution after a quotation, an ellipsis inside a sentence, a unit that
    starts with a comma, semicolon or colon, a dateline."""
    last, head = text[prev[1] - 1], text[span[0]]
    if head in ",;:" or (last == head == "." and prev[1] == span[0]):  # never start at a comma or mid-ellipsis
        return True
    if last in _CLOSERS and _QUOTE_THEN_ATTRIBUTION.search(text, prev[0], prev[1]):
        return _is_attribution(text[span[0]:span[1]])
    if last in ".\u2026" + _CLOSERS and (head.islower() or head.isdigit()):
        pattern = _ELLIPSIS_END if head.islower() else _NUMBER_ELLIPSIS_END
        if pattern.search(text, prev[0], prev[1]):
            return True
    if not first or _LINE_BREAK_CHAR.search(text, prev[1], span[0]):
        return False
    return _DATELINE.fullmatch(text, *prev) is not None


def _is_attribution(unit: str) -> bool:
    """A short ``he said.`` / ``Blitzer asked.`` that names who spoke the quotation before it."""
    if not unit.endswith(".") or any(ch in unit for ch in '"\u201c\u201d'):
        return False
    words = unit.split()
    return len(words) <= _MAX_ATTRIBUTION_WORDS and (unit[0].islower() or _SPEECH_VERB.search(unit) is not None)


def _fix_number_stops(text: str, spans: list[Span]) -> list[Span]:
    """``aged 16 to`` / ``18. These are ...``: a number and full stop end the sentence, not start a list."""
    out = [spans[0]]
    for s, e in spans[1:]:
        ps, pe = out[-1]
        m = _LEADING_NUMBER_STOP.match(text, s, e)
        joins = (m is not None and text[pe - 1].isalpha() and not _LINE_BREAK_CHAR.search(text, pe, s)
                 and not _LIST_MARKER.match(text, ps, pe))
        _give_head(text, out, (s, e), m.end() if joins and m else None)
    return out


def _join_punctuation_only(text: str, spans: list[Span]) -> list[Span]:
    """No unit is punctuation alone: join it to the sentence it opens or closes."""
    out: list[Span] = []
    pending: int | None = None  # start of an opening-punctuation unit waiting for its sentence
    for s, e in spans:
        if _punctuation_only(text, s, e):
            if text[s] in "\u201c\u2018([{" and pending is None:
                pending = s
                continue
            if out:
                out[-1] = (out[-1][0], e)  # an opener waiting before it is now inside the joined unit too
                pending = None
                continue
            pending = s if pending is None else pending
            continue
        out.append((pending if pending is not None else s, e))
        pending = None
    if pending is not None:
        if out:
            out[-1] = (out[-1][0], spans[-1][1])
        else:
            out.append((pending, spans[-1][1]))
    return out


def _punctuation_only(text: str, start: int, end: int) -> bool:
    """Whether every non-space character of ``text[start:end]`` is punctuation (Unicode category P*)."""
    if _WORD_CHAR.search(text, start, end):
        return False
    return all(ch.isspace() or unicodedata.category(ch)[0] == "P" for ch in text[start:end])


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
    prefetched = _take_prefetched(text)
    if prefetched is not None:
        yield from prefetched
        return
    for b_start, b_end in _blocks(text):
        trimmed = _trim(text, b_start, b_end)
        if trimmed:
            yield from _split_block(text, *trimmed)


# --------------------------------------------------------------------------- prefetch

PREFETCH_CHARS = 20_000
"""Only sources up to this size are segmented ahead (bigger ones are segmented with progress shown)."""


_prefetched: dict[str, forked.Child] = {}


def prefetch(text: str) -> bool:
    """Start segmenting ``text`` in a forked child process; :func:`segment` picks the result up.

    ``annotate label`` calls this for a document opened for the first time, before
    it imports the user interface: pySBD's first run (~60 ms of building rules and
    regular expressions for an article) then happens on another core while this
    process starts the screen. Linux only (fork without exec is not safe
    everywhere), never with other threads running, and only for texts up to
    ``PREFETCH_CHARS`` (see :mod:`annotate.forked`). Returns whether a child was
    started. If anything goes wrong, the text is simply segmented here, as without a prefetch.
    """
    if len(text) > PREFETCH_CHARS or text in _prefetched:
        return False
    child = forked.start(lambda: array("q", [offset for span in iter_segment(text) for offset in span]).tobytes())
    if child is None:
        return False
    _prefetched[text] = child
    return True


def _take_prefetched(text: str) -> list[Span] | None:
    """The spans of a prefetch of exactly ``text`` (waits for the child), or None."""
    child = _prefetched.pop(text, None) if _prefetched else None
    data = forked.collect(child) if child is not None else None
    flat = array("q")
    if data is None or len(data) % (2 * flat.itemsize):
        return None
    flat.frombytes(data)
    spans = list(zip(flat[::2], flat[1::2], strict=True))  # even length: checked above
    return spans if _plausible(text, spans) else None


def _plausible(text: str, spans: list[Span]) -> bool:
    """Spans in order, inside the text, not overlapping and trimmed (what segment() guarantees)."""
    prev = 0
    for start, end in spans:
        if not prev <= start < end <= len(text) or text[start].isspace() or text[end - 1].isspace():
            return False
        prev = end
    return bool(spans) or not text.strip()


def cancel_prefetch() -> None:
    """Stop and reap every prefetch child not picked up (the document was not opened after all)."""
    while _prefetched:
        forked.stop(_prefetched.popitem()[1])
