"""``annotate import-labels``: labels made in other tools become annotators' label files, aligned to our sentences.

An item names a sentence by its document and offsets (our own export, Prodigy tasks made
from it), by its text (matched to every sentence with that text, whitespace aside), or
labels spans of a document's text (each span labels the sentences it covers). What matches
no sentence is reported with its text, never dropped silently. Files are written through
the labeling session (:class:`annotate.session.LabelSession`), so they carry the document,
source, sha256, sentence spans and segmenter like any other; an annotator's existing file
is never overwritten: refused, or with ``merge`` filled only where it has no label.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AnnotateError
from ..models import GOLD, Tagset, is_valid_annotator
from ..reading import Span, apply_fields, checked_fields, document_units
from ..store import Document, Project, Source
from .tools import LabelItem, read_items

Fields = dict[str, Any]


@dataclass
class LabelOptions:
    """How to import labels: the tool (``auto``), annotator names, label renames, tagset, merging."""

    tool: str = "auto"
    annotator: str | None = None
    """Every label goes to this annotator."""
    annotators: dict[str, str] = field(default_factory=dict)
    """Annotator names in the file -> names here (``--annotator OLD=NEW``)."""
    label_map: dict[str, str] = field(default_factory=dict)
    scheme: str | None = None
    merge: bool = False
    dry_run: bool = False


@dataclass
class Unmatched:
    """An item that gave no label here, where it is in its file, why, and its text."""

    where: str
    reason: str
    text: str = ""


@dataclass
class LabelReport:
    """What an import of labels did."""

    tools: dict[str, str] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    """Label file written (as shown) -> labels it got from the import."""
    kept: dict[str, int] = field(default_factory=dict)
    """Label file merged into -> sentences whose own, different label was kept."""
    unmatched: list[Unmatched] = field(default_factory=list)
    skipped: list[Unmatched] = field(default_factory=list)
    conflicts: list[Unmatched] = field(default_factory=list)
    several: int = 0
    """Items whose text is a sentence of more than one document (each got the label)."""
    dry_run: bool = False

    @property
    def labels(self) -> int:
        """Labels written (or that would be)."""
        return sum(self.files.values())


def _normal(text: str) -> str:
    return " ".join(text.split())


def annotator_of(raw: str) -> str:
    """A name from another tool as an annotator name: lower case; other characters than ``a-z0-9._-`` as ``-``."""
    name = re.sub(r"[^a-z0-9._-]+", "-", raw.strip().lower())
    return re.sub(r"^[^a-z0-9]+", "", name).rstrip("-")


# --------------------------------------------------------------------------- our sentences


@dataclass
class Units:
    """One document's text and sentences."""

    doc: Document
    source: Source
    spans: list[Span]


class Sentences:
    """Every document's sentences, loaded once, with an index of sentence texts (whitespace aside)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._units: dict[str, Units | None] = {}
        self._by_text: dict[str, list[tuple[str, int]]] | None = None

    def units(self, doc_id: str) -> Units | None:
        """The document's text and sentences (None when there is no such readable document)."""
        if doc_id not in self._units:
            path = self.project.seeds / f"{doc_id}.txt"
            try:
                doc = Document(doc_id, path)
                source = self.project.read_source(doc)
                self._units[doc_id] = Units(doc, source, document_units(self.project, doc, source)[0])
            except (AnnotateError, OSError):
                self._units[doc_id] = None
        return self._units[doc_id]

    def all(self) -> list[Units]:
        """Every readable document's units."""
        return [u for d in self.project.documents() if (u := self.units(d.id)) is not None]

    def by_text(self, text: str) -> list[tuple[str, int]]:
        """The sentences (document, index) whose text is ``text``."""
        if self._by_text is None:
            self._by_text = defaultdict(list)
            for u in self.all():
                for i, (s, e) in enumerate(u.spans):
                    self._by_text[_normal(u.source.text[s:e])].append((u.doc.id, i))
        return self._by_text.get(_normal(text), [])

    def containing(self, text: str) -> tuple[Units, int] | None:
        """The document whose text holds ``text`` (a whole document or a passage), and where it starts."""
        stripped = text.strip()
        if not stripped:
            return None
        for u in self.all():
            at = u.source.text.find(stripped)
            if at >= 0:
                return u, at + (len(text) - len(text.lstrip()))
        return None


