"""Rows of the dataset: one per unit (or per unit and annotator), the label chosen, and what is left out.

How votes count: a label an annotator flagged unsure counts ``--unsure-weight`` W
(0 to 1, default 0.5) of a vote, every other label counts 1. The majority, ``soft_label``
and ``agreement`` all use these weights; with W = 0 unsure labels are not votes at all
(each one is counted in the card as ``unsure_labels``). The arithmetic is exact: W is a
fraction p/q, a sure vote weighs q and an unsure one p, so ties are ties.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..models import GOLD
from .corpus import DocUnits, Span

if TYPE_CHECKING:
    from .options import ExportOptions

Row = dict[str, Any]

FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "stable id: `<document>:<start>-<end>`, plus `:<annotator>` with --labels all"),
    ("document", "document id (path under seeds/ minus suffix)"),
    ("start", "offset of the sentence's first character in the source (Python str index)"),
    ("end", "offset one past its last character"),
    ("text", "the sentence: source[start:end]"),
    ("label", "the label of this row"),
    ("label_source", "where `label` comes from: `gold` (adjudicated in review), `majority` (the annotators'"
                     " weighted majority) or the name of the one annotator whose label it is"),
    ("gold", "the adjudicated label from gold.yaml, or null"),
    ("labels", "every annotator of the export -> the label they gave (null: none; unsure ones included)"),
    ("soft_label", "every label of the tagset -> its weighted share of the counted votes (an unsure vote weighs"
                   " --unsure-weight); null when no vote counts"),
    ("agreement", "weighted share of the counted votes equal to `label` (0.0 when no annotator chose a gold"
                  " label); null when fewer than 2 annotators have a counted vote"),
    ("split", "train, dev or test"),
    ("context_before", "texts of the preceding sentences, nearest last"),
    ("context_after", "texts of the following sentences, nearest first"),
    ("notes", "annotator -> note (null: none)"),
    ("seconds", "annotator -> seconds spent (null: not recorded)"),
    ("unsure", "annotators who flagged the sentence unsure"),
    ("suggested", "annotator -> the suggestion shown while they labeled (null: labeled blind)"),
    ("meta", "the document's metadata (from annotate import): title, url, date, outlet, author, language, then"
             " the other fields the import kept, as text; null where unknown"),
)
COLUMNS = tuple(name for name, _ in FIELDS)

LEFT_OUT_ROWS: dict[str, str] = {
    "unlabeled": "nobody (or not this annotator) gave a label",
    "unsure": "only unsure labels, and unsure labels do not count (--unsure-weight 0)",
    "no_gold": "no adjudicated label in gold.yaml (--labels gold)",
    "below_min_annotators": "fewer counted labels than --min-annotators",
    "tie": "no unique weighted majority among the annotators",
    "low_agreement": "weighted majority share below --min-agreement",
    "duplicates": "same normalised text as a row exported before it (--dedupe)",
}
"""Reasons a would-be row was not exported (each counted once, first reason that applies)."""

LEFT_OUT_OTHER: dict[str, str] = {
    "unsure_labels": "unsure labels not counted as votes (--unsure-weight 0)",
    "orphans": "orphaned labels (not placeable in the current source): never exported",
    "boundary_disagreements": "spans that only some of a document's annotators have"
    " (rows still made from those who have them)",
    "stale_files": "label files whose source changed: re-anchored in memory"
    " (run annotate validate --fix to save that)",
    "missing_source": "label files whose document has no source under seeds/: skipped",
    "empty_files": "label files without any label (opened, never labeled): not annotators, skipped",
    "metadata_unreadable": "metadata files (seeds/<doc>.meta.yaml) that could not be read: those documents"
    " are exported without metadata",
}
"""Other things counted in the card: labels and files rather than rows."""


def context(spans_by_end: list[tuple[int, int]], spans_by_start: list[Span], text: str,
            start: int, end: int, n: int) -> tuple[list[str], list[str]]:
    """The texts of up to ``n`` sentences before and after ``start``-``end`` that do not overlap it.

    With boundary disagreements several segmentations overlap; each step takes the
    closest sentence that ends before (starts after) the current cursor, the shortest
    one on a tie, so the context is one clean run of sentences.
    """
    before: list[str] = []
    cursor = start
    for _ in range(n):
        i = bisect.bisect_right(spans_by_end, (cursor, cursor)) - 1
        # spans_by_end holds (end, start): the last one with end <= cursor, latest start first.
        if i < 0:
            break
        e, s = spans_by_end[i]
        before.append(text[s:e])
        cursor = s
    before.reverse()
    after: list[str] = []
    cursor = end
    for _ in range(n):
        i = bisect.bisect_left(spans_by_start, (cursor, -1))
        if i >= len(spans_by_start):
            break
        s, e = spans_by_start[i]
        after.append(text[s:e])
        cursor = e
    return before, after


@dataclass
class Tally:
    """What was left out, and who labeled with a suggestion visible, over every document built so far."""

    annotators: Sequence[str]
    left_out: Counter[str] = field(default_factory=Counter)
    suggestions: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per annotator: ``labels`` given, ``with_suggestion`` visible, ``equal_to_suggestion``."""

    def __post_init__(self) -> None:
        self.suggestions = {a: {"labels": 0, "with_suggestion": 0, "equal_to_suggestion": 0}
                            for a in self.annotators}


