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

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
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


def _values(labels: Mapping[str, str | None], annotators: Sequence[str]) -> list[str]:
    """The labels the given annotators gave one unit, missing ones left out."""
    found = (labels.get(name) for name in annotators)
    return [label for label in found if label is not None]


def _too_few_annotators(count: int) -> str | None:
    if count == 0:
        return NO_ANNOTATORS
    if count == 1:
        return ONE_ANNOTATOR
    return None


def krippendorff_alpha(table: LabelTable, annotators: Iterable[str] | None = None) -> Figure:
    """Krippendorff's alpha for nominal data, with any number of annotators and missing labels.

    Computed from the coincidence matrix as in Krippendorff (2011): a unit with fewer than two
    labels is not pairable and is left out (counted in ``excluded``). ``units`` is the number
    of pairable units. ``annotators`` defaults to everyone named in the table.
    """
    names = _resolve(table, annotators)
    per_value = Counter[str]()  # n_c: pairable values per label
    matching = Fraction(0)  # sum over c of o_cc, the coincidence matrix's diagonal
    pairable = excluded = 0
    for labels in table.values():
        values = _values(labels, names)
        m = len(values)
        if m == 0:
            continue
        if m == 1:
            excluded += 1
            continue
        pairable += 1
        counts = Counter(values)
        per_value.update(counts)
        matching += Fraction(sum(k * (k - 1) for k in counts.values()), m - 1)
    reason = _too_few_annotators(len(names))
    if reason is None and pairable < 2:
        reason = TOO_FEW_PAIRABLE
    if reason is not None:
        return Figure(None, pairable, reason, excluded)
    n = sum(per_value.values())
    same_by_chance = sum(k * (k - 1) for k in per_value.values())
    expected = n * (n - 1) - same_by_chance  # proportional to D_e; zero without variation
    if expected == 0:
        return Figure(None, pairable, NO_VARIATION, excluded)
    alpha = ((n - 1) * matching - same_by_chance) / expected
    return Figure(float(alpha), pairable, None, excluded)


def fleiss_kappa(table: LabelTable, annotators: Iterable[str]) -> Figure:
    """Fleiss' kappa (1971) over the units labeled by every one of ``annotators``.

    Fleiss' kappa needs the same raters on every unit, so units labeled by some but not all of
    the annotators are left out and counted in ``excluded``.
    """
    names = _resolve(table, annotators)
    raters = len(names)
    totals = Counter[str]()  # labels per category over all used units
    squares = 0  # sum over units and categories of n_ij squared
    complete = excluded = 0
    for labels in table.values():
        values = _values(labels, names)
        if not values:
            continue
        if len(values) < raters:
            excluded += 1
            continue
        complete += 1
        counts = Counter(values)
        totals.update(counts)
        squares += sum(k * k for k in counts.values())
    reason = _too_few_annotators(raters)
    if reason is None and complete < 2:
        reason = TOO_FEW_COMPLETE
    if reason is not None:
        return Figure(None, complete, reason, excluded)
    ratings = complete * raters
    chance_num = sum(k * k for k in totals.values())  # P_e = chance_num / ratings**2
    if chance_num == ratings * ratings:
        return Figure(None, complete, NO_VARIATION, excluded)
    observed = Fraction(squares - ratings, ratings * (raters - 1))  # mean P_i
    chance = Fraction(chance_num, ratings * ratings)
    kappa = (observed - chance) / (1 - chance)
    return Figure(float(kappa), complete, None, excluded)


def _pairs(table: LabelTable, a: str, b: str) -> tuple[list[tuple[str, str]], int]:
    """The (a's label, b's label) of units both labeled, and the number labeled by just one."""
    both: list[tuple[str, str]] = []
    one = 0
    for labels in table.values():
        la, lb = labels.get(a), labels.get(b)
        if la is not None and lb is not None:
            both.append((la, lb))
        elif la is not None or lb is not None:
            one += 1
    return both, one


def cohen_kappa(table: LabelTable, a: str, b: str) -> Figure:
    """Cohen's kappa (1960) between annotators ``a`` and ``b`` over the units both labeled."""
    both, excluded = _pairs(table, a, b)
    size = len(both)
    if a == b:
        return Figure(None, size, ONE_ANNOTATOR, excluded)
    if size < 2:
        return Figure(None, size, TOO_FEW_SHARED, excluded)
    agree = sum(1 for la, lb in both if la == lb)
    of_a = Counter(la for la, _ in both)
    of_b = Counter(lb for _, lb in both)
    chance = sum(k * of_b[label] for label, k in of_a.items())  # p_e = chance / size**2
    denominator = size * size - chance
    if denominator == 0:
        return Figure(None, size, NO_VARIATION, excluded)
    return Figure(float(Fraction(size * agree - chance, denominator)), size, None, excluded)


