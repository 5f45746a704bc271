"""Per-file summaries of the label files (labeled, total, unsure, orphans, stale), cached so a warm look is a listing.

``annotate status`` and the home screen need a few numbers per label file, not the
files themselves. Reading 30,000 YAML files for them takes a minute; this module keeps
each document's figures in ``.annotate/cache/summaries.json`` (git-ignored), keyed by
the size and modification time (ns) of every label file of the document, of each one's
journal, and of the source. A warm run lists ``labels/`` and ``seeds/``, stats the files,
and reads the figures back; only documents whose files changed are read again.

The cache is project content too, so it is never trusted blindly: an entry of the
wrong shape, or for other files, is recomputed; an unreadable cache is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .boundaries import UNITS_PREFIX
from .errors import AnnotateError
from .reading import FileProgress, document_data
from .store import CACHE_DIR, SOURCE_SUFFIXES, Document, Project, read_cache, write_cache

CACHE_VERSION = 1
Progress = Callable[[str, int, int], None]
Key = list[Any]
"""[source size, source mtime_ns, [name, size, mtime_ns, journal size, journal mtime_ns] per label file]."""


@dataclass
class FileSummary(FileProgress):
    """One label file's figures (:class:`annotate.reading.FileProgress`) and whose file it is."""

    annotator: str = ""

    def progress(self) -> FileProgress:
        """The figures as :class:`annotate.reading.FileProgress` (what the home screen shows)."""
        return FileProgress(self.labeled, self.total, self.unsure, self.orphans, self.stale, self.error)


@dataclass
class DocumentSummary:
    """One document's label files and its review counts (agreed, disagreed, adjudicated)."""

    doc: str
    files: dict[str, FileSummary] = field(default_factory=dict)
    agreed: int = 0
    disagreed: int = 0
    adjudicated: int = 0
    error: str | None = None
    """The source could not be read: every file of the document carries this error."""


def cache_file(project: Project) -> Path:
    """Where the summaries are kept."""
    return project.root / CACHE_DIR / "summaries.json"


# --------------------------------------------------------------------------- listing


def _stat(path: str | Path) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


