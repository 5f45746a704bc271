"""The home screen: every document with this annotator's progress; Enter opens one, ``/`` filters by name or title.

With a project file (``annotate.yaml``) the documents come in the order of the annotator's
queue: in progress, not started, done, then every other document (not theirs, or their
unassigned work); ``n`` opens the next one. A reviewer sees the documents ready for review
first. The label files are summed up off the UI thread, from the per-file summaries that
:mod:`annotate.summaries` caches (a look at an unchanged project costs about a directory
listing). Documents with a metadata file show its title (a column, when there is room), and
the line under the list its title, outlet, date and url.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from functools import partial
from itertools import zip_longest
from typing import Any

from rich.console import JustifyMethod
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.widgets.data_table import DuplicateKey, Row, RowKey

from ..collector import collector_paused
from ..errors import AnnotateError
from ..homeview import (
    DONE,
    IN_PROGRESS,
    IN_REVIEW,
    NOT_STARTED,
    NOT_YOURS,
    SECTIONS,
    TO_REVIEW,
    UNASSIGNED,
    DocProgress,
    HomeRows,
    TeamView,
    read_rows,
    rows_if_ready,
)
from ..store import Document
from ..summaries import About
from ..team.assign import DocumentState
from ..team.projectfile import PROJECT_FILE, project_file_path
from ..team.queues import Queue, status_of
from .keybar import KeyBar
from .options import AppOptions
from .widgets import progress_bar

SECTION_STYLES = {IN_REVIEW: "bold magenta", TO_REVIEW: "magenta", IN_PROGRESS: "bold yellow", NOT_STARTED: "",
                  DONE: "green", UNASSIGNED: "yellow", NOT_YOURS: "dim"}

QUEUE_WIDTH = max(len(s) for s in SECTIONS)
"""Cells of the queue column."""


def who_stands_where(d: DocumentState) -> str:
    """``alice (done), bob (in progress)``: the document's annotators and where each stands."""
    return ", ".join(f"{a} ({status_of(d.progress(a))})" for a in d.assigned) or "nobody"


def _trouble(r: DocProgress) -> str | None:
    """What the progress column says instead of progress: why the document cannot be worked on."""
    if r.unreadable:
        return f"unreadable: {r.unreadable}"
    if r.progress is not None and r.progress.error:
        return f"error: {r.progress.error}"
    return None


SMALL_COLUMNS = (("labeled", 9), ("unsure", 6), ("orphans", 7))
"""The narrow columns after the progress: key and width (their values stay readable at any width)."""


MIN_TITLE = 16
"""The title column is shown only with at least this many cells for it (the line under the list has the title)."""


def column_widths(table_width: int, longest_name: int, longest_progress: int, extra: int = 0,
                  longest_title: int = 0) -> tuple[int, int, int]:
    """Widths of the document, progress and title columns so that every column fits ``table_width`` cells.

    ``extra``: the cells of another column (the queue column), its padding included. The title
    column (0: not shown) is there when some document has a title (``longest_title``) and at
    least :data:`MIN_TITLE` cells are left once the progress bar has its cells; it then goes
    before a long message in the progress column (the line under the list has the whole).
    """
    padding = 2 * (2 + len(SMALL_COLUMNS))  # one cell each side of every column
    room = table_width - padding - sum(w for _, w in SMALL_COLUMNS) - 1 - extra  # - 1: the scrollbar
    document = max(10, min(longest_name, room - 12))
    bar = max(12, min(room - document, longest_progress, BAR_WIDTH))
    left = room - document - bar - 2  # - 2: the title column's padding
    title = min(left, longest_title) if longest_title and left >= MIN_TITLE else 0
    taken = title + 2 if title else 0
    return document, max(bar, min(room - document - taken, longest_progress)), title


BAR_WIDTH = 20
"""Cells of a progress bar in the home screen (fewer when the column is narrower)."""


class Cell:
    """A cell of the table, made into rich Text only when drawn: of 10,000 rows only those on screen are (making a
    Text for every cell of every row took longer than reading the project's summaries)."""

    __slots__ = ("justify", "style", "text")

    def __init__(self, text: str, style: str = "", justify: JustifyMethod | None = None) -> None:
        self.text, self.style, self.justify = text, style, justify

    def __rich__(self) -> Text:
        """The cell as drawn."""
        return Text(self.text, style=self.style, justify=self.justify)

    def __str__(self) -> str:
        return self.text