@dataclass
class Unit:
    """One unit of a document: every annotator's label (null: none), and the rows it gives."""

    start: int
    end: int
    labels: dict[str, str | None]
    rows: list[Row]


@dataclass
class Votes:
    """One unit's counted votes: weight per label (integers: a sure vote q, an unsure one p), and who voted."""

    weights: dict[str, int] = field(default_factory=dict)
    voters: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Sum of the weights."""
        return sum(self.weights.values())

    def share(self, label: str) -> float:
        """The weighted share of ``label`` (exactly rounded)."""
        return self.weights.get(label, 0) / self.total


class RowBuilder:
    """Builds the rows of one document after another, with the export's options."""

    def __init__(self, options: ExportOptions, annotators: Sequence[str], label_names: Sequence[str],
                 meta_keys: Sequence[str] = ()) -> None:
        self.options = options
        self.empty_meta: dict[str, Any] = dict.fromkeys(meta_keys)
        self.mode, self.only = options.mode, options.annotator
        weight = options.unsure_weight
        self.sure, self.unsure = weight.denominator, weight.numerator
        self.label_names = list(label_names)
        self.empty_by_ann: dict[str, Any] = dict.fromkeys(annotators)
        self.tally = Tally(annotators)

    def document(self, du: DocUnits, split: str) -> list[Unit]:
        """The document's units in span order, each with the rows it gives (possibly none)."""
        left = self.tally.left_out
        left["orphans"] += du.orphans
        left["boundary_disagreements"] += du.boundary
        spans = sorted(du.spans)
        by_end = sorted((e, s) for s, e in spans)
        out = []
        for span in spans:
            labels, unit_rows = self._unit(du, span, split, spans, by_end)
            out.append(Unit(span[0], span[1], labels, unit_rows))
        return out

    def _votes(self, have: dict[str, dict[str, Any]]) -> tuple[Votes, list[str]]:
        """The counted votes and who flagged the unit unsure; tallies suggestions and unsure labels."""
        votes = Votes()
        unsure: list[str] = []
        seen = self.tally.suggestions
        for a, s in have.items():  # in annotator name order (the reader reads files so)
            label = s.get("label")
            if label is not None:
                tally = seen[a]
                tally["labels"] += 1
                shown = s.get("suggested")
                if shown is not None:
                    tally["with_suggestion"] += 1
                    tally["equal_to_suggestion"] += shown == label
            weight = self.sure
            if s.get("unsure"):
                unsure.append(a)
                weight = self.unsure
                if label is not None and not weight:
                    self.tally.left_out["unsure_labels"] += 1
                    continue
            if label is not None:
                votes.voters.append(a)
                votes.weights[label] = votes.weights.get(label, 0) + weight
        return votes, unsure

    def _made(self, have: dict[str, dict[str, Any]], votes: Votes, gold: str | None
              ) -> list[tuple[str, str, str | None]]:
        """The rows a unit gives, as (label, label_source, annotator for the id); counts the reason if none."""
        left = self.tally.left_out
        if self.mode == "gold":
            if gold is None:
                left["no_gold"] += 1
                return []
            return [(gold, GOLD, None)]
        if self.mode == "majority":
            if gold is not None:
                return [(gold, GOLD, None)]
            reason = self._no_majority(have, votes)
            if reason:
                left[reason] += 1
                return []
            top = max(votes.weights.values())
            return [(next(lab for lab, w in votes.weights.items() if w == top), "majority", None)]
        made = []
        for a in ((self.only,) if self.mode == "annotator" else have):
            if a not in have:
                continue  # a boundary disagreement: counted already
            label = have[a].get("label")
            if label is None:
                left["unlabeled"] += 1
            elif a not in votes.voters:
                left["unsure"] += 1
            else:
                made.append((label, a, a))
        return made

    def _no_majority(self, have: dict[str, dict[str, Any]], votes: Votes) -> str | None:
        """Why a unit without gold gives no majority row, or None when it gives one."""
        if not votes.voters:
            return "unsure" if any(s.get("label") is not None for s in have.values()) else "unlabeled"
        if len(votes.voters) < self.options.min_annotators:
            return "below_min_annotators"
        top = max(votes.weights.values())
        if sum(1 for w in votes.weights.values() if w == top) > 1:
            return "tie"
        if top / votes.total < self.options.min_agreement:
            return "low_agreement"
        return None

    def _unit(self, du: DocUnits, span: Span, split: str, spans: list[Span], by_end: list[tuple[int, int]]
              ) -> tuple[dict[str, str | None], list[Row]]:
        have = du.spans[span]
        labels = dict(self.empty_by_ann)
        for a, s in have.items():
            labels[a] = s.get("label")
        votes, unsure = self._votes(have)
        gold = du.gold.get(span)
        made = self._made(have, votes, gold)
        if not made:
            return labels, []
        start, end = span
        text = du.text
        total = votes.total
        soft = {name: votes.weights.get(name, 0) / total for name in self.label_names} if total else None
        n_ctx = self.options.context
        before, after = context(by_end, spans, text, start, end, n_ctx) if n_ctx else ([], [])
        notes = dict(self.empty_by_ann)
        seconds = dict(self.empty_by_ann)
        suggested = dict(self.empty_by_ann)
        for a, s in have.items():
            notes[a] = s.get("note")
            suggested[a] = s.get("suggested")
            sec = s.get("seconds")
            seconds[a] = float(sec) if sec is not None and math.isfinite(sec) else None
        base = f"{du.doc}:{start}-{end}"
        all_mode = self.mode == "all"
        meta = {**self.empty_meta, **{k: v for k, v in (du.meta or {}).items() if k in self.empty_meta}}
        return labels, [{
            "id": f"{base}:{who}" if all_mode else base,
            "document": du.doc,
            "start": start,
            "end": end,
            "text": text[start:end],
            "label": label,
            "label_source": source,
            "gold": gold,
            "labels": labels,
            "soft_label": soft,
            "agreement": votes.share(label) if len(votes.voters) >= 2 else None,
            "split": split,
            "context_before": before,
            "context_after": after,
            "notes": notes,
            "seconds": seconds,
            "unsure": unsure,
            "suggested": suggested,
            "meta": meta,
        } for label, source, who in made]
