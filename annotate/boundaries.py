"""Fixing sentence boundaries: merges and splits of a document's units, stored once per document for everyone.

A boundary is a fact about the document, not one annotator's opinion. Whoever merges
two units or splits one records the change in ``labels/<doc>/_units-<name>.yaml`` (one
file per person who changed boundaries, so two people never write the same file and
git never sees a conflict; each change says who made it and when). The document's
units are the units every label file is made of (:func:`annotate.reading.document_units`)
with every recorded change applied in time order. Changes are idempotent (a merge
where no boundary is left, a split where there already is one, change nothing), so
applying them to units that already hold them is harmless, and people changing
boundaries of one document at the same time lose nothing of each other's.

A change is anchored to the source it was made on (its sha256) and to the text around
it; when the source is edited it is carried over by that text, or reported as not
placeable (and kept in its file).

Labels follow the units the way they follow an edited source (:func:`remap`): a unit
that did not change keeps its label; a merged unit keeps a label all its parts agreed
on, else it is unlabeled and the parts' labels are kept as orphans; the parts of a
split unit are unlabeled and its label is kept as an orphan (shift+O re-attaches it).
Nothing is dropped.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import AnnotateError
from .listing import UNITS_PREFIX
from .models import ANNOTATOR_PATTERN, LabelFile, Orphan, Sentence

Span = tuple[int, int]


UNITS_VERSION = 1

CONTEXT = 24
"""Characters of text kept on each side of a change, to place it again in an edited source."""

UNITS_HEADER = (
    "# Boundary changes (merges and splits of units) made by one person; annotate applies every\n"
    "# person's changes in time order. Commit with the labels. Written by annotate: edit with care."
)

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n|\u2029")


class BoundaryChange(BaseModel):
    """One merge or split, where it was made and by whom."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    kind: Literal["merge", "split"] = Field(description="merge: remove the boundary before `at`; split: add one.")
    at: Annotated[int, Field(ge=1, description="Offset of the first character of the unit after the boundary.")]
    source_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="The source the offset is into.")
    before: str = Field(max_length=200, description="Text just before `at` (to place the change in an edited source).")
    after: str = Field(max_length=200, description="Text from `at` on.")
    time: str = Field(description="When, ISO 8601 UTC.")


class UnitsFile(BaseModel):
    """``labels/<doc>/_units-<name>.yaml``: one person's boundary changes of one document, oldest first."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    version: int = Field(description=f"Format version; this tool writes {UNITS_VERSION}.")
    document: str = Field(min_length=1, description="The document id (must match the folder).")
    editor: str = Field(pattern=ANNOTATOR_PATTERN, description="Who made the changes (must match the file name).")
    changes: list[BoundaryChange] = Field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """A change ready to apply: who made it, and where it falls in the current source."""

    editor: str
    kind: str
    at: int
    time: str


@dataclass
class Applied:
    """The units after the changes, and the changes that could not be placed or made (with why)."""

    spans: list[Span]
    changed: bool
    unplaced: list[tuple[str, BoundaryChange, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- files


def units_path(labels_dir: Path, editor: str) -> Path:
    """Where ``editor``'s boundary changes of a document live."""
    return labels_dir / f"{UNITS_PREFIX}{editor}.yaml"


def units_files(root: Path, labels_dir: Path) -> list[Path]:
    """Every boundary change file of a document, by editor name (never one that leads outside ``root``)."""
    from .store import outside_reason

    if not labels_dir.is_dir() or outside_reason(root, labels_dir):
        return []
    return sorted(p for p in labels_dir.glob(f"{UNITS_PREFIX}*.yaml")
                  if p.is_file() and not (p.is_symlink() and outside_reason(root, p)))


