"""Inter-annotator agreement: Krippendorff's alpha, Fleiss' and Cohen's kappa, and a JSON report.

Every function takes a *label table*: a mapping from a unit id (any hashable; the tool uses
``(document, start, end)``) to ``{annotator: label or None}``, None meaning "not labeled".
Labels are arbitrary strings, so any tagset works.

Every figure comes back as a :class:`Figure` that carries the number of units behind it, the
number of units left out of it, and, when it cannot be computed, a value of None with the reason
why. Nothing here crashes on thin data and nothing invents a perfect score: a table where every
label is the same has no variation, so chance agreement is 1 and the coefficients are undefined.

The arithmetic is exact (integers and fractions) and converted to float once, at the end, so a
perfect agreement is exactly 1.0 and "no variation" is detected without a floating tolerance.
Nothing is rounded; formatting is the caller's business.

References:

- Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. University of
  Pennsylvania, Annenberg School for Communication. (Nominal alpha, coincidence matrix.)
- Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
  Bulletin, 76(5), 378-382.
- Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological
  Measurement, 20(1), 37-46.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any, TypeAlias

LabelTable: TypeAlias = Mapping[Any, Mapping[str, str | None]]
"""Unit id -> {annotator: label, or None when that annotator has not labeled the unit}."""

NO_ANNOTATORS = "no annotators"
ONE_ANNOTATOR = "only one annotator"
TOO_FEW_PAIRABLE = "fewer than two pairable units"
TOO_FEW_COMPLETE = "fewer than two units labeled by every annotator"
TOO_FEW_SHARED = "fewer than two units labeled by both annotators"
NONE_SHARED = "no unit labeled by both annotators"
NO_VARIATION = "no variation: every label is the same, chance agreement is 1"
LABEL_UNUSED = "no annotator used this label"


@dataclass(frozen=True)
class Figure:
    """One agreement figure and the evidence behind it.

    ``value`` is None when the figure cannot be computed; ``reason`` then says why.
    ``units`` is the number of units the figure is computed over; ``excluded`` the number of
    units that carry at least one label from the annotators concerned but could not be used
    (labeled by only one of them, or, for Fleiss' kappa, not by all of them).
    """

    value: float | None
    units: int
    reason: str | None = None
    excluded: int = 0

    def to_json(self) -> dict[str, Any]:
        """The figure as a JSON-ready dict: ``{value, units, reason, excluded}``."""
        return {
            "value": self.value,
            "units": self.units,
            "reason": self.reason,
            "excluded": self.excluded,
        }


@dataclass(frozen=True)
class LabelStats:
    """How often each annotator used one label, and the agreement on that label.

    ``alpha`` is Krippendorff's nominal alpha of the binary recoding "this label / any other
    label" (missing labels stay missing).
    """

    label: str
    counts: dict[str, int]
    alpha: Figure

    @property
    def total(self) -> int:
        """The number of times any annotator used the label."""
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        """The statistics as a JSON-ready dict: ``{counts, total, krippendorff_alpha}``."""
        return {
            "counts": dict(self.counts),
            "total": self.total,
            "krippendorff_alpha": self.alpha.to_json(),
        }


def annotators_of(table: LabelTable) -> list[str]:
    """Every annotator named anywhere in ``table``, sorted."""
    return sorted({name for labels in table.values() for name in labels})


def _resolve(table: LabelTable, annotators: Iterable[str] | None) -> list[str]:
    if annotators is None:
        return annotators_of(table)
    return list(dict.fromkeys(annotators))


def _too_few_annotators(count: int) -> str | None:
    if count == 0:
        return NO_ANNOTATORS
    if count == 1:
        return ONE_ANNOTATOR
    return None


# --------------------------------------------------------------------------- counts, unit by unit
#
# Every figure is computed from counts that grow unit by unit and never hold the units
# themselves: a report over a million sentences needs as much memory as one over ten.


def _tally(values: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return counts


class AlphaCounts:
    """What Krippendorff's nominal alpha needs, added one unit at a time (the coincidence matrix's margins)."""

    __slots__ = ("per_value", "matching", "pairable", "excluded")

    def __init__(self) -> None:
        self.per_value: dict[str, int] = {}
        """n_c: pairable values per label."""
        self.matching: dict[int, int] = {}
        """m - 1 -> sum over units with m values of sum_c k_c (k_c - 1): the diagonal, before dividing."""
        self.pairable = 0
        self.excluded = 0

    def add(self, values: Sequence[str]) -> None:
        """One unit's labels (missing ones left out)."""
        m = len(values)
        if m < 2:
            self.excluded += m
            return
        self.add_tally(_tally(values), m)

    def add_tally(self, tally: Mapping[str, int], m: int) -> None:
        """One pairable unit as label -> times given, ``m`` labels in all (m >= 2)."""
        self.pairable += 1
        per_value = self.per_value
        same = 0
        for label, k in tally.items():
            per_value[label] = per_value.get(label, 0) + k
            same += k * (k - 1)
        self.matching[m - 1] = self.matching.get(m - 1, 0) + same

    def figure(self, annotators: int) -> Figure:
        """The alpha of the units added so far, over ``annotators`` annotators."""
        return alpha_figure(self.per_value.values(), self.matching, self.pairable, self.excluded, annotators)