def _at_offsets(units: Units, item: LabelItem) -> int | None:
    """The sentence an item names by offsets: that span, else the sentence with its text nearest to it."""
    for i, span in enumerate(units.spans):
        if span == (item.start, item.end):
            return i
    want = _normal(item.text)
    near = [(abs(s - (item.start or 0)), i) for i, (s, e) in enumerate(units.spans)
            if _normal(units.source.text[s:e]) == want]
    return min(near)[1] if near else None


def _covered(units: Units, start: int, end: int) -> list[int]:
    """The sentences a span labels: those it covers at least half of, or the one it lies inside."""
    out = []
    for i, (s, e) in enumerate(units.spans):
        overlap = min(end, e) - max(start, s)
        if overlap > 0 and (2 * overlap >= e - s or (s <= start and end <= e)):
            out.append(i)
    return out


# --------------------------------------------------------------------------- matching items


class Plan:
    """The labels to write: (annotator, document) -> sentence index -> fields, and what did not fit."""

    def __init__(self, report: LabelReport) -> None:
        self.report = report
        self.labels: dict[tuple[str, str], dict[int, Fields]] = defaultdict(dict)
        self.cover: dict[tuple[str, str, int], int] = {}

    def add(self, annotator: str, doc_id: str, index: int, fields: Fields, item: LabelItem, weight: int = 0) -> None:
        """One sentence's fields; a different label for the same sentence is a conflict (the larger span wins)."""
        have = self.labels[(annotator, doc_id)].get(index)
        if have is not None and have.get("label") != fields.get("label"):
            self.report.conflicts.append(Unmatched(item.where, f"{annotator} gave {doc_id} sentence {index + 1} both"
                                                   f" {have.get('label')!r} and {fields.get('label')!r}"))
            if weight <= self.cover.get((annotator, doc_id, index), 0):
                return
        self.labels[(annotator, doc_id)][index] = fields
        self.cover[(annotator, doc_id, index)] = weight


def _fields(item: LabelItem, label: str | None) -> Fields:
    fields = checked_fields({k: v for k, v in item.fields.items() if k in ("note", "unsure", "seconds", "suggested")})
    return {**(fields or {}), "label": label}


def match(item: LabelItem, annotator: str, sentences: Sentences, plan: Plan) -> None:
    """Put an item's label(s) on our sentences, or report it."""
    report = plan.report
    if item.spans:
        found = sentences.containing(item.text)
        if found is None:
            report.unmatched.append(Unmatched(item.where, "its text is in no document here", item.text))
            return
        units, shift = found
        for start, end, label in item.spans:
            covered = _covered(units, start + shift, end + shift)
            if not covered:
                report.unmatched.append(Unmatched(item.where, "span covers no sentence",
                                                  item.text[start:end]))
            for i in covered:
                plan.add(annotator, units.doc.id, i, {"label": label}, item, end - start)
        return
    if item.document is not None and item.start is not None:
        named = sentences.units(item.document)
        index = _at_offsets(named, item) if named is not None else None
        if index is not None:
            plan.add(annotator, item.document, index, _fields(item, item.label), item)
            return
    places = sentences.by_text(item.text)
    if not places:
        report.unmatched.append(Unmatched(item.where, "matches no sentence here", item.text))
        return
    report.several += len(places) > 1
    for doc_id, index in places:
        plan.add(annotator, doc_id, index, _fields(item, item.label), item)


# --------------------------------------------------------------------------- names