def read_units_file(root: Path, path: Path, doc_id: str, where: str) -> UnitsFile:
    """Parse one change file (inside ``root``); its document and editor must be those of its place."""
    from .store import parse_yaml_model, read_file
    from .yamlio import line_of

    raw = read_file(path, "boundary changes", where, root=root)
    units, text = parse_yaml_model(raw, where, UnitsFile, "a boundary change file must be a YAML mapping")
    editor = path.stem[len(UNITS_PREFIX):]
    if units.document != doc_id:
        raise AnnotateError(f"document: {units.document!r} but the file is under labels/{doc_id}/", where,
                            line_of(text, ("document",)))
    if units.editor != editor:
        raise AnnotateError(f"editor: {units.editor!r} but the file is named {path.name}", where,
                            line_of(text, ("editor",)))
    if units.version > UNITS_VERSION:
        raise AnnotateError(f"version {units.version} is newer than this tool reads ({UNITS_VERSION})", where)
    return units


def record_change(root: Path, path: Path, doc_id: str, editor: str, change: BoundaryChange) -> None:
    """Append one change to ``editor``'s file durably (the small file is rewritten atomically, inside ``root``)."""
    from .store import LabelLock, atomic_write
    from .yamlio import dump_document

    with LabelLock(path, f"annotate boundaries ({editor})", root=root):
        current = read_units_file(root, path, doc_id, str(path)) if path.exists() else UnitsFile(
            version=UNITS_VERSION, document=doc_id, editor=editor)
        current.changes.append(change)
        atomic_write(path, dump_document(current.model_dump(mode="json"), header=UNITS_HEADER).encode("utf-8"),
                     root=root)


def now_utc() -> str:
    """The current time as ISO 8601 UTC, seconds precision."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def make_change(kind: Literal["merge", "split"], at: int, text: str, sha256: str) -> BoundaryChange:
    """A change at offset ``at`` of ``text`` (the source whose sha256 is given), with its context."""
    return BoundaryChange(kind=kind, at=at, source_sha256=sha256, before=text[max(0, at - CONTEXT):at],
                          after=text[at:at + CONTEXT], time=now_utc())


# --------------------------------------------------------------------------- applying


def place(change: BoundaryChange, text: str, sha256: str) -> int | None:
    """Where ``change`` falls in ``text``: its own offset on its own source, else found by its context."""
    if change.source_sha256 == sha256:
        return change.at if 0 < change.at < len(text) else None
    needle = change.before + change.after
    if not needle.strip():
        return None
    hits = [m.start() + len(change.before) for m in re.finditer(re.escape(needle), text)]
    if not hits:
        return None
    return min(hits, key=lambda pos: abs(pos - change.at))


def trim(text: str, start: int, end: int) -> Span | None:
    """``(start, end)`` without surrounding whitespace, or None when only whitespace is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def merge_at(spans: list[Span], text: str, at: int) -> tuple[list[Span], str | None]:
    """Join the unit starting at ``at`` with the one before it; the spans unchanged and why, when it cannot be."""
    starts = {s: i for i, (s, _) in enumerate(spans)}
    i = starts.get(at)
    if i is None:
        return spans, "no unit starts there (already merged)"
    if i == 0:
        return spans, "the first unit has no unit before it"
    (s0, e0), (_s1, e1) = spans[i - 1], spans[i]
    if _BLANK_LINE.search(text[e0:at]):
        return spans, "a paragraph break lies between the two units"
    return [*spans[: i - 1], (s0, e1), *spans[i + 1:]], None


def split_at(spans: list[Span], text: str, at: int) -> tuple[list[Span], str | None]:
    """Cut the unit containing ``at`` into two there; the spans unchanged and why, when it cannot be."""
    for i, (s, e) in enumerate(spans):
        if s < at < e:
            left, right = trim(text, s, at), trim(text, at, e)
            if left is None or right is None:
                return spans, "one side of the cut would be only whitespace"
            return [*spans[:i], left, right, *spans[i + 1:]], None
        if s == at:
            return spans, "a unit already starts there"
    return spans, "no unit contains that place"


