"""The key line at the bottom of every screen: the screen's active keys, drawn in one pass.

Textual's ``Footer`` shows the same thing with one widget per key and recomposes all
of them whenever the bindings change: three times while the labeling screen opens
(about 25 ms each, most of the screen's start-up work) and again whenever undo
becomes available. ``KeyBar`` renders the line in one pass and only repaints.
Clicking a key presses it, as with the footer. Every screen uses it, so the keys
look the same everywhere. When the keys do not fit one row even shortened, they take
a second row rather than lose one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget

from .widgets import shortenings

MAX_ROWS = 3
"""The keys wrap onto at most this many rows; nothing is cut before that."""


@dataclass(frozen=True)
class KeyEntry:
    """One key of the line: the key pressed on click, what is shown, whether it works now."""

    key: str
    display: str
    description: str
    enabled: bool


Region = tuple[int, int, int, KeyEntry]
"""Where a key is drawn: (row, first cell, end cell, key)."""


class KeyBar(Widget, can_focus=False):
    """The active keys of the screen (like a compact ``Footer``); click a key to press it.

    Descriptions are written in full when the line has room; when it has not, those
    with a short form (``short``: a label's abbreviation, say) are shortened, the
    longest first and only as far as needed; when even that does not fit one row, the
    keys wrap onto a second one in full words: no key is ever cut off.
    """

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .keybar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .keybar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    """

    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}

    def __init__(self, *, palette: bool = False, short: Mapping[str, str] | None = None,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.palette = palette
        """Also show the command palette's key (ctrl+p) at the end."""
        self.short = dict(short or {})
        """Short forms of descriptions, used when the line has no room for the full ones."""
        self.regions: list[Region] = []
        """Where each key is, as last drawn."""
        self._rows = 1

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        rows = len(self.rows_of_keys(self.entries(), self.size.width)) if self.size.width else self._rows
        self.refresh(layout=rows != self._rows)  # a layout pass only when the keys need another row (or one less)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many rows as the keys need at this width."""
        self._rows = len(self.rows_of_keys(self.entries(), width))
        return self._rows

    def entries(self) -> list[KeyEntry]:
        """The keys shown, in binding order: one per action, ``show=False`` bindings left out."""
        seen: set[str] = set()
        entries = []
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            entries.append(KeyEntry(binding.key, self.app.get_key_display(binding), binding.description, enabled))
        if self.palette and self.app.ENABLE_COMMAND_PALETTE:
            found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _node, binding, enabled, _tooltip = found
                entries.append(KeyEntry(binding.key, self.app.get_key_display(binding),
                                        binding.description or "palette", enabled))
        return entries

    def _variants(self, entry: KeyEntry) -> list[str]:
        """The entry's descriptions, longest first: its words, and its short form if it has one."""
        full = entry.description
        short = self.short.get(full)
        return [full, short] if short and short != full else [full]

    def rows_of_keys(self, entries: list[KeyEntry], width: int) -> list[list[tuple[KeyEntry, str]]]:
        """The rows of keys with the description each shows: one row if it can, then two, then three."""
        variants = [self._variants(e) for e in entries]
        lengths = [[cell_len(e.display) + (len(v) + 1 if v else 0) + 1 for v in vs]
                   for e, vs in zip(entries, variants, strict=True)]
        rows: list[list[int]] = []
        choice: list[int] = []
        for max_rows in range(1, MAX_ROWS + 1):
            for choice in shortenings(lengths):
                rows = _pack([lengths[k][c] for k, c in enumerate(choice)], width)
                if len(rows) <= max_rows:
                    break
            if len(rows) <= max_rows:
                break
        return [[(entries[k], variants[k][choice[k]]) for k in row] for row in rows]

    def _line(self, row: list[tuple[KeyEntry, str]], y: int, regions: list[Region]) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        description_style = self.get_component_rich_style("keybar--description")
        dim = Style(dim=True)
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        for entry, description in row:
            start = text.cell_len
            extra = Style() if entry.enabled else dim
            text.append(entry.display, key_style + extra)
            if description:
                text.append(" " + description, description_style + extra)
            regions.append((y, start, text.cell_len, entry))
            text.append(" ")
        return text

    def render(self) -> Text:
        rows = self.rows_of_keys(self.entries(), self.size.width)
        regions: list[Region] = []
        lines = [self._line(row, y, regions) for y, row in enumerate(rows)]
        self.regions = regions
        return Text("\n", end="").join(lines)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for y, start, end, entry in self.regions:
            if y == event.y and start <= event.x < end:
                if entry.enabled:
                    self.app.simulate_key(entry.key)
                else:
                    self.app.bell()
                return


def _pack(lengths: list[int], width: int) -> list[list[int]]:
    """Items of these lengths, in order, into rows of ``width`` cells (an item wider than a row gets its own)."""
    rows: list[list[int]] = [[]]
    used = 0
    for k, n in enumerate(lengths):
        if rows[-1] and used + n - 1 > width:  # the trailing space of a row's last item may hang off
            rows.append([])
            used = 0
        rows[-1].append(k)
        used += n
    return rows
