"""The review screen's panels: the agreement bar and the decision panel, drawn from the state handed down."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Text

from ..models import Sentence, Tagset
from ..review import AGREED, DISAGREED, MISSING, SentenceReview
from .panels import KEEP, Drawn, Parts, fitted, styled
from .widgets import Badges

STATE_MARKS = {
    AGREED: ("✓", Style(color="green", bold=True)),
    DISAGREED: ("✗", Style(color="red", bold=True)),
    MISSING: ("○", Style(color="yellow", bold=True)),
}
"""How a review state is marked in the gutter and the panel."""


@dataclass(eq=False)
class Decision:
    """The current sentence of the review screen: the annotators' labels and the gold decision."""

    index: int
    total: int
    gold: Sentence
    row: SentenceReview
    annotators: Sequence[str]


def accept_words(state: Decision) -> tuple[str, str]:
    """What Enter does on this sentence, as (what, style)."""
    row = state.row
    if state.gold.label is not None:
        return "keeps the decision, next", "dim"
    if row.suggestion is None:
        return "nothing (no majority)", "dim"
    kind = "agreed" if row.state == AGREED else ("their label" if len(state.annotators) == 1 else "majority")
    return f"{row.suggestion} ({kind})", "bold"


class ReviewPanel(Drawn):
    """The panel below the document on the review screen: each annotator's label, gold, the sentence."""

    def __init__(self, tagset: Tagset, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.badges = Badges(tagset, 1)

    def watch_state(self) -> None:
        if self.state is not None:  # header, one line per annotator, gold, then the sentence
            height = min(3 + len(self.state.annotators) + 3, 16)  # border, header, gold, 3 lines of sentence
            if self.styles.height is None or self.styles.height.value != height:
                self.styles.height = height
        super().watch_state()

    def draw(self, state: Decision, width: int) -> Text:
        """Header (number, state, what Enter does), the annotators' lines, gold, the sentence."""
        s, row = state.gold, state.row
        out = Text()
        out.append(f"Sentence {state.index + 1} of {state.total}  ")
        mark, style = STATE_MARKS.get(row.state, ("", Style()))
        out.append(f"{mark} {row.state}", style)
        out.append("   ⏎ ", "dim")
        words, words_style = accept_words(state)
        out.append(("accepts: " if s.label is None else "") + words, words_style)
        width_names = max((len(a) for a in [*state.annotators, "gold"]), default=4)
        for a in state.annotators:
            out.append(f"\n{a:<{width_names}}  ")
            out.append_text(self.badges.label_text(row.labels.get(a)))
            if a in row.unsure:
                out.append("  unsure", "bold yellow")
            if a in row.notes:
                out.append(f"  note: {row.notes[a]}", "italic")
        out.append(f"\n{'gold':<{width_names}}  ", "bold")
        out.append_text(self.badges.label_text(s.label))
        if s.reviewer:
            out.append(f"  by {s.reviewer}", "dim")
        if s.note:
            out.append(f"  reason: {s.note}", "italic")
        out.append("\n")
        out.append(" ".join(s.text.split()))
        return out


@dataclass(eq=False)
class Agreement:
    """What the agreement bar shows: who reviews whom, the figures, how far the review is."""

    reviewer: str
    annotators: Sequence[str]
    rows: Sequence[SentenceReview]
    gold: Sequence[Sentence]
    hidden: int | None = None
    """With disagreements only: how many agreed sentences are hidden (None: every sentence shown)."""
    stale: Sequence[str] = ()
    orphans: Sequence[tuple[str, int]] = ()
    """(annotator, how many) of each annotator with labels that fit no sentence of this source."""
    figures: list[tuple[str, float | None, int]] = field(default_factory=list)
    """(name, value, units) of each agreement figure."""


class AgreementBar(Drawn):
    """The line at the top of the review screen: reviewer, annotators, agreement, what is left to review."""

    def draw(self, state: Agreement, width: int) -> Text:
        """Shortened only as the width requires: the annotators' names first, the filter and its count last."""
        parts: Parts = [(KEEP, [styled(f" review: {state.reviewer}", "bold")]),
                        (0, [styled(f" · {', '.join(state.annotators) or 'no annotators'}"),
                             styled(f" · {len(state.annotators)} annotators")])]
        for name, value, units in state.figures:
            shown = f"{value:.3f}" if value is not None else "n/a"
            parts.append((1, [styled(f" · {name} ") + styled(shown, "bold") + styled(f" (n={units})"),
                              styled(f" {name} ") + styled(shown, "bold") + styled(f" n={units}")]))
        need = [i for i, r in enumerate(state.rows) if r.needs_review]
        decided = sum(1 for i in need if state.gold[i].label is not None)
        parts.append((2, [styled(f" · to review {len(need)}, decided {decided}"),
                          styled(f" · decided {decided}/{len(need)}")]))
        if state.hidden is not None:
            parts.append((5, [styled(f" · disagreements only ({state.hidden} agreed hidden)", "bold yellow"),
                              styled(f" · {state.hidden} agreed hidden", "bold yellow")]))
        if state.stale:
            parts.append((3, [styled(f" · re-anchored (source changed): {', '.join(state.stale)}", "yellow"),
                              styled(f" · re-anchored: {', '.join(state.stale)}", "yellow"),
                              styled(" · re-anchored", "yellow")]))
        if state.orphans:  # their labels that fit no sentence of this source: not compared here, not lost either
            each = ", ".join(f"{name} {n}" for name, n in state.orphans)
            parts.append((3, [styled(f" · orphaned: {each}", "magenta"),
                              styled(f" · {sum(n for _, n in state.orphans)} orphaned", "magenta")]))
        return fitted(parts, width)


__all__ = ["STATE_MARKS", "Agreement", "AgreementBar", "Decision", "ReviewPanel", "accept_words"]