def apply_changes(spans: list[Span], text: str, sha256: str, changes: list[tuple[str, BoundaryChange]]) -> Applied:
    """The units after every change, in time order (then editor); changes that cannot be placed are reported."""
    out = list(spans)
    unplaced: list[tuple[str, BoundaryChange, str]] = []
    for editor, change in sorted(changes, key=lambda ec: (ec[1].time, ec[0])):
        at = place(change, text, sha256)
        if at is None:
            unplaced.append((editor, change, "its text is not in the source any more"))
            continue
        out, _why = (merge_at if change.kind == "merge" else split_at)(out, text, at)
    return Applied(out, out != list(spans), unplaced)


def load_changes(project: Any, doc_id: str) -> list[tuple[str, BoundaryChange]]:
    """Every recorded change of a document as ``(editor, change)``; a broken file is an AnnotateError."""
    changes: list[tuple[str, BoundaryChange]] = []
    for path in units_files(project.root, project.labels / doc_id):
        units = read_units_file(project.root, path, doc_id, project.display(path))
        changes.extend((units.editor, c) for c in units.changes)
    return changes


# --------------------------------------------------------------------------- labels follow the units


_DATA = ("label", "unsure", "note", "seconds", "reviewer", "annotator_labels", "suggested")

MERGED_FROM = "merged_from"
"""An extra key of a merged unit: its parts' labels, so that splitting it again gives each part its own back."""


def _data(s: Sentence | Orphan) -> dict[str, Any]:
    out = {f: getattr(s, f) for f in _DATA if getattr(s, f, None) not in (None, False)}
    out.update({k: v for k, v in (s.model_extra or {}).items() if k != "reason"})
    return out


def _orphan(s: Sentence, reason: str) -> Orphan:
    data = {k: v for k, v in _data(s).items() if k != MERGED_FROM}
    return Orphan(start=s.start, end=s.end, text=s.text, reason=reason, **data)


