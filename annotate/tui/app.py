"""The Textual app: one factory shared by the CLI and the tests, the command palette, moving between screens."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.message import Message
from textual.screen import Screen

from ..errors import AnnotateError
from ..session import LabelSession
from ..store import Document, LabelLock
from .options import AppOptions, review_options

if TYPE_CHECKING:
    from ..team.queues import Queue

GO_TO_SCORE = 1000.0
"""The palette's "go to sentence N" outranks every fuzzy match (a number means that sentence first)."""


class AnnotateCommands(Provider):
    """Command palette: go to sentence N, open or review a document, show guidelines."""

    async def search(self, query: str) -> Hits:
        """Commands matching what was typed; a number offers "go to sentence N" first."""
        app = self.app
        assert isinstance(app, AnnotateApp)
        matcher = self.matcher(query)
        screen = self.screen  # the screen the palette was opened on (app.screen is the palette)
        from .document_screen import DocumentScreen

        words = query.split()
        number = next((w for w in words if w.isdigit()), None)
        if isinstance(screen, DocumentScreen):
            if number is not None:
                n = int(number)
                yield Hit(GO_TO_SCORE, f"Go to sentence {n}", partial(screen.goto_sentence, n),
                          help=f"Jump to that sentence (of {screen.sentence_count})")
            else:
                score = matcher.match("Go to sentence")
                if score > 0:
                    yield Hit(score, matcher.highlight("Go to sentence"),
                              partial(app.notify, "Type the number too, e.g. 'go to sentence 12'."),
                              help="Type the number too, e.g. 'go to sentence 12'")
        if isinstance(screen, DocumentScreen):
            for text, action, help_text in (
                    ("Merge this unit with the next one", screen.action_merge, "shift+m: a boundary that is wrong"),
                    ("Split this unit in two", screen.action_split, "shift+s: choose where to cut")):
                score = matcher.match(text)
                if score > 0:
                    yield Hit(score, matcher.highlight(text), action, help=f"{help_text} (for every annotator)")
        score = matcher.match("Show guidelines")
        if score > 0:
            yield Hit(score, matcher.highlight("Show guidelines"), app.show_guidelines,
                      help=f"Definitions and rules of {app.tagset.name}")
        for hit in self._document_hits(app, matcher):
            yield Hit(hit.score / 10 if number is not None else hit.score, hit.match_display, hit.command,
                      help=hit.help)

    def _document_hits(self, app: AnnotateApp, matcher: object) -> Iterable[Hit]:
        """Open (and, for a reviewer, review) each document whose name matches."""
        verbs: list[tuple[str, str, Callable[[Document], None]]] = [
            ("Open document", "Label this document", app.open_document)]
        if app.options.may_review:
            verbs.append(("Review document", "Compare annotators and decide gold labels", app.open_review))
        for doc in app.project.documents():
            for verb, help_text, action in verbs:
                text = f"{verb} {doc.id}"
                score = matcher.match(text)  # type: ignore[attr-defined]
                if score > 0:
                    yield Hit(score, matcher.highlight(text), partial(action, doc), help=help_text)  # type: ignore[attr-defined]


class QueueRead(Message):
    """This annotator's queue was read (off the UI thread), for the completion box."""

    def __init__(self, queue: Queue | None) -> None:
        super().__init__()
        self.queue = queue


