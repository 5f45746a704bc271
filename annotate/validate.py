"""Checking label files against their tagset and source, fixing drift, and progress per file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import AnnotateError
from .models import GOLD, LabelFile
from .session import LabelSession, load_current
from .store import Document, Project, check_against, iter_label_files


@dataclass
class FileCheck:
    """The outcome of checking one label file."""

    path: Path
    where: str
    problem: str | None = None
    fixed: str | None = None
    labels: LabelFile | None = None


def check_file(project: Project, path: Path, fix: bool = False) -> FileCheck:
    """Fully check one label file: YAML, schema, place, tagset, spans against the source."""
    where = project.display(path)
    result = FileCheck(path, where)
    try:
        labels = load_current(path, where)
        result.labels = labels
        try:
            doc_id = project.doc_id_of(path)
        except ValueError:
            doc_id = labels.document
        if labels.document != doc_id:
            raise AnnotateError(f"document: {labels.document!r} but the file is under labels/{doc_id}/", where)
        if labels.annotator != path.stem:
            raise AnnotateError(f"annotator: {labels.annotator!r} but the file is named {path.name}", where)
        tagset = project.tagset(labels.scheme)
        source_path = project.root / labels.source
        doc = Document(labels.document, source_path)
        try:
            source = project.read_source(doc)
        except AnnotateError as exc:
            raise AnnotateError(f"source: {exc}", where) from None
        if labels.source_sha256 != source.sha256:
            if not fix:
                check_against(labels, where, tagset, None)
                raise AnnotateError(
                    f"source_sha256: {labels.source} changed since these labels were made;"
                    " run `annotate validate --fix` to re-anchor them",
                    where,
                )
            session = LabelSession.open(project, doc, labels.annotator, tagset, purpose="annotate validate --fix")
            try:
                report = session.report
                result.fixed = report.summary() if report else "nothing to move"
                result.labels = session.labels
            finally:
                session.close()
            return result
        raw = path.read_text("utf-8", "replace")
        check_against(labels, where, tagset, source.text, raw)
    except AnnotateError as exc:
        result.problem = str(exc) if exc.path else f"{where}: {exc}"
    return result


def validate_files(project: Project, paths: list[Path], fix: bool = False) -> list[FileCheck]:
    """Check the named label files (folders expanded), or all of them."""
    return [check_file(project, p, fix) for p in iter_label_files(project, paths)]


def status_rows(project: Project) -> list[dict[str, Any]]:
    """Progress per document and annotator, with the document's agreed / disagreed / adjudicated counts.

    Documents without any label file are left out (see :func:`unstarted_documents`).
    """
    from .review import DocumentLabels, anchor_to_source, document_review_counts

    rows: list[dict[str, Any]] = []
    for doc in project.documents():
        doc_labels = DocumentLabels(doc)
        doc_rows: dict[str, dict[str, Any]] = {}
        for path in project.label_files(doc.id):
            row: dict[str, Any] = doc_rows.setdefault(path.stem, {"document": doc.id, "annotator": path.stem})
            try:
                labels = load_current(path, project.display(path))
            except AnnotateError as exc:
                row.update({"labeled": 0, "total": 0, "unsure": 0, "orphans": 0, "error": str(exc)})
                continue
            if path.stem == GOLD:
                doc_labels.gold = labels
            else:
                doc_labels.files[path.stem] = labels
        try:
            anchor_to_source(project, doc_labels)  # figures for the source as it is now
        except AnnotateError as exc:  # the source cannot be read: the files' own figures
            for row in doc_rows.values():
                row.setdefault("error", str(exc))
        for name, labels in [*doc_labels.files.items(), *([(GOLD, doc_labels.gold)] if doc_labels.gold else [])]:
            doc_rows[name].update({"labeled": labels.labeled, "total": len(labels.sentences),
                                   "unsure": labels.unsure, "orphans": len(labels.orphans),
                                   "stale": name in doc_labels.stale})
        review = document_review_counts(doc_labels)
        for row in doc_rows.values():
            row.update(review)
        rows.extend(doc_rows.values())
    return rows


def unstarted_documents(project: Project) -> list[str]:
    """Documents nobody has a label file for yet."""
    return [d.id for d in project.documents() if not project.label_files(d.id)]
