"""Reading label files: the one path every screen and command takes to an annotator's current labels.

A label file on disk is more than its YAML: changes not yet folded wait in a journal
beside it, a parse cache may hold its validated content, and it may have been made for
an earlier version of the document's source. This module owns all of that:

- the journal format (:func:`journal_line`, :func:`replay`) and the files beside a label
  file (:func:`journal_path`, :func:`cache_path`);
- :func:`load_current`: the YAML plus the journal, through the parse cache;
- :func:`read_label_data`: the same as plain data, on the fast path for reading thousands of files;
- :func:`document_spans`: a document's sentence spans, computed once per source and shared by
  every annotator;
- :func:`current_labels`: "this annotator's current labels of this document": loaded, checked
  against where the file lives, and re-anchored in memory when the source changed;
- :func:`document_labels`: every annotator's (and gold's) current labels of a document;
- :func:`file_progress`: labeled / total / unsure / orphans of one file, for the home screen and status.

Nothing here writes a label file: the labeling session (:mod:`annotate.session`) does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .anchor import AnchorReport, reanchor
from .errors import AnnotateError
from .models import GOLD, LabelFile, Sentence, Tagset, is_plain_label_data
from .project import CACHE_DIR
from .safefs import read_if_there
from .store import (
    Document,
    Project,
    Source,
    check_against,
    is_path_ref,
    parse_label_file,
    read_cache,
    read_file,
    write_cache,
)
from .yamlio import fast_load, line_of

Span = tuple[int, int]
Fields = dict[str, Any]
SpanProgress = Callable[[int, int], None]

EDITABLE = ("label", "unsure", "note", "seconds", "reviewer", "annotator_labels", "suggested")
"""Sentence fields a labeling session changes (the only fields a journal line may carry)."""

QUICK_SEGMENT_CHARS = 20_000
"""Sources up to this size are segmented at once even when the caller asked for a quick open."""

PROGRESS_EVERY = 200
"""Segmentation reports progress (and a worker notices it should give up) every this many sentences."""


class NeedsSegmentation(Exception):
    """Opening would have to segment the source (new document or changed source): slow for big ones."""


# --------------------------------------------------------------------------- the files beside a label file


def journal_path(path: Path) -> Path:
    """The journal beside a label file: ``labels/<doc>/.<annotator>.journal``."""
    return path.with_name(f".{path.stem}.journal")


def cache_path(path: Path) -> Path:
    """The parse cache beside a label file (JSON, keyed by the YAML's sha256)."""
    return path.with_name(f".{path.stem}.cache.json")


def journal_line(index: int, span: Span, fields: Fields) -> bytes:
    """One journal line: ``{"i": index, "s": start, "e": end, "f": {field: value}}`` and a newline."""
    entry = {"i": index, "s": span[0], "e": span[1], "f": fields}
    return (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")


def apply_fields(labels: LabelFile, index: int, fields: Fields) -> None:
    """Set fields of one sentence in place."""
    s = labels.sentences[index]
    for k, v in fields.items():
        setattr(s, k, v)


def checked_fields(fields: Fields) -> Fields | None:
    """Journal fields as the label file's model reads them, or None when they could not be saved as valid YAML."""
    try:
        checked = Sentence.model_validate({"start": 0, "end": 1, "text": "", **fields})
        json.dumps(fields, ensure_ascii=False).encode("utf-8")  # a lone surrogate cannot be written in YAML
    except ValueError:  # pydantic's ValidationError and UnicodeEncodeError are ValueErrors
        return None
    return {k: getattr(checked, k) for k in fields}


def replay(labels: LabelFile, journal: bytes) -> int:
    """Apply journal lines to ``labels`` in place; returns how many applied.

    A line whose span no longer matches the file (e.g. a torn last line after a crash,
    or a file replaced under it) is skipped, and so is one with unknown fields or values
    of the wrong type (it would make the file invalid).
    """
    applied = 0
    spans = None
    for line in journal.splitlines():
        try:
            entry = json.loads(line)
            i, start, end, fields = entry["i"], entry["s"], entry["e"], entry["f"]
        except (ValueError, KeyError, TypeError):
            continue
        if not (isinstance(i, int) and 0 <= i < len(labels.sentences)) or labels.sentences[i].span != (start, end):
            if spans is None:
                spans = {s.span: k for k, s in enumerate(labels.sentences)}
            i = spans.get((start, end), -1)
            if i < 0:
                continue
        if not isinstance(fields, dict) or not set(fields) <= set(EDITABLE):
            continue
        fields = checked_fields(fields)
        if fields is None:
            continue
        apply_fields(labels, i, fields)
        applied += 1
    return applied


# --------------------------------------------------------------------------- one file as it stands


def _read_yaml_cached(path: Path, where: str, root: Path | None) -> LabelFile:
    raw = read_file(path, "label file", where, root=root)
    digest = hashlib.sha256(raw).hexdigest()
    with contextlib.suppress(ValueError, TypeError, KeyError):
        cached = json.loads(read_cache(cache_path(path), root) or b"null")
        if cached["sha256"] == digest:
            return LabelFile.from_trusted(cached["data"])
    return parse_label_file(raw, where)


def read_journal(path: Path, root: Path | None = None) -> bytes:
    """The journal beside a label file (empty when there is none); with ``root`` never one outside the project."""
    return read_if_there(journal_path(path), root) or b""


def load_current(path: Path, where: str | None = None, root: Path | None = None) -> LabelFile:
    """A label file as it stands now: the YAML plus any journal not yet folded in.

    ``root``: the project root; the file, its journal and its cache are then read only
    inside the project (a link out is refused with :class:`~annotate.store.RefusedPath`).
    """
    labels = _read_yaml_cached(path, where or str(path), root)
    replay(labels, read_journal(path, root))
    return labels


def write_parse_cache(path: Path, yaml_bytes: bytes, data: dict[str, Any], root: Path | None = None) -> None:
    """Remember the validated content of the YAML just written (best effort: a failure costs a parse later)."""
    with contextlib.suppress(ValueError):
        cache = {"sha256": hashlib.sha256(yaml_bytes).hexdigest(), "data": data}
        write_cache(cache_path(path), json.dumps(cache, ensure_ascii=False).encode(), root)


def read_label_data(path: Path, where: str, root: Path | None = None) -> dict[str, Any]:
    """One label file as it stands now (journal included) as plain data, with :func:`load_current`'s errors.

    The result has the LabelFile's shape: top-level keys, ``sentences`` and ``orphans``
    as lists of mappings. Files with a journal go through :func:`load_current`; the
    parse cache is used when its sha256 matches; otherwise libyaml parses the file once
    and the model is consulted only when the data does not have the plain shape.
    ``root`` as for :func:`load_current`.
    """
    if journal_path(path).exists() or journal_path(path).is_symlink():
        return load_current(path, where, root).to_data()
    raw = read_file(path, "label file", where, root=root)
    data: Any = None
    cached_raw = read_cache(cache_path(path), root)
    if cached_raw is not None:
        try:
            cached = json.loads(cached_raw)
            if cached["sha256"] == hashlib.sha256(raw).hexdigest():
                data = cached["data"]
        except (ValueError, TypeError, KeyError):
            data = None
    if data is None:
        data = fast_load(raw)
    if not is_plain_label_data(data):
        data = parse_label_file(raw, where).to_data()
    return data


def check_identity(labels: LabelFile | dict[str, Any], doc: Document, annotator: str, where: str,
                   project: Project, source_path: str | None = None) -> None:
    """Refuse a file whose ``document``, ``annotator`` or ``source`` says other than where it lives.

    ``labels/<doc>/<annotator>.yaml`` belongs to ``seeds/<doc>.txt``: those come from the
    file's place, never from its content, so a file naming another source is an error and
    that source is never opened. ``scheme`` must be a tagset name (of ``schemas/``), never
    a path. The error names the file and the line of the key.
    """
    data = labels if isinstance(labels, dict) else {"document": labels.document, "annotator": labels.annotator,
                                                    "source": labels.source, "scheme": labels.scheme}
    problem = identity_problem(data, doc, annotator, project, source_path)
    if problem is not None:
        key, message = problem
        raise AnnotateError(message, where, _line_of_key(project, project.label_path(doc.id, annotator), key))


def identity_problem(data: dict[str, Any], doc: Document, annotator: str, project: Project,
                     source_path: str | None = None) -> tuple[str, str] | None:
    """``(key, message)`` when a label file's identity keys disagree with where it lives, else None.

    ``source_path``: the document's source as the project displays it, when the caller has it already.
    """
    if data["document"] != doc.id:
        return "document", f"document: {data['document']!r} but the file is under labels/{doc.id}/"
    if data["annotator"] != annotator:
        return "annotator", f"annotator: {data['annotator']!r} but the file is named {annotator}.yaml"
    expected = source_path or project.display(doc.path)
    if posixpath.normpath(str(data["source"]).replace("\\", "/")) != expected:
        return "source", (f"source: {data['source']!r} but the document's source is {expected}"
                          " (it comes from where the file lives; the file named is never opened)")
    scheme = data.get("scheme")
    if isinstance(scheme, str) and is_path_ref(scheme):
        return "scheme", (f"scheme: {scheme!r} is not a tagset name: a label file names a tagset of schemas/,"
                          " never a file")
    return None


def _line_of_key(project: Project, path: Path, key: str) -> int | None:
    """The line of a top-level key in a label file (for an error message; None when it cannot be read)."""
    try:
        raw = read_file(path, "label file", str(path), root=project.root)
    except AnnotateError:
        return None
    return line_of(raw.decode("utf-8", "replace"), (key,))


# --------------------------------------------------------------------------- a document's sentences


def _spans_cache_path(project: Project, sha256: str) -> Path:
    return project.root / CACHE_DIR / "spans" / f"{sha256}.json"


def _cached_spans(project: Project, source: Source, segmenter: str) -> list[Span] | None:
    from .segment import _plausible

    try:
        entry = json.loads(read_cache(_spans_cache_path(project, source.sha256), project.root) or b"null")
        if entry["segmenter"] != segmenter:
            return None
        flat = entry["spans"]
        spans = list(zip(flat[::2], flat[1::2], strict=True))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not all(type(x) is int for x in flat):
        return None
    return spans if _plausible(source.text, spans) else None  # a cache is project content too: checked


def remembered_spans(project: Project, source: Source, segmenter: str | None = None) -> list[Span] | None:
    """The spans remembered for this source by ``segmenter`` (default: the current one), or None."""
    from .segment import segmenter_id

    return _cached_spans(project, source, segmenter or segmenter_id())


def remember_spans(project: Project, source: Source, spans: list[Span], segmenter: str) -> None:
    """Keep a document's spans for every later reader (``.annotate/cache/spans/<sha256>.json``; best effort).

    Written whole (temp file, rename) but not fsynced: a cache file torn or lost by a power
    cut is unreadable or implausible, ignored, and the spans are computed again.
    """
    flat = array("q", (x for span in spans for x in span)).tolist()
    entry = {"segmenter": segmenter, "spans": flat}
    write_cache(_spans_cache_path(project, source.sha256), json.dumps(entry).encode(), project.root)


def _segment(text: str, progress: SpanProgress | None | bool) -> list[Span]:
    from .segment import iter_segment

    if progress is False and len(text) > QUICK_SEGMENT_CHARS:
        raise NeedsSegmentation
    spans = []
    for span in iter_segment(text):
        spans.append(span)
        if callable(progress) and len(spans) % PROGRESS_EVERY == 0:
            progress(span[1], len(text))
    return spans


def document_units(project: Project, doc: Document, source: Source, progress: SpanProgress | None | bool = None,
                   files: dict[str, LabelFile] | None = None) -> tuple[list[Span], str | None]:
    """The sentences of a document's current source, the same for every annotator and command, and their segmenter.

    The base units, in order: the spans of a label file of the document made for this
    very source (the units people already label; ``files`` when the caller has them, else
    read here, gold first); the spans remembered for this source and segmenter; else the
    segmenter, and remembered. Then every recorded boundary change (merges and splits,
    :mod:`annotate.boundaries`) is applied. ``progress(done_chars, total)`` is called while
    segmenting; ``progress=False`` raises :class:`NeedsSegmentation` instead of segmenting
    a big source.
    """
    spans, segmenter = _base_units(project, doc, source, progress, files)
    changes = _boundary_changes(project, doc)
    if changes:
        from .boundaries import apply_changes

        spans = apply_changes(spans, source.text, source.sha256, changes).spans
    return spans, segmenter


def _boundary_changes(project: Project, doc: Document) -> list[Any]:
    from .boundaries import load_changes, units_files

    if not units_files(project.root, project.labels / doc.id):
        return []
    return load_changes(project, doc.id)


def _base_units(project: Project, doc: Document, source: Source, progress: SpanProgress | None | bool,
                files: dict[str, LabelFile] | None) -> tuple[list[Span], str | None]:
    from .segment import segmenter_id

    for labels in (files or {}).values():
        if labels.source_sha256 == source.sha256 and labels.sentences:
            return [s.span for s in labels.sentences], labels.segmenter
    if files is None:
        for path in sorted(project.label_files(doc.id), key=lambda p: (p.stem != GOLD, p.stem)):
            with contextlib.suppress(AnnotateError):
                data = read_label_data(path, project.display(path), project.root)
                if data["source_sha256"] == source.sha256 and data["sentences"]:
                    return [(s["start"], s["end"]) for s in data["sentences"]], data.get("segmenter")
    segmenter = segmenter_id()
    spans = _cached_spans(project, source, segmenter)
    if spans is None:
        spans = _segment(source.text, progress)
        remember_spans(project, source, spans, segmenter)
    return spans, segmenter


def follow_units(project: Project, doc: Document, labels: LabelFile, source: Source,
                 files: dict[str, LabelFile] | None = None) -> tuple[LabelFile, Any]:
    """Labels of the current source carried over to the document's units after boundary changes (in memory).

    Returns the labels unchanged and None when the document has no boundary changes or
    the file already has its units; else the remapped labels and what moved
    (:class:`annotate.boundaries.RemapReport`).
    """
    if not _boundary_changes(project, doc):
        return labels, None
    spans, _ = document_units(project, doc, source, files=files)
    if [s.span for s in labels.sentences] == spans:
        return labels, None
    from .boundaries import remap

    return remap(labels, source.text, spans)


def follow_units_data(project: Project, doc: Document, data: dict[str, Any], source: Source
                      ) -> tuple[dict[str, Any], bool]:
    """:func:`follow_units` on plain data (the fast readers): the data carried over to the document's units,
    and whether anything moved. Costs one listing of the document's folder when nobody changed its units."""
    if not _boundary_changes(project, doc):
        return data, False
    labels, moved = follow_units(project, doc, LabelFile.model_validate(data), source)
    return (labels.to_data(), True) if moved is not None else (data, False)


def document_spans(project: Project, doc: Document, source: Source | None = None,
                   progress: SpanProgress | None | bool = None) -> list[Span]:
    """The sentence spans of a document's current source (see :func:`document_units`)."""
    return document_units(project, doc, source or project.read_source(doc), progress)[0]


def reanchored(project: Project, doc: Document, labels: LabelFile, source: Source,
               progress: SpanProgress | None | bool = None, files: dict[str, LabelFile] | None = None
               ) -> tuple[LabelFile, AnchorReport]:
    """A file made for another version of the source, carried over to the current one (in memory)."""
    spans, segmenter = document_units(project, doc, source, progress, files)
    moved, report = reanchor(labels, source.text, spans, source.sha256)
    moved.segmenter = segmenter
    return moved, report


# --------------------------------------------------------------------------- this annotator's current labels


@dataclass
class Current:
    """An annotator's labels of a document as they stand now, for the source as it is now."""

    labels: LabelFile
    report: AnchorReport | None = None
    """Set when the file was made for an earlier source and re-anchored in memory (the file is unchanged)."""
    units: Any = None
    """Set when the document's units changed (a merge or split) since the file was saved: remapped in memory."""

    @property
    def stale(self) -> bool:
        """True when the file on disk was made for an earlier version of the source."""
        return self.report is not None


def current_labels(project: Project, doc: Document, annotator: str, source: Source | None = None,
                   tagset: Tagset | None = None, files: dict[str, LabelFile] | None = None,
                   progress: SpanProgress | None | bool = None) -> Current:
    """This annotator's current labels of this document: YAML, journal, checked, re-anchored in memory.

    Errors (a broken file, one that names another document or source, labels outside
    ``tagset`` when given, spans that do not match the source) are :class:`AnnotateError`
    naming the file. ``files`` are other current files of the document (for their spans).
    """
    path = project.label_path(doc.id, annotator)
    where = project.display(path)
    labels = load_current(path, where, project.root)
    check_identity(labels, doc, annotator, where, project)
    source = source or project.read_source(doc)
    report = None
    if labels.source_sha256 != source.sha256:
        labels, report = reanchored(project, doc, labels, source, progress, files)
    labels, moved = follow_units(project, doc, labels, source, files)
    check_against(labels, where, tagset, source.text)
    return Current(labels, report, moved)


@dataclass
class DocumentLabels:
    """Every annotator's current labels of one document (gold kept apart), for its current source."""

    doc: Document
    files: dict[str, LabelFile] = field(default_factory=dict)
    gold: LabelFile | None = None
    stale: list[str] = field(default_factory=list)
    """Files (annotator names, ``gold``) made for an earlier version of the source: re-anchored in memory."""
    empty: dict[str, LabelFile] = field(default_factory=dict)
    """Files without any label yet (opened, never labeled): not annotators of the document."""
    errors: dict[str, str] = field(default_factory=dict)
    """With ``skip_broken``: files that could not be read, and why (left out of everything else)."""

    @property
    def annotators(self) -> list[str]:
        """Annotators with at least one label for this document, sorted."""
        return sorted(self.files)

    def every_file(self) -> dict[str, LabelFile]:
        """Every readable file by name: annotators, those without labels, and gold."""
        out = {**self.files, **self.empty}
        if self.gold is not None:
            out[GOLD] = self.gold
        return dict(sorted(out.items()))


def has_labels(labels: LabelFile) -> bool:
    """True when at least one sentence carries a label."""
    return any(s.label is not None for s in labels.sentences)


def document_labels(project: Project, doc: Document, annotators: list[str] | None = None,
                    source: Source | None = None, skip_broken: bool = False) -> DocumentLabels:
    """The document's label files as they stand now, re-anchored in memory to ``source`` (default: on disk).

    ``annotators`` limits which annotators are read (gold always is). A file without
    any label is put in ``empty``, not in ``files``. A broken file is an AnnotateError,
    or with ``skip_broken`` recorded in ``errors``.
    """
    out = DocumentLabels(doc)
    paths = [p for p in project.label_files(doc.id) if p.stem == GOLD or annotators is None or p.stem in annotators]
    if not paths:
        return out
    source = source or project.read_source(doc)
    loaded: dict[str, LabelFile] = {}
    for path in paths:
        where = project.display(path)
        try:
            labels = load_current(path, where, project.root)
            check_identity(labels, doc, path.stem, where, project)
        except AnnotateError as exc:
            if not skip_broken:
                raise
            out.errors[path.stem] = str(exc)
            continue
        loaded[path.stem] = labels
    current = {name: lf for name, lf in loaded.items() if lf.source_sha256 == source.sha256}
    for name, labels in loaded.items():
        try:
            if labels.source_sha256 != source.sha256:
                labels, _ = reanchored(project, doc, labels, source, files=current)
                out.stale.append(name)
            labels, moved = follow_units(project, doc, labels, source, files=current)
            if moved is not None and name not in out.stale:
                out.stale.append(name)
            check_against(labels, project.display(project.label_path(doc.id, name)), None, source.text)
        except AnnotateError as exc:
            if not skip_broken:
                raise
            out.errors[name] = str(exc)
            continue
        _place(out, name, labels, has_labels(labels))
    return out


def _place(out: Any, name: str, labels: Any, labeled: bool) -> None:
    """File ``labels`` under ``out``'s gold, annotators with labels, or files without any."""
    if name == GOLD:
        out.gold = labels
    elif labeled:
        out.files[name] = labels
    else:
        out.empty[name] = labels


# --------------------------------------------------------------------------- progress


@dataclass(slots=True)
class FileProgress:
    """How far one annotator (or gold) is with one document, for the source as it is now."""

    labeled: int = 0
    total: int = 0
    unsure: int = 0
    orphans: int = 0
    stale: bool = False
    error: str | None = None

    @property
    def started(self) -> bool:
        """True once at least one sentence is labeled."""
        return self.labeled > 0

    @property
    def finished(self) -> bool:
        """True when every sentence is labeled."""
        return self.total > 0 and self.labeled == self.total


def progress_of(labels: LabelFile, stale: bool = False) -> FileProgress:
    """The progress figures of loaded labels."""
    return FileProgress(labels.labeled, len(labels.sentences), labels.unsure, len(labels.orphans), stale)


def file_progress(project: Project, doc: Document, annotator: str, source: Source | None = None) -> FileProgress | None:
    """The progress of one annotator on one document; None when there is no label file; ``error`` when unreadable."""
    if not project.label_path(doc.id, annotator).exists():
        return None
    try:
        current = current_labels(project, doc, annotator, source)
    except AnnotateError as exc:
        return FileProgress(error=str(exc))
    return progress_of(current.labels, current.stale)


# --------------------------------------------------------------------------- the same, as plain data (fast)


@dataclass
class DocumentData:
    """Every annotator's current labels of one document as plain data: :class:`DocumentLabels` for thousands of files.

    Each file is a mapping of the LabelFile's shape (``sentences`` a list of mappings), from
    :func:`read_label_data`: no pydantic model unless the file needs re-anchoring or is odd.
    """

    doc: Document
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Annotators with at least one label, by name (sorted)."""
    gold: dict[str, Any] | None = None
    stale: list[str] = field(default_factory=list)
    empty: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    """With ``skip_broken``: files that could not be read, and why (left out of everything else)."""

    @property
    def annotators(self) -> list[str]:
        """Annotators with at least one label for this document, sorted."""
        return sorted(self.files)

    def every_file(self) -> dict[str, dict[str, Any]]:
        """Every readable file by name: annotators, those without labels, and gold."""
        out = {**self.files, **self.empty}
        if self.gold is not None:
            out[GOLD] = self.gold
        return dict(sorted(out.items()))


def document_data(project: Project, doc: Document, annotators: list[str] | None = None,
                  source: Source | None = None, skip_broken: bool = False,
                  names: list[str] | None = None) -> DocumentData:
    """The document's label files as they stand now, as plain data, re-anchored in memory to ``source``.

    The same files and checks as :func:`document_labels` (identity from where the file
    lives, spans against the source; a broken file is an AnnotateError naming it), on
    :func:`read_label_data`'s fast path. With ``skip_broken`` a broken file is recorded in
    ``errors`` instead. ``names``: the document's label files (annotator names) when the
    caller has listed them already.
    """
    out = DocumentData(doc)
    if names is None:
        names = [p.stem for p in project.label_files(doc.id)]
    names = sorted(n for n in names if n == GOLD or annotators is None or n in annotators)
    if not names:
        return out
    source = source or project.read_source(doc)
    source_path = project.display(doc.path)
    loaded: dict[str, dict[str, Any]] = {}
    for name in names:
        path = project.label_path(doc.id, name)
        where = path.relative_to(project.root).as_posix()
        try:
            data = read_label_data(path, where, project.root)
            check_identity(data, doc, name, where, project, source_path)
        except AnnotateError as exc:
            if not skip_broken:
                raise
            out.errors[name] = str(exc)
            continue
        loaded[name] = data
    current: dict[str, LabelFile] | None = None
    for name, data in loaded.items():
        where = project.label_path(doc.id, name).relative_to(project.root).as_posix()
        try:
            if data["source_sha256"] != source.sha256:
                if current is None:
                    current = {n: LabelFile.from_trusted(d) for n, d in loaded.items()
                               if d["source_sha256"] == source.sha256}
                data = reanchored(project, doc, LabelFile.model_validate(data), source, files=current)[0].to_data()
                out.stale.append(name)
            data, moved = follow_units_data(project, doc, data, source)
            if moved and name not in out.stale:
                out.stale.append(name)
            _check_spans(data, where, source.text)
        except AnnotateError as exc:
            if not skip_broken:
                raise
            out.errors[name] = str(exc)
            continue
        _place(out, name, data, any(s.get("label") is not None for s in data["sentences"]))
    return out


def _check_spans(data: dict[str, Any], where: str, text: str) -> None:
    """Every sentence's text is the source's at its offsets; else :func:`check_against`'s error, with the line."""
    for s in data["sentences"]:
        if text[s["start"]:s["end"]] != s["text"] or s["end"] > len(text):
            check_against(LabelFile.model_validate(data), where, None, text)
            raise AnnotateError(f"sentence {s['start']}-{s['end']} does not match the source", where)
