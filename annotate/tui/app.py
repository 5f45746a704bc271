"""The Textual app: one factory shared by the CLI and the tests, the command palette, quitting cleanly."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from functools import partial

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.screen import Screen

from ..models import Tagset
from ..session import LabelSession
from ..store import Document, LabelLock, Project


class AnnotateCommands(Provider):
    """Command palette: go to sentence N, open another document, show guidelines."""

    async def search(self, query: str) -> Hits:
        """Commands matching what was typed (a number offers "go to sentence N")."""
        app = self.app
        assert isinstance(app, AnnotateApp)
        matcher = self.matcher(query)
        screen = self.screen  # the screen the palette was opened on (app.screen is the palette)
        from .label_screen import LabelScreen

        words = query.split()
        number = next((w for w in words if w.isdigit()), None)
        if isinstance(screen, LabelScreen) and number is not None:
            n = int(number)
            yield Hit(1.0, f"Go to sentence {n}", partial(screen.goto_sentence, n),
                      help="Jump to that sentence")
        if isinstance(screen, LabelScreen):
            score = matcher.match("Go to sentence")
            if score > 0 and number is None:
                yield Hit(score, matcher.highlight("Go to sentence"), None,
                          help="Type the number too, e.g. 'go to sentence 12'")
        score = matcher.match("Show guidelines")
        if score > 0:
            yield Hit(score, matcher.highlight("Show guidelines"), app.show_guidelines,
                      help=f"Definitions and rules of {app.tagset.name}")
        for doc in app.project.documents():
            text = f"Open document {doc.id}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(app.open_document, doc, []),
                          help="Label this document")


class AnnotateApp(App[None]):
    """annotate's terminal app: home screen, labeling screen and dialogs."""

    CSS_PATH = "app.tcss"
    TITLE = "annotate"
    COMMANDS = App.COMMANDS | {AnnotateCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "quit", priority=True, id="app.quit")]

    def __init__(self, project: Project, annotator: str, tagset: Tagset,
                 documents: list[Document] | None = None, home: bool = True,
                 lock: LabelLock | None = None, review: list[str] | None = None,
                 suggest: bool = False, order: str = "document") -> None:
        super().__init__()
        self.suggest = suggest
        self.order = order
        self.project = project
        self.annotator = annotator
        self.tagset = tagset
        self.documents = documents or []
        self.has_home = home
        self.first_lock = lock
        self.sessions: set[LabelSession] = set()
        self.review = review

    def get_default_screen(self) -> Screen:
        """The first screen: home, or straight into the named document (so the first frame is it)."""
        screen = self._first_screen()
        # Textual gives a pushed or switched-to screen a result callback, but not the default
        # screen; switch_screen() pops one, so switching away from it (next document) would fail.
        screen._push_result_callback(screen, None)
        return screen

    def _first_screen(self) -> Screen:
        if self.has_home or not self.documents:
            from .home import HomeScreen  # not on the label path (home and DataTable: ~15 ms of imports)

            return HomeScreen(self.project, self.annotator, self.tagset)
        if self.review is not None:
            from .review_screen import ReviewScreen

            return ReviewScreen(self.project, self.documents[0], self.annotator, self.tagset, self.review or None)
        from .label_screen import LabelScreen

        first, *rest = self.documents
        return LabelScreen(self.project, first, self.annotator, self.tagset, queue=rest, lock=self.first_lock,
                           suggest=self.suggest, order=self.order)

    def on_ready(self) -> None:
        """The first frame is up: start-up's objects are frozen out of the collector's reach, which goes on.

        ``annotate`` keeps the collector off while the screen starts (cli.collector_paused);
        freezing what start-up built keeps later collections (while keys are pressed) short.
        """
        if not gc.isenabled():
            gc.freeze()
            gc.enable()

    def on_mount(self) -> None:
        """With a home screen, documents named on the command line open over it."""
        if self.has_home and self.documents:
            first, *rest = self.documents
            self.open_document(first, rest, lock=self.first_lock)

    def open_document(self, doc: Document, queue: list[Document], lock: LabelLock | None = None) -> None:
        """Open the labeling screen on a document (the queue follows when it is finished)."""
        from .label_screen import LabelScreen

        screen = LabelScreen(self.project, doc, self.annotator, self.tagset, queue=queue, lock=lock,
                             suggest=self.suggest, order=self.order)
        if isinstance(self.screen, LabelScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def on_app_blur(self) -> None:
        """The terminal lost focus: time on sentences stops counting."""
        from .label_screen import LabelScreen

        for screen in self.screen_stack:
            if isinstance(screen, LabelScreen):
                screen.pause_clock()

    def on_app_focus(self) -> None:
        """The terminal has focus again: the clock goes on."""
        from .label_screen import LabelScreen

        for screen in self.screen_stack:
            if isinstance(screen, LabelScreen):
                screen.resume_clock()

    def show_guidelines(self) -> None:
        """Show the tagset's guidelines."""
        from .dialogs import GuidelinesScreen

        self.push_screen(GuidelinesScreen(self.tagset))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands (theme switching among them) plus ours."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Show guidelines", "The tagset's definitions and rules", self.show_guidelines)

    async def action_quit(self) -> None:
        """Quit; every label is already on disk, the journal is folded on the way out."""
        self.close_sessions()
        self.exit()

    def close_sessions(self) -> None:
        """Fold and release every open document."""
        for session in list(self.sessions):
            session.close()
            self.sessions.discard(session)


def make_app(project: Project, annotator: str, tagset: Tagset | None = None,
             documents: list[Document] | None = None, home: bool = True,
             lock: LabelLock | None = None, review: list[str] | None = None,
             suggest: bool = False, order: str = "document") -> AnnotateApp:
    """Build the app (the CLI and the tests both use this).

    ``review`` (a list of annotators, empty for all) opens the review screen on the
    first document with ``annotator`` as the reviewer. ``order``: "document", or
    "uncertain" (the labeling screen visits the sentences the suggester is least sure of first).
    """
    return AnnotateApp(project, annotator, tagset or project.tagset(), documents, home, lock, review, suggest,
                       order)


def run_app(project: Project, annotator: str, documents: list[Document] | None, scheme: str | None,
            home: bool, tagset: Tagset | None = None, lock: LabelLock | None = None,
            review: list[str] | None = None, suggest: bool = False, order: str = "document") -> int:
    """Run the app in the terminal until the user quits; returns the exit code."""
    tagset = tagset or (project.tagset(scheme) if scheme else project.tagset())
    app = make_app(project, annotator, tagset, documents, home, lock, review, suggest, order)
    try:
        app.run()
    finally:
        app.close_sessions()
    return app.return_code or 0


__all__ = ["AnnotateApp", "make_app", "run_app"]