def alpha_figure(per_value: Iterable[int], matching: Mapping[int, int], pairable: int, excluded: int,
                 annotators: int) -> Figure:
    """Krippendorff's nominal alpha from the coincidence counts (Krippendorff 2011), exactly."""
    reason = _too_few_annotators(annotators)
    if reason is None and pairable < 2:
        reason = TOO_FEW_PAIRABLE
    if reason is not None:
        return Figure(None, pairable, reason, excluded)
    per = list(per_value)
    n = sum(per)
    same_by_chance = sum(k * (k - 1) for k in per)
    expected = n * (n - 1) - same_by_chance  # proportional to D_e; zero without variation
    if expected == 0:
        return Figure(None, pairable, NO_VARIATION, excluded)
    diagonal = sum((Fraction(num, d) for d, num in sorted(matching.items())), Fraction(0))
    alpha = ((n - 1) * diagonal - same_by_chance) / expected
    return Figure(float(alpha), pairable, None, excluded)


class FleissCounts:
    """What Fleiss' kappa needs, added one unit at a time (units labeled by every annotator only)."""

    __slots__ = ("raters", "totals", "squares", "complete", "excluded")

    def __init__(self, raters: int) -> None:
        self.raters = raters
        self.totals: dict[str, int] = {}
        self.squares = 0
        self.complete = 0
        self.excluded = 0

    def add(self, values: Sequence[str]) -> None:
        """One unit's labels (missing ones left out)."""
        if not values:
            return
        if len(values) < self.raters:
            self.excluded += 1
            return
        self.add_tally(_tally(values))

    def add_tally(self, tally: Mapping[str, int]) -> None:
        """One unit labeled by every rater, as label -> times given."""
        self.complete += 1
        totals = self.totals
        for label, k in tally.items():
            totals[label] = totals.get(label, 0) + k
            self.squares += k * k

    def figure(self) -> Figure:
        """Fleiss' kappa of the complete units added so far."""
        raters, complete, excluded = self.raters, self.complete, self.excluded
        reason = _too_few_annotators(raters)
        if reason is None and complete < 2:
            reason = TOO_FEW_COMPLETE
        if reason is not None:
            return Figure(None, complete, reason, excluded)
        ratings = complete * raters
        chance_num = sum(k * k for k in self.totals.values())  # P_e = chance_num / ratings**2
        if chance_num == ratings * ratings:
            return Figure(None, complete, NO_VARIATION, excluded)
        observed = Fraction(self.squares - ratings, ratings * (raters - 1))  # mean P_i
        chance = Fraction(chance_num, ratings * ratings)
        return Figure(float((observed - chance) / (1 - chance)), complete, None, excluded)


