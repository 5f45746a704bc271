"""The dashboard's figures as plain data: progress, label mix, a confusion matrix and throughput per annotator.

Built once from a team's state (:func:`dashboard_data`), off the UI thread; the screen
(:mod:`annotate.tui.dashboard`) draws each figure with a terminal plotting library and
writes its numbers beside it. Every figure carries the number of items behind it (``n``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..models import GOLD
from ..store import Project
from .assign import TeamState, team_state
from .figures import Tables, annotator_status, confusion_of, shared_pairs
from .html import FALLBACK, STATUS_COLOURS, label_colours, label_order

Series = tuple[str, list[float], str]
"""(name, one value per category or day, colour as ``#rrggbb``)."""


@dataclass(frozen=True)
class Bars:
    """Horizontal stacked bars: one bar per category (annotator), one segment per series."""

    categories: list[str]
    series: list[Series]
    unit: str
    """What the values count (``documents``, ``% of labels``)."""
    n: int
    """How many items are behind the figure."""


@dataclass(frozen=True)
class Heatmap:
    """A confusion matrix: ``cells[r][c]`` sentences ``row_by`` labeled ``labels[r]``, ``column_by`` ``labels[c]``."""

    row_by: str
    column_by: str
    labels: list[str]
    cells: list[list[int]]

    @property
    def n(self) -> int:
        """Sentences both labeled."""
        return sum(sum(row) for row in self.cells)

    @property
    def agreed(self) -> int:
        """Sentences both gave the same label (the diagonal)."""
        return sum(self.cells[k][k] for k in range(len(self.labels)))


@dataclass(frozen=True)
class Lines:
    """One line per annotator over consecutive days: labels per day (each file counted on the day it last changed)."""

    days: list[str]
    series: list[Series]
    n: int


@dataclass
class DashboardData:
    """Everything the dashboard shows, computed once."""

    status: dict[str, Any]
    """:func:`annotate.team.figures.annotator_status` of the state."""
    labels: list[str]
    """The tagset's labels in order, then any other label used."""
    colours: dict[str, str]
    """Each label's colour (the tagset's), ``#rrggbb``."""
    people: dict[str, str] = field(default_factory=dict)
    """Each annotator's colour in the throughput figure."""
    confusions: dict[tuple[str, str], Heatmap] = field(default_factory=dict)
    """Every pair with sentences both labeled: each annotator with gold, then two annotators."""

    @property
    def annotators(self) -> list[dict[str, Any]]:
        """One row of figures per annotator (the team's in the project file's order, then anyone with work)."""
        return self.status["annotators"]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The confusion matrices there are: each annotator with gold first, then pairs by shared sentences."""
        return list(self.confusions)

    def row_choices(self) -> list[str]:
        """Whose labels can be the rows of a confusion matrix: annotators sharing sentences with someone (or gold)."""
        found = {name for pair in self.confusions for name in pair if name != GOLD}
        return [a["annotator"] for a in self.annotators if a["annotator"] in found]

    def column_choices(self, row: str) -> list[str]:
        """Whose labels can be the columns against ``row``: the annotators sharing sentences with them, then gold."""
        shared = {b if a == row else a for a, b in self.confusions if row in (a, b) and GOLD not in (a, b)}
        columns = [a["annotator"] for a in self.annotators if a["annotator"] in shared]
        return columns + ([GOLD] if (row, GOLD) in self.confusions else [])

    def confusion(self, row: str, column: str) -> Heatmap | None:
        """The confusion matrix of ``row`` against ``column`` (either order of two annotators; gold as column)."""
        found = self.confusions.get((row, column))
        if found is not None:
            return found
        other = self.confusions.get((column, row))
        if other is None or row == GOLD:
            return None
        k = range(len(other.labels))
        return Heatmap(row, column, other.labels, [[other.cells[c][r] for c in k] for r in k])

    def progress(self) -> Bars:
        """Documents per annotator: done, in progress, not started (with a project file), unassigned work."""
        rows = self.annotators
        names = [a["annotator"] for a in rows]
        series = [("done", [a["done"] for a in rows]), ("in progress", [a["in_progress"] for a in rows])]
        if self.status["project_file"]:
            series += [("not started", [a["not_started"] or 0 for a in rows]),
                       ("unassigned work", [a["unassigned_documents"] for a in rows])]
        shown = [(name, [float(v) for v in values], STATUS_COLOURS[name]) for name, values in series]
        return Bars(names, shown, "documents", int(sum(sum(values) for _, values, _ in shown)))

    def label_mix(self) -> Bars:
        """Each annotator's labels by label, as % of their labels (annotators without labels left out)."""
        rows = [a for a in self.annotators if a["labels"]]
        series = [(label, [100 * a["label_counts"].get(label, 0) / a["labels"] for a in rows], self.colours[label])
                  for label in self.labels]
        return Bars([a["annotator"] for a in rows], series, "% of labels", sum(a["labels"] for a in rows))

    def throughput(self) -> Lines:
        """Labels per day per annotator, on every day from the first to the last (a lone day gets its neighbours)."""
        per = self.status["throughput"]
        dated = sorted({d["date"] for days in per.values() for d in days})
        if not dated:
            return Lines([], [], 0)
        first, last = date.fromisoformat(dated[0]), date.fromisoformat(dated[-1])
        if first == last:
            first, last = first - timedelta(days=1), last + timedelta(days=1)
        days = [(first + timedelta(days=k)).isoformat() for k in range((last - first).days + 1)]
        series = []
        for name, entries in per.items():
            if not entries:
                continue
            by_day = {d["date"]: d["labels"] for d in entries}
            series.append((name, [float(by_day.get(day, 0)) for day in days], self.people[name]))
        return Lines(days, series, int(sum(sum(values) for _, values, _ in series)))


def figures_of(state: TeamState) -> DashboardData:
    """The dashboard's data for a team's state (dated: see :func:`annotate.team.team_state`)."""
    tables = Tables.of(state)
    status = annotator_status(state, tables)
    labels = label_order(state, status)
    data = DashboardData(status, labels, label_colours(state, labels))
    data.people = {a["annotator"]: FALLBACK[k % len(FALLBACK)] for k, a in enumerate(status["annotators"])}
    with_gold, shared = shared_pairs(status)
    for a, b in with_gold + shared:
        matrix = confusion_of(tables, a, b, labels)
        order = list(matrix)
        data.confusions[(a, b)] = Heatmap(a, b, order, [[matrix[r][c] for c in order] for r in order])
    return data


def dashboard_data(project: Project) -> DashboardData:
    """Read the project (every label file, dated by git or mtime) and build the dashboard's data.

    A broken project file is an :class:`annotate.errors.AnnotateError` naming the file and line.
    """
    return figures_of(team_state(project, dated=True))
