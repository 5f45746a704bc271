"""A line-based view of a whole document, one wrapped row group per sentence; renders only what is visible."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

CONTEXT = 2
"""Sentences of context kept in view above and below the current one."""

Gutter = Callable[[int, bool], list[Segment]]
"""Builds the left gutter of a sentence's first row: (index, is_current) -> segments of fixed width."""


def wrap(text: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of one-line ``text`` into (start, end) slices of at most ``width`` cells.

    Fast path for ASCII; words longer than a line are cut. Never drops characters
    other than the spaces at the breaks.
    """
    width = max(width, 1)
    n = len(text)
    if text.isascii():
        if n <= width:
            return [(0, n)]
        out = []
        start = 0
        while n - start > width:
            cut = text.rfind(" ", start, start + width + 1)
            if cut <= start:
                out.append((start, start + width))
                start += width
            else:
                out.append((start, cut))
                start = cut + 1
            while start < n and text[start] == " ":
                start += 1
        if start < n:
            out.append((start, n))
        return out or [(0, 0)]
    out = []
    start = 0
    line_cells = 0
    last_space = -1
    i = start
    while i < n:
        w = cell_len(text[i])
        if text[i] == " ":
            last_space = i
        if line_cells + w > width and i > start:
            if last_space > start:
                out.append((start, last_space))
                start = last_space + 1
            else:
                out.append((start, i))
                start = i
            i = start
            line_cells = 0
            last_space = -1
            continue
        line_cells += w
        i += 1
    if start < n:
        out.append((start, n))
    return out or [(0, 0)]


@dataclass
class _Layout:
    width: int
    shown: list[int]  # the indices of the sentences shown, in order
    position: list[int]  # for each sentence, its place in ``shown`` (-1: hidden)
    first_row: list[int]  # first row of each shown sentence (after its paragraph gap)
    wraps: list[list[tuple[int, int]]]  # the wrapped lines of each shown sentence
    total_rows: int
    notes: dict[int, str]  # rows that say how many sentences are hidden there


class DocumentView(ScrollView, can_focus=True, inherit_bindings=False):
    """The document as running sentences with a gutter (number, label badge, flags) per sentence.

    State comes down from the screen (``texts``, ``gaps``, ``gutter``, ``cursor``,
    which sentences are hidden); a click posts :class:`DocumentView.SentenceClicked`
    up. Changing one sentence repaints only its rows (:meth:`refresh_sentence`);
    :meth:`redraw`, :meth:`show_document` and :meth:`hide` are for the rarer changes
    of everything. It has no key bindings of its own (not ScrollView's up/down/home/end
    scrolling): the keys move the screen's cursor.
    """

    class SentenceClicked(Message):
        """The user clicked on a sentence."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(
        self,
        texts: Sequence[str],
        gaps: Sequence[bool],
        gutter: Gutter,
        gutter_width: int,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.texts = [" ".join(t.split()) for t in texts]
        self.gaps = list(gaps)
        self.gutter_fn = gutter
        self.gutter_width = gutter_width
        self.cursor = 0
        self._hidden: frozenset[int] = frozenset()
        self._layout: _Layout | None = None
        self._row_cache: dict[int, list[Strip]] = {}

    # layout ----------------------------------------------------------------------

    def _text_width(self) -> int:
        return max(10, self.scrollable_content_region.width - self.gutter_width - 1)

    def _ensure_layout(self) -> _Layout:
        width = self._text_width()
        if self._layout is None or self._layout.width != width:
            self._layout = self._lay_out(width)
            self._row_cache.clear()
            self.virtual_size = Size(self.scrollable_content_region.width, self._layout.total_rows)
        return self._layout

    def _lay_out(self, width: int) -> _Layout:
        shown = [i for i in range(len(self.texts)) if i not in self._hidden] if self._hidden else \
            list(range(len(self.texts)))
        position = [-1] * len(self.texts)
        first_row, wraps, notes = [], [], {}
        row = 0
        previous = -1
        for p, i in enumerate(shown):
            position[i] = p
            if i - previous > 1:  # sentences hidden between the last shown one and this one
                notes[row] = _hidden_note(i - previous - 1)
                row += 1
            elif self.gaps[i] and p > 0:
                row += 1
            first_row.append(row)
            w = wrap(self.texts[i], width)
            wraps.append(w)
            row += len(w)
            previous = i
        if len(self.texts) - previous > 1:
            notes[row] = _hidden_note(len(self.texts) - previous - 1)
            row += 1
        return _Layout(width, shown, position, first_row, wraps, row, notes)

    def on_resize(self, event: events.Resize) -> None:
        """Re-wrap when the width changed (only then) and keep the current sentence in view."""
        self._ensure_layout()
        self.scroll_to_sentence(self.cursor, animate=False)

    def rows_of(self, index: int) -> tuple[int, int]:
        """(first row, row count) of a sentence; a hidden sentence has no rows (count 0)."""
        lay = self._ensure_layout()
        p = lay.position[index]
        if p < 0:
            return 0, 0
        return lay.first_row[p], len(lay.wraps[p])

    def sentence_at(self, row: int) -> int | None:
        """The sentence shown on a (virtual) row, or None for a paragraph gap or a note."""
        lay = self._ensure_layout()
        p = bisect.bisect_right(lay.first_row, row) - 1
        if p < 0:
            return None
        first, count = lay.first_row[p], len(lay.wraps[p])
        return lay.shown[p] if first <= row < first + count else None

    # which sentences are shown ---------------------------------------------------------

    @property
    def hidden(self) -> frozenset[int]:
        """The sentences not shown."""
        return self._hidden

    def is_shown(self, index: int) -> bool:
        """True when the sentence is in the view (not hidden)."""
        return index not in self._hidden

    def step(self, index: int, delta: int) -> int:
        """The shown sentence ``delta`` shown sentences away from ``index`` (clamped to the ends)."""
        lay = self._ensure_layout()
        if not lay.shown:
            return index
        p = lay.position[index]
        if p < 0:  # from a hidden sentence: the shown ones on that side count from it
            p = bisect.bisect_left(lay.shown, index) - (1 if delta > 0 else 0)
        return lay.shown[max(0, min(p + delta, len(lay.shown) - 1))]

    def ends(self) -> tuple[int, int] | None:
        """The first and last shown sentences (None when none is shown)."""
        lay = self._ensure_layout()
        return (lay.shown[0], lay.shown[-1]) if lay.shown else None

    # state changes from the screen -------------------------------------------------

    def hide(self, hidden: Collection[int]) -> None:
        """Show every sentence but these (an empty collection shows them all); the screen keeps its cursor shown."""
        self._hidden = frozenset(hidden)
        self._relayout()

    def show_document(self, texts: Sequence[str], gaps: Sequence[bool], gutter_width: int, cursor: int) -> None:
        """Show new sentences (the source was edited), every one of them, with the cursor on ``cursor``."""
        self.texts = [" ".join(t.split()) for t in texts]
        self.gaps = list(gaps)
        self.gutter_width = gutter_width
        self.cursor = cursor
        self._hidden = frozenset()
        self._relayout()
        self.call_after_refresh(self.scroll_to_sentence, cursor)

    def redraw(self, gutter_width: int | None = None) -> None:
        """Draw every row anew (many labels changed at once); a new ``gutter_width`` re-wraps the text."""
        if gutter_width is not None and gutter_width != self.gutter_width:
            self.gutter_width = gutter_width
            self._relayout()
            return
        self._row_cache.clear()
        self.refresh()

    def _relayout(self) -> None:
        self._layout = None
        self._row_cache.clear()
        if self.size.width:
            self._ensure_layout()
        self.refresh()

    def refresh_sentence(self, index: int) -> None:
        """Repaint just the rows of one sentence (after its label or flags changed)."""
        if not 0 <= index < len(self.texts):
            return
        self._row_cache.pop(index, None)
        first, count = self.rows_of(index)
        if count:
            self.refresh_lines(first, count)

    def move_cursor(self, index: int, animate: bool = False) -> None:
        """Make ``index`` the current sentence: repaint the old and new rows, scroll into view."""
        index = max(0, min(index, len(self.texts) - 1))
        old = self.cursor
        self.cursor = index
        self.refresh_sentence(old)
        self.refresh_sentence(index)
        self.scroll_to_sentence(index, animate=animate)

    def scroll_to_sentence(self, index: int, animate: bool = False) -> None:
        """Scroll as little as possible so the sentence and CONTEXT sentences around it are visible."""
        if not self.texts or self.size.height == 0:
            return
        lay = self._ensure_layout()
        p = lay.position[index] if 0 <= index < len(lay.position) else -1
        if p < 0:
            return
        top_p = max(0, p - CONTEXT)
        bot_p = min(len(lay.shown) - 1, p + CONTEXT)
        top = lay.first_row[top_p] if top_p > 0 else 0  # the first sentence with what is above it (a note)
        bottom = lay.first_row[bot_p] + len(lay.wraps[bot_p]) if bot_p < len(lay.shown) - 1 else lay.total_rows
        height = self.scrollable_content_region.height
        y = self.scroll_offset.y
        if bottom - top > height:  # not everything fits: centre the current sentence
            first, count = lay.first_row[p], len(lay.wraps[p])
            y = max(0, first + count // 2 - height // 2)
        elif top < y:
            y = top
        elif bottom > y + height:
            y = bottom - height
        if y != self.scroll_offset.y:
            self.scroll_to(y=y, animate=animate, immediate=not animate)

    # rendering --------------------------------------------------------------------------

    def _strips(self, index: int) -> list[Strip]:
        cached = self._row_cache.get(index)
        if cached is not None:
            return cached
        lay = self._ensure_layout()
        current = index == self.cursor
        base = self.get_component_rich_style("documentview--current") if current else Style()
        text = self.texts[index]
        width = self.scrollable_content_region.width
        strips = []
        blank_gutter = [Segment(" " * self.gutter_width, base)]
        for n, (s, e) in enumerate(lay.wraps[lay.position[index]]):
            gutter = self.gutter_fn(index, current) if n == 0 else blank_gutter
            if current:
                gutter = [Segment(seg.text, (seg.style or Style()) + Style(bgcolor=base.bgcolor))
                          if seg.style and seg.style.bgcolor is None else seg for seg in gutter]
            segs = [*gutter, Segment(" ", base), Segment(text[s:e], base)]
            strips.append(Strip(segs).adjust_cell_length(width, base))
        self._row_cache[index] = strips
        return strips

    def render_line(self, y: int) -> Strip:
        """One screen row: a sentence row, a paragraph gap, a note of hidden sentences or nothing."""
        lay = self._ensure_layout()
        row = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if row >= lay.total_rows:
            return Strip.blank(width)
        note = lay.notes.get(row)
        if note is not None:
            style = self.get_component_rich_style("documentview--note")
            return Strip([Segment(" " * (self.gutter_width + 1), style), Segment(note, style)]).adjust_cell_length(
                width, style)
        p = bisect.bisect_right(lay.first_row, row) - 1
        if p < 0:
            return Strip.blank(width)
        offset = row - lay.first_row[p]
        strips = self._strips(lay.shown[p])
        if offset >= len(strips):
            return Strip.blank(width)
        return strips[offset]

    DEFAULT_CSS = """
    DocumentView { height: 1fr; }
    DocumentView > .documentview--current { background: $primary 30%; text-style: bold; }
    DocumentView > .documentview--note { color: $text-muted; text-style: italic; }
    """
    COMPONENT_CLASSES = {"documentview--current", "documentview--note"}

    def on_click(self, event: events.Click) -> None:
        """A click on a shown sentence posts SentenceClicked."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.sentence_at(offset.y + self.scroll_offset.y)
        if index is not None:
            self.post_message(self.SentenceClicked(index))

    def notify_style_update(self) -> None:
        """Theme changed: drop cached rows."""
        super().notify_style_update()
        self._row_cache.clear()


def _hidden_note(count: int) -> str:
    return f"··· {count} sentence{'s' if count != 1 else ''} hidden ···"
