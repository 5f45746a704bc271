"""A line-based view of a whole document, one wrapped row group per sentence; renders only what is visible."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
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
    first_row: list[int]  # first row of each sentence (after its paragraph gap)
    wraps: list[list[tuple[int, int]]]
    total_rows: int


class DocumentView(ScrollView, can_focus=True, inherit_bindings=False):
    """The document as running sentences with a gutter (number, label badge, flags) per sentence.

    State comes down from the screen (``texts``, ``gaps``, ``gutter``, ``cursor``);
    a click posts :class:`DocumentView.SentenceClicked` up. Changing one sentence
    repaints only its rows (:meth:`refresh_sentence`). It has no key bindings of its
    own (not ScrollView's up/down/home/end scrolling): the keys move the screen's cursor.
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
        self.marked: set[int] = set()
        self.dimmed: set[int] = set()
        self._layout: _Layout | None = None
        self._row_cache: dict[int, list[Strip]] = {}

    # layout ----------------------------------------------------------------------

    def _text_width(self) -> int:
        return max(10, self.scrollable_content_region.width - self.gutter_width - 1)

    def _ensure_layout(self) -> _Layout:
        width = self._text_width()
        if self._layout is None or self._layout.width != width:
            first_row = []
            wraps = []
            row = 0
            for i, text in enumerate(self.texts):
                if self.gaps[i] and i > 0:
                    row += 1
                first_row.append(row)
                w = wrap(text, width)
                wraps.append(w)
                row += len(w)
            self._layout = _Layout(width, first_row, wraps, row)
            self._row_cache.clear()
            self.virtual_size = Size(self.scrollable_content_region.width, row)
        return self._layout

    def on_resize(self, event: events.Resize) -> None:
        """Re-wrap when the width changed (only then) and keep the current sentence in view."""
        self._ensure_layout()
        self.scroll_to_sentence(self.cursor, animate=False)

    def rows_of(self, index: int) -> tuple[int, int]:
        """(first row, row count) of a sentence."""
        lay = self._ensure_layout()
        return lay.first_row[index], len(lay.wraps[index])

    def sentence_at(self, row: int) -> int | None:
        """The sentence shown on a (virtual) row, or None for a paragraph gap."""
        lay = self._ensure_layout()
        i = bisect.bisect_right(lay.first_row, row) - 1
        if i < 0:
            return None
        first, count = lay.first_row[i], len(lay.wraps[i])
        return i if first <= row < first + count else None

    # state changes from the screen -------------------------------------------------

    def refresh_sentence(self, index: int) -> None:
        """Repaint just the rows of one sentence (after its label or flags changed)."""
        if not 0 <= index < len(self.texts):
            return
        self._row_cache.pop(index, None)
        first, count = self.rows_of(index)
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
        top_i = max(0, index - CONTEXT)
        bot_i = min(len(self.texts) - 1, index + CONTEXT)
        top = lay.first_row[top_i]
        bottom = lay.first_row[bot_i] + len(lay.wraps[bot_i])
        height = self.scrollable_content_region.height
        y = self.scroll_offset.y
        if bottom - top > height:  # not everything fits: centre the current sentence
            first, count = lay.first_row[index], len(lay.wraps[index])
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
        marked = index in self.marked
        base = self.get_component_rich_style("documentview--current") if current else Style()
        if marked and not current:
            base = self.get_component_rich_style("documentview--match")
        elif index in self.dimmed and not current:
            base = Style(dim=True)
        text = self.texts[index]
        width = self.scrollable_content_region.width
        strips = []
        blank_gutter = [Segment(" " * self.gutter_width, base)]
        for n, (s, e) in enumerate(lay.wraps[index]):
            gutter = self.gutter_fn(index, current) if n == 0 else blank_gutter
            if current:
                gutter = [Segment(seg.text, (seg.style or Style()) + Style(bgcolor=base.bgcolor))
                          if seg.style and seg.style.bgcolor is None else seg for seg in gutter]
            segs = [*gutter, Segment(" ", base), Segment(text[s:e], base)]
            strips.append(Strip(segs).adjust_cell_length(width, base))
        self._row_cache[index] = strips
        return strips

    def render_line(self, y: int) -> Strip:
        """One screen row: a sentence row, a paragraph gap or nothing."""
        lay = self._ensure_layout()
        row = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if row >= lay.total_rows:
            return Strip.blank(width)
        i = bisect.bisect_right(lay.first_row, row) - 1
        if i < 0:
            return Strip.blank(width)
        offset = row - lay.first_row[i]
        strips = self._strips(i)
        if offset >= len(strips):
            return Strip.blank(width)
        return strips[offset]

    DEFAULT_CSS = """
    DocumentView { height: 1fr; }
    DocumentView > .documentview--current { background: $primary 30%; text-style: bold; }
    DocumentView > .documentview--match { background: $warning 20%; }
    """
    COMPONENT_CLASSES = {"documentview--current", "documentview--match"}

    def on_click(self, event: events.Click) -> None:
        """A click on a sentence posts SentenceClicked."""
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
