"""The team dashboard: progress, label mix, a confusion heatmap and throughput per annotator, as pictures.

The figures are read once, off the UI thread (:func:`annotate.team.dashboard.dashboard_data`);
each is drawn by plotext (:mod:`.charts`) with its numbers beside it and its ``n`` in its
title. A wide terminal shows the four at once; a small one shows one at a time (tab).
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ..errors import AnnotateError
from ..models import GOLD
from ..team.dashboard import Bars, DashboardData, Heatmap, Lines, dashboard_data
from .charts import BarsChart, Chart, HeatmapChart, LinesChart
from .keybar import KeyBar
from .options import AppOptions

FIGURES = ("progress", "mix", "confusion", "throughput")
"""The dashboard's figures, in the order tab shows them."""

GRID_WIDTH, GRID_HEIGHT = 120, 34
"""From this terminal size on, the four figures are shown at once (2 x 2)."""


class DashboardRead(Message):
    """The dashboard's figures were computed (off the UI thread), or why they cannot be."""

    def __init__(self, data: DashboardData | None, error: str | None) -> None:
        super().__init__()
        self.data = data
        self.error = error


class FigurePanel(Vertical):
    """One figure: its title (with n) on the border, the chart, and its numbers beside it."""

    def __init__(self, chart: Chart, name: str) -> None:
        super().__init__(id=f"figure-{name}", classes="figure")
        self.chart = chart

    def compose(self) -> ComposeResult:
        with Horizontal(classes="figure-body"):
            yield self.chart
            yield Static(classes="figure-numbers")

    def show(self, title: str, figure: Any, numbers: Text | Table) -> None:
        """Show a figure, its title and its numbers."""
        self.border_title = title
        self.chart.show(figure)
        self.query_one(".figure-numbers", Static).update(numbers)


def _swatch(colour: str, text: str) -> Text:
    return Text.assemble(("■ ", colour), text)


def _numbers_table(*headers: Text | str) -> Table:
    table = Table(box=None, padding=(0, 0, 0, 1), show_edge=False, header_style="bold")
    table.add_column("", no_wrap=True)
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True)
    return table


def progress_numbers(bars: Bars) -> Table:
    """Documents per annotator and state, one row per annotator (the legend in the header)."""
    short = {"done": "done", "in progress": "doing", "not started": "to do", "unassigned work": "unasg."}
    table = _numbers_table(*(_swatch(colour, short[name]) for name, _, colour in bars.series))
    for k, name in enumerate(bars.categories):
        table.add_row(name, *(str(int(values[k])) for _, values, _ in bars.series))
    return table


def mix_numbers(bars: Bars, data: DashboardData) -> Table:
    """Labels per annotator and label (counts), and each annotator's n."""
    from .widgets import short_names

    short = short_names([name for name, _, _ in bars.series])
    table = _numbers_table("n", *(_swatch(colour, short[name]) for name, _, colour in bars.series))
    counts = {a["annotator"]: a for a in data.annotators}
    for name in bars.categories:
        row = counts[name]
        table.add_row(name, str(row["labels"]), *(str(row["label_counts"].get(label, 0))
                                                  for label, _, _ in bars.series))
    return table


def confusion_numbers(heat: Heatmap | None, data: DashboardData, position: str) -> Text:
    """The pair shown, n, agreement, Cohen's kappa, and the keys that change the pair."""
    text = Text()
    if heat is None:
        text.append("No two annotators have labeled the same sentence yet, and nobody has gold labels to compare"
                    " with.", "dim")
        return text
    text.append(f"rows: {heat.row_by}\ncolumns: {heat.column_by}\n", "bold")
    text.append(f"n = {heat.n} sentences both labeled\n")
    if heat.n:
        text.append(f"same label: {heat.agreed} ({100 * heat.agreed / heat.n:.0f}%)\n")
    kappa = _kappa(data, heat.row_by, heat.column_by)
    if kappa is not None:
        text.append(f"Cohen's kappa: {kappa}\n")
    text.append(f"\n{position}\n", "dim")
    text.append("a", "bold")
    text.append(" rows · ", "dim")
    text.append("b", "bold")
    text.append(" columns", "dim")
    return text


