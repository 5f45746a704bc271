"""The home screen: every document with this annotator's progress; Enter opens one, ``/`` filters by name."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ..errors import AnnotateError
from ..reading import FileProgress, file_progress
from ..store import Document, Project
from .keybar import KeyBar
from .options import AppOptions
from .widgets import progress_bar


@dataclass
class DocProgress:
    """One row of the home screen: a document and this annotator's progress on it (None: not started)."""

    doc: Document
    progress: FileProgress | None = None
    unreadable: str | None = None
    """Why the source cannot be read (empty, binary, not UTF-8), when it cannot."""

    @property
    def error(self) -> str | None:
        """Why the document cannot be opened: its source, or its label file, cannot be read."""
        if self.unreadable:
            return self.unreadable
        return self.progress.error if self.progress else None

    @property
    def fraction(self) -> float:
        """Share of sentences labeled (0 when not started)."""
        p = self.progress
        return p.labeled / p.total if p and p.total else 0.0

    @property
    def finished(self) -> bool:
        """True when every sentence is labeled."""
        return bool(self.progress and self.progress.finished)


def document_progress(project: Project, annotator: str) -> list[DocProgress]:
    """Progress of ``annotator`` on every document, for the sources as they are now.

    The one place the home screen learns about documents (switch it to a cached summary
    here). A source that cannot be read is reported with the reason, not as "not started".
    """
    rows = []
    for doc in project.documents():
        try:
            source = project.read_source(doc)
        except AnnotateError as exc:
            rows.append(DocProgress(doc, unreadable=exc.message))
            continue
        rows.append(DocProgress(doc, file_progress(project, doc, annotator, source)))
    return rows


def _trouble(r: DocProgress) -> str | None:
    """What the progress column says instead of progress: why the document cannot be worked on."""
    if r.unreadable:
        return f"unreadable: {r.unreadable}"
    if r.progress is not None and r.progress.error:
        return f"error: {r.progress.error}"
    return None


SMALL_COLUMNS = (("labeled", 9), ("unsure", 6), ("orphans", 7))
"""The narrow columns after the progress: key and width (their values stay readable at any width)."""


def column_widths(table_width: int, longest_name: int, longest_progress: int) -> tuple[int, int]:
    """Widths of the document and progress columns so that every column fits ``table_width`` cells."""
    padding = 2 * (2 + len(SMALL_COLUMNS))  # one cell each side of every column
    room = table_width - padding - sum(w for _, w in SMALL_COLUMNS) - 1  # - 1: the scrollbar
    document = max(10, min(longest_name, room - 12))
    return document, max(12, min(room - document, longest_progress))


BAR_WIDTH = 20
"""Cells of a progress bar in the home screen (fewer when the column is narrower)."""


class DocumentTable(DataTable):
    """The table of documents: a row per document; Enter selects one (the screen opens it), Home and End go to
    the first and last row."""

    BINDINGS = [
        Binding("enter", "select_cursor", "open", key_display="⏎", id="home.open"),
        Binding("home", "first_row", "first", show=False, id="home.first"),
        Binding("end", "last_row", "last", show=False, id="home.last"),
    ]

    def action_first_row(self) -> None:
        """Go to the first document."""
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        """Go to the last document."""
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)


