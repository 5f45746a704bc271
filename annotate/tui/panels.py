"""The bars and panels around the document: each renders itself from the state its screen hands down.

The screen owns the state and sets a panel's ``state`` (attributes down); the panel
draws it, and draws it again when its width changes (full label names when they fit,
shorter ones only when the width requires it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from ..models import Sentence, Tagset
from .widgets import Badges, abbreviations, fit_line, format_seconds

Parts = list[tuple[int, list[Text]]]
"""A line to fit: for each part, how much it matters (shortened last when high) and its variants, longest first."""

KEEP = 9
"""How much a part that has one variant only matters (it is never shortened)."""


def fitted(parts: Parts, width: int) -> Text:
    """One line of parts, each written in the longest of its variants that lets the line fit ``width``."""
    parts = [(keep, _shorter_and_shorter(variants)) for keep, variants in parts]
    choice = fit_line([[v.cell_len for v in variants] for _, variants in parts], width, [keep for keep, _ in parts])
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    for (_, variants), c in zip(parts, choice, strict=True):
        line.append_text(variants[c])
    return line


def _shorter_and_shorter(variants: list[Text]) -> list[Text]:
    kept = variants[:1]
    for v in variants[1:]:
        if v.cell_len < kept[-1].cell_len:
            kept.append(v)
    return kept


def styled(text: str, style: str | Style = "") -> Text:
    return Text(text, style=style, end="")


class Drawn(Static):
    """A panel that draws ``state`` (set by its screen) at its current width."""

    state: reactive[Any] = reactive(None, always_update=True, layout=False)

    def watch_state(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if self.state is not None:
            self.update(self.draw(self.state, self.size.width), layout=False)  # fixed size (app.tcss)

    def draw(self, state: Any, width: int) -> Text:
        """The panel's text for this state and width."""
        raise NotImplementedError


@dataclass(eq=False)
class Progress:
    """What the status bar shows: the document, whose labels, how far they are."""

    document: str
    annotator: str
    sentences: Sequence[Sentence] = ()
    opened: bool = False
    orphans: int = 0
    error: str | None = None
    following: tuple[int, int] | None = None
    """While an edited source is re-anchored in the background: (done, total) so far."""
    note: str | None = None
    """Something about the order of work, e.g. "least sure first"."""


class StatusBar(Drawn):
    """The line at the top of a document screen: document, annotator, labeled so far, count per label."""

    def __init__(self, tagset: Tagset, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tagset = tagset
        self.styles_of = Badges(tagset, 1).styles
        self.short = abbreviations(tagset)

    def draw(self, state: Progress, width: int) -> Text:
        """Full label names when they fit; shortened (labels first, the longest first) only as the width requires."""
        parts: Parts = []
        if state.error:
            parts.append((KEEP, [styled(f" ⚠ {state.error} ", "bold white on red")]))
        if state.following is not None:
            done, total = state.following
            share = f" {100 * done // total}%" if total else ""
            warn = "bold black on yellow"
            parts.append((KEEP, [styled(f" ⟳ the source changed: re-anchoring{share}; keys wait ", warn),
                                 styled(f" ⟳ re-anchoring{share}; keys wait ", warn)]))
        parts.append((KEEP, [styled(f" {state.document} ", "bold reverse")]))
        parts.append((KEEP, [styled(f" {state.annotator}")]))
        if state.note:
            parts.append((1, [styled(f" · {state.note}", "italic"), styled(" ·", "italic")]))
        if state.opened:
            parts.extend(self._counts(state))
        return fitted(parts, width)

    def _counts(self, state: Progress) -> Parts:
        counts = dict.fromkeys(self.tagset.names, 0)
        unsure = 0
        for sentence in state.sentences:  # one pass: a few ms even at 10,000 sentences
            if sentence.label is not None:
                counts[sentence.label] = counts.get(sentence.label, 0) + 1
            if sentence.unsure:
                unsure += 1
        parts: Parts = [(KEEP, [styled(f"  {sum(counts.values())}/{len(state.sentences)} ", "bold")])]
        for name, n in counts.items():
            style = self.styles_of.get(name, "")
            short = self.short.get(name, name).lower()
            parts.append((0, [styled(" ") + styled(f"{label} {n}", style) for label in dict.fromkeys([name, short])]))
        if unsure:
            parts.append((KEEP, [styled(f"  ?{unsure}", "bold yellow")]))
        if state.orphans:
            parts.append((2, [styled(f"  {state.orphans} orphans (O)", "bold magenta"),
                              styled(f"  {state.orphans} orph. (O)", "bold magenta")]))
        return parts


@dataclass(eq=False)
class Focus:
    """The current sentence of the labeling screen and what the panel says about it."""

    index: int
    total: int
    sentence: Sentence
    suggestion: Any = None
    """The suggestion shown (annotate label --suggest), if any: label, score, cue."""


class SentencePanel(Drawn):
    """The panel below the document on the labeling screen: the current sentence, its label, flags, note."""

    def __init__(self, tagset: Tagset, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.badges = Badges(tagset, 1)

    def draw(self, state: Focus, width: int) -> Text:
        """Header line (number, label, flags, time, suggestion), then the sentence and its note."""
        s = state.sentence
        head = Text()
        head.append(f"Sentence {state.index + 1} of {state.total}  ")
        head.append_text(self.badges.label_text(s.label))
        if s.unsure:
            head.append("  unsure", "bold yellow")
        if s.seconds:
            head.append(f"  {format_seconds(s.seconds)}", "dim")
        shown = state.suggestion
        if shown is not None:
            head.append("   suggestion: ", "dim")
            head.append_text(self.badges.label_text(shown.label))
            head.append(f" {shown.score:.2f}", "dim")
            if shown.cue:
                head.append(f" ({shown.cue})", "dim")
            head.append("  ⏎ accepts", "dim")
        body = Text("\n")
        body.append(" ".join(s.text.split()))
        if s.note:
            body.append("\nnote: ", "bold")
            body.append(s.note, "italic")
        return head + body




__all__ = ["KEEP", "Drawn", "Focus", "Parts", "Progress", "SentencePanel", "StatusBar", "fitted", "styled"]