@dataclass
class RemapReport:
    """What following new units did to one label file."""

    kept: int = 0
    merged_kept: int = 0
    restored: int = 0
    orphaned: list[Orphan] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the units changed in a way that moved or parked labels."""
        return bool(self.merged_kept or self.restored or self.orphaned)

    def summary(self) -> str:
        """One line for the user."""
        parts = [f"{self.kept} kept"]
        if self.merged_kept:
            parts.append(f"{self.merged_kept} merged units kept the label their parts agreed on")
        if self.restored:
            parts.append(f"{self.restored} labels back on the parts of a unit split again")
        if self.orphaned:
            parts.append(f"{len(self.orphaned)} labels kept as orphans (shift+O to re-attach)")
        return ", ".join(parts)


def _combined(parts: list[Sentence]) -> dict[str, Any]:
    """What unlabeled parts carry besides a label (time, notes, unsure), put together for the unit they form."""
    notes = [p.note for p in parts if p.note]
    seconds = round(sum(p.seconds or 0.0 for p in parts), 1) or None
    out = {"unsure": True if any(p.unsure for p in parts) else None, "note": "; ".join(notes) or None,
           "seconds": seconds}
    return {k: v for k, v in out.items() if v is not None}


def _merge(parts: list[Sentence], unit: Sentence, report: RemapReport) -> tuple[Sentence, list[Orphan]]:
    """A merged unit from its old parts.

    Every part labeled alike: the unit keeps that label (and remembers its parts, so a split
    gives each its own back). Otherwise the unit is unlabeled, each labeled part becomes an
    orphan, and what the unlabeled parts carry (time, notes) stays on the unit.
    """
    labeled = [p for p in parts if p.label is not None]
    agreed = bool(labeled) and len(labeled) == len(parts) and len({p.label for p in parts}) == 1
    keep = parts if agreed else [p for p in parts if p.label is None]
    fields = _combined(keep)
    if agreed:
        fields["label"] = parts[0].label
    merged = Sentence(start=unit.start, end=unit.end, text=unit.text, **fields)
    if agreed:
        setattr(merged, MERGED_FROM, [{"start": p.start, "end": p.end, **_data(p)} for p in parts if _data(p)])
        report.merged_kept += 1
        return merged, []
    reason = "merged into a larger unit whose parts were not labeled alike"
    return merged, [_orphan(p, reason) for p in labeled]


def _split(old: Sentence, units: list[Sentence], report: RemapReport) -> tuple[list[Sentence], list[Orphan]]:
    """The parts of a split unit: their own labels back if the unit was merged from them, else the unit's label
    parked as an orphan (what it carries besides, time and notes, goes to the first part)."""
    remembered = {(d["start"], d["end"]): d for d in (getattr(old, MERGED_FROM, None) or [])
                  if isinstance(d, dict) and isinstance(d.get("start"), int) and isinstance(d.get("end"), int)}
    if remembered and set(remembered) <= {u.span for u in units}:
        parts = []
        for u in units:
            d = {k: v for k, v in remembered.get(u.span, {}).items() if k not in ("start", "end")}
            parts.append(Sentence(start=u.start, end=u.end, text=u.text, **d))
            report.restored += bool(d)
        return parts, []
    if old.label is None:
        rest = _combined([old])
        first = Sentence(start=units[0].start, end=units[0].end, text=units[0].text, **rest)
        return [first, *units[1:]], []
    return units, [_orphan(old, "split into smaller units")]


def remap(labels: LabelFile, text: str, spans: list[Span]) -> tuple[LabelFile, RemapReport]:
    """Carry ``labels`` over to new units of the same source (after merges and splits); nothing is dropped.

    Each new unit is matched with the old units it holds whole (kept, or merged) and each
    old unit with the new units that cover it (split). An orphan whose span and text are
    exactly a new, unlabeled unit is put back on it (a merge undone by a split).
    """
    report = RemapReport()
    old = labels.sentences
    units = [Sentence(start=s, end=e, text=text[s:e]) for s, e in spans]
    new: list[Sentence] = []
    orphans = list(labels.orphans)
    i = j = 0
    while i < len(units):
        u = units[i]
        if j < len(old) and old[j].end <= u.start:  # an old unit no new unit holds whole: lost its place
            if _data(old[j]):
                orphans.append(_orphan(old[j], "its place changed with the units"))
                report.orphaned.append(orphans[-1])
            j += 1
            continue
        k = j
        while k < len(old) and old[k].start >= u.start and old[k].end <= u.end:
            k += 1
        inside = old[j:k]
        if len(inside) == 1 and inside[0].span == u.span:
            new.append(inside[0])
            report.kept += bool(_data(inside[0]))
            i, j = i + 1, k
        elif inside:
            merged, parked = _merge(inside, u, report)
            new.append(merged)
            orphans.extend(parked)
            report.orphaned.extend(parked)
            i, j = i + 1, k
        elif j < len(old) and old[j].start <= u.start and old[j].end > u.start:  # old[j] was split
            n = i
            while n < len(units) and units[n].start < old[j].end:
                n += 1
            parts, parked = _split(old[j], units[i:n], report)
            new.extend(parts)
            orphans.extend(parked)
            report.orphaned.extend(parked)
            i, j = n, j + 1
        else:
            new.append(u)
            i += 1
    for rest in old[j:]:
        if _data(rest):
            orphans.append(_orphan(rest, "its place changed with the units"))
            report.orphaned.append(orphans[-1])
    orphans = _reattach(new, orphans, report)
    return labels.model_copy(update={"sentences": new, "orphans": orphans}), report


def _reattach(new: list[Sentence], orphans: list[Orphan], report: RemapReport) -> list[Orphan]:
    """Put back orphans whose span and text are exactly an unlabeled unit (a merge undone)."""
    at = {s.span: i for i, s in enumerate(new)}
    left = []
    for o in orphans:
        i = at.get(o.span)
        if i is not None and new[i].text == o.text and new[i].label is None and o.label is not None \
                and o not in report.orphaned:
            mine = {k: v for k, v in _data(new[i]).items() if k != MERGED_FROM}
            new[i] = Sentence(start=o.start, end=o.end, text=o.text, **{**mine, **_data(o)})
            report.restored += 1
        else:
            left.append(o)
    return left
