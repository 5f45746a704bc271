"""The review screen: annotators' labels side by side, agreement, and the reviewer's gold decisions.

It edits ``labels/<doc>/gold.yaml`` with everything a document screen guarantees (a
journal line per key, undo, following an edited source and a replaced file); it adds
the annotators' labels in the gutter, a disagreements-only mode (tab) that hides the
agreed sentences, Enter to accept the unanimous or majority label, ``A`` to accept
every agreed sentence at once, and an agreement bar that follows the annotators' files.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget

from ..agreement import cohen_kappa, krippendorff_alpha
from ..models import GOLD
from ..reading import DocumentLabels, document_labels, journal_path
from ..review import AGREED, SentenceReview, review_rows
from ..session import LabelSession
from ..store import Document
from .dialogs import ConfirmDialog
from .document_screen import DocumentScreen
from .options import AppOptions
from .review_panels import STATE_MARKS, Agreement, AgreementBar, Decision, ReviewPanel

Figures = list[tuple[str, float | None, int]]


def agreement_figures(rows: list[SentenceReview], annotators: list[str]) -> Figures:
    """Krippendorff's alpha (two or more annotators) and Cohen's kappa (two), each with its units."""
    if len(annotators) < 2:
        return []
    table = {(i,): row.labels for i, row in enumerate(rows)}
    alpha = krippendorff_alpha(table, annotators)
    figures: Figures = [("α", alpha.value, alpha.units)]
    if len(annotators) == 2:
        kappa = cohen_kappa(table, *annotators)
        figures.append(("κ", kappa.value, kappa.units))
    return figures


class ReviewScreen(DocumentScreen):
    """Compare annotators on one document and decide gold labels."""

    BINDINGS = [
        Binding("tab", "toggle_filter", "filter", id="review.filter"),
        Binding("enter", "accept", "accept", key_display="⏎", id="review.accept"),
        Binding("A", "accept_agreed", "accept all agreed", id="review.accept_agreed"),
    ]

    CLEAR_FIELDS = {"label": None, "reviewer": None, "annotator_labels": None}
    REVIEW_KEYS = True
    FIRST_ACTIONS = ("accept", "accept_agreed", "toggle_filter")

    def __init__(self, options: AppOptions, doc: Document) -> None:
        super().__init__(options, doc, GOLD)
        self.reviewer = options.annotator
        self.chosen = list(options.review or ()) or None
        """The annotators to compare (None: everyone with a label file)."""
        self.doc_labels: DocumentLabels | None = None
        self.annotators: list[str] = []
        self.rows: list[SentenceReview] = []
        self.only_disagreements = False
        self.stale: list[str] = []
        self._figures: Figures = []
        self._annotator_stamps: dict[str, tuple[int, int] | None] = {}

    # opening --------------------------------------------------------------------------

    def open_session(self, progress: Callable[[int, int], None] | bool) -> LabelSession:
        """Open gold.yaml (locked) and read the annotators' files (in the worker thread)."""
        session = LabelSession.open(self.project, self.doc, GOLD, self.tagset, progress=progress,
                                    purpose=f"annotate review ({self.reviewer})")
        try:
            self._load_annotators(session)
        except BaseException:
            session.close()
            raise
        return session

    def _load_annotators(self, session: LabelSession, skip_broken: bool = False) -> None:
        """Read the annotators' files, re-anchored in memory to the session's source (``skip_broken``: leave out
        a file that cannot be read instead of failing)."""
        doc_labels = document_labels(self.project, self.doc, self.chosen, source=session.source,
                                     skip_broken=skip_broken)
        self.stale = [name for name in doc_labels.stale if name != GOLD]  # gold is the session's own file
        self.doc_labels = doc_labels
        self.annotators = [a for a in (self.chosen or doc_labels.annotators) if a in doc_labels.files]
        self.rows = review_rows(doc_labels, self.annotators, [s.span for s in session.sentences])
        self._figures = agreement_figures(self.rows, self.annotators)  # the annotators' labels only: once per read
        self._annotator_stamps = self._stamps()

    def _stamps(self) -> dict[str, tuple[int, int] | None]:
        out: dict[str, tuple[int, int] | None] = {}
        for a in self.chosen or self.project.annotators(self.doc.id):
            path = self.project.label_path(self.doc.id, a)
            for p in (path, journal_path(path)):
                try:
                    st = p.stat()
                    out[str(p)] = (st.st_mtime_ns, st.st_size)
                except OSError:
                    out[str(p)] = None
        return out

    def start_index(self) -> int:
        """Open on the first unresolved disagreement."""
        nxt = self._next_unresolved(-1)
        return nxt if nxt is not None else 0

    # the parts DocumentScreen asks for ---------------------------------------------------

    def compose_header(self) -> ComposeResult:
        """The agreement bar, above the status bar."""
        bar = AgreementBar(id="agreement")
        bar.update("Reading the annotators' label files…")
        yield bar

    def make_panel(self) -> Widget:
        """Each annotator's label, gold, the sentence."""
        return ReviewPanel(self.tagset, id="focus")

    def show_sentence(self) -> None:
        """Hand the current sentence, the annotators' labels and the decision down to the panel."""
        if self.session is None or not self.rows:
            return
        i = self.cursor
        self.query_one(ReviewPanel).state = Decision(i, len(self.shown_sentences), self.shown_sentences[i],
                                                     self.rows[i], self.annotators)

    def show_progress(self) -> None:
        """The status bar, and the agreement bar above it."""
        super().show_progress()
        if self.session is None or not self.rows:
            return
        files = self.doc_labels.files if self.doc_labels else {}
        hidden = len(self.view.hidden) if self.view is not None and self.only_disagreements else None
        self.query_one(AgreementBar).state = Agreement(
            self.reviewer, self.annotators, self.rows, self.shown_sentences, hidden, self.stale,
            [(a, len(lf.orphans)) for a, lf in files.items() if lf.orphans], self._figures)

    def sentence_gutter_width(self) -> int:
        """Cursor, number, state mark, a badge per annotator (a letter beyond three), the gold badge, flags."""
        assert self.badges is not None
        per = self.badges.badge_width if len(self.annotators) <= 3 else 2
        return 1 + self.badges.num_width + 1 + 2 + per * max(1, len(self.annotators)) + 2 + self.badges.badge_width + 2

    def sentence_gutter(self, index: int, current: bool) -> list[Segment]:
        """The annotators' labels, an arrow, and the gold decision."""
        assert self.badges is not None
        b = self.badges
        row = self.rows[index]
        gold = self.shown_sentences[index]
        segs = [Segment("▶" if current else " ", Style(bold=True, color="bright_yellow")),
                Segment(f"{index + 1:>{b.num_width}} ", Style(dim=not current))]
        mark, style = STATE_MARKS.get(row.state, (" ", Style()))
        segs.append(Segment(mark + ("?" if row.unsure else " "), style))
        compact = len(self.annotators) > 3
        for a in self.annotators:
            label = row.labels.get(a)
            if compact:
                lab = self.tagset.label(label) if label else None
                letter = (lab.key or label[0]).upper() if lab and label else "·"
                segs.append(Segment(f"{letter} ", b.styles.get(label, Style(dim=True)) if label else Style(dim=True)))
            else:
                segs.append(b.badge(label))
        segs.append(Segment(" →", Style(dim=True)))
        segs.append(b.badge(gold.label))
        segs.append(Segment(("✎" if gold.note else " ") + " ", Style(color="bright_yellow", bold=True)))
        return segs

    # disagreements only ---------------------------------------------------------------------

    def action_toggle_filter(self) -> None:
        """Show every sentence, or only those that need review (the agreed ones are hidden and counted)."""
        if self.view is None:
            return
        if not self.only_disagreements and not any(r.needs_review for r in self.rows):
            self.app.notify("Nothing to hide: every sentence is agreed.")
            return
        self.only_disagreements = not self.only_disagreements
        self._apply_filter()

    def _apply_filter(self) -> None:
        """Hide what the filter hides now (the rows may have changed) and keep the cursor on a shown sentence."""
        assert self.view is not None
        hidden = {i for i, r in enumerate(self.rows) if not r.needs_review} if self.only_disagreements else set()
        if hidden and len(hidden) == len(self.rows):
            self.only_disagreements = False  # every sentence agreed now (a reload): nothing left to show
            hidden = set()
            self.app.notify("Every sentence is agreed now: showing them all.")
        self.view.hide(hidden)
        if not self.view.is_shown(self.cursor):
            self._goto(self.view.step(self.cursor, 1))  # the next one to review (else the one before)
        self.call_after_refresh(self.view.scroll_to_sentence, self.cursor)
        self.show_progress()

    def reveal(self, index: int) -> None:
        """Going to an agreed sentence (undo, find, go to sentence N) shows every sentence again."""
        if self.only_disagreements and self.view is not None:
            self.only_disagreements = False
            self.view.hide(())
            self.show_progress()
            self.app.notify(f"Showing every sentence: sentence {index + 1} is agreed (tab hides those again).")

    def after_refill(self) -> None:
        """The sentences of an edited source are shown: hide the agreed ones again if the filter is on."""
        if self.only_disagreements:
            self._apply_filter()

    def _next_unresolved(self, after: int) -> int | None:
        if self.session is None:
            return None
        n = len(self.rows)
        for k in range(1, n + 1):
            i = (after + k) % n
            if self.rows[i].needs_review and self.session.sentences[i].label is None:
                return i
        return None

    # deciding ------------------------------------------------------------------------------

    def _decide(self, label: str) -> None:
        assert self.session is not None
        i = self.cursor
        row = self.rows[i]
        self.session.change(i, also=self._take_time(), label=label, reviewer=self.reviewer,
                            annotator_labels=dict(row.labels))
        self._changed(i)
        self._move_on(i)
        self._sync_bindings()

    def _move_on(self, i: int) -> None:
        """To the next sentence that needs a decision (or the next sentence, when none is left)."""
        assert self.view is not None
        nxt = self._next_unresolved(i)
        if nxt is None:
            self.app.notify("Every disagreement is decided.", timeout=4)
            self._goto(self.view.step(i, 1))
        else:
            self._goto(nxt)

    def action_label(self, n: int) -> None:
        """Decide the gold label of the current sentence and go to the next unresolved one."""
        if self.session is not None:
            self._decide(self.tagset.labels[n].name)

    def action_accept(self) -> None:
        """Accept the unanimous or majority label (or the single annotator's); on a decided sentence, move on."""
        if self.session is None:
            return
        i = self.cursor
        if self.session.sentences[i].label is not None:  # decided already: Enter keeps it and goes on
            self._move_on(i)
            return
        suggestion = self.rows[i].suggestion
        if suggestion is None:
            self.app.bell()
            self.app.notify("No majority here: choose a label with its key.", severity="warning")
            return
        self._decide(suggestion)

    def agreed_undecided(self) -> list[int]:
        """The sentences every annotator gave the same label (none unsure) that have no gold label yet."""
        assert self.session is not None
        gold = self.session.sentences
        return [i for i, r in enumerate(self.rows) if r.state == AGREED and not r.unsure and gold[i].label is None]

    def action_accept_agreed(self) -> None:
        """Accept the agreed label of every agreed sentence not decided yet, after asking: one undo step."""
        if self.session is None:
            return
        targets = self.agreed_undecided()
        if not targets:
            self.app.notify("No agreed sentence is waiting for a decision.")
            return

        def done(yes: bool | None) -> None:
            if not yes or self.session is None:
                return
            group = self.session.change_many(
                [(i, {"label": self.rows[i].suggestion, "reviewer": self.reviewer,
                      "annotator_labels": dict(self.rows[i].labels)}) for i in targets])
            if group is not None:
                self._changed_many(group.indices)
                self._sync_bindings()
                self.app.notify(f"Accepted the agreed label of {len(group.parts)} sentences (u undoes all of them).")

        n = len(targets)
        self.app.push_screen(ConfirmDialog(
            f"Accept the agreed label of {n} sentence{'s' if n != 1 else ''}?",
            f"Every annotator gave each of them the same label and nobody was unsure. "
            f"Gold gets that label, by {self.reviewer}; one u undoes all {n}."), done)

    # the files change under the screen -------------------------------------------------------

    @property
    def editor(self) -> str:
        """A merge or split made while reviewing is the reviewer's."""
        return self.reviewer

    def on_source_followed(self) -> None:
        """gold.yaml follows the edited source; the annotators' files are compared against it (in memory)."""
        assert self.session is not None
        try:
            self._load_annotators(self.session)
        except Exception as exc:  # noqa: BLE001 - a broken file mid-pull: the files as last read, re-anchored
            self.app.notify(f"An annotator's file cannot be read: {exc}", severity="error")
            self._load_annotators(self.session, skip_broken=True)

    def _watch_disk(self) -> None:
        """Follow the annotators' files (a git pull), our own gold file and the source."""
        super()._watch_disk()
        if self._following is not None:
            return  # the annotators' files are compared against the new text once it is followed
        if self.session is None or self.app.screen is not self or self._stamps() == self._annotator_stamps:
            return
        try:
            self._load_annotators(self.session)
        except Exception as exc:  # noqa: BLE001 - a broken file mid-pull: keep the old view
            self.app.notify(f"An annotator's file changed and cannot be read: {exc}", severity="error")
            self._annotator_stamps = self._stamps()
            return
        assert self.view is not None
        self.view.redraw(gutter_width=self.sentence_gutter_width())  # an annotator may have come or gone: re-wrap
        if self.only_disagreements:  # what needs review may have changed
            self._apply_filter()
        self.show_progress()
        self.show_sentence()
        self.app.notify("The annotators' label files changed; reloaded (your decisions are kept).")


__all__ = ["ReviewScreen", "agreement_figures"]