class PairCounts:
    """Two annotators' labels on the units both labeled (a confusion count), and the units only one labeled."""

    __slots__ = ("both", "one")

    def __init__(self) -> None:
        self.both: dict[tuple[str, str], int] = {}
        self.one = 0

    def add(self, la: str | None, lb: str | None) -> None:
        """One unit: a's label and b's label (None: not labeled)."""
        if la is not None and lb is not None:
            self.both[(la, lb)] = self.both.get((la, lb), 0) + 1
        elif la is not None or lb is not None:
            self.one += 1

    @property
    def size(self) -> int:
        """Units both labeled."""
        return sum(self.both.values())

    def cohen(self, same_annotator: bool = False) -> Figure:
        """Cohen's kappa over the units both labeled."""
        size, excluded = self.size, self.one
        if same_annotator:
            return Figure(None, size, ONE_ANNOTATOR, excluded)
        if size < 2:
            return Figure(None, size, TOO_FEW_SHARED, excluded)
        agree = sum(k for (la, lb), k in self.both.items() if la == lb)
        of_a: dict[str, int] = {}
        of_b: dict[str, int] = {}
        for (la, lb), k in self.both.items():
            of_a[la] = of_a.get(la, 0) + k
            of_b[lb] = of_b.get(lb, 0) + k
        chance = sum(k * of_b.get(label, 0) for label, k in of_a.items())  # p_e = chance / size**2
        denominator = size * size - chance
        if denominator == 0:
            return Figure(None, size, NO_VARIATION, excluded)
        return Figure(float(Fraction(size * agree - chance, denominator)), size, None, excluded)

    def percent(self, same_annotator: bool = False) -> Figure:
        """The share of the units both labeled that got the same label."""
        size, excluded = self.size, self.one
        if same_annotator:
            return Figure(None, size, ONE_ANNOTATOR, excluded)
        if size == 0:
            return Figure(None, 0, NONE_SHARED, excluded)
        agree = sum(k for (la, lb), k in self.both.items() if la == lb)
        return Figure(agree / size, size, None, excluded)

    def matrix(self, order: Sequence[str]) -> dict[str, dict[str, int]]:
        """a's label -> b's label -> units, rows and columns in ``order``."""
        out = {row: dict.fromkeys(order, 0) for row in order}
        for (la, lb), k in self.both.items():
            out[la][lb] += k
        return out

    def confusion(self, labels: Iterable[str] | None = None) -> dict[str, dict[str, int]]:
        """The confusion matrix (see :func:`confusion`): ``labels`` in their order, then any other label used."""
        return self.matrix(_label_order((label for key in self.both for label in key), labels))

    def merge(self, other: PairCounts) -> None:
        """Add another set of units of the same two annotators (e.g. another document's) to these."""
        for key, k in other.both.items():
            self.both[key] = self.both.get(key, 0) + k
        self.one += other.one

    def swapped(self) -> PairCounts:
        """The same units seen from the other annotator (b's label first)."""
        out = PairCounts()
        out.both = {(lb, la): k for (la, lb), k in self.both.items()}
        out.one = self.one
        return out


UNIT_COUNT_KEYS = ("total", "pairable", "labeled_by_all", "labeled_by_one", "unlabeled")


class UnitCounts:
    """How many units carry how many labels (``unit_counts``), by the number of labels: "all" is known last."""

    __slots__ = ("by_given",)

    def __init__(self) -> None:
        self.by_given: dict[int, int] = {}

    def add(self, given: int) -> None:
        """One unit carrying ``given`` labels."""
        self.by_given[given] = self.by_given.get(given, 0) + 1

    def to_json(self, annotators: int) -> dict[str, int]:
        """The counts of :func:`unit_counts`, with ``annotators`` annotators in all."""
        by = self.by_given
        return {
            "total": sum(by.values()),
            "pairable": sum(k for given, k in by.items() if given >= 2),
            "labeled_by_all": by.get(annotators, 0) if annotators else 0,
            "labeled_by_one": by.get(1, 0),
            "unlabeled": by.get(0, 0),
        }