def _annotator(item: LabelItem, options: LabelOptions, tool: str) -> str:
    if options.annotator:
        return options.annotator
    raw = item.annotator
    if raw is None:
        raise AnnotateError(f"{item.where}: the file does not say who made the labels;"
                            " name the annotator with --annotator NAME")
    if raw in options.annotators:
        return options.annotators[raw]
    name = annotator_of(raw)
    if not is_valid_annotator(name):
        raise AnnotateError(f"{item.where}: annotator {raw!r} makes no annotator name;"
                            f" rename it with --annotator {raw}=NAME")
    if name == GOLD and tool != "annotate":
        raise AnnotateError(f"{item.where}: annotator {raw!r}: gold is reserved for review decisions;"
                            f" rename it with --annotator {raw}=NAME")
    return name


def _check_labels(plan: Plan, tagset: Tagset, options: LabelOptions) -> None:
    """Rename labels (``--map``), then refuse labels the tagset does not have, listing them all."""
    missing: Counter[str] = Counter()
    for sentences in plan.labels.values():
        for fields in sentences.values():
            given = fields.get("label")
            if given is None:
                continue
            label = str(options.label_map.get(given, given))
            fields["label"] = label
            if label not in tagset.names:
                missing[label] += 1
    if missing:
        listed = ", ".join(f"{name!r} ({n})" for name, n in missing.most_common())
        hints = [f"{name}={name.lower()}" for name in missing if name.lower() in tagset.names]
        hint = f"; rename with --map {' --map '.join(hints)}" if hints else "; rename them with --map OLD=NEW"
        raise AnnotateError(f"labels not in tagset {tagset.name} ({', '.join(tagset.names)}): {listed}{hint}")


# --------------------------------------------------------------------------- writing


def _existing(project: Project, plan: Plan) -> list[str]:
    return [project.display(project.label_path(doc_id, annotator))
            for annotator, doc_id in plan.labels if project.label_path(doc_id, annotator).exists()]


def _write(project: Project, tagset: Tagset, annotator: str, doc_id: str, sentences: dict[int, Fields],
           report: LabelReport) -> None:
    from ..session import LabelSession

    doc = Document(doc_id, project.seeds / f"{doc_id}.txt")
    session = LabelSession.open(project, doc, annotator, tagset, purpose="annotate import-labels")
    where = session.where
    try:
        written = kept = 0
        for index, fields in sorted(sentences.items()):
            if index >= len(session.labels.sentences):
                continue
            current = session.labels.sentences[index].label
            if current is not None:
                kept += current != fields.get("label")
                continue
            apply_fields(session.labels, index, fields)
            written += 1
        if written and not session.fold():
            raise AnnotateError(session.status.error or "cannot save", where)
    finally:
        session.close()
    report.files[where] = written
    if kept:
        report.kept[where] = kept


def import_labels(project: Project, paths: list[Path], options: LabelOptions) -> LabelReport:
    """Read labels from other tools' files, align them to the project's sentences and write label files.

    Nothing is written when a label is not in the tagset, when the file does not say who
    the annotator is, or (without ``merge``) when an annotator already has a label file of
    a document: each is an :class:`AnnotateError` naming all of them.
    """
    report = LabelReport(dry_run=options.dry_run)
    plan = Plan(report)
    sentences = Sentences(project)
    for path in paths:
        where = project.display(path) if path.is_absolute() else path.as_posix()
        tool, items = read_items(path, where, options.tool)
        report.tools[where] = tool
        for item in items:
            if item.skip is not None:
                report.skipped.append(Unmatched(item.where, item.skip, item.text))
                continue
            match(item, _annotator(item, options, tool), sentences, plan)
    tagset = project.tagset(options.scheme) if options.scheme else project.tagset()
    _check_labels(plan, tagset, options)
    existing = _existing(project, plan)
    if existing and not options.merge:
        shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
        raise AnnotateError(f"label files exist: {shown}; not overwritten (--merge fills only their unlabeled"
                            " sentences)")
    for (annotator, doc_id), fields in sorted(plan.labels.items()):
        if options.dry_run:
            report.files[project.display(project.label_path(doc_id, annotator))] = len(fields)
            continue
        _write(project, tagset, annotator, doc_id, fields, report)
    return report
