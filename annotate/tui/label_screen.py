"""The labeling screen: one key labels a sentence and moves on, with the whole document in view."""

from __future__ import annotations

import time
from collections.abc import Callable
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
from textual.widgets import ProgressBar, Static

from ..anchor import AnchorReport
from ..errors import AnnotateError
from ..models import LabelFile, Sentence, Tagset
from ..session import FollowCancelled, LabelSession, NeedsSegmentation
from ..store import Document, Project
from .dialogs import FindDialog, GuidelinesScreen, NoteDialog, SummaryDialog
from .document_view import DocumentView
from .keybar import KeyBar
from .widgets import Badges, abbreviations, format_seconds

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
    """Keys for the tagset's labels: digits 1..9 in order, and each label's letter."""
    bindings = BindingsMap()
    short = abbreviations(tagset)
    for i, lab in enumerate(tagset.labels):
        keys = [str(i + 1)] if i < 9 else []
        if lab.key:
            keys.append(lab.key)
        if keys:
            bindings.bind(",".join(keys), f"label({i})", short[lab.name].lower(),
                          key_display="".join(keys))
    return bindings


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


class LabelScreen(Screen[None]):
    """Label one document, sentence by sentence."""

    BINDINGS = [
        Binding("down,j", "move(1)", "next", show=False, id="label.next"),
        Binding("up,k", "move(-1)", "prev", show=False, id="label.prev"),
        Binding("g", "next_unlabeled", "unlabeled", show=False, id="label.next_unlabeled"),
        Binding("home", "jump('first')", "First", show=False, id="label.first"),
        Binding("end", "jump('last')", "Last", show=False, id="label.last"),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("u,ctrl+z", "undo", "undo", key_display="u", id="label.undo"),
        Binding("ctrl+y", "redo", "redo", show=False, id="label.redo"),
        Binding("backspace,delete", "clear", "clear", show=False, id="label.clear"),
        Binding("exclamation_mark", "toggle_unsure", "unsure", key_display="!", id="label.unsure"),
        Binding("n", "note", "note", id="label.note"),
        Binding("slash", "find", "find", key_display="/", id="label.find"),
        Binding("question_mark,f1", "guidelines", "guide", key_display="?", id="label.guidelines"),
        Binding("escape", "back", "docs", show=False, id="label.back"),
        Binding("enter", "accept", "accept", key_display="⏎", id="label.accept"),
        Binding("O", "orphans", "orphans", show=False, id="label.orphans"),
    ]

    def __init__(self, project: Project, doc: Document, annotator: str, tagset: Tagset,
                 queue: list[Document] | None = None, lock: object | None = None,
                 suggest: bool = False, order: str = "document") -> None:
        super().__init__()
        self.suggest = suggest
        self.order = order
        self._order: list[int] | None = None  # with order "uncertain": sentence indices, least sure first
        self._rank: list[int] = []  # position of each sentence in _order
        self._suggestions: dict[tuple[int, int], Any] | None = None
        self._rules: Any = None
        self.project = project
        self.doc = doc
        self.annotator = annotator
        self.tagset = tagset
        self.queue = list(queue or [])
        self.session: LabelSession | None = None
        self.view: DocumentView | None = None
        self.badges: Badges | None = None
        self.keymap = tagset.keymap()
        self._pre_lock = lock
        self._open_error: str | None = None
        self._binding_state: tuple[bool, bool] | None = None
        self._fold_timer = None
        self._last_tick: float | None = time.monotonic()
        self._time_on_current = 0.0
        self._summary_shown = False
        self._last_find = ""
        self._source_error: str | None = None
        self._following: tuple[LabelFile, Sentence, int] | None = None  # shown labels, cursor sentence and index
        self._follow_progress: tuple[int, int] | None = None
        self._bindings = BindingsMap.merge([label_bindings(tagset), self._bindings])

    # layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="bar")
        self._open_now()
        if self.session is not None:
            yield self._build_view(self.session)
        else:
            with Vertical(id="loading"):
                yield Static(f"Opening {self.doc.id}…", id="loading-text")
                yield ProgressBar(id="loading-progress", show_eta=False)
        yield Static(id="focus")
        yield KeyBar()

    def _open_now(self) -> None:
        """Open at once when no segmentation is needed (the usual case): no worker, no waiting."""
        try:
            self._install(self._open_session(False))
        except NeedsSegmentation:
            pass
        except AnnotateError as exc:
            self._open_error = str(exc)
        except OSError as exc:
            self._open_error = f"{exc.filename or self.doc.id}: {exc.strerror}"

    def on_mount(self) -> None:
        """Show the document, or open it in a worker (segmenting a big new document takes a while)."""
        self._render_bar()
        if self._open_error is not None:
            self.post_message(Opened(None, self._open_error))
        elif self.session is not None:
            self._binding_state = (False, False)  # the key line was drawn with the session open
            self._after_open()
        else:
            self.query_one("#focus").display = False
            self.open_session()

    @work(thread=True, exclusive=True, group="open")
    def open_session(self) -> None:
        """Lock, load or segment, re-anchor; ends by posting Opened."""
        def progress(done: int, total: int) -> None:
            self.post_message(OpenProgress(done, total))

        try:
            session = self._open_session(progress)
        except AnnotateError as exc:
            self.post_message(Opened(None, str(exc)))
            return
        except OSError as exc:
            self.post_message(Opened(None, f"{exc.filename or self.doc.id}: {exc.strerror}"))
            return
        self.post_message(Opened(session))

    def _open_session(self, progress: Callable[[int, int], None] | bool) -> LabelSession:
        """Open the label file this screen edits (``progress=False``: only if no segmentation is needed)."""
        return LabelSession.open(self.project, self.doc, self.annotator, self.tagset,
                                 progress=progress, lock=self._pre_lock)

    @on(OpenProgress)
    def _progress(self, event: OpenProgress) -> None:
        bar = self.query_one("#loading-progress", ProgressBar)
        bar.update(total=event.total, progress=event.done)
        self.query_one("#loading-text", Static).update(f"Splitting {self.doc.id} into sentences…")

    @on(Opened)
    def _opened(self, event: Opened) -> None:
        if event.session is None:
            self.app.notify(event.error or "cannot open", severity="error", timeout=10)
            self.app.pop_screen() if len(self.app.screen_stack) > 1 else self.app.exit(
                message=event.error, return_code=2)
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
        self.view = DocumentView([s.text for s in session.sentences], self._gaps(session), self._gutter,
                                 self._gutter_width(), id="document")
        self.view.cursor = self._start_index()
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
        self._render_bar()
        self._render_focus()
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

    def _gutter(self, index: int, current: bool) -> list[Segment]:
        """The gutter of a sentence: cursor, number, label badge, flags."""
        assert self.badges is not None and self.session is not None
        return self.badges.gutter(index, current, self.shown_sentences[index])

    def _gutter_width(self) -> int:
        assert self.badges is not None
        return self.badges.width

    def _start_index(self) -> int:
        """Where the screen opens: the first unlabeled sentence (in the visiting order)."""
        assert self.session is not None
        start = self._next_unlabeled()
        return start if start is not None else 0

    # state → display ------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        """Index of the current sentence."""
        return self.view.cursor if self.view else 0

    def _render_bar(self) -> None:
        bar = Text(no_wrap=True, overflow="ellipsis")
        if self.session and self.session.status.error:
            bar.append(f" ⚠ {self.session.status.error} ", "bold white on red")
        if self._following is not None:
            done, total = self._follow_progress or (0, 0)
            share = f" {100 * done // total}%" if total else ""
            bar.append(f" ⟳ the source changed: re-anchoring{share}; keys wait ", "bold black on yellow")
        bar.append(f" {self.doc.id} ", "bold reverse")
        bar.append(f" {self.annotator}")
        if self.order == "uncertain":
            bar.append(" · least sure first", "italic")
        if self.session and self.badges:
            shown = self.shown_sentences
            total = len(shown)
            counts = dict.fromkeys(self.tagset.names, 0)
            unsure = 0
            for sentence in shown:  # one pass: a few ms even at 10,000 sentences
                if sentence.label is not None:
                    counts[sentence.label] = counts.get(sentence.label, 0) + 1
                if sentence.unsure:
                    unsure += 1
            bar.append(f"  {sum(counts.values())}/{total}", "bold")
            bar.append(" ")
            for name, n in counts.items():
                bar.append(" ")
                bar.append(f"{self.badges.short.get(name, name)} {n}", self.badges.styles.get(name, ""))
            if unsure:
                bar.append(f"  ?{unsure}", "bold yellow")
            orphans = (self._following[0] if self._following else self.session.labels).orphans
            if orphans:
                bar.append(f"  {len(orphans)} orphans (O)", "bold magenta")
        self.query_one("#bar", Static).update(bar, layout=False)  # fixed size (app.tcss): no layout pass per key

    def _render_focus(self) -> None:
        if not self.session or not self.badges:
            return
        i = self.cursor
        s = self.shown_sentences[i]
        head = Text()
        head.append(f"Sentence {i + 1} of {len(self.shown_sentences)}  ")
        head.append_text(self.badges.label_text(s.label))
        if s.unsure:
            head.append("  unsure", "bold yellow")
        if s.seconds:
            head.append(f"  {format_seconds(s.seconds)}", "dim")
        shown = self.suggestion(i)
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
        self.query_one("#focus", Static).update(head + body, layout=False)

    def _changed(self, index: int) -> None:
        """One sentence changed: repaint only what shows it."""
        assert self.view is not None
        self._tick()  # a change is a key: the idle limit counts from here
        self.view.refresh_sentence(index)
        self._render_bar()
        self._render_focus()
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
        if index != self.cursor:
            spent = self._take_time()
            if spent:
                self.session.change(self.cursor, undoable=False, also=spent)
                self._schedule_fold()
        self.view.move_cursor(index)
        self._render_focus()

    # actions ---------------------------------------------------------------------------

    def _sync_bindings(self) -> None:
        """Refresh the key line only when undo or redo became (un)available."""
        state = (bool(self.session and self.session.undo_stack), bool(self.session and self.session.redo_stack))
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Nothing edits or moves until the document is open."""
        if action in ("back", "guidelines"):
            return True
        if self.session is None or self._following is not None:
            return False
        if action == "orphans":
            return bool(self.session.labels.orphans)
        if action == "accept":
            return self._accept_enabled()
        if action == "undo" and not self.session.undo_stack:
            return None
        if action == "redo" and not self.session.redo_stack:
            return None
        return True

    # suggestions (annotate label --suggest) ---------------------------------------------

    def _accept_enabled(self) -> bool | None:
        """Enter accepts the suggestion; without --suggest (blind mode) there is none."""
        return True if self.suggest else False

    def suggestion(self, index: int) -> Any:
        """The suggestion shown for a sentence (from labels/<doc>/_suggestions.yaml, else the cue rules)."""
        if not self.suggest or self.session is None:
            return None
        return self._suggestion_for(index)

    def _suggestion_for(self, index: int) -> Any:
        """A sentence's suggestion, shown or not (the uncertain order uses it blind)."""
        from ..suggest import RulesSuggester, load_suggestions

        if self._suggestions is None:
            try:
                self._suggestions = load_suggestions(self.project, self.doc, self.tagset)
                if getattr(self._suggestions, "stale", False):
                    self.app.notify(f"Suggestions file not used: {self._suggestions.reason}; "
                                    "showing the cue rules instead", severity="warning")
            except AnnotateError as exc:
                self.app.notify(f"Suggestions file not used: {exc}", severity="warning")
                self._suggestions = {}
        s = self.shown_sentences[index]
        found = self._suggestions.get(s.span)
        if found is not None:
            return found
        if self._rules is None:
            try:
                self._rules = RulesSuggester(self.tagset)
            except AnnotateError as exc:  # the tagset's suggest: sections cannot be used
                self.app.notify(f"No suggestions: {exc}", severity="error")
                self.suggest = False
                self._rules = False
                return None
        if self._rules is False:
            return None
        sents = self.shown_sentences
        before = sents[index - 1].text if index > 0 else None
        after = sents[index + 1].text if index + 1 < len(sents) else None
        found = self._rules.suggest(s.text, before, after)
        self._suggestions[s.span] = found
        return found

    # order (annotate label --order uncertain) -------------------------------------------

    def _next_unlabeled(self, after: int | None = None) -> int | None:
        """The next unlabeled sentence after ``after`` (wrapping): in document order, or least sure first."""
        assert self.session is not None
        order = self._visit_order()
        if order is None:
            return self.session.first_unlabeled(-1 if after is None else after)
        sents = self.session.sentences
        start = 0 if after is None else self._rank[after] + 1
        n = len(order)
        for k in range(n):
            i = order[(start + k) % n]
            if sents[i].label is None:
                return i
        return None

    def _visit_order(self) -> list[int] | None:
        """With order "uncertain": the sentences by the suggester's score, lowest first (ties in reading order)."""
        if self.order != "uncertain" or self.session is None:
            return None
        if self._order is None or len(self._order) != len(self.session.sentences):
            scores = []
            for i in range(len(self.session.sentences)):
                found = self._suggestion_for(i)
                if found is None:  # no suggester to ask: reading order, said once
                    self.app.notify("--order uncertain: no suggestions to order by; going in reading order",
                                    severity="warning")
                    self.order = "document"
                    return None
                scores.append(found.score)
            self._order = sorted(range(len(scores)), key=lambda i: (scores[i], i))
            self._rank = [0] * len(scores)
            for pos, i in enumerate(self._order):
                self._rank[i] = pos
        return self._order

    def action_accept(self) -> None:
        """Accept the suggestion shown for the current sentence."""
        suggestion = self.suggestion(self.cursor)
        if suggestion is None:
            self.app.bell()
            return
        self.action_label(self.tagset.names.index(suggestion.label))

    def action_label(self, n: int) -> None:
        """Give the current sentence the n-th label, save, and move to the next unlabeled sentence."""
        if self.session is None:
            return
        i = self.cursor
        name = self.tagset.labels[n].name
        also = self._take_time()
        shown = self.suggestion(i)
        if shown is not None:
            also["suggested"] = shown.label  # the annotator saw this suggestion (for the bias report)
        self.session.change(i, also=also, label=name)
        self._changed(i)
        nxt = self._next_unlabeled(after=i)
        if nxt is None:
            self._goto(min(i + 1, len(self.session.sentences) - 1))
            if not self._summary_shown:
                self._show_summary()
        else:
            self._goto(nxt)
        self._sync_bindings()

    def action_clear(self) -> None:
        """Remove the current sentence's label."""
        assert self.session is not None
        if self.session.change(self.cursor, label=None):
            self._summary_shown = False
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

    def _after_history(self, index: int | None) -> None:
        if index is None:
            self.app.bell()
            return
        self._summary_shown = self.session is not None and self.session.first_unlabeled() is None
        self._changed(index)
        self._goto(index)
        self._sync_bindings()

    def action_undo(self) -> None:
        """Undo the last change and go to the sentence it changed."""
        assert self.session is not None
        change = self.session.undo()
        self._after_history(change.index if change else None)

    def action_redo(self) -> None:
        """Redo the last undone change and go to its sentence."""
        assert self.session is not None
        change = self.session.redo()
        self._after_history(change.index if change else None)

    def action_move(self, delta: int) -> None:
        """Move to the next or previous sentence."""
        self._goto(self._step(self.cursor, delta))

    def _step(self, index: int, delta: int) -> int:
        """The sentence ``delta`` steps from ``index`` (review skips what is filtered out)."""
        return index + delta

    def action_page(self, direction: int) -> None:
        """Move a screenful of sentences."""
        if self.view is None:
            return
        first, _ = self.view.rows_of(self.cursor)
        target = self.view.sentence_at(max(0, first + direction * self.view.size.height))
        self._goto(target if target is not None else self.cursor + direction * 5)

    def action_jump(self, where: str) -> None:
        """Go to the first or last sentence."""
        assert self.session is not None
        self._goto(0 if where == "first" else len(self.session.sentences) - 1)

    def action_next_unlabeled(self) -> None:
        """Go to the next unlabeled sentence."""
        assert self.session is not None
        nxt = self._next_unlabeled(after=self.cursor)
        if nxt is None:
            self.app.notify("Every sentence is labeled.")
        else:
            self._goto(nxt)

    def goto_sentence(self, number: int) -> None:
        """Go to sentence ``number`` (1-based), for the command palette."""
        self._goto(number - 1)

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
            self.app.notify("No orphaned labels.")
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
            self._render_bar()
            what = "re-attached to this sentence (u undoes it)" if action == "attach" else "discarded for good"
            self.app.notify(f"Orphaned label {what}; {len(self.session.labels.orphans)} left.")

        self.app.push_screen(
            OrphansDialog([(o.text, o.label, o.reason) for o in orphans], self.session.sentences[i].text), done)

    def action_guidelines(self) -> None:
        """Show the tagset's guidelines."""
        self.app.push_screen(GuidelinesScreen(self.tagset))

    def action_back(self) -> None:
        """Back to the list of documents (everything is already saved)."""
        self._leave()
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()

    def _show_summary(self) -> None:
        assert self.session is not None
        self._summary_shown = True
        sents = self.session.sentences
        seconds = sum(s.seconds or 0 for s in sents) + self._time_on_current
        nxt = self.queue[0].id if self.queue else None

        def done(go_on: bool | None) -> None:
            if not go_on:
                return
            self._leave()
            if self.queue:
                following = self.queue[0]
                self.app.switch_screen(LabelScreen(self.project, following, self.annotator, self.tagset,
                                                   queue=self.queue[1:], suggest=self.suggest, order=self.order))
            else:
                self.action_back()

        self.app.push_screen(SummaryDialog(self.doc.id, self.session.counts(), self.tagset,
                                           self.session.labels.unsure, seconds, nxt), done)

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
        self._render_bar()
        if not event.ok and self.session and self.session.status.error:
            self.app.notify(self.session.status.error, severity="error", timeout=8)
            if self.session.changed_on_disk():
                self._watch_disk()
            else:
                self._schedule_fold()

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
        self.view._row_cache.clear()
        self.view.refresh()
        self._render_bar()
        self._render_focus()
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
            self._render_bar()
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
        self._render_bar()

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
                self.view._row_cache.clear()
                self.view.refresh()
            self._render_focus()
            return
        self._followed(event.report, old, old_index)

    def _follow_failed(self, error: str) -> None:
        message = f"The source changed, but the labels cannot follow it yet: {error}"
        if message != self._source_error:  # said once, not at every look
            self._source_error = message
            self.app.notify(message, severity="error", timeout=10)
        self._render_bar()

    def _followed(self, report: AnchorReport | None, old: Sentence, old_index: int) -> None:
        """The session holds the re-anchored labels: show the new sentences, say what happened."""
        assert self.session is not None
        session = self.session
        self._source_error = None
        if report is None:
            return
        self._suggestions = None  # keyed by the old spans
        self._order = None
        self.badges = Badges(self.tagset, len(session.sentences))
        self._source_followed()
        self._refill_view(self._same_sentence(old, old_index, report))
        message = f"The source changed on disk; labels re-anchored: {report.summary()}."
        if session.labels.orphans:
            message += (f" {len(session.labels.orphans)} orphaned labels: shift+O shows them"
                        " (re-attach to a sentence or discard).")
        self.app.notify(message, severity="warning" if report.orphaned else "information", timeout=15)

    def _source_followed(self) -> None:
        """Hook: the session now holds the sentences of the edited source."""

    def _same_sentence(self, old: Sentence, old_index: int, report: AnchorReport) -> int:
        """Where the cursor goes after re-anchoring: the same text (nearest copy), its fuzzy match, or the place."""
        assert self.session is not None
        sents = self.session.sentences
        same = [i for i, s in enumerate(sents) if s.text == old.text]
        if not same:
            matched = {before: after for before, after, _ in report.fuzzy}.get(old.span)
            same = [i for i, s in enumerate(sents) if s.span == matched]
        if same:
            return min(same, key=lambda i: abs(i - old_index))
        return min(old_index, len(sents) - 1)

    def _refill_view(self, cursor: int) -> None:
        """Show the session's sentences anew (texts, paragraph breaks, gutter) with the cursor on ``cursor``."""
        assert self.view is not None and self.session is not None
        view = self.view
        view.texts = [" ".join(s.text.split()) for s in self.session.sentences]  # as DocumentView shows them
        view.gaps = self._gaps(self.session)
        view.gutter_width = self._gutter_width()
        view.cursor = cursor
        view.marked.clear()
        view._layout = None
        view._row_cache.clear()
        view.refresh()
        self.call_after_refresh(view.scroll_to_sentence, cursor)
        self._render_bar()
        self._render_focus()
        self._sync_bindings()

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