def label_names_by_document(project: Project, units: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Every label file (as :meth:`Project.label_files` lists them) as doc id -> annotator names, sorted.

    Names, not paths: a listing of 100,000 documents stays a few megabytes. With ``units``, the
    same walk fills it with doc id -> the document's boundary change files (``_units-*.yaml``).
    """
    out: dict[str, list[str]] = {}
    root = project.labels
    if not root.is_dir():
        return out
    prefix = len(str(root)) + 1
    for folder, _dirs, files in os.walk(root):
        names = _label_names(files)
        if names and len(folder) >= prefix:
            doc_id = folder[prefix:].replace(os.sep, "/")
            out[doc_id] = names
            if units is not None:
                found = sorted(f for f in files if f.startswith(UNITS_PREFIX) and f.endswith(".yaml"))
                if found:
                    units[doc_id] = found
    return dict(sorted(out.items()))


def documents_with_labels(project: Project) -> list[str]:
    """The ids of the documents that have label files, sorted: ids only (see :func:`label_names` for each)."""
    out: list[str] = []
    root = project.labels
    if not root.is_dir():
        return out
    prefix = len(str(root)) + 1
    for folder, _dirs, files in os.walk(root):
        if len(folder) >= prefix and _label_names(files):
            out.append(folder[prefix:].replace(os.sep, "/"))
    return sorted(out)


def _label_names(files: list[str]) -> list[str]:
    return sorted(sys.intern(f[:-5]) for f in files
                  if f.endswith(".yaml") and not f.startswith((".", "_")))  # "_": the tool's own files


def label_names(project: Project, doc_id: str) -> list[str]:
    """The annotator names of one document's label files (as :meth:`Project.label_files` lists them), sorted."""
    try:
        with os.scandir(project.labels / doc_id) as entries:
            return _label_names([e.name for e in entries if e.is_file()])
    except OSError:
        return []


def source_of(project: Project, doc_id: str) -> Document | None:
    """The document ``doc_id`` when its source exists under ``seeds/`` (as :meth:`Project.documents` finds it)."""
    if any(part.startswith(".") for part in doc_id.split("/")[-1:]):
        return None
    for suffix in SOURCE_SUFFIXES:
        path = project.seeds / f"{doc_id}{suffix}"
        if path.is_file():
            return Document(doc_id, path)
    return None


def _key(project: Project, doc: Document, names: list[str], units: Sequence[str] = ()) -> Key:
    """What a document's summary depends on: its source, its label files and journals, and who changed its units."""
    folder = f"{project.labels}{os.sep}{doc.id}{os.sep}"  # strings, not Paths: this runs for every file
    files = [[name, *_stat(f"{folder}{name}.yaml"), *_stat(f"{folder}.{name}.journal")] for name in names]
    files += [[unit, *_stat(f"{folder}{unit}")] for unit in units]
    return [*_stat(doc.path), files]


def _sources(project: Project) -> list[tuple[str, str]]:
    """(doc id, source path) of every document under ``seeds/``, sorted by id (one scandir walk)."""
    found: list[tuple[str, str]] = []

    def walk(folder: str, prefix: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            if entry.is_dir():
                walk(entry.path, f"{prefix}{entry.name}/")
            elif not entry.name.startswith(".") and entry.name.endswith(SOURCE_SUFFIXES) and entry.is_file():
                found.append((prefix + entry.name.rsplit(".", 1)[0], entry.path))

    walk(str(project.seeds), "")
    return sorted(found)


def list_documents(project: Project) -> list[Document]:
    """Every document under ``seeds/``, sorted by id: :meth:`Project.documents`, from one walk of the folder."""
    return [Document(doc_id, Path(path)) for doc_id, path in _sources(project)]


def document_ids(project: Project) -> list[str]:
    """The ids of :func:`list_documents`, without a Path each (small for any number of documents)."""
    return [doc_id for doc_id, _ in _sources(project)]


# --------------------------------------------------------------------------- computing


def summarise(project: Project, doc: Document, names: list[str] | None = None) -> DocumentSummary:
    """One document's summary, read from its label files (plain data, journals included, re-anchored in memory).

    ``names``: its label files (annotator names), when the caller has listed them.
    """
    from .review import document_review_counts

    out = DocumentSummary(doc.id)
    names = names if names is not None else [p.stem for p in project.label_files(doc.id)]
    try:
        dd = document_data(project, doc, skip_broken=True, names=names)
    except AnnotateError as exc:  # the source cannot be read
        out.error = str(exc)
        out.files = {n: FileSummary(annotator=n, error=str(exc)) for n in names}
        return out
    out.agreed, out.disagreed, out.adjudicated = document_review_counts(dd).values()
    every = dd.every_file()
    for name in names:
        if name in dd.errors:
            out.files[name] = FileSummary(annotator=name, error=dd.errors[name])
            continue
        data = every[name]
        sents = data["sentences"]
        out.files[name] = FileSummary(
            annotator=name, labeled=sum(1 for s in sents if s.get("label") is not None), total=len(sents),
            unsure=sum(1 for s in sents if s.get("unsure")), orphans=len(data.get("orphans") or ()),
            stale=name in dd.stale)
    return out


# --------------------------------------------------------------------------- the cache


def _is_int(x: Any) -> bool:
    return type(x) is int and x >= 0


def _file_from_json(name: str, data: Any) -> FileSummary | None:
    if not isinstance(data, dict) or set(data) != {"annotator", "labeled", "total", "unsure", "orphans", "stale",
                                                   "error"}:
        return None
    if data["annotator"] != name or type(data["stale"]) is not bool:
        return None
    if not all(_is_int(data[k]) for k in ("labeled", "total", "unsure", "orphans")):
        return None
    if data["error"] is not None and type(data["error"]) is not str:
        return None
    if data["labeled"] > data["total"] or data["unsure"] > data["total"]:
        return None
    return FileSummary(**data)


def _from_json(doc_id: str, entry: Any, key: Key) -> DocumentSummary | None:
    """A cached summary, when it is for exactly these files and of the right shape; else None (recompute)."""
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    files = entry.get("files")
    names = [f[0] for f in key[2]]
    if not isinstance(files, dict) or list(files) != names:
        return None
    out = DocumentSummary(doc_id)
    for name in names:
        summary = _file_from_json(name, files[name])
        if summary is None:
            return None
        out.files[name] = summary
    counts = [entry.get(k) for k in ("agreed", "disagreed", "adjudicated")]
    if not all(_is_int(c) for c in counts):
        return None
    out.agreed, out.disagreed, out.adjudicated = counts
    error = entry.get("error")
    if error is not None and type(error) is not str:
        return None
    out.error = error
    return out


def _to_json(summary: DocumentSummary, key: Key) -> dict[str, Any]:
    files = {n: {"annotator": f.annotator, "labeled": f.labeled, "total": f.total, "unsure": f.unsure,
                 "orphans": f.orphans, "stale": f.stale, "error": f.error} for n, f in summary.files.items()}
    return {"key": key, "files": files, "agreed": summary.agreed, "disagreed": summary.disagreed,
            "adjudicated": summary.adjudicated, "error": summary.error}


def _read_cache(project: Project) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(read_cache(cache_file(project), project.root) or b"{}")
        if isinstance(data, dict) and data.get("version") == CACHE_VERSION and isinstance(data.get("documents"),
                                                                                          dict):
            return data["documents"]
    return {}


def project_summaries(project: Project, progress: Progress | None = None,
                      documents: list[Document] | None = None) -> dict[str, DocumentSummary]:
    """Every document with label files -> its summary, in doc id order; read again only where files changed.

    ``documents`` (default: every document under ``seeds/``) saves listing them again.
    Label files of a document without a source are left out (``annotate validate`` reports them).
    """
    docs = {d.id: d for d in (documents if documents is not None else list_documents(project))}
    units: dict[str, list[str]] = {}
    by_doc = label_names_by_document(project, units)
    cached = _read_cache(project)
    out: dict[str, DocumentSummary] = {}
    fresh: dict[str, Any] = {}
    changed = False
    todo = [d for d in sorted(by_doc) if d in docs]
    for k, doc_id in enumerate(todo):
        if progress and k % 50 == 0:
            progress("reading label files", k, len(todo))
        key = _key(project, docs[doc_id], by_doc[doc_id], units.get(doc_id, []))
        summary = _from_json(doc_id, cached.get(doc_id), key)
        if summary is None:  # the key was taken before reading: a file changed meanwhile is read again next time
            summary = summarise(project, docs[doc_id], by_doc[doc_id])
            fresh[doc_id] = _to_json(summary, key)
            changed = True
        else:
            fresh[doc_id] = cached[doc_id]
        out[doc_id] = summary
    if progress:
        progress("reading label files", len(todo), len(todo))
    if changed or set(cached) != set(fresh):
        payload = {"version": CACHE_VERSION, "documents": fresh}
        write_cache(cache_file(project), json.dumps(payload, ensure_ascii=False).encode("utf-8"), project.root)
    return out


def annotator_progress(project: Project, annotator: str, documents: list[Document] | None = None
                       ) -> dict[str, FileProgress | None]:
    """Every document -> this annotator's progress on it (None: no label file), from the cached summaries.

    What the home screen shows, at the cost of a directory listing when nothing changed.
    """
    docs = documents if documents is not None else list_documents(project)
    summaries = project_summaries(project, documents=docs)
    out: dict[str, FileProgress | None] = {}
    for doc in docs:
        summary = summaries.get(doc.id)
        found = summary.files.get(annotator) if summary else None
        out[doc.id] = found.progress() if found else None
    return out