class HomeScreen(Screen[None]):
    """Pick a document to label (or, for a reviewer, to review)."""

    BINDINGS = [
        Binding("slash", "filter", "filter", key_display="/", id="home.filter"),
        Binding("o", "sort('name')", "sort by name", id="home.sort_name"),
        Binding("p", "sort('progress')", "sort by progress", id="home.sort_progress"),
        Binding("r", "review", "review", id="home.review"),
        Binding("question_mark,f1", "guidelines", "guide", key_display="?", id="home.guidelines"),
        Binding("escape", "clear_filter", "clear filter", show=False, id="home.clear_filter"),
        Binding("q", "quit", "quit", show=False, id="home.quit"),
    ]

    LETTER_ACTIONS = frozenset({"filter", "sort", "review", "guidelines", "quit"})
    """Actions on printable keys: while the filter is open those keys are typed into it instead."""

    SHORT = {"sort by name": "by name", "sort by progress": "by progress", "filter": "find"}
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
        self._widths: tuple[int, int] | None = None
        self.select = select
        """The document to select when the list is next drawn (the one just left), else the first unfinished."""

    def compose(self) -> ComposeResult:
        yield Static(id="bar")
        yield Static(id="filter")
        yield DocumentTable(id="documents", cursor_type="row", zebra_stripes=True)
        yield Static(id="detail")
        yield KeyBar(palette=True, short=self.SHORT)

    @property
    def table(self) -> DocumentTable:
        """The table of documents."""
        return self.query_one(DocumentTable)

    def on_mount(self) -> None:
        """Fill the table and select the first unfinished document."""
        self.query_one("#filter").display = False
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
        """Read every document's progress and redraw the table."""
        current = self.select or (None if select_unfinished else self._selected())
        self.select = None
        self.all_rows = document_progress(self.project, self.annotator)
        self._fill(current)
        if not self.all_rows:
            self.app.notify(f"No documents: put .txt files under {self.project.seeds}", severity="warning")

    def _column_widths(self) -> tuple[int, int]:
        longest = max((len(r.doc.id) for r in self.all_rows), default=8)
        progress = max((len(_trouble(r) or "") for r in self.all_rows), default=0)
        return column_widths(self.size.width or self.app.size.width, longest, max(BAR_WIDTH, progress))

    def _fill(self, current: str | None) -> None:
        """Show the rows that match the filter, sorted, with the cursor on ``current`` (else the first unfinished)."""
        rows = [r for r in self.all_rows if self.filter_text.casefold() in r.doc.id.casefold()]
        if self.sort_by == "progress":
            rows.sort(key=lambda r: (r.fraction, r.doc.id))
        self.rows = rows
        table = self.table
        table.clear(columns=True)
        self._widths = self._column_widths()
        doc_width, progress_width = self._widths
        table.add_column("document", key="document", width=doc_width)
        table.add_column("progress", key="progress", width=progress_width)
        for key, width in SMALL_COLUMNS:
            table.add_column(Text(key, justify="right"), key=key, width=width)
        for r in rows:
            table.add_row(*self._cells(r, progress_width), key=r.doc.id)
        target = next((k for k, r in enumerate(rows) if r.doc.id == current), None) if current else None
        if target is None:
            target = next((k for k, r in enumerate(rows) if not r.finished and not r.error), 0)
        if rows:
            table.move_cursor(row=target)
        self._show_bar()
        self._show_detail()

    def _cells(self, r: DocProgress, width: int) -> tuple[Text, ...]:
        p = r.progress
        blank = Text("")
        trouble = _trouble(r)
        if trouble:
            return (Text(r.doc.id), Text(trouble, style="red"), blank, blank, blank)
        if p is not None and p.started:
            prog = Text(progress_bar(p.labeled, p.total, min(width, BAR_WIDTH)),
                        style="green" if r.finished else "yellow")
            labeled = Text(f"{p.labeled}/{p.total}", justify="right")
        else:
            prog, labeled = Text("not started", style="dim"), blank
        unsure, orphans = (p.unsure, p.orphans) if p is not None else (0, 0)
        return (Text(r.doc.id), prog, labeled, Text(str(unsure or ""), justify="right"),
                Text(str(orphans or ""), justify="right"))

    def _show_bar(self) -> None:
        done = sum(1 for r in self.all_rows if r.finished)
        bar = Text(no_wrap=True, overflow="ellipsis")
        bar.append(" annotate ", "bold reverse")
        bar.append(f"  {self.annotator} · {self.tagset.name} · ")
        if self.filter_text:
            bar.append(f"{len(self.rows)} of {len(self.all_rows)} documents", "bold")
            bar.append(f" (name has “{self.filter_text}”)", "bold yellow")
        else:
            bar.append(f"{len(self.all_rows)} documents")
        bar.append(f", {done} finished · sorted by {self.sort_by}")
        self.query_one("#bar", Static).update(bar)

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
        elif r.progress is not None and r.progress.started:
            p = r.progress
            line.append(f" {r.doc.id}: {p.labeled} of {p.total} sentences labeled"
                        f"{f', {p.unsure} unsure' if p.unsure else ''}"
                        f"{f', {p.orphans} orphaned labels' if p.orphans else ''}"
                        f"{' (source changed since; re-anchored when opened)' if p.stale else ''}", "dim")
        else:
            line.append(f" {r.doc.id}: not started", "dim")
        self.query_one("#detail", Static).update(line)

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
        """Sort by document name or by progress (least done first)."""
        self.sort_by = by
        self._fill(self._selected())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the filter is open, the letter keys type into it."""
        return not (self.filter_open and action in self.LETTER_ACTIONS)

    def action_filter(self) -> None:
        """Open the filter: typing narrows the documents to those whose name contains the text."""
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
        line.append("   type a part of the name · Esc clears · ⏎ opens", "dim")
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

    def _openable(self) -> DocProgress | None:
        """The selected document, or None (and the reason said) when it cannot be opened."""
        r = self._selected_row()
        if r is None:
            return None
        if r.unreadable:
            self.app.notify(f"{r.doc.id} cannot be opened: unreadable: {r.unreadable}", severity="error",
                            timeout=10)
            return None
        return r

    def action_open(self) -> None:
        """Open the selected document for labeling; the unfinished documents after it follow."""
        r = self._openable()
        if r is None:
            return
        k = self.rows.index(r)
        queue = tuple(x.doc for x in self.rows[k + 1 :] if not x.finished and not x.error)
        self.app.open_document(r.doc, queue)  # type: ignore[attr-defined]

    def action_review(self) -> None:
        """Open the review screen on the selected document (reviewers and local users only)."""
        r = self._openable()
        if r is not None:
            self.app.open_review(r.doc)  # type: ignore[attr-defined]

    def action_guidelines(self) -> None:
        """Show the tagset's guidelines."""
        from .dialogs import GuidelinesScreen

        self.app.push_screen(GuidelinesScreen(self.tagset))
