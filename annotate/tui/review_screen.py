"""The review screen: annotators' labels side by side, agreement, and the reviewer's gold decisions.

It is a labeling screen whose label file is ``labels/<doc>/gold.yaml``: the same
keys decide, save durably at every key and undo; it adds the annotators'
labels in the gutter, a disagreements-only mode (tab), Enter to accept the
unanimous or majority label, and an agreement panel that follows the files.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..agreement import cohen_kappa, krippendorff_alpha
from ..models import GOLD, Tagset
from ..reading import DocumentLabels, document_labels, journal_path
from ..review import AGREED, DISAGREED, MISSING, SentenceReview, review_rows
from ..session import LabelSession
from ..store import Document, Project
from .label_screen import LabelScreen

STATE_MARKS = {
    AGREED: ("✓", Style(color="green", bold=True)),
    DISAGREED: ("✗", Style(color="red", bold=True)),
    MISSING: ("○", Style(color="yellow", bold=True)),
}


class ReviewScreen(LabelScreen):
    """Compare annotators on one document and decide gold labels."""

    BINDINGS = [
        Binding("tab", "toggle_filter", "filter", id="review.filter"),
        Binding("enter", "accept", "accept", key_display="⏎", id="review.accept"),
    ]

    def __init__(self, project: Project, doc: Document, reviewer: str, tagset: Tagset,
                 annotators: list[str] | None = None) -> None:
        super().__init__(project, doc, GOLD, tagset)
        self.reviewer = reviewer
        self.chosen = annotators
        self.doc_labels: DocumentLabels | None = None
        self.annotators: list[str] = []
        self.rows: list[SentenceReview] = []
        self.only_disagreements = False
        self.stale: list[str] = []
        self._annotator_stamps: dict[str, tuple[int, int] | None] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="agreement")
        yield from super().compose()

    # opening --------------------------------------------------------------------------

    def _open_session(self, progress: Callable[[int, int], None] | bool) -> LabelSession:
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

    def _start_index(self) -> int:
        """Open on the first unresolved disagreement."""
        nxt = self._next_unresolved(-1)
        return nxt if nxt is not None else 0

    def _after_open(self) -> None:
        # header, one line per annotator, gold, then the sentence (also highlighted in the document)
        self.query_one("#focus").styles.height = min(4 + len(self.annotators) + 3, 16)
        super()._after_open()

    def on_mount(self) -> None:
        """Open as the labeling screen does, and announce what is being reviewed."""
        if self.session is None:
            self.query_one("#agreement", Static).update("Reading the annotators' label files…")
        super().on_mount()

    def _render_bar(self) -> None:
        super()._render_bar()
        self._render_agreement()

    # display ----------------------------------------------------------------------------

    def _gutter_width(self) -> int:
        assert self.badges is not None
        per = self.badges.badge_width if len(self.annotators) <= 3 else 2
        return 1 + self.badges.num_width + 1 + 2 + per * max(1, len(self.annotators)) + 2 + self.badges.badge_width + 2

    def _gutter(self, index: int, current: bool) -> list[Segment]:
        assert self.badges is not None and self.session is not None
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

    def _render_focus(self) -> None:
        if not self.session or not self.badges or not self.rows:
            return
        i = self.cursor
        s = self.shown_sentences[i]
        row = self.rows[i]
        out = Text()
        out.append(f"Sentence {i + 1} of {len(self.shown_sentences)}  ")
        mark, style = STATE_MARKS.get(row.state, ("", Style()))
        out.append(f"{mark} {row.state}", style)
        suggestion = row.suggestion
        out.append("   ⏎ accepts: ", "dim")
        if suggestion:
            kind = "agreed" if row.state == AGREED else ("their label" if len(self.annotators) == 1 else "majority")
            out.append(f"{suggestion} ({kind})", "bold")
        else:
            out.append("nothing (no majority)", "dim")
        width = max((len(a) for a in [*self.annotators, "gold"]), default=4)
        for a in self.annotators:
            out.append(f"\n{a:<{width}}  ")
            out.append_text(self.badges.label_text(row.labels.get(a)))
            if a in row.unsure:
                out.append("  unsure", "bold yellow")
            if a in row.notes:
                out.append(f"  note: {row.notes[a]}", "italic")
        out.append(f"\n{'gold':<{width}}  ", "bold")
        out.append_text(self.badges.label_text(s.label))
        if s.reviewer:
            out.append(f"  by {s.reviewer}", "dim")
        if s.note:
            out.append(f"  reason: {s.note}", "italic")
        out.append("\n")
        out.append(" ".join(s.text.split()))
        self.query_one("#focus", Static).update(out, layout=False)  # fixed size (app.tcss)

    def _render_agreement(self) -> None:
        if not self.session or not self.rows:
            return
        table = {(i,): row.labels for i, row in enumerate(self.rows)}
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" review: {self.reviewer}", "bold")
        text.append(f" · {', '.join(self.annotators) or 'no annotators'}")
        if len(self.annotators) >= 2:
            alpha = krippendorff_alpha(table, self.annotators)
            text.append(" · α ")
            text.append(f"{alpha.value:.3f}" if alpha.value is not None else "n/a", "bold")
            text.append(f" (n={alpha.units})")
            if len(self.annotators) == 2:
                k = cohen_kappa(table, *self.annotators)
                text.append(" · κ ")
                text.append(f"{k.value:.3f}" if k.value is not None else "n/a", "bold")
                text.append(f" (n={k.units})")
        need = [i for i, r in enumerate(self.rows) if r.needs_review]
        decided = sum(1 for i in need if self.shown_sentences[i].label is not None)
        text.append(f" · to review {len(need)}, decided {decided}")
        if self.only_disagreements:
            text.append(" · disagreements only", "bold yellow")
        if self.stale:
            text.append(f" · re-anchored (source changed): {', '.join(self.stale)}", "yellow")
        files = self.doc_labels.files if self.doc_labels else {}
        orphans = [f"{a} {len(lf.orphans)}" for a, lf in files.items() if lf.orphans]
        if orphans:  # their labels that fit no sentence of this source: not compared here, not lost either
            text.append(f" · orphaned: {', '.join(orphans)}", "magenta")
        self.query_one("#agreement", Static).update(text, layout=False)

    # navigation --------------------------------------------------------------------------

    def _navigable(self, index: int) -> bool:
        return not self.only_disagreements or self.rows[index].needs_review

    def _step(self, index: int, delta: int) -> int:
        n = len(self.rows)
        i = index + delta
        while 0 <= i < n and not self._navigable(i):
            i += 1 if delta > 0 else -1
        return i if 0 <= i < n else index

    def _next_unresolved(self, after: int) -> int | None:
        if self.session is None:
            return None
        n = len(self.rows)
        for k in range(1, n + 1):
            i = (after + k) % n
            if self.rows[i].needs_review and self.session.sentences[i].label is None:
                return i
        return None

    def action_toggle_filter(self) -> None:
        """Show all sentences, or walk only the disagreements (others dimmed)."""
        if self.view is None:
            return
        self.only_disagreements = not self.only_disagreements
        self.view.dimmed = ({i for i, r in enumerate(self.rows) if not r.needs_review}
                            if self.only_disagreements else set())
        self.view._row_cache.clear()
        self.view.refresh()
        if self.only_disagreements and not self._navigable(self.cursor):
            nxt = self._step(self.cursor, 1)
            if nxt == self.cursor:
                nxt = self._step(self.cursor, -1)
            self._goto(nxt)
        self._render_agreement()

    # deciding ------------------------------------------------------------------------------

    def _decide(self, label: str) -> None:
        assert self.session is not None
        i = self.cursor
        row = self.rows[i]
        self.session.change(i, also=self._take_time(), label=label, reviewer=self.reviewer,
                            annotator_labels=dict(row.labels))
        self._changed(i)
        nxt = self._next_unresolved(i)
        if nxt is None:
            self.app.notify("Every disagreement is decided.", timeout=4)
            self._goto(self._step(i, 1))
        else:
            self._goto(nxt)
        self._sync_bindings()

    def action_label(self, n: int) -> None:
        """Decide the gold label of the current sentence and go to the next unresolved one."""
        if self.session is not None:
            self._decide(self.tagset.labels[n].name)

    def action_accept(self) -> None:
        """Accept the unanimous or majority label (or the single annotator's, in quality control)."""
        if self.session is None:
            return
        suggestion = self.rows[self.cursor].suggestion
        if suggestion is None:
            self.app.bell()
            self.app.notify("No majority here: choose a label with its key.", severity="warning")
            return
        self._decide(suggestion)

    def action_clear(self) -> None:
        """Remove the gold decision of the current sentence."""
        assert self.session is not None
        if self.session.change(self.cursor, label=None, reviewer=None, annotator_labels=None):
            self._changed(self.cursor)
            self._sync_bindings()

    def _after_history(self, index: int | None) -> None:
        if index is None:
            self.app.bell()
            return
        self._changed(index)
        self._goto(index)
        self._sync_bindings()

    def _accept_enabled(self) -> bool | None:
        return True

    def suggestion(self, index: int) -> None:
        """Review shows the annotators' labels, not machine suggestions."""
        return None

    def _show_summary(self) -> None:  # review has no per-document summary dialog
        return

    def _source_followed(self) -> None:
        """gold.yaml follows the edited source; the annotators' files are compared against it (in memory)."""
        assert self.session is not None
        try:
            self._load_annotators(self.session)
        except Exception as exc:  # noqa: BLE001 - a broken file mid-pull: the files as last read, re-anchored
            self.app.notify(f"An annotator's file cannot be read: {exc}", severity="error")
            self._load_annotators(self.session, skip_broken=True)
        if self.view is not None and self.only_disagreements:
            self.view.dimmed = {i for i, r in enumerate(self.rows) if not r.needs_review}

    def _watch_disk(self) -> None:
        """Follow the annotators' files (a git pull), our own gold file and the source."""
        super()._watch_disk()
        if self._following is not None:
            return  # the annotators' files are compared against the new text once it is followed
        if self.session is None or self._stamps() == self._annotator_stamps:
            return
        try:
            self._load_annotators(self.session)
        except Exception as exc:  # noqa: BLE001 - a broken file mid-pull: keep the old view
            self.app.notify(f"An annotator's file changed and cannot be read: {exc}", severity="error")
            self._annotator_stamps = self._stamps()
            return
        assert self.view is not None
        self.view.gutter_width = self._gutter_width()  # an annotator may have come or gone: re-wrap
        if self.only_disagreements:  # what needs review may have changed: re-dim from the new rows
            self.view.dimmed = {i for i, r in enumerate(self.rows) if not r.needs_review}
        self.view._row_cache.clear()
        self.view.refresh()
        self._render_bar()
        self._render_focus()
        self.app.notify("The annotators' label files changed; reloaded (your decisions are kept).")