BLANK = Cell("")


class LazyCells(dict):  # type: ignore[type-arg]
    """A row's cells (column key -> :class:`Cell`), made when the table first looks one up: of 10,000 rows only
    those drawn are (making every row's cells took most of the time to fill the table)."""

    __slots__ = ("columns", "_make")

    def __init__(self, make: Callable[[], tuple[Cell, ...]]) -> None:
        super().__init__()
        self._make: Callable[[], tuple[Cell, ...]] | None = make
        self.columns: list[Any] = []

    def made(self) -> tuple[Cell, ...]:
        """The cells, in column order."""
        return self._make() if self._make is not None else tuple(self.values())

    def __missing__(self, key: Any) -> Cell:
        make, self._make = self._make, None
        if make is None:
            raise KeyError(key)
        cells = make()
        if len(cells) > len(self.columns):
            raise ValueError("More values provided than there are columns.")
        self.update(zip_longest(self.columns, cells))
        return dict.__getitem__(self, key)  # type: ignore[no-any-return]


def _title_cell(r: DocProgress) -> Cell:
    """The title column of a row: its title, or that its metadata file cannot be used."""
    if r.about is not None and r.about.error is not None:
        return Cell("metadata broken", "red")
    return Cell(r.title)


def about_line(about: About | None) -> Text:
    """The line under the list: title · outlet · date · url, or why the metadata file cannot be used."""
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    if about is None:
        return line
    if about.error is not None:
        line.append(f" metadata not shown: {about.error}", "red")
        return line
    parts = [(about.title, "bold"), (about.outlet, ""), (about.date, ""), (about.url, "underline")]
    for k, (part, style) in enumerate((p, st) for p, st in parts if p):
        line.append(" · " if k else " ")
        line.append(part, style)
    return line


class DocumentTable(DataTable):
    """The table of documents: a row per document; Enter selects one (the screen opens it), Home and End go to
    the first and last row."""

    BINDINGS = [
        Binding("enter", "select_cursor", "open", key_display="⏎", id="home.open"),
        Binding("home", "first_row", "first", show=False, id="home.first"),
        Binding("end", "last_row", "last", show=False, id="home.last"),
    ]

    def action_select_cursor(self) -> None:
        """Enter: the selected row; before the rows are read, the screen keeps the key until they are."""
        if not self.row_count and isinstance(self.screen, HomeScreen):
            self.screen.action_open()
            return
        super().action_select_cursor()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """The table's size, without measuring the new rows' cells: every column here has its width set and every
        row is one line, so the measures would change nothing (and take most of a second for 10,000 rows)."""
        try:
            if self._labelled_row_exists or any(c.auto_width for c in self.columns.values()):
                raise AttributeError("a width to measure")
            width = sum(column.get_render_width(self) for column in self.columns.values())
            header = self.header_height if self.show_header else 0
            self.virtual_size = Size(width + self._row_label_column_width, self._total_row_height + header)
        except AttributeError:  # something to measure, or a Textual that keeps its sizes otherwise
            super()._update_dimensions(new_rows)

    def add_document_rows(self, rows: Iterable[tuple[str, LazyCells]]) -> None:
        """Add rows (key, cells made when first drawn) at the bottom, one line high each: what :meth:`add_row` does,
        its bookkeeping (the cursor's check, the idle check) done once for all rather than once a row (10,000 rows:
        ~20 ms, not ~150 ms)."""
        try:
            locations = self._row_locations
            forward, reverse, data, table_rows = locations._forward, locations._reverse, self._data, self.rows
            new_rows, order_cache, offset_cache = self._new_rows, self._ordered_row_cache, self._offset_cache
        except AttributeError:  # a Textual that keeps its rows otherwise
            for key, cells in rows:
                self.add_row(*cells.made(), key=key)
            return
        columns = [column.key for column in self.ordered_columns]
        start = index = self.row_count
        try:
            for key, cells in rows:
                row_key = RowKey(key)
                if row_key in forward:
                    raise DuplicateKey(f"The row key {row_key!r} already exists.")
                cells.columns = columns
                forward[row_key], reverse[index] = index, row_key
                data[row_key] = cells
                table_rows[row_key] = Row(row_key, 1)
                new_rows.add(row_key)
                index += 1
        finally:  # the rows added before a refused one stay, as with add_row
            self._require_update_dimensions = True
            self._update_count += 1
            if start == 0:  # the table's caches of its row order and of each line's row, as its own code makes them
                order_cache[(index, self._update_count)] = list(table_rows.values())
                offset_cache[self._update_count] = [(row_key, 0) for row_key in table_rows]
            self.cursor_coordinate = self.cursor_coordinate
            if start == 0 and index and columns and self.show_cursor and self.cursor_type != "none":
                self._highlight_cursor()
            self.check_idle()

    def action_first_row(self) -> None:
        """Go to the first document."""
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        """Go to the last document."""
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)


