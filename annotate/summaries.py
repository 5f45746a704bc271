"""Per-document summaries of the label files, and of the metadata files, cached so a warm look is a listing.

``annotate status``, the team's commands (``assign``, ``status --by annotator``, the
report, the dashboard) and the home screen need a few figures per label file, not the
files themselves. Reading 20,000 YAML files for them takes most of a minute; this module
keeps each document's figures in ``.annotate/cache/summaries.json`` (git-ignored), keyed
by the size and modification time (ns) of the source, of every label file of the
document and of each one's journal, and of the document's boundary change files
(``_units-*.yaml``: a merge or split changes every annotator's figures). A warm run walks
``seeds/`` and ``labels/`` once, stats the files, and reads the figures back; only
documents whose files changed are read again.

Per label file (:class:`FileSummary`): progress (labeled, total, unsure, orphans, stale),
its label mix, the seconds recorded on its labeled sentences, the labeled sentences
flagged unsure, and for gold files who decided how many sentences. Per document
(:class:`DocumentSummary`): the review counts, the pairwise agreement counts of its files
(:class:`annotate.agreement.PairCounts` for every two annotators, and each with gold),
whether the source can be read, and what its metadata file says (title, outlet, date,
url; keyed apart by that file's size and modification time).

The cache is project content too, so it is never trusted blindly: an entry of the
wrong shape, or for other files, is recomputed; an unreadable cache is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .agreement import PairCounts
from .errors import AnnotateError
from .listing import NO_FILE, Listing, Stat, list_project
from .models import GOLD
from .project import CACHE_DIR, SOURCE_SUFFIXES
from .reading import FileProgress, document_data
from .store import Document, Project, read_cache, write_cache

CACHE_VERSION = 2
Progress = Callable[[str, int, int], None]
Key = list[Any]
"""[source size, source mtime_ns, [[name, size, mtime_ns, journal size, journal mtime_ns] per label file],
[[name, size, mtime_ns] per boundary change file]]."""


NOTHING: Mapping[str, int] = MappingProxyType({})
"""The label mix and reviewers of a file whose figures were not read (shared: 30,000 files, one empty mapping)."""
NO_FILES: tuple[list[Any], list[Any]] = ([], [])


# --------------------------------------------------------------------------- what is kept


@dataclass(eq=False, slots=True)
class FileSummary(FileProgress):
    """One label file summed up (for the document's current source): progress, label mix, seconds, reviewers.

    What ``annotate status``, the home screen and the team views (:mod:`annotate.team`) need of
    ``labels/<document>/<annotator>.yaml``, without its sentences.
    """

    annotator: str = ""
    document: str = ""
    unsure_labeled: int = 0
    """Labeled sentences flagged unsure (the unsure rate's numerator)."""
    label_counts: Mapping[str, int] = field(default_factory=lambda: NOTHING)
    """Labeled sentences by label."""
    seconds: Sequence[float] = ()
    """Seconds spent on each labeled sentence that records them."""
    reviewers: Mapping[str, int] = field(default_factory=lambda: NOTHING)
    """gold files: how many decided sentences each reviewer signed."""
    mtime: float = 0.0
    """The newest modification time of the file and its journal (seconds since the epoch)."""
    pending: bool = False
    """Changes wait in the file's journal (not yet folded into the YAML file)."""
    time: float | None = None
    """When the work was last done (set by :func:`annotate.team.activity.date_work`: git, or ``mtime``)."""
    time_source: str = "mtime"
    """``git`` (last commit touching the file, which is clean) or ``mtime`` (not in git, or changed since)."""

    @property
    def path(self) -> str:
        """The file, relative to the project root (``labels/<doc>/<annotator>.yaml``)."""
        return f"labels/{self.document}/{self.annotator}.yaml"

    @property
    def has_work(self) -> bool:
        """True when the file holds at least one label, or cannot be read (someone's work, broken)."""
        return self.labeled > 0 or self.error is not None

    @property
    def progress(self) -> FileProgress:
        """The figures as :class:`annotate.reading.FileProgress` (what the home screen and status show)."""
        return FileProgress(self.labeled, self.total, self.unsure, self.orphans, self.stale, self.error)


@dataclass(frozen=True)
class About:
    """What a document's metadata file (``seeds/<doc>.meta.yaml``) says where people look, or why it cannot."""

    title: str | None = None
    outlet: str | None = None
    date: str | None = None
    url: str | None = None
    error: str | None = None
    """The file cannot be used (one line naming it and the place): nothing else is shown."""

    @property
    def empty(self) -> bool:
        """True when there is nothing to show (no error and none of the four)."""
        return self.error is None and not (self.title or self.outlet or self.date or self.url)


@dataclass(slots=True)
class DocumentSummary:
    """One document: its label files summed up, its review and agreement counts, its source's state, its metadata."""

    doc: str
    files: dict[str, FileSummary] = field(default_factory=dict)
    agreed: int = 0
    disagreed: int = 0
    adjudicated: int = 0
    error: str | None = None
    """The source could not be read: every file of the document carries this error (``file:line: message``)."""
    unreadable: str | None = None
    """The same without the file's name: why the source cannot be read."""
    pairs: dict[tuple[str, str], PairCounts] = field(default_factory=dict)
    """(a, b) -> what a and b labeled of the document's sentences (a < b; gold always second)."""
    about: About | None = None
    """What its metadata file says (None: it has none)."""
    source: str = ""
    """Its source's path."""
    key: Key | None = None
    """What the summary was made for (the sizes and times of its files; see :func:`read_summaries`)."""
    has_figures: bool = False
    """Its files' label mix, seconds and reviewers, and its pair counts, are there (see :func:`add_figures`)."""

    @property
    def document(self) -> Document:
        """The document (made when asked: a Path each for 100,000 documents adds up)."""
        return Document(self.doc, Path(self.source))


@dataclass
class Summaries:
    """Every document of the project summed up (see the module's docstring), from one walk of its folders."""

    documents: dict[str, DocumentSummary]
    """Every document under ``seeds/``, by id, sorted."""
    homeless: dict[str, list[str]] = field(default_factory=dict)
    """Label folders whose document has no source under ``seeds/``: doc id -> annotator names."""
    links: list[str] = field(default_factory=list)
    """The symbolic links met under ``seeds/`` and ``labels/`` (see :meth:`annotate.store.Project.refused`)."""
    digest: str = ""
    """The sha256 of ``summaries.json`` as this look left it: the same digest, the same files as last time."""

    def with_labels(self) -> dict[str, DocumentSummary]:
        """The documents with label files, by id (what ``annotate status`` lists)."""
        return {d: s for d, s in self.documents.items() if s.files}


def cache_file(project: Project) -> Path:
    """Where the summaries are kept (progress, review counts, metadata)."""
    return project.root / CACHE_DIR / "summaries.json"


def figures_file(project: Project) -> Path:
    """Where the figures of the label files are kept (label mix, seconds, reviewers, pair counts)."""
    return project.root / CACHE_DIR / "figures.json"


def label_names_by_document(project: Project, units: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Every label file (as :meth:`Project.label_files` lists them) as doc id -> annotator names, sorted.

    With ``units``, it is filled with doc id -> the document's boundary change files (``_units-*.yaml``).
    """
    listing = list_project(project)
    if units is not None:
        units.update(listing.units)
    return listing.labels


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


def list_documents(project: Project) -> list[Document]:
    """Every document under ``seeds/``, sorted by id: :meth:`Project.documents`, from one walk of the folder."""
    return [Document(doc_id, Path(path)) for doc_id, path in list_project(project, labels=False).sources.items()]


def document_ids(project: Project) -> list[str]:
    """The ids of :func:`list_documents`, without a Path each (small for any number of documents)."""
    return list(list_project(project, labels=False).sources)


# --------------------------------------------------------------------------- computing


def _key(listing: Listing, doc_id: str) -> Key:
    """What a document's summary depends on: its source, its label files and journals, and its boundary files."""
    return [*listing.stats[doc_id], *listing.files.get(doc_id, NO_FILES)]


def summarise(project: Project, doc: Document, names: list[str] | None = None) -> DocumentSummary:
    """One document's summary, read from its label files (plain data, journals included, re-anchored in memory).

    ``names``: its label files (annotator names), when the caller has listed them. Without
    any, the source alone is read (to tell whether it can be).
    """
    out = DocumentSummary(doc.id, source=str(doc.path))
    names = names if names is not None else label_names(project, doc.id)
    try:
        if not names:
            project.read_source(doc)
            return out
        dd = document_data(project, doc, skip_broken=True, names=names)
    except AnnotateError as exc:  # the source cannot be read
        out.error, out.unreadable = str(exc), exc.message
        out.files = {n: FileSummary(annotator=n, document=doc.id, error=str(exc)) for n in names}
        return out
    from .review import document_review_counts

    out.agreed, out.disagreed, out.adjudicated = document_review_counts(dd).values()
    every = dd.every_file()
    spans: dict[str, dict[tuple[int, int], str]] = {}
    for name in names:
        if name in dd.errors:
            out.files[name] = FileSummary(annotator=name, document=doc.id, error=dd.errors[name])
            continue
        data = every[name]
        out.files[name] = _sum_up(name, doc.id, data, name in dd.stale)
        labeled = {(s["start"], s["end"]): s["label"] for s in data["sentences"] if s.get("label") is not None}
        if labeled:
            spans[name] = labeled
    out.pairs = pair_counts(spans)
    return out


def _sum_up(name: str, doc_id: str, data: dict[str, Any], stale: bool) -> FileSummary:
    sentences = data["sentences"]
    fs = FileSummary(annotator=name, document=doc_id, total=len(sentences), orphans=len(data.get("orphans") or ()),
                     stale=stale)
    counts: dict[str, int] = {}
    reviewers: dict[str, int] = {}
    seconds: list[float] = []
    for s in sentences:
        unsure = bool(s.get("unsure"))
        fs.unsure += unsure
        label = s.get("label")
        if label is None:
            continue
        fs.labeled += 1
        counts[label] = counts.get(label, 0) + 1
        fs.unsure_labeled += unsure
        if s.get("seconds") is not None:
            seconds.append(float(s["seconds"]))
        reviewer = s.get("reviewer")
        if reviewer is not None and name == GOLD:
            reviewers[reviewer] = reviewers.get(reviewer, 0) + 1
    fs.label_counts, fs.seconds, fs.reviewers = counts, seconds, reviewers
    return fs


def pair_counts(spans: dict[str, dict[tuple[int, int], str]]) -> dict[tuple[str, str], PairCounts]:
    """Of one document, for every two annotators (and each with gold): the labels of the sentences both labeled,
    and how many sentences only one of them labeled. ``spans``: name -> span -> label, labeled sentences only."""
    names = sorted(a for a in spans if a != GOLD)
    pairs = list(combinations(names, 2)) + [(a, GOLD) for a in names if GOLD in spans]
    out = {}
    for a, b in pairs:
        la, lb = spans[a], spans[b]
        counts = PairCounts()
        for span, x in la.items():
            y = lb.get(span)
            if y is None:
                counts.one += 1
            else:
                counts.both[(x, y)] = counts.both.get((x, y), 0) + 1
        counts.one += sum(1 for span in lb if span not in la)
        out[(a, b)] = counts
    return out


def read_about(project: Project, doc_id: str) -> About | None:
    """What a document's metadata file says where people look (None: it has none, or none of the four;
    ``error``: it cannot be used)."""
    from .metadata import read_metadata

    try:
        meta = read_metadata(project, doc_id)
    except AnnotateError as exc:
        return About(error=str(exc))
    about = About(meta.title, meta.outlet, meta.date, meta.url) if meta is not None else None
    return None if about is None or about.empty else about


# --------------------------------------------------------------------------- the cache, as JSON
#
# summaries.json: doc id -> {"key", "files": [[labeled, total, unsure, orphans, stale, error] per file of
#   the key, in its order], "review": [agreed, disagreed, adjudicated], "error": null | [error, reason],
#   "meta": [size, mtime_ns, title, outlet, date, url, error]} (what status, assign and the home screen read);
# figures.json: doc id -> {"key", "files": [[unsure labeled, label mix, seconds, reviewers] per file],
#   "pairs": [[a, b, one, [[a's label, b's label, sentences], ...]], ...]} (only the team's figures read it).


def _count(x: Any) -> bool:
    return type(x) is int and x >= 0


def _tally(x: Any) -> bool:
    """A JSON object of name -> count > 0 (checked at C speed)."""
    if type(x) is not dict:
        return False
    values = x.values()
    return not values or (set(map(type, values)) == {int} and min(values) > 0)


def _seconds(x: Any) -> bool:
    """A list of finite numbers >= 0 (checked at C speed: ``sum`` refuses anything but numbers)."""
    if type(x) is not list:
        return False
    if not x:
        return True
    try:
        return math.isfinite(sum(x)) and min(x) >= 0
    except TypeError:
        return False


def _cell(x: Any) -> bool:
    """One cell of a confusion count: [a's label, b's label, sentences > 0]."""
    return type(x) is list and len(x) == 3 and type(x[0]) is str and type(x[1]) is str and type(x[2]) is int \
        and x[2] > 0


def _progress_from_json(rec: Any, name: str, doc_id: str, stat: list[Any]) -> FileSummary | None:
    """A file's progress when the record has the right shape and consistent figures; else None (recompute)."""
    if type(rec) is not list or len(rec) != 6:
        return None
    labeled, total, unsure, orphans, stale, error = rec
    if (type(labeled) is int and type(total) is int and type(unsure) is int and type(orphans) is int
            and 0 <= labeled <= total and 0 <= unsure <= total and orphans >= 0 and type(stale) is bool
            and (error is None or type(error) is str)):
        return FileSummary(labeled, total, unsure, orphans, stale, error, name, doc_id,
                           mtime=max(stat[2], stat[4]) / 1e9, pending=stat[3] > 0)
    return None


def _from_json(doc_id: str, source: str, entry: Any, key: Key) -> DocumentSummary | None:
    """A cached summary, when it is for exactly these files and of the right shape; else None (recompute)."""
    if type(entry) is not dict or entry.get("key") != key:
        return None
    files, review, error = entry.get("files"), entry.get("review"), entry.get("error")
    stats = key[2]
    if type(files) is not list or len(files) != len(stats) or type(review) is not list or len(review) != 3:
        return None
    agreed, disagreed, adjudicated = review
    if not (_count(agreed) and _count(disagreed) and _count(adjudicated)):
        return None
    out = DocumentSummary(doc_id, agreed=agreed, disagreed=disagreed, adjudicated=adjudicated, source=source,
                          key=entry["key"])  # equal to ``key``: the listing's copy can go
    if error is not None:
        if not (type(error) is list and len(error) == 2 and type(error[0]) is str and type(error[1]) is str):
            return None
        out.error, out.unreadable = error
    for stat, rec in zip(stats, files, strict=True):
        summary = _progress_from_json(rec, stat[0], doc_id, stat)
        if summary is None:
            return None
        out.files[stat[0]] = summary
    return out


def _to_json(summary: DocumentSummary, key: Key) -> dict[str, Any]:
    files = [[f.labeled, f.total, f.unsure, f.orphans, f.stale, f.error] for f in summary.files.values()]
    return {"key": key, "files": files, "review": [summary.agreed, summary.disagreed, summary.adjudicated],
            "error": [summary.error, summary.unreadable] if summary.error is not None else None}


def _figures_from_json(summary: DocumentSummary, entry: Any, key: Key) -> bool:
    """Add the cached figures of a document to its summary; False when they are not usable (recompute)."""
    if type(entry) is not dict or entry.get("key") != key:
        return False
    files = entry.get("files")
    if type(files) is not list or len(files) != len(summary.files):
        return False
    for f, rec in zip(summary.files.values(), files, strict=True):
        if type(rec) is not list or len(rec) != 4:
            return False
        unsure_labeled, counts, seconds, reviewers = rec
        if not (_count(unsure_labeled) and _tally(counts) and _seconds(seconds) and _tally(reviewers)):
            return False
        if unsure_labeled > min(f.unsure, f.labeled) or sum(counts.values()) != f.labeled or len(seconds) > f.labeled:
            return False
        f.unsure_labeled, f.label_counts, f.seconds, f.reviewers = unsure_labeled, counts, seconds, reviewers
    pairs = _pairs_from_json(entry.get("pairs"), summary.files)
    if pairs is None:
        return False
    summary.pairs, summary.has_figures = pairs, True
    return True


def _figures_to_json(summary: DocumentSummary, key: Key) -> dict[str, Any]:
    files = [[f.unsure_labeled, dict(f.label_counts), list(f.seconds), dict(f.reviewers)]
             for f in summary.files.values()]
    pairs = [[a, b, c.one, [[x, y, n] for (x, y), n in c.both.items()]] for (a, b), c in summary.pairs.items()]
    return {"key": key, "files": files, "pairs": pairs}


def _pairs_from_json(rec: Any, files: dict[str, FileSummary]) -> dict[tuple[str, str], PairCounts] | None:
    if type(rec) is not list:
        return None
    out = {}
    for item in rec:
        if type(item) is not list or len(item) != 4:
            return None
        a, b, one, both = item
        fa, fb = files.get(a), files.get(b)
        if fa is None or fb is None or a == GOLD or not (a < b or b == GOLD):
            return None
        if not _count(one) or type(both) is not list:
            return None
        counts = PairCounts()
        counts.one = one
        for cell in both:
            if not _cell(cell):
                return None
            counts.both[(cell[0], cell[1])] = cell[2]
        if counts.size > min(fa.labeled, fb.labeled) or counts.size + one > fa.labeled + fb.labeled:
            return None
        out[(a, b)] = counts
    return out


def _about_from_json(rec: Any, stat: Stat) -> About | None | bool:
    """A cached metadata summary for this file's size and mtime; False when there is none usable (read it)."""
    if type(rec) is not list or len(rec) != 7 or rec[0] != stat[0] or rec[1] != stat[1]:
        return False
    if not all(v is None or type(v) is str for v in rec[2:]):
        return False
    about = About(*rec[2:])
    return None if about.empty else about


def _about_to_json(about: About | None, stat: Stat) -> list[Any]:
    a = about or About()
    return [*stat, a.title, a.outlet, a.date, a.url, a.error]


def _parse_cache(raw: bytes | None) -> dict[str, Any]:
    """The documents of a cache file's bytes; empty when it is missing, unreadable or of another version."""
    with contextlib.suppress(ValueError, RecursionError):
        data = json.loads(raw or b"{}")
        if type(data) is dict and data.get("version") == CACHE_VERSION and type(data.get("documents")) is dict:
            return data["documents"]
    return {}


def _write_cache(project: Project, path: Path, documents: dict[str, Any]) -> bytes:
    raw = json.dumps({"version": CACHE_VERSION, "documents": documents}, ensure_ascii=False).encode("utf-8")
    write_cache(path, raw, project.root)
    return raw


# --------------------------------------------------------------------------- the whole project


class _Reader:
    """Reads every document's summary: from the cache where its files did not change, else from the files."""

    def __init__(self, project: Project, listing: Listing, figures: bool) -> None:
        self.project, self.listing, self.figures = project, listing, figures
        self.raw = read_cache(cache_file(project), project.root)
        self.cached = _parse_cache(self.raw)
        self.fresh: dict[str, Any] = {}
        self.fresh_figures: dict[str, str] = {}
        """The figures of the documents read again, as JSON text (merged into ``figures.json`` by :meth:`save`;
        text holds a tenth of the memory the seconds and counts of 10,000 documents take as objects)."""
        self.changed = False

    def document(self, doc_id: str) -> DocumentSummary:
        """One document's summary, its metadata's too; its cache entry kept for the next run."""
        listing = self.listing
        source = listing.sources[doc_id]
        key = _key(listing, doc_id)
        entry = self.cached.get(doc_id)
        summary = _from_json(doc_id, source, entry, key)
        if summary is None:  # the key was taken before reading: a file changed meanwhile is read again next time
            summary = _summarise(self.project, doc_id, source, listing.labels.get(doc_id, []), key)
            new = _to_json(summary, key)
            self.fresh_figures[doc_id] = json.dumps(_figures_to_json(summary, key), ensure_ascii=False)
            if not self.figures:  # not asked for: not kept
                _drop_figures(summary)
            self.changed = True
        else:
            new = entry
        summary.about = self._about(doc_id, entry, new)
        self.fresh[doc_id] = new
        return summary

    def _about(self, doc_id: str, entry: Any, new: dict[str, Any]) -> About | None:
        path = self.listing.meta.get(doc_id)
        old = entry.get("meta") if type(entry) is dict else None
        if path is None:
            if old is not None:
                new.pop("meta", None)
                self.changed = True
            return None
        stat = self.listing.stats.get(f"meta:{doc_id}", NO_FILE)
        about = _about_from_json(old, stat)
        if about is not False:
            new["meta"] = old
            return about  # type: ignore[return-value]
        found = read_about(self.project, doc_id)
        new["meta"] = _about_to_json(found, stat)
        self.changed = True
        return found

    def save(self) -> str:
        """Write the caches when anything changed (whole, atomically; best effort); the digest of the summaries."""
        if not self.changed and set(self.cached) == set(self.fresh) and self.raw is not None:
            return hashlib.sha256(self.raw).hexdigest()
        raw = _write_cache(self.project, cache_file(self.project), self.fresh)
        if self.fresh_figures or set(self.cached) != set(self.fresh):  # the figures of what was read, over the rest
            fresh = self.fresh_figures
            kept = _parse_cache(read_cache(figures_file(self.project), self.project.root)) if len(fresh) < len(
                self.fresh) else {}
            parts = (f"{json.dumps(d, ensure_ascii=False)}: {fresh.get(d) or json.dumps(kept[d], ensure_ascii=False)}"
                     for d in self.fresh if d in fresh or d in kept)
            text = f'{{"version": {CACHE_VERSION}, "documents": {{{", ".join(parts)}}}}}'
            write_cache(figures_file(self.project), text.encode("utf-8"), self.project.root)
        return hashlib.sha256(raw).hexdigest()


def _drop_figures(summary: DocumentSummary) -> None:
    """Forget a summary's figures (label mix, seconds, reviewers, pair counts): progress alone was asked for."""
    for f in summary.files.values():
        f.unsure_labeled, f.label_counts, f.seconds, f.reviewers = 0, NOTHING, (), NOTHING
    summary.pairs, summary.has_figures = {}, False


def _summarise(project: Project, doc_id: str, source: str, names: list[str], key: Key) -> DocumentSummary:
    """:func:`summarise`, with the times of the files from the key (taken before reading)."""
    summary = summarise(project, Document(doc_id, Path(source)), names)
    for stat in key[2]:
        f = summary.files.get(stat[0])
        if f is not None:
            f.mtime, f.pending = max(stat[2], stat[4]) / 1e9, stat[3] > 0
    summary.key, summary.has_figures = key, True
    return summary


def read_summaries(project: Project, progress: Progress | None = None, figures: bool = False,
                   listing: Listing | None = None) -> Summaries:
    """Every document of the project summed up, from one walk of its folders; read again only where files changed.

    ``figures``: each file's label mix, seconds and reviewers, and each document's pair
    counts too (the team's figures need them; progress alone does not): see :func:`add_figures`.
    ``progress(what, done, total)`` is called every 50 documents. ``listing``: the walk, when
    the caller has just made it (``list_project(project, stat=True)``).
    """
    from .collector import collector_paused

    with collector_paused():  # many small objects that stay: the collector would scan them for nothing
        listing = listing if listing is not None else list_project(project, stat=True)
        reader = _Reader(project, listing, figures)
        documents = {}
        total = len(listing.sources)
        for k, doc_id in enumerate(listing.sources):
            if progress and k % 50 == 0:
                progress("reading label files", k, total)
            documents[doc_id] = reader.document(doc_id)
        if progress:
            progress("reading label files", total, total)
        digest = reader.save()
        homeless = {d: names for d, names in listing.labels.items() if d not in listing.sources}
        out = Summaries(documents, homeless, listing.links, digest)
        if figures:
            add_figures(project, out, progress)
    return out


def add_figures(project: Project, summaries: Summaries, progress: Progress | None = None) -> None:
    """Give every document of ``summaries`` its figures (label mix, seconds and reviewers of each file, pair
    counts), from ``figures.json`` where their files did not change, else from the files."""
    cached = _parse_cache(read_cache(figures_file(project), project.root))
    fresh: dict[str, Any] = {}
    changed = False
    total = len(summaries.documents)
    for k, (doc_id, summary) in enumerate(summaries.documents.items()):
        entry = cached.get(doc_id)
        key = summary.key or []
        if summary.has_figures:  # read again just now
            fresh[doc_id] = _figures_to_json(summary, key)
            changed = changed or entry != fresh[doc_id]
            continue
        if _figures_from_json(summary, entry, key):
            fresh[doc_id] = entry
            continue
        if progress:
            progress("reading label files again for their figures", k, total)
        again = _summarise(project, doc_id, summary.source, list(summary.files), key)
        for name, f in summary.files.items():
            g = again.files[name]
            f.unsure_labeled, f.label_counts, f.seconds, f.reviewers = g.unsure_labeled, g.label_counts, g.seconds, \
                g.reviewers
        summary.pairs, summary.has_figures = again.pairs, True
        fresh[doc_id] = _figures_to_json(summary, key)
        changed = True
    if changed or set(cached) != set(fresh):
        _write_cache(project, figures_file(project), fresh)


def project_summaries(project: Project, progress: Progress | None = None,
                      documents: Iterable[Document] | None = None) -> dict[str, DocumentSummary]:
    """Every document with label files -> its summary, in doc id order (see :func:`read_summaries`).

    ``documents``: only these. Label files of a document without a source are left out
    (``annotate validate`` reports them).
    """
    found = read_summaries(project, progress).with_labels()
    if documents is None:
        return found
    wanted = {d.id for d in documents}
    return {d: s for d, s in found.items() if d in wanted}


def annotator_progress(project: Project, annotator: str, documents: list[Document] | None = None
                       ) -> dict[str, FileProgress | None]:
    """Every document -> this annotator's progress on it (None: no label file), from the cached summaries.

    What the home screen shows, at the cost of a directory listing when nothing changed.
    """
    summaries = read_summaries(project).documents
    ids = [d.id for d in documents] if documents is not None else list(summaries)
    out: dict[str, FileProgress | None] = {}
    for doc_id in ids:
        summary = summaries.get(doc_id)
        found = summary.files.get(annotator) if summary else None
        out[doc_id] = found.progress if found else None
    return out
