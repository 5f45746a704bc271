"""Re-anchoring: carry labels over to a changed source, keeping what cannot be placed as orphans."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .models import LabelFile, Orphan, Sentence

SIMILARITY = 0.9
"""A label moves to a changed sentence only when the texts are at least this similar."""

FUZZY_WINDOW = 200
"""Fuzzy matching looks at this many new sentences either side of the expected place."""

_DATA_FIELDS = ("label", "unsure", "note", "seconds", "reviewer", "annotator_labels", "suggested")


@dataclass
class AnchorReport:
    """What re-anchoring did: kept in place, moved (exact text), matched fuzzily, orphaned."""

    kept: int = 0
    moved: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    fuzzy: list[tuple[tuple[int, int], tuple[int, int], float]] = field(default_factory=list)
    orphaned: list[Orphan] = field(default_factory=list)
    reattached: int = 0

    @property
    def changed(self) -> bool:
        """True when anything moved, matched fuzzily or was orphaned."""
        return bool(self.moved or self.fuzzy or self.orphaned or self.reattached)

    def summary(self) -> str:
        """One line for the user."""
        parts = [f"{self.kept} kept"]
        if self.moved:
            parts.append(f"{len(self.moved)} moved to the same text elsewhere")
        if self.fuzzy:
            parts.append(f"{len(self.fuzzy)} matched to an edited sentence")
        if self.reattached:
            parts.append(f"{self.reattached} orphans re-attached")
        if self.orphaned:
            parts.append(f"{len(self.orphaned)} orphaned (kept under orphans:)")
        return ", ".join(parts)


def _has_data(s: Sentence | Orphan) -> bool:
    extra = {k: v for k, v in (s.model_extra or {}).items() if k != "reason"}
    return bool(extra) or any(getattr(s, f, None) not in (None, False) for f in _DATA_FIELDS)


def _data(s: Sentence | Orphan) -> dict[str, object]:
    out = {f: getattr(s, f, None) for f in _DATA_FIELDS if getattr(s, f, None) not in (None, False)}
    if s.model_extra:
        out.update({k: v for k, v in s.model_extra.items() if k != "reason"})
    return out


def reanchor(
    old: LabelFile, text: str, spans: list[tuple[int, int]], sha256: str
) -> tuple[LabelFile, AnchorReport]:
    """Map ``old``'s labels onto ``spans`` of the new source ``text``; nothing is ever dropped.

    Order of attempts for each labeled sentence (and each old orphan): the same text
    at the same span; the same text at another span (the nearest one to where it
    is expected); a sentence at least 90% similar near where it is expected. What
    cannot be placed becomes an orphan with its old span, text and label.
    """
    report = AnchorReport()
    new = [Sentence(start=s, end=e, text=text[s:e]) for s, e in spans]
    by_span = {(s, e): i for i, (s, e) in enumerate(spans)}
    by_text: dict[str, list[int]] = {}
    for i, s in enumerate(new):
        by_text.setdefault(s.text, []).append(i)
    starts = [s for s, _ in spans]
    taken: set[int] = set()
    pending: list[tuple[Sentence | Orphan, bool]] = []

    # 1. same text at the same span
    for s in old.sentences:
        if not _has_data(s):
            continue
        i = by_span.get((s.start, s.end))
        if i is not None and new[i].text == s.text and i not in taken:
            taken.add(i)
            new[i] = Sentence(start=s.start, end=s.end, text=s.text, **_data(s))
            report.kept += 1
        else:
            pending.append((s, False))
    pending.extend((o, True) for o in old.orphans)

    # Where an old offset is expected now: shifted like the nearest placed sentence before it.
    anchors: list[tuple[int, int]] = sorted((s.start, 0) for s in old.sentences if _has_data(s)
                                             and by_span.get((s.start, s.end)) in taken)

    def expected(pos: int) -> int:
        k = bisect.bisect_right(anchors, (pos, float("inf"))) - 1
        return pos + (anchors[k][1] if k >= 0 else 0)

    leftovers: list[tuple[Sentence | Orphan, bool]] = []
    # 2. same text elsewhere, nearest to the expected place
    for s, was_orphan in pending:
        cands = [i for i in by_text.get(s.text, []) if i not in taken]
        if cands:
            target = expected(s.start)
            i = min(cands, key=lambda j: (abs(new[j].start - target), abs(new[j].start - s.start)))
            taken.add(i)
            new[i] = Sentence(start=new[i].start, end=new[i].end, text=new[i].text, **_data(s))
            if was_orphan:
                report.reattached += 1
            else:
                report.moved.append(((s.start, s.end), (new[i].start, new[i].end)))
                bisect.insort(anchors, (s.start, new[i].start - s.start))
        else:
            leftovers.append((s, was_orphan))

    # 3. a near-identical sentence near the expected place
    orphans: list[Orphan] = []
    for s, was_orphan in leftovers:
        target = expected(s.start)
        mid = bisect.bisect_left(starts, target)
        best, best_ratio = -1, 0.0
        for j in range(max(0, mid - FUZZY_WINDOW), min(len(new), mid + FUZZY_WINDOW)):
            if j in taken:
                continue
            m = SequenceMatcher(None, s.text, new[j].text, autojunk=False)
            if m.real_quick_ratio() < SIMILARITY or m.quick_ratio() < SIMILARITY:
                continue
            r = m.ratio()
            if r > best_ratio:
                best, best_ratio = j, r
        if best >= 0 and best_ratio >= SIMILARITY:
            taken.add(best)
            nb = new[best]
            new[best] = Sentence(start=nb.start, end=nb.end, text=nb.text, **_data(s))
            if was_orphan:
                report.reattached += 1
            else:
                report.fuzzy.append(((s.start, s.end), (nb.start, nb.end), round(best_ratio, 3)))
        else:
            reason = s.reason if isinstance(s, Orphan) and s.reason else "text not found in the changed source"
            orphan = Orphan(start=s.start, end=s.end, text=s.text, reason=reason, **_data(s))
            orphans.append(orphan)
            if not was_orphan:
                report.orphaned.append(orphan)

    result = old.model_copy(update={"sentences": new, "orphans": orphans, "source_sha256": sha256})
    return result, report