def _kappa(data: DashboardData, a: str, b: str) -> str | None:
    """Cohen's kappa of two annotators (or one against gold) as the status figures have it, or why there is none."""
    rows = {row["annotator"]: row for row in data.annotators}
    if a not in rows:
        a, b = b, a
    row = rows.get(a)
    if row is None:
        return None
    figure = row["gold"]["cohen_kappa"] if b == GOLD else row["agreement"].get(b, {}).get("cohen_kappa")
    if figure is None:
        return None
    if figure["value"] is None:
        return f"none ({figure['reason']})"
    return f"{figure['value']:.2f} (n={figure['units']})"


def throughput_numbers(lines: Lines, data: DashboardData) -> Table:
    """Per annotator: labels dated, days with labels, labels per hour (with its n)."""
    table = _numbers_table("labels", "days", "per hour")
    speed = {a["annotator"]: a["labels_per_hour"] for a in data.annotators}
    for name, values, colour in lines.series:
        per_hour = speed[name]
        hourly = f"{per_hour['value']:.0f} (n={per_hour['units']})" if per_hour["value"] is not None else "—"
        table.add_row(_swatch(colour, name), str(int(sum(values))), str(sum(1 for v in values if v)), hourly)
    return table


class DashboardScreen(Screen[None]):
    """Pictures of the team's work: progress, label mix, confusion (pick the pair) and throughput per annotator."""

    BINDINGS = [
        Binding("escape,q", "back", "back", id="dashboard.back"),
        Binding("tab", "figure(1)", "next figure", key_display="tab", id="dashboard.next_figure"),
        Binding("shift+tab", "figure(-1)", "previous figure", show=False, id="dashboard.previous_figure"),
        Binding("a", "pair('row', 1)", "rows", id="dashboard.rows"),
        Binding("shift+a", "pair('row', -1)", "previous rows", show=False, id="dashboard.rows_back"),
        Binding("b", "pair('column', 1)", "columns", id="dashboard.columns"),
        Binding("shift+b", "pair('column', -1)", "previous columns", show=False, id="dashboard.columns_back"),
        Binding("ctrl+r", "reload", "read again", key_display="^r", id="dashboard.reload"),
    ]

    def __init__(self, options: AppOptions) -> None:
        super().__init__()
        self.options = options
        self.project = options.project
        self.data: DashboardData | None = None
        self.error: str | None = None
        self.shown = FIGURES[0]
        """The figure shown when there is room for one only."""
        self.pair: tuple[str, str] | None = None
        """The confusion heatmap's annotators: rows, columns (an annotator or gold)."""

    def compose(self) -> ComposeResult:
        yield Static(id="bar")
        yield Static(id="dashboard-message")
        with Container(id="figures"):
            yield FigurePanel(BarsChart(id="chart-progress"), "progress")
            yield FigurePanel(BarsChart(id="chart-mix"), "mix")
            yield FigurePanel(HeatmapChart(id="chart-confusion"), "confusion")
            yield FigurePanel(LinesChart(id="chart-throughput"), "throughput")
        yield KeyBar(palette=True)

    def on_mount(self) -> None:
        """Lay the figures out for the terminal's size and start reading the project."""
        self._layout()
        self.action_reload()

    def on_resize(self) -> None:
        """Four figures at once when there is room, else one at a time."""
        self._layout()

    @property
    def grid(self) -> bool:
        """True when the four figures are shown at once."""
        size = self.size if self.size.width else self.app.size
        return size.width >= GRID_WIDTH and size.height >= GRID_HEIGHT

    def _layout(self) -> None:
        figures = self.query_one("#figures")
        figures.set_class(self.grid, "-grid")
        figures.set_class(not self.grid, "-single")
        for name in FIGURES:
            panel = self.query_one(f"#figure-{name}", FigurePanel)
            panel.set_class(name == self.shown, "-shown")
            panel.border_subtitle = None if self.grid else f"{FIGURES.index(name) + 1} of {len(FIGURES)} · tab: next"
        self.refresh_bindings()

    # reading -------------------------------------------------------------------------------

    def action_reload(self) -> None:
        """Read the project again (every label file; another annotator may have pushed)."""
        self._say("Reading every label file of the project…")
        self.read_figures()

    @work(thread=True, exclusive=True, group="dashboard")
    def read_figures(self) -> None:
        """Compute the figures; ends by posting :class:`DashboardRead`."""
        try:
            data = dashboard_data(self.project)
        except AnnotateError as exc:
            self.post_message(DashboardRead(None, str(exc)))
            return
        self.post_message(DashboardRead(data, None))

    @on(DashboardRead)
    def _read(self, event: DashboardRead) -> None:
        self.data, self.error = event.data, event.error
        if event.data is None:
            self._say(f"{event.error} · fix it to see the dashboard", error=True)
            return
        if self.pair is None or event.data.confusion(*self.pair) is None:
            self.pair = event.data.pairs[0] if event.data.pairs else None
        self._say(None)
        self._show_all(event.data)
        self.refresh_bindings()

    def _say(self, message: str | None, error: bool = False) -> None:
        """A line instead of the figures (reading, or what went wrong); None shows the figures."""
        line = self.query_one("#dashboard-message", Static)
        line.display = message is not None
        line.set_class(error, "-error")
        self.query_one("#figures").display = message is None
        if message is not None:
            line.update(Text(message))
        self._show_bar()

    def _show_bar(self) -> None:
        bar = Text(no_wrap=True, overflow="ellipsis")
        bar.append(" annotate ", "bold reverse")
        bar.append("  team dashboard")
        data = self.data
        if data is not None:
            docs = data.status["documents"]
            bar.append(f" · {docs['total']} documents: {docs['labeled_by_all']} labeled by all, "
                       f"{docs['ready_for_review']} ready for review, {docs['adjudicated']} adjudicated")
            if docs["with_unassigned_work"]:
                bar.append(f", {docs['with_unassigned_work']} with unassigned work", "yellow")
            if data.status["project_file"] is None:
                bar.append(" · no annotate.yaml: everyone labels everything", "dim")
        self.query_one("#bar", Static).update(bar)

    # drawing ------------------------------------------------------------------------------------

    def _panel(self, name: str) -> FigurePanel:
        return self.query_one(f"#figure-{name}", FigurePanel)

    def _show_all(self, data: DashboardData) -> None:
        progress = data.progress()
        self._panel("progress").show(f"Progress per annotator · documents · n = {progress.n}", progress,
                                     progress_numbers(progress))
        mix = data.label_mix()
        self._panel("mix").show(f"Label mix per annotator · % of each one's labels · n = {mix.n} labels", mix,
                                mix_numbers(mix, data))
        self._show_confusion(data)
        lines = data.throughput()
        self._panel("throughput").show(f"Throughput · labels per day · n = {lines.n} labels", lines,
                                       throughput_numbers(lines, data))

    def _show_confusion(self, data: DashboardData) -> None:
        heat = data.confusion(*self.pair) if self.pair is not None else None
        if heat is None:
            title = "Confusion · nothing to compare yet"
        else:
            title = f"Confusion · {heat.row_by} × {heat.column_by} · n = {heat.n} sentences"
        position = ""
        if self.pair is not None:
            rows = data.row_choices()
            position = (f"rows {rows.index(self.pair[0]) + 1} of {len(rows)}, columns "
                        f"{data.column_choices(self.pair[0]).index(self.pair[1]) + 1} of "
                        f"{len(data.column_choices(self.pair[0]))}")
        self._panel("confusion").show(title, heat, confusion_numbers(heat, data, position))

    # keys -----------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Tab only when one figure is shown at a time; a and b only when there is a pair to change."""
        if action == "figure":
            return not self.grid
        if action == "pair":
            return self.pair is not None
        return True

    def action_figure(self, step: int) -> None:
        """Show the next (or previous) figure."""
        self.shown = FIGURES[(FIGURES.index(self.shown) + step) % len(FIGURES)]
        self._layout()

    def action_pair(self, which: str, step: int) -> None:
        """Change whose labels are the heatmap's rows (``row``) or columns (``column``), keeping the other if it can."""
        data = self.data
        if data is None or self.pair is None:
            return
        row, column = self.pair
        if which == "row":
            rows = data.row_choices()
            row = rows[(rows.index(row) + step) % len(rows)]
            columns = data.column_choices(row)
            column = column if column in columns else columns[0]
        else:
            columns = data.column_choices(row)
            column = columns[(columns.index(column) + step) % len(columns)]
        self.pair = (row, column)
        if not self.grid and self.shown != "confusion":
            self.shown = "confusion"
            self._layout()
        self._show_confusion(data)

    def action_back(self) -> None:
        """Back to the documents."""
        self.dismiss(None)


__all__ = ["DashboardScreen"]
