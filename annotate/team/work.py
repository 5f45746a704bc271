"""What every label file of the project holds, read once through :mod:`annotate.reading`: one summary per file.

A :class:`FileWork` is what the team views need of one ``labels/<doc>/<annotator>.yaml``:
progress (labeled, total, unsure, orphans), the labels by span (for agreement), the
seconds spent per labeled sentence, who decided gold labels, and when the file last
changed. It is plain data (:meth:`FileWork.to_data`), so a per-file cache can keep it.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AnnotateError
from ..models import GOLD, LabelFile
from ..reading import FileProgress, check_identity, current_labels, journal_path, read_label_data
from ..store import Document, Project, Source, check_against

Span = tuple[int, int]


@dataclass
class FileWork:
    """One label file summed up for the team views (figures for the document's current source)."""

    document: str
    annotator: str
    path: str
    """The file, relative to the project root (``labels/<doc>/<annotator>.yaml``)."""
    total: int = 0
    labeled: int = 0
    unsure: int = 0
    """Sentences flagged unsure (as the home screen counts them)."""
    unsure_labeled: int = 0
    """Labeled sentences flagged unsure (the unsure rate's numerator)."""
    orphans: int = 0
    stale: bool = False
    error: str | None = None
    mtime: float = 0.0
    """The newest modification time of the file and its journal (seconds since the epoch)."""
    pending: bool = False
    """Changes wait in the file's journal (not yet folded into the YAML file)."""
    labels: list[tuple[int, int, str]] = field(default_factory=list)
    """(start, end, label) of every labeled sentence, in order."""
    seconds: list[float] = field(default_factory=list)
    """Seconds spent on each labeled sentence that records them."""
    reviewers: dict[str, int] = field(default_factory=dict)
    """gold files: how many decided sentences each reviewer signed."""
    time: float | None = None
    """When the work was last done: the author time of the file's last commit, or ``mtime`` (see ``time_source``)."""
    time_source: str = "mtime"
    """``git`` (last commit touching the file, which is clean) or ``mtime`` (not in git, or changed since)."""

    @property
    def has_work(self) -> bool:
        """True when the file holds at least one label, or cannot be read (someone's work, broken)."""
        return self.labeled > 0 or self.error is not None

    @property
    def finished(self) -> bool:
        """True when every sentence carries a label."""
        return self.error is None and self.total > 0 and self.labeled == self.total

    @property
    def progress(self) -> FileProgress:
        """The file's progress as the home screen and ``annotate status`` show it."""
        return FileProgress(self.labeled, self.total, self.unsure, self.orphans, self.stale, self.error)

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-ready data (for a per-file cache)."""
        data = dict(self.__dict__)
        data["labels"] = [list(t) for t in self.labels]
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> FileWork:
        """The inverse of :meth:`to_data`."""
        fields = dict(data)
        fields["labels"] = [tuple(t) for t in data.get("labels", ())]
        return cls(**fields)


@dataclass
class ProjectWork:
    """Every label file of the project, summed up, by document and annotator (gold under ``gold``)."""

    documents: dict[str, Document]
    """Every document under ``seeds/`` by id, sorted."""
    files: dict[str, dict[str, FileWork]] = field(default_factory=dict)
    """Document id -> annotator (or ``gold``) -> the file's summary."""
    homeless: list[FileWork] = field(default_factory=list)
    """Label files under ``labels/`` whose document has no source under ``seeds/``."""

    def of(self, doc_id: str) -> dict[str, FileWork]:
        """The files of one document (empty when there are none)."""
        return self.files.get(doc_id, {})

    def annotator_files(self) -> dict[str, list[FileWork]]:
        """Every annotator's files (gold left out), by annotator name, sorted."""
        out: dict[str, list[FileWork]] = {}
        for files in self.files.values():
            for name, fw in files.items():
                if name != GOLD:
                    out.setdefault(name, []).append(fw)
        return dict(sorted(out.items()))


def label_files_by_document(project: Project) -> dict[str, list[Path]]:
    """Every label file under ``labels/`` (the tool's own files left out), grouped by its document folder."""
    by_doc: dict[str, list[Path]] = {}
    for path in project.label_files():
        by_doc.setdefault(path.parent.relative_to(project.labels).as_posix(), []).append(path)
    return by_doc


def documents_with_boundary_changes(project: Project) -> set[str]:
    """Documents whose units were merged or split (``labels/<doc>/_units-*.yaml``, :mod:`annotate.boundaries`)."""
    from ..boundaries import UNITS_PREFIX

    if not project.labels.is_dir():
        return set()
    return {p.parent.relative_to(project.labels).as_posix() for p in project.labels.glob(f"**/{UNITS_PREFIX}*.yaml")}


def read_work(project: Project) -> ProjectWork:
    """Sum up every label file of the project (a broken file is kept with its error, never dropped)."""
    documents = {d.id: d for d in project.documents()}
    work = ProjectWork(documents)
    changed_units = documents_with_boundary_changes(project)
    for doc_id, paths in sorted(label_files_by_document(project).items()):
        doc = documents.get(doc_id)
        if doc is None:
            work.homeless.extend(_unreadable(project, doc_id, p, f"no source for this document: seeds/{doc_id}.txt"
                                             " is missing") for p in paths)
            continue
        try:
            source = project.read_source(doc)
        except AnnotateError as exc:
            work.files[doc_id] = {p.stem: _unreadable(project, doc_id, p, str(exc)) for p in paths}
            continue
        work.files[doc_id] = {p.stem: file_work(project, doc, source, p, doc_id in changed_units) for p in paths}
    return work


def _unreadable(project: Project, doc_id: str, path: Path, error: str) -> FileWork:
    fw = FileWork(doc_id, path.stem, path.relative_to(project.root).as_posix(), error=error)
    _stat(fw, path)
    return fw


def _stat(fw: FileWork, path: Path) -> None:
    """Set ``mtime`` (the newer of the file and its journal) and ``pending`` (a journal with changes)."""
    with contextlib.suppress(OSError):
        fw.mtime = os.stat(path).st_mtime
    with contextlib.suppress(OSError):
        journal = os.stat(journal_path(path))
        fw.pending = journal.st_size > 0
        fw.mtime = max(fw.mtime, journal.st_mtime)


def file_work(project: Project, doc: Document, source: Source, path: Path, units_changed: bool = False) -> FileWork:
    """One label file summed up: its current labels (journal included, carried over when the source changed).

    The plain data of the file when it was made for this source and the document's units
    were never merged or split; otherwise :func:`annotate.reading.current_labels`, which
    re-anchors and follows boundary changes in memory (``stale``).
    """
    where = path.relative_to(project.root).as_posix()
    fw = FileWork(doc.id, path.stem, where)
    _stat(fw, path)
    try:
        data = read_label_data(path, where, project.root)
        check_identity(data, doc, path.stem, where, project)
        if units_changed or data["source_sha256"] != source.sha256:
            current = current_labels(project, doc, path.stem, source)
            data = current.labels.to_data()
            fw.stale = current.stale or current.units is not None
        else:
            _check_spans(data, source.text, where)
    except AnnotateError as exc:
        fw.error = str(exc)
        return fw
    _sum_up(fw, data)
    return fw


def _check_spans(data: dict[str, Any], text: str, where: str) -> None:
    """Every sentence's text is the source's at its span (the shared check words the error when not)."""
    n = len(text)
    sentences = data["sentences"]
    if not sentences or any(s["end"] > n or text[s["start"]:s["end"]] != s["text"] for s in sentences):
        check_against(LabelFile.model_validate(data), where, None, text)


def _sum_up(fw: FileWork, data: dict[str, Any]) -> None:
    sentences = data["sentences"]
    fw.total = len(sentences)
    fw.orphans = len(data.get("orphans") or ())
    for s in sentences:
        unsure = bool(s.get("unsure"))
        fw.unsure += unsure
        label = s.get("label")
        if label is None:
            continue
        fw.labels.append((s["start"], s["end"], label))
        fw.unsure_labeled += unsure
        seconds = s.get("seconds")
        if seconds is not None:
            fw.seconds.append(float(seconds))
        reviewer = s.get("reviewer")
        if reviewer is not None and fw.annotator == GOLD:
            fw.reviewers[reviewer] = fw.reviewers.get(reviewer, 0) + 1
    fw.labeled = len(fw.labels)
