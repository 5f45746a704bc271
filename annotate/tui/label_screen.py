"""The labeling screen: one key labels a sentence and moves on, with the whole document in view."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widget import Widget

from ..errors import AnnotateError
from ..store import Document, LabelLock
from .dialogs import SummaryDialog
from .document_screen import DocumentScreen
from .options import AppOptions
from .panels import Focus, SentencePanel


class LabelScreen(DocumentScreen):
    """Label one document, sentence by sentence; the documents queued after it follow."""

    BINDINGS = [Binding("enter", "accept", "accept", key_display="⏎", id="label.accept")]

    def __init__(self, options: AppOptions, doc: Document, queue: tuple[Document, ...] = (),
                 lock: LabelLock | None = None) -> None:
        super().__init__(options, doc, options.annotator, lock)
        self.queue = tuple(queue)
        """The documents to label after this one (Enter on the summary opens the first)."""
        self.suggest = options.suggest
        self.order = options.order
        self._order: list[int] | None = None  # with order "uncertain": sentence indices, least sure first
        self._rank: list[int] = []  # position of each sentence in _order
        self._suggestions: dict[tuple[int, int], Any] | None = None
        self._rules: Any = None
        self._summary_shown = False

    # the parts DocumentScreen asks for -----------------------------------------------

    def make_panel(self) -> Widget:
        """The current sentence, its label, flags, time, note and suggestion."""
        return SentencePanel(self.tagset, id="focus")

    def show_sentence(self) -> None:
        """Hand the current sentence (and the suggestion shown for it) down to the panel."""
        if self.session is None or self.badges is None:
            return
        i = self.cursor
        self.query_one(SentencePanel).state = Focus(i, len(self.shown_sentences), self.shown_sentences[i],
                                                    self.suggestion(i))

    def start_index(self) -> int:
        """Where the screen opens: the first unlabeled sentence (in the visiting order)."""
        start = self.next_to_do(None)
        return start if start is not None else 0

    def progress_note(self) -> str | None:
        """Says so when the sentences are visited least sure first."""
        return "least sure first" if self.order == "uncertain" else None

    def on_source_followed(self) -> None:
        """Suggestions and the visiting order named the old spans: they are worked out again."""
        self._suggestions = None
        self._order = None

    # keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter accepts a suggestion only when suggestions are shown (``--suggest``)."""
        allowed = super().check_action(action, parameters)
        if action == "accept" and allowed:
            return self.suggest
        return allowed

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
        nxt = self.next_to_do(i)
        if nxt is None:
            self._goto(min(i + 1, len(self.session.sentences) - 1))
            if not self._summary_shown:
                self._show_summary()
        else:
            self._goto(nxt)
        self._sync_bindings()

    def action_clear(self) -> None:
        """Remove the current sentence's label (finishing it again shows the summary again)."""
        assert self.session is not None
        if self.session.sentences[self.cursor].label is not None:
            self._summary_shown = False
        super().action_clear()

    def _after_history(self, change: Any) -> None:
        super()._after_history(change)
        self._summary_shown = self.session is not None and self.session.first_unlabeled() is None

    def action_next_unlabeled(self) -> None:
        """Go to the next unlabeled sentence (in the visiting order)."""
        nxt = self.next_to_do(self.cursor)
        if nxt is None:
            self.app.notify("Every sentence is labeled.")
        else:
            self._goto(nxt)

    # finishing -----------------------------------------------------------------------------

    def _show_summary(self) -> None:
        assert self.session is not None
        self._summary_shown = True
        seconds = sum(s.seconds or 0 for s in self.session.sentences) + self._time_on_current
        queued = self.app.next_in_queue(self.doc)  # type: ignore[attr-defined]  # with annotate.yaml
        following = queued or (self.queue[0] if self.queue else None)
        rest = tuple(d for d in self.queue if following is None or d.id != following.id)

        def done(go_on: bool | None) -> None:
            if not go_on:
                return
            self._leave()
            if following is not None:
                self.app.switch_screen(LabelScreen(self.options, following, rest))
            else:
                self.app.show_documents(self.doc)  # type: ignore[attr-defined]

        self.app.push_screen(SummaryDialog(self.doc.id, self.session.counts(), self.tagset,
                                           self.session.labels.unsure, seconds,
                                           self.queue[0].id if self.queue else None,
                                           queued.id if queued else None), done)

    # suggestions (annotate label --suggest) ---------------------------------------------

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

    def next_to_do(self, after: int | None) -> int | None:
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


__all__ = ["LabelScreen"]
