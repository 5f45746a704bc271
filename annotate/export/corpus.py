"""The export's view of the label files: each document's units (spans) with every annotator's sentence, checked.

Label files are read through :mod:`annotate.reading` (journal included, parse cache
when it matches, libyaml otherwise), checked against the source and the tagset, and
re-anchored in memory when the source changed. Nothing here writes a label file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AnnotateError
from ..models import GOLD, LabelFile, Tagset
from ..reading import check_identity, follow_units_data, read_label_data, reanchored
from ..store import Document, Project, check_against, read_file

Span = tuple[int, int]
Progress = Callable[[int, int], None]
Warn = Callable[[str], None]

KEPT_FIELDS = ("label", "unsure", "note", "seconds", "suggested")

META_KEYS = ("title", "url", "date", "outlet", "author", "language")
"""The metadata every exported row's ``meta`` carries (null where unknown); the fields an import kept follow."""
"""The fields of an annotator's sentence that rows use."""


@dataclass
class DocUnits:
    """One document's label files as units: span -> annotator -> the sentence's fields."""

    doc: str
    text: str
    annotators: list[str]
    spans: dict[Span, dict[str, dict[str, Any]]]
    gold: dict[Span, str | None]
    boundary: int = 0
    orphans: int = 0
    keys: dict[Span, int] = field(default_factory=dict)
    """Span -> the 64-bit key of its normalised text (:func:`annotate.export.splits.key_of`)."""
    meta: dict[str, Any] | None = None
    """The document's metadata (``seeds/<doc>.meta.yaml``) as text values, or None when it has none."""

    def to_json(self) -> dict[str, Any]:
        """Plain data (spans as ``[start, end]`` pairs, in order) for the export's spill file."""
        return {"doc": self.doc, "text": self.text, "annotators": self.annotators,
                "units": [[s, e, self.keys.get((s, e), 0), self.gold.get((s, e)), self.spans[(s, e)]]
                          for s, e in sorted(self.spans)],
                "boundary": self.boundary, "orphans": self.orphans, "meta": self.meta}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocUnits:
        """The inverse of :meth:`to_json`."""
        spans: dict[Span, dict[str, dict[str, Any]]] = {}
        gold: dict[Span, str | None] = {}
        keys: dict[Span, int] = {}
        for s, e, key, g, have in data["units"]:
            spans[(s, e)] = have
            keys[(s, e)] = key
            if g is not None:
                gold[(s, e)] = g
        return cls(data["doc"], data["text"], data["annotators"], spans, gold, data["boundary"], data["orphans"],
                   keys, data.get("meta"))


@dataclass
class Corpus:
    """What the export knows of the whole project after reading every label file once."""

    tagset: Tagset
    annotators: list[str] = field(default_factory=list)
    documents: int = 0
    """Documents with label files and a source."""
    files: int = 0
    stale_files: list[str] = field(default_factory=list)
    missing_source: list[str] = field(default_factory=list)
    empty_files: list[str] = field(default_factory=list)
    meta_fields: list[str] = field(default_factory=list)
    """Every metadata key of the exported documents, in the order rows carry them (:data:`META_KEYS` first)."""
    meta_unreadable: list[str] = field(default_factory=list)
    """Metadata files that could not be read (their documents are exported without metadata)."""


def _check_file(root: Path, data: dict[str, Any], raw_where: str, path: Path, doc_id: str, name: str,
                text: str, names: set[str], tagset: Tagset) -> None:
    if data["document"] != doc_id:
        raise AnnotateError(f"document: {data['document']!r} but the file is under labels/{doc_id}/"
                            " (run annotate validate)", raw_where)
    if data["annotator"] != name:
        raise AnnotateError(f"annotator: {data['annotator']!r} but the file is named {path.name}"
                            " (run annotate validate)", raw_where)
    n = len(text)
    for s in data["sentences"]:
        label = s.get("label")
        if (label is not None and label not in names) or s["end"] > n or text[s["start"]:s["end"]] != s["text"]:
            # Let the shared check word the error, with the line of the file.
            model = LabelFile.model_validate(data)
            try:
                raw = read_file(path, "label file", raw_where, root=root).decode("utf-8", "replace")
            except (OSError, AnnotateError):
                raw = ""
            check_against(model, raw_where, tagset, text, raw)
            raise AnnotateError("does not match its source (run annotate validate)", raw_where)  # pragma: no cover
    for o in data.get("orphans") or ():
        if o.get("label") is not None and o["label"] not in names:
            check_against(LabelFile.model_validate(data), raw_where, tagset, None)


def _kept(sentence: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k in KEPT_FIELDS if (v := sentence.get(k)) is not None}