class TeamRead(Message):
    """The label files were summed up (off the UI thread): the rows to show, and why the project file is broken."""

    def __init__(self, generation: int, rows: HomeRows, current: str | None) -> None:
        super().__init__()
        self.generation = generation
        self.rows = rows
        self.current = current


class HomeScreen(Screen[None]):
    """Pick a document to label (or, for a reviewer, to review); with a project file, in queue order."""

    BINDINGS = [
        Binding("n", "next", "next in queue", id="home.next"),
        Binding("slash", "filter", "filter", key_display="/", id="home.filter"),
        Binding("o", "sort('name')", "sort by name", id="home.sort_name"),
        Binding("p", "sort('progress')", "sort by progress", id="home.sort_progress"),
        Binding("r", "review", "review", id="home.review"),
        Binding("d", "dashboard", "dashboard", id="home.dashboard"),
        Binding("question_mark,f1", "guidelines", "guide", key_display="?", id="home.guidelines"),
        Binding("escape", "clear_filter", "clear filter", show=False, id="home.clear_filter"),
        Binding("q", "quit", "quit", show=False, id="home.quit"),
    ]

    LETTER_ACTIONS = frozenset({"filter", "sort", "review", "guidelines", "quit", "next", "dashboard"})
    """Actions on printable keys: while the filter is open those keys are typed into it instead."""

    TEAM_ACTIONS = frozenset({"next", "dashboard"})
    """Actions that need a project file (hidden without one: the screen is then as it always was)."""

    SHORT = {"sort by name": "by name", "sort by progress": "by progress", "filter": "find", "next in queue": "next",
             "dashboard": "team"}
    """Shorter words for the key line of a narrow terminal."""

    def __init__(self, options: AppOptions, select: str | None = None) -> None:
        super().__init__()
        self.options = options
        self.project = options.project
        self.annotator = options.annotator
        self.tagset = options.tagset_in_use
        self.all_rows: list[DocProgress] = []
        self.rows: list[DocProgress] = []
        """The rows shown (those matching the filter), in table order."""
        self.sort_by = "name"
        self.filter_text = ""
        self.filter_open = False
        """The filter line is shown: printable keys type into it (the table keeps the focus and the arrows)."""
        self._widths: tuple[int, int, int] | None = None
        self.select = select
        """The document to select when the list is next drawn (the one just left), else the first unfinished."""
        self.team_file = False
        """The project has a project file (``annotate.yaml``): the rows come in queue order once read."""
        self.view: TeamView | None = None
        """The team's state and this user's queue, once read (None without a usable project file)."""
        self.team_error: str | None = None
        """Why the project file cannot be used (``annotate.yaml:7: ...``), shown above the list."""
        self.ready = False
        """The rows were read at least once (until then the bar says they are being read)."""
        self._generation = 0
        self._sources_ok: set[str] = set()
        self._pending: str | None = None
        """``open`` or ``next`` pressed before the rows were read: done once they are (a key is never lost)."""

    def compose(self) -> ComposeResult:
        yield Static(id="bar")
        yield Static(id="problem")
        yield Static(id="filter")
        yield DocumentTable(id="documents", cursor_type="row", zebra_stripes=True)
        yield Static(id="detail")
        yield Static(id="about")
        yield KeyBar(palette=True, short=self.SHORT)

    @property
    def table(self) -> DocumentTable:
        """The table of documents."""
        return self.query_one(DocumentTable)

    def on_mount(self) -> None:
        """Fill the table and select the first unfinished document."""
        self.query_one("#filter").display = False
        self.query_one("#problem").display = False
        self.query_one("#about").display = False
        if not gc.isenabled() and hasattr(self.app, "collector_held"):  # start-up: the rows are part of it
            self.app.collector_held.add(self)
        self.reload(select_unfinished=True)
        self.table.focus()

    def on_screen_resume(self) -> None:
        """Back from a document: refresh the progress."""
        if self.all_rows:
            self.reload(select_unfinished=False)

    def on_resize(self) -> None:
        """Fit the columns to the new width."""
        if self.all_rows and self._widths != self._column_widths():
            self._fill(self._selected())

    # filling the table ---------------------------------------------------------------

    def reload(self, select_unfinished: bool) -> None:
        """Read every document's progress (off the UI thread) and redraw the table when it is read."""
        current = self.select or (None if select_unfinished else self._selected())
        self.select = None
        path = project_file_path(self.project)
        self.team_file = path.exists() or path.is_symlink()
        self.refresh_bindings()
        self._generation += 1
        if not self.all_rows and (rows := rows_if_ready(self.project, self.annotator, self.options.role)):
            self._team_read(TeamRead(self._generation, rows, current))  # read ahead: in the first frame
            return
        if not self.all_rows:
            self._show_bar()
        self.read_team(self._generation, current)

    def _show_rows(self, current: str | None) -> None:
        self._show_problem()
        self._fill(current)
        if not self.all_rows:
            self.app.notify(f"No documents: put .txt files under {self.project.seeds}", severity="warning")

    @work(thread=True, group="home-team")
    def read_team(self, generation: int, current: str | None) -> None:
        """Read every document's progress (with a project file: the team's state and this user's queue); ends by
        posting :class:`TeamRead`."""
        with collector_paused():  # many objects that stay: the collector would scan them for nothing
            self._read_team(generation, current)

    def _read_team(self, generation: int, current: str | None) -> None:
        read_rows(self.project, self.annotator, self.options.role,
                  lambda rows: self.post_message(TeamRead(generation, rows, current)))

    @on(TeamRead)
    def _team_read(self, event: TeamRead) -> None:
        if event.generation != self._generation:
            return  # a newer read is on its way
        self.view, self.team_error = event.rows.view, event.rows.error
        self.all_rows = event.rows.rows
        self.ready = True
        self._sources_ok.clear()
        self._set_team_queue(self.view.queue if self.view is not None else None)
        self.refresh_bindings()
        self._show_rows(self.select or event.current)
        self.select = None
        if hasattr(self.app, "start_collector"):
            self.app.start_collector(self)
        pending, self._pending = self._pending, None
        if pending == "open":
            self.action_open()
        elif pending == "next":
            self.action_next()

    def _set_team_queue(self, queue: Queue | None) -> None:
        """Tell the app this user's queue (the completion box offers its next document)."""
        if hasattr(self.app, "team_queue"):
            self.app.team_queue = queue  # type: ignore[attr-defined]

    def _show_problem(self) -> None:
        problem = self.query_one("#problem", Static)
        problem.display = self.team_error is not None
        if self.team_error is not None:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f" {self.team_error}", "bold")
            line.append(" · no queues until it is fixed; every document is listed")
            problem.update(line)

    def _column_widths(self) -> tuple[int, int, int]:
        longest = max((len(r.doc.id) for r in self.all_rows), default=8)
        progress = max((len(_trouble(r) or "") for r in self.all_rows), default=0)
        title = max((len(_title_cell(r).text) for r in self.all_rows if r.about is not None), default=0)
        extra = QUEUE_WIDTH + 2 if self.view is not None else 0
        return column_widths(self.size.width or self.app.size.width, longest, max(BAR_WIDTH, progress), extra,
                             title)

    @property
    def _what_matches(self) -> str:
        """What the filter looks in: ``name``, or ``name or title`` when some document has a title."""
        return "name or title" if any(r.title for r in self.all_rows) else "name"

    def _matches(self, r: DocProgress) -> bool:
        """True when the row's name, or its title, has the filter's text (any case)."""
        needle = self.filter_text.casefold()
        return needle in r.doc.id.casefold() or (bool(r.about) and needle in r.title.casefold())

    def _fill(self, current: str | None) -> None:
        """Show the rows that match the filter, sorted, with the cursor on ``current`` (else the first to do)."""
        rows = [r for r in self.all_rows if self._matches(r)] if self.filter_text else list(self.all_rows)
        if self.sort_by == "progress":
            rows.sort(key=lambda r: (r.fraction, r.doc.id))
        if self.view is not None:
            rows.sort(key=lambda r: SECTIONS.index(r.section or NOT_YOURS))  # stable: sections, each sorted
        self.rows = rows
        table = self.table
        table.clear(columns=True)
        self._widths = self._column_widths()
        doc_width, progress_width, title_width = self._widths
        if self.view is not None:
            table.add_column("queue", key="queue", width=QUEUE_WIDTH)
        table.add_column("document", key="document", width=doc_width)
        if title_width:
            table.add_column("title", key="title", width=title_width)
        table.add_column("progress", key="progress", width=progress_width)
        for key, width in SMALL_COLUMNS:
            table.add_column(Text(key, justify="right"), key=key, width=width)
        title = bool(title_width)
        table.add_document_rows((r.doc.id, LazyCells(partial(self._cells, r, progress_width, title))) for r in rows)
        target = next((k for k, r in enumerate(rows) if r.doc.id == current), None) if current else None
        if target is None:
            target = next((k for k, r in enumerate(rows) if self._to_do(r)), 0)
        if rows:
            table.move_cursor(row=target)
        self._show_bar()
        self._show_detail()

    def _to_do(self, r: DocProgress) -> bool:
        """True for a row the cursor starts on: unfinished (with a queue: to review, or in the queue and not done)."""
        if r.error:
            return False
        if self.view is not None:
            return r.section in (IN_REVIEW, TO_REVIEW, IN_PROGRESS, NOT_STARTED)
        return not r.finished

    def _cells(self, r: DocProgress, width: int, title: bool) -> tuple[Cell, ...]:
        cells = self._progress_cells(r, width)
        if title:
            cells = (cells[0], _title_cell(r), *cells[1:])
        if self.view is None:
            return cells
        return (Cell(r.section or "", SECTION_STYLES.get(r.section or "", "")), *cells)

    def _progress_cells(self, r: DocProgress, width: int) -> tuple[Cell, ...]:
        p = r.progress
        trouble = _trouble(r)
        if trouble:
            return (Cell(r.doc.id), Cell(trouble, "red"), BLANK, BLANK, BLANK)
        if p is not None and p.started:
            prog = Cell(progress_bar(p.labeled, p.total, min(width, BAR_WIDTH)), "green" if r.finished else "yellow")
            labeled = Cell(f"{p.labeled}/{p.total}", justify="right")
        else:
            prog, labeled = Cell("not started", "dim"), BLANK
        unsure, orphans = (p.unsure, p.orphans) if p is not None else (0, 0)
        return (Cell(r.doc.id), prog, labeled, Cell(str(unsure or ""), justify="right"),
                Cell(str(orphans or ""), justify="right"))

    def _show_bar(self) -> None:
        bar = Text(no_wrap=True, overflow="ellipsis")
        bar.append(" annotate ", "bold reverse")
        bar.append(f"  {self.annotator} · {self.tagset.name} · ")
        if not self.ready:
            words = f"the team's label files ({PROJECT_FILE})" if self.team_file else "the label files"
            bar.append(f"reading {words}…", "italic")
            self.query_one("#bar", Static).update(bar)
            return
        if self.view is not None:
            self._queue_words(bar, self.view)
        if self.filter_text:
            bar.append(f"{len(self.rows)} of {len(self.all_rows)} documents", "bold")
            bar.append(f" ({self._what_matches} has “{self.filter_text}”)", "bold yellow")
        else:
            bar.append(f"{len(self.all_rows)} documents")
        if self.view is None:
            bar.append(f", {sum(1 for r in self.all_rows if r.finished)} finished")
        bar.append(f" · sorted by {self.sort_by}")
        self.query_one("#bar", Static).update(bar)

    def _queue_words(self, bar: Text, view: TeamView) -> None:
        """``queue: 5 left, 4 done · 3 to review · ``: how many are left, as the bar says it."""
        queue = view.queue
        if view.reviewer:
            bar.append(f"{len(view.review)} to review", "bold magenta")
            bar.append(" · ")
        if queue.in_team:
            left = len(queue.in_progress) + len(queue.not_started)  # queue.todo, without making each document
            bar.append(f"queue: {left} left" if left else "queue: all done", "bold" if left else "bold green")
            bar.append(f", {len(queue.done)} done · ")
        elif not view.reviewer:
            bar.append(f"not in {PROJECT_FILE}: your labels are unassigned work", "yellow")
            bar.append(" · ")

    def _show_detail(self) -> None:
        """Under the table, the whole story of the selected document (the table may cut it)."""
        r = self._selected_row()
        line = Text(no_wrap=True, overflow="ellipsis")
        if r is None:
            line.append(" no document matches the filter" if self.filter_text else "", "dim")
        elif r.unreadable:
            line.append(f" {r.doc.id}: unreadable: {r.unreadable}", "red")
        elif r.error:
            line.append(f" {r.doc.id}: {r.error}", "red")
        elif r.team is not None:
            line.append(f" {r.doc.id}: {self._team_story(r, r.team)}", "dim")
        else:
            line.append(f" {r.doc.id}: {self._progress_story(r)}", "dim")
        self.query_one("#detail", Static).update(line)
        self._show_about(r)

    def _show_about(self, r: DocProgress | None) -> None:
        """Under the detail line, when any document has metadata: the selected one's title, outlet, date and url,
        or why its metadata file cannot be used."""
        about = self.query_one("#about", Static)
        about.display = any(x.about is not None for x in self.all_rows)
        if about.display:
            about.update(about_line(r.about if r is not None else None))

    @staticmethod
    def _progress_story(r: DocProgress) -> str:
        p = r.progress
        if p is None or not p.started:
            return "not started"
        return (f"{p.labeled} of {p.total} sentences labeled"
                f"{f', {p.unsure} unsure' if p.unsure else ''}"
                f"{f', {p.orphans} orphaned labels' if p.orphans else ''}"
                f"{' (source changed since; re-anchored when opened)' if p.stale else ''}")

    def _team_story(self, r: DocProgress, d: DocumentState) -> str:
        """Where the document stands for this user and for the team (who is assigned, unassigned work)."""
        if r.section in (IN_REVIEW, TO_REVIEW):
            gold = d.gold
            decided = f"gold {gold.labeled} of {gold.total} decided" if gold is not None else "no gold label yet"
            story = f"ready for review: {', '.join(d.assigned or d.done)} done · {decided} · r reviews it"
        elif not d.needed:
            story = f"{self._progress_story(r)} · not in the plan ({PROJECT_FILE} leaves it out)"
        elif r.section in (UNASSIGNED, NOT_YOURS):
            mine = " · your labels here are unassigned work" if r.section == UNASSIGNED else ""
            story = f"not yours: assigned to {who_stands_where(d)}{mine}"
        else:
            story = f"{self._progress_story(r)} · assigned: {who_stands_where(d)}"
        others = [a for a in d.unassigned if a != self.annotator]
        if others:
            story += f" · unassigned work by {', '.join(others)}"
        return story

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected)
    def _selected_row_opens(self) -> None:
        """Enter (or a click on the selected row) opens the document, in the order the keys came."""
        self.action_open()

    def _selected_row(self) -> DocProgress | None:
        table = self.table
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def _selected(self) -> str | None:
        r = self._selected_row()
        return r.doc.id if r is not None else None

    # keys ------------------------------------------------------------------------------

    def action_sort(self, by: str) -> None:
        """Sort by document name or by progress (least done first); with a queue, within each section."""
        self.sort_by = by
        self._fill(self._selected())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the filter is open, the letter keys type into it; the team's keys need a project file."""
        if self.filter_open and action in self.LETTER_ACTIONS:
            return False
        if action in self.TEAM_ACTIONS:
            if not self.team_file:
                return False
            return None if self.view is None and self.ready else True  # before the read: kept until it ends
        return True

    def action_filter(self) -> None:
        """Open the filter: typing narrows the documents to those whose name or title contains the text."""
        self.filter_open = True
        self.query_one("#filter").display = True
        self._show_filter()
        self.refresh_bindings()

    def on_key(self, event: events.Key) -> None:
        """With the filter open, printable keys and backspace edit it (they reach here from the table).

        The filter's own key (/) opens it here too, before the keys typed right after it
        arrive: as a binding it would run only once those had gone by.
        """
        if not self.filter_open:
            if any(b.action == "filter" for b in self._bindings.key_to_bindings.get(event.key, ())):
                self.action_filter()
                event.stop()
                event.prevent_default()
            return
        if event.key == "backspace":
            self._set_filter(self.filter_text[:-1])
        elif event.character is not None and event.is_printable:
            self._set_filter(self.filter_text + event.character)
        else:
            return
        event.stop()
        event.prevent_default()

    def _set_filter(self, text: str) -> None:
        self.filter_text = text
        self._show_filter()
        self._fill(self._selected())

    def _show_filter(self) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(" filter: ", "bold")
        line.append(self.filter_text)
        line.append("▏", "bold")
        line.append(f"   type a part of the {self._what_matches} · Esc clears · ⏎ opens", "dim")
        self.query_one("#filter", Static).update(line)

    def action_clear_filter(self) -> None:
        """Clear and close the filter: every document again."""
        if not self.filter_open:
            return
        current = self._selected()
        self.filter_open = False
        self.filter_text = ""
        self.query_one("#filter").display = False
        self._fill(current)
        self.refresh_bindings()

    async def action_quit(self) -> None:
        """Quit (every label is already saved)."""
        await self.app.action_quit()

    def _readable(self, r: DocProgress) -> bool:
        """True when the document's source can be read. With a queue the sources are not all read ahead (a
        team's project can hold thousands): each is read once, when about to be opened."""
        if r.unreadable:
            return False
        if self.view is None or r.doc.id in self._sources_ok:
            return True
        try:
            self.project.read_source(r.doc)
        except AnnotateError as exc:
            r.unreadable = exc.message
            self._fill(self._selected())
            return False
        self._sources_ok.add(r.doc.id)
        return True

    def _openable(self) -> DocProgress | None:
        """The selected document, or None (and the reason said) when it cannot be opened."""
        r = self._selected_row()
        if r is None:
            return None
        if not self._readable(r):
            self.app.notify(f"{r.doc.id} cannot be opened: unreadable: {r.unreadable}", severity="error",
                            timeout=10)
            return None
        return r

    def _following(self, r: DocProgress) -> tuple[Document, ...]:
        """The documents to label after ``r``: the unfinished ones after it (with a queue: the queue's)."""
        if self.view is None:
            k = self.rows.index(r)
            return tuple(x.doc for x in self.rows[k + 1 :] if not x.finished and not x.error)
        todo = [d for d in self.view.queue.todo if not self._known_unreadable(d.id)]
        ids = [d.id for d in todo]
        after = todo[ids.index(r.doc.id) + 1 :] if r.doc.id in ids else todo
        return tuple(after)

    def _known_unreadable(self, doc_id: str) -> bool:
        return any(x.doc.id == doc_id and x.unreadable for x in self.all_rows)

    def action_open(self) -> None:
        """Open the selected document for labeling; the unfinished documents after it follow (with a project
        file, the documents of the queue). A document in the reviewer's list opens for review."""
        if not self.ready:
            self._pending = "open"
            return
        r = self._openable()
        if r is None:
            return
        if r.section in (IN_REVIEW, TO_REVIEW):
            self.app.open_review(r.doc)  # type: ignore[attr-defined]
            return
        self.app.open_document(r.doc, self._following(r))  # type: ignore[attr-defined]

    def action_next(self) -> None:
        """Open the next document of the queue (in progress first, then not started), the rest of the queue
        after it; when nothing is left to label, a reviewer gets the next document ready for review."""
        if not self.ready:
            self._pending = "next"
            return
        view = self.view
        if view is None:
            return
        by_id = {r.doc.id: r for r in self.all_rows}
        for doc in view.queue.todo:
            r = by_id[doc.id]
            if self._readable(r):
                self.select = doc.id
                self.app.open_document(doc, self._following(r))  # type: ignore[attr-defined]
                return
            self.app.notify(f"{doc.id} cannot be opened: unreadable: {r.unreadable}; skipped", severity="error",
                            timeout=10)
        if view.review:
            self.select = view.review[0].doc.id
            self.app.open_review(view.review[0].doc)  # type: ignore[attr-defined]
            return
        if view.queue.in_team:
            self.app.notify("Your queue is done: nothing left to label." if view.queue.items else
                            "Nothing is assigned to you.")
        else:
            self.app.notify(f"You are not in {PROJECT_FILE}: nothing is assigned to you (you may still label any"
                            " document).")

    def action_review(self) -> None:
        """Open the review screen on the selected document (reviewers and local users only)."""
        r = self._openable()
        if r is not None:
            self.app.open_review(r.doc)  # type: ignore[attr-defined]

    def action_dashboard(self) -> None:
        """Show the team's dashboard: progress, label mix, confusion, throughput, as pictures."""
        self.app.show_dashboard()  # type: ignore[attr-defined]

    def action_guidelines(self) -> None:
        """Show the tagset's guidelines."""
        from .dialogs import GuidelinesScreen

        self.app.push_screen(GuidelinesScreen(self.tagset))
