"""Small display helpers shared by the screens: label badges, gutters, progress bars, fitting a line to a width."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from ..models import Sentence, Tagset


def contrast_style(color: str) -> Style:
    """Bold text on ``color`` in black or white, whichever reads better."""
    c = Color.parse(color)
    r, g, b = c.get_truecolor()
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return Style(color="black" if luminance > 140 else "white", bgcolor=c, bold=True)


def abbreviations(tagset: Tagset) -> dict[str, str]:
    """Short, unique, upper-case names for the labels (at least 4 letters; longer if needed)."""
    return short_names(tagset.names)


def short_names(names: Sequence[str]) -> dict[str, str]:
    """Short, unique, upper-case forms of names (at least 4 letters; longer if needed)."""
    if not names:
        return {}
    for width in range(4, max(len(n) for n in names) + 1):
        short = {n: n[:width].upper() for n in names}
        if len(set(short.values())) == len(names):
            return short
    return {n: n.upper() for n in names}


class Badges:
    """Pre-built gutter segments for a tagset: ``▶ 12 FACT ?✎``."""

    def __init__(self, tagset: Tagset, count: int) -> None:
        self.tagset = tagset
        self.short = abbreviations(tagset)
        self.badge_width = max(len(s) for s in self.short.values()) + 2
        self.num_width = len(str(count))
        self.width = 1 + self.num_width + 1 + self.badge_width + 2
        self.styles = {lab.name: contrast_style(lab.color) for lab in tagset.labels}

    def badge(self, label: str | None) -> Segment:
        """The coloured, named badge of a label (or a dim dot when unlabeled)."""
        if label is None:
            return Segment("·".center(self.badge_width), Style(dim=True))
        text = self.short.get(label, label.upper()[: self.badge_width - 2])
        return Segment(f" {text:<{self.badge_width - 2}} ", self.styles.get(label, Style(reverse=True)))

    def gutter(self, index: int, current: bool, sentence: Sentence) -> list[Segment]:
        """The gutter of a sentence row: cursor mark, number, badge, unsure and note flags."""
        mark = Segment("▶" if current else " ", Style(bold=True, color="bright_yellow"))
        num = Segment(f"{index + 1:>{self.num_width}} ", Style(dim=not current))
        flags = ("?" if sentence.unsure else " ") + ("✎" if sentence.note else " ")
        return [mark, num, self.badge(sentence.label), Segment(flags, Style(color="bright_yellow", bold=True))]

    def label_text(self, label: str | None) -> Text:
        """The label's full name in its colours, for panels."""
        if label is None:
            return Text("unlabeled", style="dim")
        return Text(f" {label} ", style=self.styles.get(label, Style(reverse=True)))


def progress_bar(done: int, total: int, width: int = 20) -> str:
    """A text progress bar like ``██████░░░░``."""
    if total <= 0:
        return "░" * width
    filled = round(width * done / total)
    return "█" * filled + "░" * (width - filled)


def format_seconds(seconds: float) -> str:
    """``1h 02m``, ``3m 05s`` or ``12s``."""
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s}s"


def shortenings(lengths: Sequence[Sequence[int]], keep: Sequence[int] | None = None) -> Iterator[list[int]]:
    """Ways to write a line of parts, from the longest to the shortest, one part shorter at each step.

    ``lengths[k]`` are the cell lengths of part k's variants, longest first. Each step
    shortens the part with the lowest ``keep`` (all equal when not given), the longest
    of those first, so full words are kept as long as possible and shortened only as
    far as needed. Yields the chosen variant index of every part.
    """
    keep = keep or [0] * len(lengths)
    choice = [0] * len(lengths)
    yield list(choice)
    while True:
        longer = [(-keep[k], lengths[k][c], -k) for k, c in enumerate(choice) if c + 1 < len(lengths[k])]
        if not longer:
            return
        *_, minus_k = max(longer)
        choice[-minus_k] += 1
        yield list(choice)


def fit_line(lengths: Sequence[Sequence[int]], width: int, keep: Sequence[int] | None = None) -> list[int]:
    """The least shortening of the parts for them to fit ``width`` cells (the shortest when nothing fits)."""
    choice: list[int] = []
    for choice in shortenings(lengths, keep):
        if sum(lengths[k][c] for k, c in enumerate(choice)) <= width:
            break
    return choice
