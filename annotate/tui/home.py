"""The home screen: every document with this annotator's progress; Enter opens one."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ..models import Tagset
from ..reading import FileProgress, file_progress
from ..store import Document, Project
from .keybar import KeyBar
from .widgets import progress_bar


@dataclass
class DocProgress:
    """One row of the home screen: a document and this annotator's progress on it (None: not started)."""

    doc: Document
    progress: FileProgress | None = None

    @property
    def error(self) -> str | None:
        """Why the label file cannot be read, if it cannot."""
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
    """Progress of ``annotator`` on every document, for the sources as they are now."""
    return [DocProgress(doc, file_progress(project, doc, annotator)) for doc in project.documents()]


class HomeScreen(Screen[None]):
    """Pick a document to label."""

    BINDINGS = [
        Binding("enter", "open", "open", id="home.open", priority=True),
        Binding("o", "sort('name')", "sort by name", id="home.sort_name"),
        Binding("p", "sort('progress')", "sort by progress", id="home.sort_progress"),
        Binding("question_mark,f1", "guidelines", "guide", key_display="?", id="home.guidelines"),
        Binding("q", "app.quit", "quit", show=False, id="home.quit"),
    ]

    def __init__(self, project: Project, annotator: str, tagset: Tagset) -> None:
        super().__init__()
        self.project = project
        self.annotator = annotator
        self.tagset = tagset
        self.rows: list[DocProgress] = []
        self.sort_by = "name"

    def compose(self) -> ComposeResult:
        yield Static(id="bar")
        yield DataTable(id="documents", cursor_type="row", zebra_stripes=True)
        yield KeyBar(palette=True)

    def on_mount(self) -> None:
        """Fill the table and select the first unfinished document."""
        table = self.query_one(DataTable)
        table.add_column("document", key="document")
        table.add_column("progress", key="progress")
        table.add_column("labeled", key="labeled")
        table.add_column("unsure", key="unsure")
        table.add_column("orphans", key="orphans")
        self.reload(select_unfinished=True)
        table.focus()

    def on_screen_resume(self) -> None:
        """Back from a document: refresh the progress."""
        if self.rows:
            self.reload(select_unfinished=False)

    def reload(self, select_unfinished: bool) -> None:
        """Read every document's progress and redraw the table."""
        table = self.query_one(DataTable)
        current = None
        if table.row_count and not select_unfinished:
            current = self._selected()
        self.rows = document_progress(self.project, self.annotator)
        if self.sort_by == "progress":
            self.rows.sort(key=lambda r: (r.fraction, r.doc.id))
        table.clear()
        for r in self.rows:
            p = r.progress
            if p is not None and p.error:
                prog = Text(f"error: {p.error}", style="red")
                labeled = Text("")
            elif p is not None and p.started:
                style = "green" if r.finished else "yellow"
                prog = Text(progress_bar(p.labeled, p.total, 16), style=style)
                labeled = Text(f"{p.labeled}/{p.total}", justify="right")
            else:
                prog = Text("not started", style="dim")
                labeled = Text("", justify="right")
            unsure, orphans = (p.unsure, p.orphans) if p is not None else (0, 0)
            table.add_row(r.doc.id, prog, labeled, Text(str(unsure or ""), justify="right"),
                          Text(str(orphans or ""), justify="right"), key=r.doc.id)
        target = 0
        for k, r in enumerate(self.rows):
            if (current is not None and r.doc.id == current) or (
                current is None and not r.finished
            ):
                target = k
                break
        if self.rows:
            table.move_cursor(row=target)
        done = sum(1 for r in self.rows if r.finished)
        bar = Text()
        bar.append(" annotate ", "bold reverse")
        bar.append(f"  {self.annotator} · {self.tagset.name} · {len(self.rows)} documents, {done} finished"
                   f" · sorted by {self.sort_by}")
        self.query_one("#bar", Static).update(bar)
        if not self.rows:
            self.app.notify(f"No documents: put .txt files under {self.project.seeds}", severity="warning")

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0:
            return None
        return self.rows[table.cursor_row].doc.id

    def action_sort(self, by: str) -> None:
        """Sort by document name or by progress (least done first)."""
        self.sort_by = by
        self.reload(select_unfinished=False)

    def action_open(self) -> None:
        """Open the selected document for labeling; the documents after it follow."""
        table = self.query_one(DataTable)
        if not self.rows:
            return
        k = table.cursor_row
        queue = [r.doc for r in self.rows[k + 1 :] if not r.finished]
        self.app.open_document(self.rows[k].doc, queue)  # type: ignore[attr-defined]

    def action_guidelines(self) -> None:
        """Show the tagset's guidelines."""
        from .dialogs import GuidelinesScreen

        self.app.push_screen(GuidelinesScreen(self.tagset))
