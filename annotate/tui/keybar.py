"""The key line at the bottom of every screen: the screen's active keys, drawn as one line.

Textual's ``Footer`` shows the same thing with one widget per key and recomposes all
of them whenever the bindings change: three times while the labeling screen opens
(about 25 ms each, most of the screen's start-up work) and again whenever undo
becomes available. ``KeyBar`` renders the line in one pass and only repaints.
Clicking a key presses it, as with the footer. Every screen uses it, so the keys
look the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

SHORT_DESCRIPTION = 4
"""When the full line does not fit, descriptions are cut to this many characters."""


@dataclass(frozen=True)
class KeyEntry:
    """One key of the line: the key pressed on click, what is shown, whether it works now."""

    key: str
    display: str
    description: str
    enabled: bool


class KeyBar(Widget, can_focus=False):
    """The active keys of the screen in one line (like a compact ``Footer``); click a key to press it."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
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

    def __init__(self, *, palette: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.palette = palette
        """Also show the command palette's key (ctrl+p) at the end."""
        self.regions: list[tuple[int, int, KeyEntry]] = []
        """Where each key is on the line: (first cell, end cell, key), as last drawn."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        self.refresh()

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

    def _line(self, entries: list[KeyEntry], cut: int | None) -> tuple[Text, list[tuple[int, int, KeyEntry]]]:
        key_style = self.get_component_rich_style("keybar--key")
        description_style = self.get_component_rich_style("keybar--description")
        dim = Style(dim=True)
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        regions = []
        for entry in entries:
            start = text.cell_len
            extra = Style() if entry.enabled else dim
            text.append(entry.display, key_style + extra)
            if entry.description:
                text.append(" " + entry.description[:cut], description_style + extra)
            regions.append((start, text.cell_len, entry))
            text.append(" ")
        return text, regions

    def render(self) -> Text:
        entries = self.entries()
        text, regions = self._line(entries, None)
        if text.cell_len > self.size.width:
            text, regions = self._line(entries, SHORT_DESCRIPTION)
        self.regions = regions
        return text

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for start, end, entry in self.regions:
            if start <= event.x < end:
                if entry.enabled:
                    self.app.simulate_key(entry.key)
                else:
                    self.app.bell()
                return
