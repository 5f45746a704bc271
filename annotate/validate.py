"""Checking label files against their tagset and source, fixing drift, and progress per file (status)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import AnnotateError
from .models import LabelFile
from .reading import check_identity, load_current
from .session import LabelSession
from .status import iter_status_rows
from .store import Document, Project, check_against, iter_label_files, read_file

Progress = Callable[[str, int, int], None]


@dataclass
class FileCheck:
    """The outcome of checking one label file."""

    path: Path
    where: str
    problem: str | None = None
    fixed: str | None = None
    labels: LabelFile | None = None


def _document_of(project: Project, path: Path, where: str) -> Document:
    """The document a label file belongs to, from where it lives (``labels/<doc>/<name>.yaml``: ``seeds/<doc>.txt``)."""
    try:
        doc_id = project.doc_id_of(path)
    except ValueError:
        raise AnnotateError("not under labels/: a label file lives at labels/<document>/<annotator>.yaml",
                            where) from None
    try:
        return project.document(doc_id)
    except AnnotateError:
        raise AnnotateError(f"no source for this document: seeds/{doc_id}.txt is missing", where) from None


def check_file(project: Project, path: Path, fix: bool = False) -> FileCheck:
    """Fully check one label file: YAML, schema, place, tagset, spans against the source."""
    where = project.display(path)
    result = FileCheck(path, where)
    try:
        labels = load_current(path, where, project.root)
        result.labels = labels
        doc = _document_of(project, path, where)
        check_identity(labels, doc, path.stem, where, project)
        tagset = project.tagset(labels.scheme)
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
        raw = read_file(path, "label file", where, root=project.root).decode("utf-8", "replace")
        check_against(labels, where, tagset, source.text, raw)
    except AnnotateError as exc:
        result.problem = str(exc) if exc.path else f"{where}: {exc}"
    return result


def validate_files(project: Project, paths: list[Path], fix: bool = False,
                   progress: Progress | None = None) -> list[FileCheck]:
    """Check the named label files (folders expanded), or all of them and what the project refuses to read."""
    files = list(iter_label_files(project, paths))
    results = []
    for k, path in enumerate(files):
        if progress and k % 50 == 0:
            progress("checking label files", k, len(files))
        results.append(check_file(project, path, fix))
    if progress:
        progress("checking label files", len(files), len(files))
    if not paths:
        refused = project.refused()
        results.extend(FileCheck(project.root / where, where, f"{where}: {reason}") for where, reason in refused)
    return results


def status_rows(project: Project, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Progress per document and annotator, with the document's agreed / disagreed / adjudicated counts.

    Documents without any label file are left out (see :func:`unstarted_documents`). A file
    without any label is listed (``labeled`` 0) but is not an annotator of the review counts.
    Figures are for the source as it is now (files made for an earlier one are re-anchored in
    memory, ``stale``). They come from :func:`annotate.summaries.read_summaries`: files
    unchanged since the last look are not read again.
    """
    from .summaries import read_summaries

    return list(iter_status_rows(project, read_summaries(project, progress)))


