"""What the labeling and review screens share: one label file of one document open, saved at every key.

:class:`DocumentScreen` owns the session and everything that keeps work safe and the
screen true to the files: opening (in a worker when a new document must be split into
sentences), a journal line per key, folding after a pause, undo and redo, time on each
sentence, following an edited source and reloading a label file replaced on disk. It
composes the widgets (status bar, document, panel, key line) and hands them their state.

A screen built on it says which file it opens (:meth:`open_session`), where the cursor
starts (:meth:`start_index`), what a sentence's gutter shows (:meth:`sentence_gutter`,
:meth:`sentence_gutter_width`), which panel sits below the document (:meth:`make_panel`,
:meth:`show_sentence`) and what its label keys do (``action_label``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ProgressBar, Static

from ..anchor import AnchorReport
from ..errors import AnnotateError
from ..models import LabelFile, Sentence, Tagset
from ..session import BoundaryEdit, Change, ChangeGroup, FollowCancelled, LabelSession, NeedsSegmentation
from ..store import Document, LabelLock
from .dialogs import FindDialog, GuidelinesScreen, NoteDialog
from .document_view import DocumentView
from .keybar import KeyBar
from .options import AppOptions
from .panels import Progress, StatusBar
from .widgets import Badges, abbreviations

IDLE_LIMIT = 60.0
"""Time on a sentence stops counting after this many seconds without a key."""

FOLD_DELAY = 2.0
"""Seconds after the last change before the journal is folded into the YAML file."""

WATCH_INTERVAL = 2.0
"""How often the screen looks for the label file being replaced on disk (git pull) or the source being edited."""

FOLLOW_AT_ONCE_BYTES = 20_000
"""An edited source up to this size is followed at once; a bigger one in a worker, with progress in the bar."""


def paragraph_break(between: str) -> bool:
    """True when the text between two sentences holds a blank line (a paragraph break)."""
    lines = between.replace("\r\n", "\n").replace("\r", "\n").count("\n")
    return lines >= 2 or "\u2029" in between


def label_bindings(tagset: Tagset) -> BindingsMap:
    """Keys for the tagset's labels: digits 1..9 in order, and each label's letter; described by the label's name.

    Each has an id (``label.give.<name>``), so a keymap can move a label to another key.
    """
    bindings = []
    for i, lab in enumerate(tagset.labels):
        keys = [str(i + 1)] if i < 9 else []
        if lab.key:
            keys.append(lab.key)
        if keys:
            bindings.append(Binding(",".join(keys), f"label({i})", lab.name, key_display="".join(keys),
                                    id=f"label.give.{lab.name}"))
    return BindingsMap(bindings)


def key_line_order(bindings: BindingsMap, first: tuple[str, ...]) -> BindingsMap:
    """The same bindings in the order the key line shows them: labels, then ``first``, then the others."""

    def rank(item: tuple[str, list[Binding]]) -> int:
        action = item[1][0].action
        if action.startswith("label("):
            return 0
        return 1 + (first.index(action) if action in first else len(first))

    return BindingsMap.from_keys(dict(sorted(bindings.key_to_bindings.items(), key=rank)))


@dataclass
class Opened(Message):
    """The worker finished opening the document: a session, or an error message."""

    session: LabelSession | None
    error: str | None = None


@dataclass
class OpenProgress(Message):
    """Segmentation progress of a new document."""

    done: int
    total: int


@dataclass
class FollowProgress(Message):
    """Segmentation progress of an edited source being followed in a worker."""

    done: int
    total: int


@dataclass
class SourceFollowed(Message):
    """The worker following an edited source finished: the report, an error, or it gave up (screen closing)."""

    report: AnchorReport | None
    error: str | None = None
    cancelled: bool = False


@dataclass
class Folded(Message):
    """A background fold finished."""

    ok: bool


class DocumentScreen(Screen[None]):
    """One label file of one document open for editing, sentence by sentence, with the whole document in view."""

    BINDINGS = [
        Binding("down,j", "move(1)", "next", show=False, id="label.next"),
        Binding("up,k", "move(-1)", "prev", show=False, id="label.prev"),
        Binding("g", "next_unlabeled", "unlabeled", show=False, id="label.next_unlabeled"),
        Binding("home", "jump('first')", "First", show=False, id="label.first"),
        Binding("end", "jump('last')", "Last", show=False, id="label.last"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="label.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="label.page_up"),
        Binding("u,ctrl+z", "undo", "undo", key_display="u", id="label.undo"),
        Binding("ctrl+y", "redo", "redo", show=False, id="label.redo"),
        Binding("backspace,delete", "clear", "clear", show=False, id="label.clear"),
        Binding("exclamation_mark", "toggle_unsure", "unsure", key_display="!", id="label.unsure"),
        Binding("n", "note", "note", id="label.note"),
        Binding("slash", "find", "find", key_display="/", id="label.find"),
        Binding("question_mark,f1", "guidelines", "guide", key_display="?", id="label.guidelines"),
        Binding("escape", "back", "docs", show=False, id="label.back"),
        Binding("O", "orphans", "orphans", show=False, id="label.orphans"),
        Binding("M", "merge", "merge with next", show=False, id="label.merge"),
        Binding("S", "split", "split", show=False, id="label.split"),
    ]

    CLEAR_FIELDS: dict[str, Any] = {"label": None}
    """What backspace sets on the current sentence."""

    REVIEW_KEYS = False
    """The guidelines dialog lists the review screen's keys too."""

    FIRST_ACTIONS: tuple[str, ...] = ("accept",)
    """Actions whose keys come right after the label keys in the key line (the rest follow in binding order)."""

    def __init__(self, options: AppOptions, doc: Document, annotator: str, lock: LabelLock | None = None) -> None:
        super().__init__()
        self.options = options
        self.project = options.project
        self.tagset = options.tagset_in_use
        self.doc = doc
        self.annotator = annotator
        """Whose label file this screen edits."""
        self.session: LabelSession | None = None
        self.view: DocumentView | None = None
        self.badges: Badges | None = None
        self._pre_lock = lock
        self._open_error: str | None = None
        self._binding_state: tuple[bool, bool] | None = None
        self._fold_timer: Any = None
        self._last_tick: float | None = time.monotonic()
        self._time_on_current = 0.0
        self._last_find = ""
        self._source_error: str | None = None
        self._following: tuple[LabelFile, Sentence, int] | None = None  # shown labels, cursor sentence and index
        self._follow_progress: tuple[int, int] | None = None
        self._bindings = key_line_order(BindingsMap.merge([label_bindings(self.tagset), self._bindings]),
                                        self.FIRST_ACTIONS)

    # what a screen built on this one provides ------------------------------------------

    def open_session(self, progress: Callable[[int, int], None] | bool) -> LabelSession:
        """Open the label file this screen edits (``progress=False``: only if no segmentation is needed)."""
        return LabelSession.open(self.project, self.doc, self.annotator, self.tagset, progress=progress,
                                 lock=self._pre_lock)

    def start_index(self) -> int:
        """Where the cursor is when the document opens."""
        return 0

    def sentence_gutter(self, index: int, current: bool) -> list[Segment]:
        """The gutter of a sentence: cursor, number, label badge, flags."""
        assert self.badges is not None
        return self.badges.gutter(index, current, self.shown_sentences[index])

    def sentence_gutter_width(self) -> int:
        """The width of :meth:`sentence_gutter`."""
        assert self.badges is not None
        return self.badges.width

    def compose_header(self) -> ComposeResult:
        """Widgets above the status bar (none here)."""
        yield from ()

    def make_panel(self) -> Widget:
        """The panel below the document (id ``focus``)."""
        raise NotImplementedError

    def show_sentence(self) -> None:
        """Hand the current sentence down to the panel."""
        raise NotImplementedError

    def progress_note(self) -> str | None:
        """A word in the status bar about the order of work (none here)."""
        return None

    def on_source_followed(self) -> None:
        """The session now holds the sentences of the edited source."""

    def reveal(self, index: int) -> None:
        """Make a hidden sentence shown before the cursor goes there (nothing is hidden here)."""

    @property
    def editor(self) -> str:
        """Who is recorded as making a merge or split on this screen (the annotator; review: the reviewer)."""
        return self.annotator

    # layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield StatusBar(self.tagset, id="bar")
        about = self._about_line()
        if about is not None:
            yield Static(about, id="about")
        self._open_now()
        if self.session is not None:
            yield self._build_view(self.session)
        else:
            with Vertical(id="loading"):
                yield Static(f"Opening {self.doc.id}…", id="loading-text")
                yield ProgressBar(id="loading-progress", show_eta=False)
        yield self.make_panel()
        yield KeyBar(short={name: short.lower() for name, short in abbreviations(self.tagset).items()})

    def _about_line(self) -> Text | None:
        """The document's title, outlet, date and url (from ``seeds/<doc>.meta.yaml``) as one line, if it has any."""
        from ..metadata import read_metadata

        try:
            meta = read_metadata(self.project, self.doc)
        except AnnotateError as exc:
            return Text(f" metadata not shown: {exc}", style="italic", no_wrap=True, overflow="ellipsis")
        if meta is None or not (meta.title or meta.url or meta.outlet or meta.date):
            return None
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append(" ")
        if meta.title:
            line.append(meta.title, "bold")
        for part in (meta.outlet, meta.date):
            if part:
                line.append(f" · {part}")
        if meta.url:
            line.append(f" · {meta.url}", "underline")
        return line

    def _open_now(self) -> None:
        """Open at once when no segmentation is needed (the usual case): no worker, no waiting."""
        try:
            self._install(self.open_session(False))
        except NeedsSegmentation:
            pass
        except AnnotateError as exc:
            self._open_error = str(exc)
        except OSError as exc:
            self._open_error = f"{exc.filename or self.doc.id}: {exc.strerror}"

    def on_mount(self) -> None:
        """Show the document, or open it in a worker (segmenting a big new document takes a while)."""
        self.show_progress()
        if self._open_error is not None:
            self.post_message(Opened(None, self._open_error))
        elif self.session is not None:
            self._binding_state = (False, False)  # the key line was drawn with the session open
            self._after_open()
        else:
            self.query_one("#focus").display = False
            self.open_worker()

    @work(thread=True, exclusive=True, group="open")
    def open_worker(self) -> None:
        """Lock, load or segment, re-anchor; ends by posting Opened."""
        def progress(done: int, total: int) -> None:
            self.post_message(OpenProgress(done, total))

        try:
            session = self.open_session(progress)
        except AnnotateError as exc:
            self.post_message(Opened(None, str(exc)))
            return
        except OSError as exc:
            self.post_message(Opened(None, f"{exc.filename or self.doc.id}: {exc.strerror}"))
            return
        self.post_message(Opened(session))

    @on(OpenProgress)
    def _progress(self, event: OpenProgress) -> None:
        bar = self.query_one("#loading-progress", ProgressBar)
        bar.update(total=event.total, progress=event.done)
        self.query_one("#loading-text", Static).update(f"Splitting {self.doc.id} into sentences…")

    @on(Opened)
    def _opened(self, event: Opened) -> None:
        if event.session is None:
            self.app.notify(event.error or "cannot open", severity="error", timeout=10)
            self.app.cannot_open(self, event.error or "cannot open")  # type: ignore[attr-defined]
            return
        self._install(event.session)
        assert self.session is not None
        self.query_one("#loading").remove()
        self.mount(self._build_view(self.session), before=self.query_one("#focus"))
        self.query_one("#focus").display = True
        self._after_open()

    def _install(self, session: LabelSession) -> None:
        self.session = session
        self.app.sessions.add(session)  # type: ignore[attr-defined]
        self.badges = Badges(self.tagset, len(session.sentences))

    def _build_view(self, session: LabelSession) -> DocumentView:
        self.view = DocumentView([s.text for s in session.sentences], self._gaps(session), self.sentence_gutter,
                                 self.sentence_gutter_width(), id="document")
        self.view.cursor = self.start_index()
        return self.view

    def _gaps(self, session: LabelSession) -> list[bool]:
        """For each sentence: does a paragraph break come before it?"""
        sents = session.sentences
        text = session.source.text
        return [i > 0 and paragraph_break(text[sents[i - 1].end : s.start]) for i, s in enumerate(sents)]

    def _after_open(self) -> None:
        assert self.view is not None and self.session is not None
        session = self.session
        self.view.focus()
        self.call_after_refresh(self.view.scroll_to_sentence, self.view.cursor)
        if session.report and session.report.changed:
            self.app.notify(f"The source changed: {session.report.summary()}", timeout=10)
        if session.labels.orphans:
            self.app.notify(f"{len(session.labels.orphans)} labels could not be placed in the changed"
                            " source; they are kept under orphans: in the label file (shift+O shows them)",
                            severity="warning", timeout=10)
        self.show_progress()
        self.show_sentence()
        self._sync_bindings()
        self.set_interval(WATCH_INTERVAL, self._watch_disk)

    @property
    def shown_sentences(self) -> list[Sentence]:
        """The sentences on screen: the session's, or while an edited source is followed in a worker, the
        ones from before (the worker swaps the session's labels; the view shows the new ones when it is done)."""
        if self._following is not None:
            return self._following[0].sentences
        assert self.session is not None
        return self.session.sentences

    # state → display ------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        """Index of the current sentence."""
        return self.view.cursor if self.view else 0

    def show_progress(self) -> None:
        """Hand the document's progress down to the status bar."""
        opened = self.session is not None and self.badges is not None
        labels = (self._following[0] if self._following else self.session.labels) if self.session else None
        self.query_one(StatusBar).state = Progress(
            self.doc.id, self.annotator, self.shown_sentences if opened else (), opened,
            len(labels.orphans) if labels else 0, self.session.status.error if self.session else None,
            (self._follow_progress or (0, 0)) if self._following is not None else None, self.progress_note())

    def _changed(self, index: int) -> None:
        """One sentence changed: repaint only what shows it."""
        assert self.view is not None
        self._tick()  # a change is a key: the idle limit counts from here
        self.view.refresh_sentence(index)
        self.show_progress()
        self.show_sentence()
        self._schedule_fold()

    def _changed_many(self, indices: Iterable[int]) -> None:
        """Many sentences changed at once (one grouped change): repaint their rows, the bar and the panel."""
        assert self.view is not None
        self._tick()
        for i in indices:
            self.view.refresh_sentence(i)
        self.show_progress()
        self.show_sentence()
        self._schedule_fold()

    # time tracking --------------------------------------------------------------------

    def _tick(self) -> None:
        now = time.monotonic()
        if self._last_tick is not None:
            self._time_on_current += min(now - self._last_tick, IDLE_LIMIT)
        self._last_tick = now

    def _take_time(self) -> dict[str, float]:
        """Time spent on the current sentence since last taken, as a field update (or nothing)."""
        self._tick()
        spent, self._time_on_current = self._time_on_current, 0.0
        if spent < 0.05 or self.session is None:
            return {}
        current = self.shown_sentences[self.cursor].seconds or 0.0
        return {"seconds": round(current + spent, 1)}

    def pause_clock(self) -> None:
        """Stop the clock while the terminal is not focused."""
        self._tick()
        self._last_tick = None

    def resume_clock(self) -> None:
        """Restart the clock."""
        self._last_tick = time.monotonic()

    def _goto(self, index: int) -> None:
        if self.view is None or self.session is None or self._following is not None:
            return
        index = max(0, min(index, len(self.session.sentences) - 1))
        if not self.view.is_shown(index):
            self.reveal(index)
        if index != self.cursor:
            spent = self._take_time()
            if spent:
                self.session.change(self.cursor, undoable=False, also=spent)
                self._schedule_fold()
        self.view.move_cursor(index)
        self.show_sentence()

    # keys ------------------------------------------------------------------------------

    def _sync_bindings(self) -> None:
        """Refresh the key line only when undo or redo became (un)available."""
        state = (bool(self.session and self.session.undo_stack), bool(self.session and self.session.redo_stack))
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Nothing edits or moves until the document is open; undo and redo only when there is something to."""
        if action in ("back", "guidelines"):
            return True
        if self.session is None or self._following is not None:
            return False
        if action == "undo" and not self.session.undo_stack:
            return None
        if action == "redo" and not self.session.redo_stack:
            return None
        return True

    def action_clear(self) -> None:
        """Clear the current sentence's label."""
        assert self.session is not None
        if self.session.change(self.cursor, **self.CLEAR_FIELDS):
            self._changed(self.cursor)
            self._sync_bindings()

    def action_toggle_unsure(self) -> None:
        """Flag or unflag the current sentence as unsure."""
        assert self.session is not None
        s = self.session.sentences[self.cursor]
        self.session.change(self.cursor, unsure=None if s.unsure else True)
        self._changed(self.cursor)
        self._sync_bindings()

    def action_note(self) -> None:
        """Add or edit the current sentence's note in a dialog."""
        assert self.session is not None
        i = self.cursor
        s = self.session.sentences[i]

        def done(note: str | None) -> None:
            if note is None or self.session is None:
                return
            if self.session.change(i, note=note or None):
                self._changed(i)
                self._sync_bindings()

        self.app.push_screen(NoteDialog(s.note, s.text), done)

    def _after_history(self, change: Change | ChangeGroup | BoundaryEdit | None) -> None:
        if change is None:
            self.app.bell()
            if self.session is not None and self.session.status.error:
                self.app.notify(self.session.status.error, severity="error")
            return
        if isinstance(change, BoundaryEdit):  # a merge or split undone or redone: the units changed
            self._show_units(change.index)
            return
        indices = change.indices
        if len(indices) == 1:
            self._changed(indices[0])
            self._goto(indices[0])
        else:  # a grouped change: the cursor stays, the sentences it changed are redrawn
            self._changed_many(indices)
        self._sync_bindings()

    def action_undo(self) -> None:
        """Undo the last change and go to the sentence it changed."""
        assert self.session is not None
        self._after_history(self.session.undo())

    def action_redo(self) -> None:
        """Redo the last undone change and go to its sentence."""
        assert self.session is not None
        self._after_history(self.session.redo())

    def action_move(self, delta: int) -> None:
        """Move to the next or previous (shown) sentence."""
        if self.view is not None:
            self._goto(self.view.step(self.cursor, delta))

    def action_page(self, direction: int) -> None:
        """Move a screenful of sentences."""
        if self.view is None:
            return
        first, _ = self.view.rows_of(self.cursor)
        target = self.view.sentence_at(max(0, first + direction * self.view.size.height))
        self._goto(target if target is not None else self.view.step(self.cursor, direction * 5))

    def action_jump(self, where: str) -> None:
        """Go to the first or last (shown) sentence."""
        ends = self.view.ends() if self.view is not None else None
        if ends is not None:
            self._goto(ends[0] if where == "first" else ends[1])

    def action_next_unlabeled(self) -> None:
        """Go to the next unlabeled sentence (of those shown)."""
        assert self.session is not None and self.view is not None
        sents, n = self.session.sentences, len(self.session.sentences)
        nxt = next((i for i in ((self.cursor + k) % n for k in range(1, n + 1))
                    if sents[i].label is None and self.view.is_shown(i)), None)
        if nxt is None:
            self.app.notify("Every sentence is labeled.")
        else:
            self._goto(nxt)

    def goto_sentence(self, number: int) -> None:
        """Go to sentence ``number`` (1-based), for the command palette."""
        self._goto(number - 1)

    @property
    def sentence_count(self) -> int:
        """How many sentences the document has (0 until it is open)."""
        return len(self.session.sentences) if self.session is not None else 0

    def action_find(self) -> None:
        """Find text in the document and jump to the next sentence containing it."""

        def done(query: str | None) -> None:
            if not query or self.session is None:
                return
            self._last_find = query
            q = query.casefold()
            n = len(self.session.sentences)
            for k in range(1, n + 1):
                i = (self.cursor + k) % n
                if q in self.session.sentences[i].text.casefold():
                    self._goto(i)
                    return
            self.app.notify(f"Not found: {query}", severity="warning")

        self.app.push_screen(FindDialog(self._last_find), done)

    def action_orphans(self) -> None:
        """Show labels that lost their sentence when the source changed: re-attach or discard them."""
        assert self.session is not None
        orphans = self.session.labels.orphans
        if not orphans:
            self.app.notify("No orphaned labels: every label has its sentence.")
            return
        from .dialogs import OrphansDialog

        i = self.cursor

        def done(result: tuple[str, int] | None) -> None:
            if result is None or self.session is None:
                return
            action, k = result
            if action == "attach":  # one undoable change: undo puts the orphan back
                self.session.reattach_orphan(k, i)
                self._changed(i)
                self._sync_bindings()
            else:
                self.session.remove_orphan(k)
            self.show_progress()
            what = "re-attached to this sentence (u undoes it)" if action == "attach" else "discarded for good"
            self.app.notify(f"Orphaned label {what}; {len(self.session.labels.orphans)} left.")

        self.app.push_screen(
            OrphansDialog([(o.text, o.label, o.reason) for o in orphans], self.session.sentences[i].text), done)

    def action_merge(self) -> None:
        """Merge the current unit with the next one, for every annotator of the document (u undoes it)."""
        assert self.session is not None
        i = self.cursor
        try:
            self._take_and_record_time()
            self.session.merge_with_next(i, self.editor)
        except AnnotateError as exc:
            self.app.bell()
            self.app.notify(str(exc), severity="warning")
            return
        self._show_units(i)
        self.app.notify(f"Units {i + 1} and {i + 2} are one now, for everyone (u undoes it).")

    def action_split(self) -> None:
        """Split the current unit in two at a place chosen in a dialog, for every annotator (u undoes it)."""
        assert self.session is not None
        i = self.cursor
        unit = self.session.sentences[i]
        from .dialogs import SplitDialog

        def done(at: int | None) -> None:
            if at is None or self.session is None or self.session.sentences[i].span != unit.span:
                return
            try:
                self._take_and_record_time()
                self.session.split(i, unit.start + at, self.editor)
            except AnnotateError as exc:
                self.app.bell()
                self.app.notify(str(exc), severity="warning")
                return
            self._show_units(i)
            self.app.notify(f"Unit {i + 1} is two units now, for everyone (u undoes it).")

        self.app.push_screen(SplitDialog(unit.text), done)

    def _take_and_record_time(self) -> None:
        """Time on the current sentence goes on record before the units change under it."""
        assert self.session is not None
        spent = self._take_time()
        if spent:
            self.session.change(self.cursor, undoable=False, also=spent)

    def _show_units(self, cursor: int) -> None:
        """The session's units changed (a merge or split here, or its undo): show them, the cursor on ``cursor``."""
        assert self.session is not None and self.view is not None
        session = self.session
        self.badges = Badges(self.tagset, len(session.sentences))
        self.on_source_followed()
        cursor = max(0, min(cursor, len(session.sentences) - 1))
        self.view.show_document([s.text for s in session.sentences], self._gaps(session),
                                self.sentence_gutter_width(), cursor)
        self.after_refill()
        self.show_progress()
        self.show_sentence()
        self._sync_bindings()

    def action_guidelines(self) -> None:
        """Show the tagset's guidelines and the keys of this screen."""
        self.app.push_screen(GuidelinesScreen(self.tagset, review=self.REVIEW_KEYS))

    def action_back(self) -> None:
        """Back to the list of documents (everything is already saved)."""
        self._leave()
        self.app.show_documents(self.doc)  # type: ignore[attr-defined]

    # saving ------------------------------------------------------------------------------

    def _schedule_fold(self) -> None:
        if self._fold_timer is not None:
            self._fold_timer.stop()
        self._fold_timer = self.set_timer(FOLD_DELAY, self._fold)

    def _fold(self) -> None:
        if self.session is not None and self.session.dirty:
            self.fold_worker()

    @work(thread=True, exclusive=True, group="fold")
    def fold_worker(self) -> None:
        """Fold the journal into the YAML file off the UI thread; ends by posting Folded."""
        assert self.session is not None
        self.post_message(Folded(self.session.fold()))

    @on(Folded)
    def _folded(self, event: Folded) -> None:
        self.show_progress()
        if not event.ok and self.session and self.session.status.error:
            self.app.notify(self.session.status.error, severity="error", timeout=8)
            if self.session.changed_on_disk():
                self._watch_disk()
            else:
                self._schedule_fold()

    # the files change under the screen ---------------------------------------------------

    def _watch_disk(self) -> None:
        """Re-anchor when the source was edited; reload when the label file was replaced under us (git pull)."""
        if self._following is not None:
            return  # the worker following the source has the session
        if self.session is not None and self.app.screen is not self:
            return  # a dialog is open: its answer names a sentence of the text shown when it opened
        if self.session is not None and self.session.source_changed():
            self._follow_source()
            return
        if self.session is None or not self.session.changed_on_disk():
            return
        try:
            self.session.reload()
        except AnnotateError as exc:
            self.app.notify(f"The label file changed on disk and is not valid now: {exc}",
                            severity="error", timeout=10)
            return
        assert self.view is not None
        self.view.redraw()
        self.show_progress()
        self.show_sentence()
        self.app.notify("The label file changed on disk; reloaded it.")

    def _follow_source(self) -> None:
        """The source was edited under the screen: save, re-anchor as opening does, show the new sentences."""
        assert self.session is not None and self.view is not None
        session = self.session
        old_index = self.cursor
        old = session.sentences[old_index]
        spent = self._take_time()
        if spent:
            session.change(old_index, undoable=False, also=spent)
        try:
            big = self.doc.path.stat().st_size > FOLLOW_AT_ONCE_BYTES
        except OSError:
            big = False  # gone: follow_source() says so at once
        if big:  # segmenting takes seconds: a worker does it while the screen shows progress
            self._following = (session.labels, old, old_index)
            self._follow_progress = None
            self.refresh_bindings()
            self.show_progress()
            self.follow_worker()
            return
        try:
            report = session.follow_source()
        except AnnotateError as exc:
            self._follow_failed(str(exc))
            return
        self._followed(report, old, old_index)

    @work(thread=True, exclusive=True, group="follow")
    def follow_worker(self) -> None:
        """Re-anchor on the edited source in a thread; ends by posting SourceFollowed."""
        assert self.session is not None

        def progress(done: int, total: int) -> None:
            self.post_message(FollowProgress(done, total))

        try:
            report = self.session.follow_source(progress)
        except FollowCancelled:
            self.post_message(SourceFollowed(None, cancelled=True))
        except AnnotateError as exc:
            self.post_message(SourceFollowed(None, str(exc)))
        else:
            self.post_message(SourceFollowed(report))

    @on(FollowProgress)
    def _follow_progressed(self, event: FollowProgress) -> None:
        self._follow_progress = (event.done, event.total)
        self.show_progress()

    @on(SourceFollowed)
    def _follow_done(self, event: SourceFollowed) -> None:
        if self._following is None:
            return
        _shown, old, old_index = self._following
        self._following = self._follow_progress = None
        self.refresh_bindings()
        if event.cancelled or self.session is None:
            return
        if event.error is not None:
            self._follow_failed(event.error)
            if self.view is not None:
                self.view.redraw()
            self.show_sentence()
            return
        self._followed(event.report, old, old_index)

    def _follow_failed(self, error: str) -> None:
        message = f"The source changed, but the labels cannot follow it yet: {error}"
        if message != self._source_error:  # said once, not at every look
            self._source_error = message
            self.app.notify(message, severity="error", timeout=10)
        self.show_progress()

    def _followed(self, report: Any, old: Sentence, old_index: int) -> None:
        """The session holds the re-anchored labels: show the new sentences, say what happened.

        ``report`` is an AnchorReport (the source was edited) or a RemapReport (someone merged
        or split units of this document).
        """
        assert self.session is not None and self.view is not None
        session = self.session
        self._source_error = None
        if report is None:
            return
        self._show_units(self._same_sentence(old, old_index, report))
        if isinstance(report, AnchorReport):
            message = f"The source changed on disk; labels re-anchored: {report.summary()}."
        else:
            message = f"Units of this document were merged or split (by someone); labels followed: {report.summary()}."
        if session.labels.orphans:
            message += (f" {len(session.labels.orphans)} orphaned labels: shift+O shows them"
                        " (re-attach to a sentence or discard).")
        self.app.notify(message, severity="warning" if report.orphaned else "information", timeout=15)

    def after_refill(self) -> None:
        """The view shows the new sentences of an edited source, every one of them."""

    def _same_sentence(self, old: Sentence, old_index: int, report: AnchorReport) -> int:
        """Where the cursor goes after re-anchoring: the same text (nearest copy), its fuzzy match, or the place."""
        assert self.session is not None
        sents = self.session.sentences
        same = [i for i, s in enumerate(sents) if s.text == old.text]
        if not same:
            matched = {before: after for before, after, _ in getattr(report, "fuzzy", [])}.get(old.span)
            if matched is None:  # a merge or split: the unit that now holds the old one's start
                matched = next((s.span for s in sents if s.start <= old.start < s.end), None)
            same = [i for i, s in enumerate(sents) if s.span == matched]
        if same:
            return min(same, key=lambda i: abs(i - old_index))
        return min(old_index, len(sents) - 1)

    # leaving -------------------------------------------------------------------------------

    def _leave(self) -> None:
        """Record the time on the current sentence, fold and release the document."""
        if self.session is None:
            return
        spent = self._take_time()
        if spent and self._following is None:  # while following, the cursor names a sentence of the old text
            self.session.change(self.cursor, undoable=False, also=spent)
        self.session.close()
        self.app.sessions.discard(self.session)  # type: ignore[attr-defined]
        self.session = None

    def on_unmount(self) -> None:
        """Leaving the screen by any path releases the document."""
        self._leave()

    @on(DocumentView.SentenceClicked)
    def _clicked(self, event: DocumentView.SentenceClicked) -> None:
        self._goto(event.index)


__all__ = ["FOLD_DELAY", "FOLLOW_AT_ONCE_BYTES", "IDLE_LIMIT", "WATCH_INTERVAL", "DocumentScreen", "Folded",
           "OpenProgress", "Opened", "SourceFollowed", "label_bindings", "paragraph_break"]