class AnnotateApp(App[None]):
    """annotate's terminal app: home screen, labeling and review screens, dialogs."""

    CSS_PATH = "app.tcss"
    TITLE = "annotate"
    COMMANDS = App.COMMANDS | {AnnotateCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "quit", priority=True, id="app.quit")]

    def __init__(self, options: AppOptions) -> None:
        super().__init__()
        self.options = options.resolved()
        self.project = self.options.project
        self.tagset = self.options.tagset_in_use
        self.sessions: set[LabelSession] = set()
        self._initial: Screen | None = None
        self.team_queue: Queue | None = None
        """This annotator's queue with a project file, as last read (by the home screen, or at start)."""
        self.finished: set[str] = set()
        """Documents finished in this run (the queue, read before, may still list them as to do)."""
        self._first_frame = False
        self.collector_held: set[object] = set()
        """What start-up still builds (the home screen's first read): the collector stays off until it is shown."""

    def get_default_screen(self) -> Screen:
        """The first screen: the first document given (so the first frame is it), else the home screen."""
        screen = self._first_screen()
        # Textual gives a pushed or switched-to screen a result callback, but not the default
        # screen; switch_screen() pops one, so switching away from it (next document) would fail.
        screen._push_result_callback(screen, None)
        self._initial = screen
        return screen

    def _first_screen(self) -> Screen:
        options = self.options
        if not options.documents:
            return self._home()
        first, *rest = options.documents
        if options.review is not None:
            if not options.may_review:
                self.call_later(self.notify, "Your role may not review: opening the documents instead.",
                                severity="error")
                return self._home()
            from .review_screen import ReviewScreen

            return ReviewScreen(options, first)
        from .label_screen import LabelScreen

        return LabelScreen(options, first, tuple(rest), lock=options.lock)

    def _home(self, select: Document | None = None) -> Screen:
        from .home import HomeScreen  # not on the label path (home and DataTable: ~15 ms of imports)

        return HomeScreen(self.options, select.id if select else None)

    def on_ready(self) -> None:
        """The first frame is up: the collector goes on (see :meth:`start_collector`)."""
        self._first_frame = True
        self.start_collector()
        if self.options.documents and self.options.review is None:
            self.read_queue()

    def start_collector(self, done: object = None) -> None:
        """Once the first frame is up and start-up's work is shown (``done``: one part of it is), start-up's objects
        are frozen out of the collector's reach, and the collector goes on.

        ``annotate`` keeps the collector off while the screen starts (cli.collector_paused):
        a few hundred thousand objects that stay (modules, styles, the home screen's 10,000
        rows); on while they are made, it would scan them again and again for nothing (about
        0.1 s for the home screen of 10,000 documents). Freezing them keeps later collections
        (while keys are pressed) short.
        """
        self.collector_held.discard(done)
        if self._first_frame and not self.collector_held and not gc.isenabled():
            gc.freeze()
            gc.enable()

    # the queue (annotate.yaml) -----------------------------------------------------------

    @work(thread=True, group="queue")
    def read_queue(self) -> None:
        """Read this annotator's queue when the project has a project file (a broken one: no queue)."""
        from ..team.projectfile import project_file_path

        if not project_file_path(self.project).exists():
            return
        from ..team.queues import queue_of

        try:
            queue = queue_of(self.project, self.options.annotator)
        except AnnotateError:
            return  # the home screen says what is wrong with the file
        self.post_message(QueueRead(queue))

    @on(QueueRead)
    def _queue_read(self, event: QueueRead) -> None:
        if self.team_queue is None:  # the home screen's, when it read one meanwhile, is as new
            self.team_queue = event.queue

    def next_in_queue(self, finished: Document) -> Document | None:
        """The next document of this annotator's queue now that ``finished`` is done (None: no queue, or none left)."""
        self.finished.add(finished.id)
        queue = self.team_queue
        if queue is None:
            return None
        return next((d for d in queue.todo if d.id not in self.finished), None)

    # moving between screens ------------------------------------------------------------

    def open_document(self, doc: Document, queue: tuple[Document, ...] = (), lock: LabelLock | None = None) -> None:
        """Open the labeling screen on a document (the queue follows when it is finished)."""
        from .label_screen import LabelScreen

        self._open(LabelScreen(self.options, doc, tuple(queue), lock=lock))

    def open_review(self, doc: Document) -> None:
        """Open the review screen on a document, if this user's role may review (else say why not)."""
        if not self.options.may_review:
            self.notify(f"Reviewing is for reviewers; your role is {self.options.role}.", severity="error")
            return
        try:
            options = review_options(replace(self.options, tagset=None, review=(), lock=None), doc)
        except AnnotateError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        from .review_screen import ReviewScreen

        self._open(ReviewScreen(options, doc))

    def _open(self, screen: Screen) -> None:
        """Show a document screen over the documents (or instead of the document screen shown now)."""
        from .document_screen import DocumentScreen

        if isinstance(self.screen, DocumentScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def show_documents(self, select: Document | None = None) -> None:
        """Back to the home screen (the one under this screen, or a new one in its place), ``select`` selected."""
        from .home import HomeScreen

        home = next((s for s in self.screen_stack if isinstance(s, HomeScreen)), None)
        if home is None:
            self.switch_screen(self._home(select))
            return
        home.select = select.id if select else None
        while self.screen is not home:
            self.pop_screen()

    def cannot_open(self, screen: Screen, error: str) -> None:
        """A document screen could not open its document (the message is shown): go back, or exit with 2 when it
        was the document named on the command line and nothing else was shown yet."""
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif screen is self._initial:
            self.exit(message=error, return_code=2)
        else:
            self.switch_screen(self._home())

    # the terminal's focus and quitting -----------------------------------------------------

    def on_app_blur(self) -> None:
        """The terminal lost focus: time on sentences stops counting."""
        for screen in self._document_screens():
            screen.pause_clock()

    def on_app_focus(self) -> None:
        """The terminal has focus again: the clock goes on."""
        for screen in self._document_screens():
            screen.resume_clock()

    def _document_screens(self) -> list:
        from .document_screen import DocumentScreen

        return [s for s in self.screen_stack if isinstance(s, DocumentScreen)]

    def show_guidelines(self) -> None:
        """Show the tagset's guidelines."""
        from .dialogs import GuidelinesScreen

        self.push_screen(GuidelinesScreen(self.tagset))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands (theme switching among them) plus ours."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Show guidelines", "The tagset's definitions and rules", self.show_guidelines)
        yield SystemCommand("Team dashboard", "Progress, label mix, confusion and throughput per annotator",
                            self.show_dashboard)

    def show_dashboard(self) -> None:
        """Show the team's dashboard (pictures of progress and quality per annotator)."""
        from .dashboard import DashboardScreen

        if not isinstance(self.screen, DashboardScreen):
            self.push_screen(DashboardScreen(self.options))

    async def action_quit(self) -> None:
        """Quit; every label is already on disk, the journal is folded on the way out."""
        self.close_sessions()
        self.exit()

    def close_sessions(self) -> None:
        """Fold and release every open document."""
        for session in list(self.sessions):
            session.close()
            self.sessions.discard(session)


def make_app(options: AppOptions) -> AnnotateApp:
    """Build the app: the CLI (through :func:`run_app`) and the tests both use this."""
    return AnnotateApp(options)


def run_app(options: AppOptions) -> int:
    """Run the app in the terminal until the user quits; returns the exit code."""
    app = make_app(options)
    try:
        app.run()
    finally:
        app.close_sessions()
    return app.return_code or 0


__all__ = ["AnnotateApp", "AppOptions", "make_app", "run_app"]
