"""Charts drawn by plotext (through textual-plotext): stacked bars, a heatmap, lines; each shows the data it is given.

Attributes down: the screen hands a chart its figure (:mod:`annotate.team.dashboard`'s
``Bars``, ``Heatmap`` or ``Lines``) with :meth:`Chart.show`; the chart keeps it in
``figure`` and draws it with plotext. Nothing here computes a figure.
"""

from __future__ import annotations

from typing import Any

from rich.color import Color
from textual_plotext import PlotextPlot

from ..team.dashboard import Bars, Heatmap, Lines
from .widgets import short_names

RGB = tuple[int, int, int]

COLD, HOT = (52, 61, 82), (66, 135, 245)
"""Heatmap cells go from COLD (no sentence) to HOT (the most sentences)."""

MAX_DAY_TICKS = 6
"""At most this many dates under the throughput figure."""


def rgb(colour: str) -> RGB:
    """``#rrggbb`` (or any colour Rich knows) as an (r, g, b) triple for plotext."""
    return Color.parse(colour).get_truecolor()  # type: ignore[return-value]


def blend(share: float) -> RGB:
    """The heatmap's colour of a cell holding ``share`` (0..1) of the largest cell's count."""
    return tuple(round(c + (h - c) * share) for c, h in zip(COLD, HOT, strict=True))  # type: ignore[return-value]


def ink_on(background: RGB) -> str:
    """Black or white, whichever reads better on ``background``."""
    r, g, b = background
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 140 else "white"


def whole_ticks(top: float, most: int = 5) -> list[int]:
    """At most ``most`` + 1 whole-number ticks from 0 to at least ``top`` (counts are never fractions)."""
    step = max(1, -(-int(top) // most))
    return list(range(0, int(top) + step, step))


class Chart(PlotextPlot):
    """A plotext plot that draws one figure (see the module's docstring); empty until it is given one."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.figure: Any = None
        """The figure drawn (None: nothing yet)."""

    def show(self, figure: Any) -> None:
        """Draw ``figure`` (replacing what was drawn)."""
        self.figure = figure
        plt = self.plt
        plt.clear_figure()
        plt.frame(True)
        if figure is not None:
            self.draw(figure)
        self.refresh()

    def draw(self, figure: Any) -> None:
        """Hand the figure to plotext (each kind of chart its own way)."""
        raise NotImplementedError


class BarsChart(Chart):
    """Horizontal stacked bars: the first category on top, one colour per series."""

    def draw(self, figure: Bars) -> None:
        """One bar per category, its series stacked left to right."""
        if not figure.categories or not figure.series:
            return
        names = list(reversed(figure.categories))  # plotext draws the first category at the bottom
        values = [list(reversed(v)) for _, v, _ in figure.series]
        self.plt.stacked_bar(names, values, orientation="horizontal", width=0.6,
                             color=[rgb(c) for _, _, c in figure.series])
        longest = max(sum(v[k] for _, v, _ in figure.series) for k in range(len(names)))
        ticks = whole_ticks(longest)
        self.plt.xticks(ticks, [str(t) for t in ticks])
        self.plt.xlim(0, ticks[-1])
        self.plt.xlabel(figure.unit)


class HeatmapChart(Chart):
    """A confusion matrix as coloured cells with their counts; rows top to bottom, columns left to right."""

    def draw(self, figure: Heatmap) -> None:
        """Each cell a filled rectangle, its count written in it."""
        n = len(figure.labels)
        if not n:
            return
        plt = self.plt
        most = max((max(row) for row in figure.cells), default=0) or 1
        for r, row in enumerate(figure.cells):
            y = n - 1 - r  # the first row at the top
            for c, count in enumerate(row):
                colour = blend(count / most)
                plt.rectangle([c - 0.5, c + 0.5], [y - 0.5, y + 0.5], color=colour, fill=True, marker="sd")
                plt.text(str(count), c, y, color=ink_on(colour), background=colour, alignment="center")
        short = short_names(figure.labels)
        names = [short[label] for label in figure.labels]
        plt.xticks(list(range(n)), names)
        plt.yticks(list(range(n)), list(reversed(names)))
        plt.xlim(-0.5, n - 0.5)
        plt.ylim(-0.5, n - 0.5)
        plt.xlabel(f"{figure.column_by} →")
        plt.ylabel(figure.row_by)


class LinesChart(Chart):
    """One line per series over the days, a few dates under it."""

    def draw(self, figure: Lines) -> None:
        """Each annotator's labels per day."""
        if not figure.days or not figure.series:
            return
        plt = self.plt
        xs = list(range(len(figure.days)))
        for _, values, colour in figure.series:
            plt.plot(xs, values, color=rgb(colour), marker="braille")
        step = max(1, -(-len(xs) // MAX_DAY_TICKS))
        ticks = xs[::step]
        plt.xticks(ticks, [figure.days[k][5:] for k in ticks])  # MM-DD
        ticks = whole_ticks(max((max(v) for _, v, _ in figure.series), default=0), 4)
        plt.yticks(ticks, [str(t) for t in ticks])
        plt.ylim(0, ticks[-1])
        plt.ylabel("labels")


__all__ = ["BarsChart", "Chart", "HeatmapChart", "LinesChart"]