class CorpusReader:
    """Reads the project's label files document by document, checking them and counting what is skipped."""

    def __init__(self, project: Project, warn: Warn | None = None) -> None:
        from ..summaries import documents_with_labels

        self.project = project
        self.warn = warn
        self.doc_ids = documents_with_labels(project)  # ids only: each document's files are listed in its turn
        if not self.doc_ids:
            raise AnnotateError(f"no label files under {project.display(project.labels)}/: nothing to export")
        self.n_paths = 0
        self.tagsets: dict[str, Tagset] = {}
        self.annotators: set[str] = set()
        self.stale: list[str] = []
        self.missing: list[str] = []
        self.empty: list[str] = []
        self.meta_fields: set[str] = set()
        self.meta_unreadable: list[str] = []
        self.read = 0

    def documents(self, progress: Progress | None = None) -> Iterator[DocUnits]:
        """Every document with label files and a source, in doc id order (once: each is let go after)."""
        total = len(self.doc_ids)
        for k, doc_id in enumerate(self.doc_ids):
            if progress:
                progress(k, total)
            units = self.document(doc_id)
            if units is not None:
                self.read += 1
                yield units
        if progress:
            progress(total, total)

    def document(self, doc_id: str) -> DocUnits | None:
        """One document's units; None when it has no source (counted and warned)."""
        from ..summaries import label_names, source_of

        project = self.project
        names = label_names(project, doc_id)  # annotators in name order everywhere after
        self.n_paths += len(names)
        doc = source_of(project, doc_id)
        if doc is None:
            self.missing.extend(f"labels/{doc_id}/{name}.yaml" for name in names)
            if self.warn:
                self.warn(f"labels/{doc_id}/: no source seeds/{doc_id}.txt; its {len(names)} label file(s) skipped")
            return None
        source = project.read_source(doc)
        units = DocUnits(doc_id, source.text, [], {}, {}, meta=self._meta(doc))
        for name in names:
            self._add_file(units, doc, source, project.label_path(doc_id, name))
        n = len(units.annotators)
        units.boundary = sum(1 for have in units.spans.values() if 0 < len(have) < n) if n > 1 else 0
        self.annotators.update(units.annotators)
        return units

    def _meta(self, doc: Document) -> dict[str, Any] | None:
        """The document's metadata as text values; a file that cannot be read is warned about and counted."""
        from ..metadata import read_metadata

        try:
            meta = read_metadata(self.project, doc)
        except AnnotateError as exc:
            self.meta_unreadable.append(f"seeds/{doc.id}.meta.yaml")
            if self.warn:
                self.warn(f"{exc} (the document is exported without metadata)")
            return None
        if meta is None:
            return None
        values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in meta.export_fields().items()
                  if v is not None}
        self.meta_fields.update(k for k in values if k not in META_KEYS)
        return values

    def _tagset(self, scheme: str, where: str) -> Tagset:
        if scheme not in self.tagsets:
            if self.tagsets:
                raise AnnotateError(f"scheme: {scheme!r}, but other label files use"
                                    f" {', '.join(repr(s) for s in self.tagsets)}; export one tagset at a time",
                                    where)
            self.tagsets[scheme] = self.project.tagset(scheme)
        return self.tagsets[scheme]

    def _add_file(self, units: DocUnits, doc: Document, source: Any, path: Path) -> None:
        project = self.project
        where = path.relative_to(project.root).as_posix()
        name = path.stem
        data = read_label_data(path, where, project.root)
        check_identity(data, doc, name, where, project)
        tagset = self._tagset(data["scheme"], where)
        if data["source_sha256"] != source.sha256:
            data = reanchored(project, doc, LabelFile.model_validate(data), source)[0].to_data()
            self.stale.append(where)
            if self.warn:
                self.warn(f"{where}: source changed since labeling; re-anchored in memory"
                          " (run annotate validate --fix to save)")
        data, moved = follow_units_data(project, doc, data, source)
        if moved and where not in self.stale:
            self.stale.append(where)  # units merged or split since it was saved: carried over in memory
        _check_file(project.root, data, where, path, units.doc, name, source.text, set(tagset.names), tagset)
        if name != GOLD and all(s.get("label") is None for s in data["sentences"]):
            self.empty.append(where)  # opened, never labeled: not an annotator
            return
        units.orphans += len(data.get("orphans") or ())
        if name == GOLD:
            for s in data["sentences"]:
                units.gold[(s["start"], s["end"])] = s.get("label")
                units.spans.setdefault((s["start"], s["end"]), {})
        else:
            units.annotators.append(name)
            for s in data["sentences"]:
                units.spans.setdefault((s["start"], s["end"]), {})[name] = _kept(s)

    def corpus(self) -> Corpus:
        """The corpus-wide facts, once every document was read."""
        if not self.tagsets:
            raise AnnotateError("no label file has a source under seeds/: nothing to export")
        return Corpus(next(iter(self.tagsets.values())), sorted(self.annotators), self.read,
                      self.n_paths - len(self.empty), self.stale, self.missing, self.empty,
                      [*META_KEYS, *sorted(self.meta_fields)], self.meta_unreadable)