def percent_agreement(table: LabelTable, a: str, b: str) -> Figure:
    """The share (0 to 1) of the units both ``a`` and ``b`` labeled that got the same label."""
    both, excluded = _pairs(table, a, b)
    size = len(both)
    if a == b:
        return Figure(None, size, ONE_ANNOTATOR, excluded)
    if size == 0:
        return Figure(None, 0, NONE_SHARED, excluded)
    agree = sum(1 for la, lb in both if la == lb)
    return Figure(agree / size, size, None, excluded)


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
    both, _ = _pairs(table, a, b)
    order = _label_order((label for pair in both for label in pair), labels)
    matrix = {row: dict.fromkeys(order, 0) for row in order}
    for la, lb in both:
        matrix[la][lb] += 1
    return matrix


def _used_labels(table: LabelTable, annotators: Sequence[str]) -> Iterable[str]:
    for labels in table.values():
        yield from _values(labels, annotators)


def per_label(
    table: LabelTable,
    annotators: Iterable[str] | None = None,
    labels: Iterable[str] | None = None,
) -> dict[str, LabelStats]:
    """For each label: how often each annotator used it, and the agreement on it.

    The agreement is Krippendorff's nominal alpha of the binary recoding "this label / any
    other label". Covers ``labels`` in order, then any other label used (sorted).
    """
    names = _resolve(table, annotators)
    result: dict[str, LabelStats] = {}
    for label in _label_order(_used_labels(table, names), labels):
        counts = dict.fromkeys(names, 0)
        recoded: dict[Any, dict[str, str | None]] = {}
        for unit, given in table.items():
            row: dict[str, str | None] = {}
            for name in names:
                value = given.get(name)
                if value is None:
                    row[name] = None
                elif value == label:
                    counts[name] += 1
                    row[name] = "this"
                else:
                    row[name] = "other"
            recoded[unit] = row
        alpha = krippendorff_alpha(recoded, names)
        if not any(counts.values()):
            alpha = Figure(None, alpha.units, LABEL_UNUSED, alpha.excluded)
        result[label] = LabelStats(label, counts, alpha)
    return result


def unit_counts(table: LabelTable, annotators: Iterable[str] | None = None) -> dict[str, int]:
    """How many units there are and how many labels they carry from ``annotators``.

    Keys: ``total``; ``pairable`` (labeled by two or more); ``labeled_by_all``;
    ``labeled_by_one`` (not pairable); ``unlabeled``. ``pairable + labeled_by_one + unlabeled``
    is ``total``.
    """
    names = _resolve(table, annotators)
    counts = {"total": 0, "pairable": 0, "labeled_by_all": 0, "labeled_by_one": 0, "unlabeled": 0}
    for labels in table.values():
        given = len(_values(labels, names))
        counts["total"] += 1
        if given >= 2:
            counts["pairable"] += 1
        elif given == 1:
            counts["labeled_by_one"] += 1
        else:
            counts["unlabeled"] += 1
        if names and given == len(names):
            counts["labeled_by_all"] += 1
    return counts


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
    ``{value, units, reason, excluded}``.
    """
    names = _resolve(units, annotators)
    order = _label_order(_used_labels(units, names), labels)
    pairs = []
    for a, b in combinations(names, 2):
        kappa = cohen_kappa(units, a, b)
        pairs.append(
            {
                "a": a,
                "b": b,
                "units": kappa.units,
                "cohen_kappa": kappa.to_json(),
                "percent_agreement": percent_agreement(units, a, b).to_json(),
                "confusion": confusion(units, a, b, order),
            }
        )
    documents: dict[str, dict[Any, Mapping[str, str | None]]] = {}
    for unit, given in units.items():
        documents.setdefault(document_of(unit), {})[unit] = given
    per_document = {
        document: {
            "units": unit_counts(documents[document], names),
            "krippendorff_alpha": krippendorff_alpha(documents[document], names).to_json(),
        }
        for document in sorted(documents)
    }
    return {
        "annotators": names,
        "labels": order,
        "units": unit_counts(units, names),
        "krippendorff_alpha": krippendorff_alpha(units, names).to_json(),
        "fleiss_kappa": fleiss_kappa(units, names).to_json(),
        "pairs": pairs,
        "per_label": {
            label: stats.to_json() for label, stats in per_label(units, names, order).items()
        },
        "per_document": per_document,
        "boundary_disagreements": [dict(item) for item in boundary_disagreements],
    }


def majority(labels: Iterable[str | None]) -> str | None:
    """The unique most frequent label (missing ones ignored); None when tied or empty."""
    counts = Counter(label for label in labels if label is not None)
    top = counts.most_common(2)
    if not top or (len(top) == 2 and top[0][1] == top[1][1]):
        return None
    return top[0][0]