class AgreementCounts:
    """Every count behind :func:`report`, added one unit at a time; a document's units arrive together.

    Memory does not grow with the number of units: a document's own figures are
    computed when the next document starts. The annotators may be fixed up front, or
    be whoever turns up with a label (``annotators=None``): every figure is kept in a
    form that does not need the final list until :meth:`report` (pair counts by the
    annotators present, Fleiss' counts by the number of labels on a unit).
    """

    def __init__(self, annotators: Sequence[str] | None = None) -> None:
        self.fixed = list(dict.fromkeys(annotators)) if annotators is not None else None
        self.labeled: dict[str, int] = {}
        """Annotator -> units they labeled."""
        self.alpha = AlphaCounts()
        self.units = UnitCounts()
        self.fleiss: dict[int, FleissCounts] = {}
        """Number of labels on a unit -> the Fleiss counts of such units (complete ones have one per annotator)."""
        self.pairs: dict[tuple[str, str], PairCounts] = {}
        self.used: dict[str, dict[str, int]] = {}
        """label -> annotator -> times they used it (every unit, pairable or not)."""
        self.this_label: dict[str, dict[int, int]] = {}
        """label -> m - 1 -> the part of the recoded (this / other) diagonal that differs from all-other."""
        self.all_other: dict[int, int] = {}
        """m - 1 -> sum of m (m - 1): the recoded diagonal of units where no value is this label."""
        self.pairable_of: dict[str, int] = {}
        """label -> its pairable values (the recoded n_this)."""
        self.per_document = _DocumentStore()
        """Each finished document's units by number of labels and its alpha (as if 2+ annotators)."""
        """Document -> its units by number of labels, and its alpha (as if 2+ annotators: fixed in the report)."""
        self._doc: str | None = None
        self._doc_alpha = AlphaCounts()
        self._doc_units = UnitCounts()

    def add(self, document: str, labels: Mapping[str, str | None]) -> None:
        """One unit of ``document``: annotator -> label (None or absent: not labeled)."""
        if document != self._doc:
            self._close_document()
            self._doc = document
        fixed = self.fixed
        given = [(a, v) for a, v in labels.items() if v is not None and (fixed is None or a in fixed)]
        m = len(given)
        self.units.add(m)
        self._doc_units.add(m)
        if not m:
            return
        tally: dict[str, int] = {}
        labeled, used = self.labeled, self.used
        for a, v in given:
            tally[v] = tally.get(v, 0) + 1
            labeled[a] = labeled.get(a, 0) + 1
            by = used.get(v)
            if by is None:
                by = used[v] = {}
            by[a] = by.get(a, 0) + 1
        fleiss = self.fleiss.get(m)
        if fleiss is None:
            fleiss = self.fleiss[m] = FleissCounts(m)
        fleiss.add_tally(tally)
        if m == 1:
            self.alpha.excluded += 1
            self._doc_alpha.excluded += 1
            return
        self.alpha.add_tally(tally, m)
        self._doc_alpha.add_tally(tally, m)
        self._add_recoded(tally, m)
        pairs = self.pairs
        if any(given[i][0] >= given[i + 1][0] for i in range(m - 1)):
            given.sort()
        for (a, va), (b, vb) in combinations(given, 2):
            pair = pairs.get((a, b))
            if pair is None:
                pair = pairs[(a, b)] = PairCounts()
            pair.add(va, vb)

    def _add_recoded(self, tally: dict[str, int], m: int) -> None:
        whole = m * (m - 1)
        self.all_other[m - 1] = self.all_other.get(m - 1, 0) + whole
        for label, k in tally.items():
            by = self.this_label.setdefault(label, {})
            by[m - 1] = by.get(m - 1, 0) + k * (k - 1) + (m - k) * (m - k - 1) - whole
            self.pairable_of[label] = self.pairable_of.get(label, 0) + k

    def _close_document(self) -> None:
        if self._doc is None:
            return
        alpha = self._doc_alpha.figure(2)
        self.per_document.add(self._doc, sorted(self._doc_units.by_given.items()),
                              (alpha.value, alpha.units, alpha.reason, alpha.excluded))
        self._doc_alpha = AlphaCounts()
        self._doc_units = UnitCounts()

    @property
    def annotators(self) -> list[str]:
        """The annotators of the report: the fixed ones, else everyone who gave a label, sorted."""
        return self.fixed if self.fixed is not None else sorted(self.labeled)

    def label_order(self, labels: Iterable[str] | None) -> list[str]:
        """The tagset's labels in order, then any other label used, sorted."""
        return _label_order(self.used, labels)

    def fleiss_figure(self) -> Figure:
        """Fleiss' kappa over the units labeled by every annotator."""
        n = len(self.annotators)
        complete = self.fleiss.get(n, FleissCounts(n))
        result = FleissCounts(n)
        result.totals, result.squares, result.complete = complete.totals, complete.squares, complete.complete
        result.excluded = sum(f.complete for m, f in self.fleiss.items() if m < n)
        return result.figure()

    def pair(self, a: str, b: str) -> PairCounts:
        """The counts of annotators ``a`` (rows) and ``b`` (columns)."""
        key = (a, b) if a <= b else (b, a)
        stored = self.pairs.get(key, PairCounts())
        out = PairCounts()
        out.both = stored.both if key == (a, b) else {(lb, la): k for (la, lb), k in stored.both.items()}
        out.one = self.labeled.get(a, 0) + self.labeled.get(b, 0) - 2 * stored.size
        return out

    def per_label(self, order: Sequence[str]) -> dict[str, LabelStats]:
        """Each label's use per annotator and the alpha of "this label / any other"."""
        names = self.annotators
        n = len(names)
        values = sum(self.alpha.per_value.values())
        out: dict[str, LabelStats] = {}
        for label in order:
            by = self.used.get(label, {})
            counts = {a: by.get(a, 0) for a in names}
            matching = dict(self.all_other)
            for d, extra in self.this_label.get(label, {}).items():
                matching[d] += extra
            this = self.pairable_of.get(label, 0)
            alpha = alpha_figure((this, values - this), matching, self.alpha.pairable, self.alpha.excluded, n)
            if not any(counts.values()):
                alpha = Figure(None, alpha.units, LABEL_UNUSED, alpha.excluded)
            out[label] = LabelStats(label, counts, alpha)
        return out

    def _document_json(self, by_given: list[list[int]], figure: list[Any], n: int) -> dict[str, Any]:
        alpha = Figure(*figure)
        reason = _too_few_annotators(n)
        if reason is not None:
            alpha = Figure(None, alpha.units, reason, alpha.excluded)
        units = UnitCounts()
        units.by_given = {given: k for given, k in by_given}
        return {"units": units.to_json(n), "krippendorff_alpha": alpha.to_json()}

    def document_figures(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(document, {units, krippendorff_alpha})`` in document order, each made when asked for."""
        self._close_document()
        self._doc = None
        n = len(self.annotators)
        for doc, by_given, figure in self.per_document.items():
            yield doc, self._document_json(by_given, figure, n)

    def report(self, labels: Iterable[str] | None = None,
               boundary_disagreements: Iterable[Mapping[str, Any]] = (), lazy_documents: bool = False
               ) -> dict[str, Any]:
        """The report (see :func:`report`) of the units added so far.

        ``lazy_documents``: ``per_document`` is a :class:`DocumentFigures`, whose entries are
        made one at a time as they are read (:func:`write_json` writes them so), instead of a dict.
        """
        self._close_document()
        self._doc = None
        names = self.annotators
        n = len(names)
        order = self.label_order(labels)
        pairs = []
        for a, b in combinations(names, 2):
            pair = self.pair(a, b)
            kappa = pair.cohen()
            pairs.append({"a": a, "b": b, "units": kappa.units, "cohen_kappa": kappa.to_json(),
                          "percent_agreement": pair.percent().to_json(), "confusion": pair.matrix(order)})
        return {
            "annotators": names,
            "labels": order,
            "units": self.units.to_json(n),
            "krippendorff_alpha": self.alpha.figure(n).to_json(),
            "fleiss_kappa": self.fleiss_figure().to_json(),
            "pairs": pairs,
            "per_label": {label: stats.to_json() for label, stats in self.per_label(order).items()},
            "per_document": DocumentFigures(self) if lazy_documents else dict(self.document_figures()),
            "boundary_disagreements": [dict(item) for item in boundary_disagreements],
        }


class _DocumentStore:
    """Per-document figures, kept on disk (one JSON line each) so that memory does not grow with documents."""

    def __init__(self) -> None:
        self.file: Any = None
        self.count = 0
        self.last: str | None = None
        self.in_order = True

    def __len__(self) -> int:
        return self.count

    def add(self, doc: str, by_given: list[tuple[int, int]], figure: tuple[Any, ...]) -> None:
        """Keep one document's figures."""
        if self.file is None:
            self.file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the counts
        self.file.write(json.dumps([doc, by_given, figure], ensure_ascii=False).encode("utf-8") + b"\n")
        self.in_order = self.in_order and (self.last is None or doc > self.last)
        self.last = doc
        self.count += 1

    def items(self) -> Iterator[tuple[str, list[list[int]], list[Any]]]:
        """``(document, by_given, figure)`` in document order."""
        if self.file is None:
            return
        self.file.flush()
        self.file.seek(0)
        lines: Iterable[bytes] = self.file if self.in_order else sorted(self.file, key=lambda b: json.loads(b)[0])
        for line in lines:
            doc, by_given, figure = json.loads(line)
            yield doc, by_given, figure
        self.file.seek(0, 2)


class DocumentFigures:
    """The per-document figures of a report, made one at a time when read (``items()``), never all at once."""

    def __init__(self, counts: AgreementCounts) -> None:
        self.counts = counts

    def __len__(self) -> int:
        return len(self.counts.per_document)

    def items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(document, figures)`` in document order."""
        return self.counts.document_figures()


def write_json(result: Mapping[str, Any], write: Callable[[str], Any]) -> None:
    """``json.dumps(result, ensure_ascii=False, indent=1)``, written in pieces: a lazy ``per_document`` is
    written one document at a time (the same text as the whole dict would give)."""
    documents = result.get("per_document")
    if not isinstance(documents, DocumentFigures):
        write(json.dumps(result, ensure_ascii=False, indent=1))
        return
    placeholder = "\0per_document\0"  # no label or document id holds a NUL character
    text = json.dumps({**result, "per_document": placeholder}, ensure_ascii=False, indent=1)
    head, tail = text.split(json.dumps(placeholder), 1)
    write(head)
    first = True
    for doc, figures in documents.items():
        body = json.dumps(figures, ensure_ascii=False, indent=1).replace("\n", "\n  ")
        write(("{\n  " if first else ",\n  ") + json.dumps(doc, ensure_ascii=False) + ": " + body)
        first = False
    write("{}" if first else "\n }")
    write(tail)


# --------------------------------------------------------------------------- figures of a label table


def _rows(table: LabelTable, names: Sequence[str]) -> Iterator[list[str | None]]:
    for labels in table.values():
        yield [labels.get(name) for name in names]


def krippendorff_alpha(table: LabelTable, annotators: Iterable[str] | None = None) -> Figure:
    """Krippendorff's alpha for nominal data, with any number of annotators and missing labels.

    Computed from the coincidence matrix as in Krippendorff (2011): a unit with fewer than two
    labels is not pairable and is left out (counted in ``excluded``). ``units`` is the number
    of pairable units. ``annotators`` defaults to everyone named in the table.
    """
    names = _resolve(table, annotators)
    counts = AlphaCounts()
    for row in _rows(table, names):
        counts.add([v for v in row if v is not None])
    return counts.figure(len(names))


def fleiss_kappa(table: LabelTable, annotators: Iterable[str]) -> Figure:
    """Fleiss' kappa (1971) over the units labeled by every one of ``annotators``.

    Fleiss' kappa needs the same raters on every unit, so units labeled by some but not all of
    the annotators are left out and counted in ``excluded``.
    """
    names = _resolve(table, annotators)
    counts = FleissCounts(len(names))
    for row in _rows(table, names):
        counts.add([v for v in row if v is not None])
    return counts.figure()


def _pair(table: LabelTable, a: str, b: str) -> PairCounts:
    counts = PairCounts()
    for labels in table.values():
        counts.add(labels.get(a), labels.get(b))
    return counts


def cohen_kappa(table: LabelTable, a: str, b: str) -> Figure:
    """Cohen's kappa (1960) between annotators ``a`` and ``b`` over the units both labeled."""
    return _pair(table, a, b).cohen(a == b)


def percent_agreement(table: LabelTable, a: str, b: str) -> Figure:
    """The share (0 to 1) of the units both ``a`` and ``b`` labeled that got the same label."""
    return _pair(table, a, b).percent(a == b)


def _label_order(observed: Iterable[str], labels: Iterable[str] | None) -> list[str]:
    """The given labels in their order, then any other observed label, sorted."""
    order = list(dict.fromkeys(labels or ()))
    known = set(order)
    return order + sorted({label for label in observed if label not in known})


def confusion(
    table: LabelTable, a: str, b: str, labels: Iterable[str] | None = None
) -> dict[str, dict[str, int]]:
    """The confusion matrix of ``a`` against ``b``: a's label -> b's label -> number of units.

    Over the units both labeled. Rows and columns are ``labels`` in their order, then any other
    label either annotator used (sorted), so no disagreement goes unseen.
    """
    return _pair(table, a, b).confusion(labels)


def _counts(table: LabelTable, names: Sequence[str]) -> AgreementCounts:
    """Every count of ``table``, its units grouped by document (in the order documents first appear)."""
    documents: dict[str, list[Mapping[str, str | None]]] = {}
    for unit, given in table.items():
        documents.setdefault(document_of(unit), []).append(given)
    counts = AgreementCounts(names)
    for document, units in documents.items():
        for given in units:
            counts.add(document, given)
    return counts


def per_label(
    table: LabelTable,
    annotators: Iterable[str] | None = None,
    labels: Iterable[str] | None = None,
) -> dict[str, LabelStats]:
    """For each label: how often each annotator used it, and the agreement on it.

    The agreement is Krippendorff's nominal alpha of the binary recoding "this label / any
    other label". Covers ``labels`` in order, then any other label used (sorted).
    """
    counts = _counts(table, _resolve(table, annotators))
    return counts.per_label(counts.label_order(labels))


def unit_counts(table: LabelTable, annotators: Iterable[str] | None = None) -> dict[str, int]:
    """How many units there are and how many labels they carry from ``annotators``.

    Keys: ``total``; ``pairable`` (labeled by two or more); ``labeled_by_all``;
    ``labeled_by_one`` (not pairable); ``unlabeled``. ``pairable + labeled_by_one + unlabeled``
    is ``total``.
    """
    names = _resolve(table, annotators)
    counts = UnitCounts()
    for row in _rows(table, names):
        counts.add(sum(1 for v in row if v is not None))
    return counts.to_json(len(names))


def document_of(unit: Any) -> str:
    """The document id of a unit id: its first element when it is a tuple, else the id itself."""
    if isinstance(unit, tuple) and unit:
        return str(unit[0])
    return str(unit)


def report(
    units: LabelTable,
    annotators: Iterable[str] | None = None,
    labels: Iterable[str] | None = None,
    boundary_disagreements: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The whole agreement report as a JSON-ready dict; nothing is rounded.

    ``units`` maps unit ids, normally ``(document, start, end)`` tuples, to
    ``{annotator: label or None}``. ``annotators`` defaults to everyone named in ``units``;
    ``labels`` is the tagset in display order (labels used outside it are appended).
    ``boundary_disagreements`` (sentences the annotators split differently) is passed through.

    Keys: ``annotators``, ``labels``, ``units`` (see :func:`unit_counts`),
    ``krippendorff_alpha``, ``fleiss_kappa``, ``pairs`` (one entry per pair of annotators with
    ``a``, ``b``, ``units``, ``cohen_kappa``, ``percent_agreement``, ``confusion``),
    ``per_label`` (label -> counts, total, krippendorff_alpha), ``per_document`` (document ->
    units, krippendorff_alpha) and ``boundary_disagreements``. Each figure is
    ``{value, units, reason, excluded}``. Computed by :class:`AgreementCounts`, one pass.
    """
    return _counts(units, _resolve(units, annotators)).report(labels, boundary_disagreements)


def majority(labels: Iterable[str | None]) -> str | None:
    """The unique most frequent label (missing ones ignored); None when tied or empty."""
    counts = Counter(label for label in labels if label is not None)
    top = counts.most_common(2)
    if not top or (len(top) == 2 and top[0][1] == top[1][1]):
        return None
    return top[0][0]
