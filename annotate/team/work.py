"""What every label file of the project holds, summed up: :mod:`annotate.summaries`, read once, cached.

A :class:`FileWork` is what the team views need of one ``labels/<doc>/<annotator>.yaml``:
progress (labeled, total, unsure, orphans), its label mix, the seconds spent per labeled
sentence, who decided gold labels, and when the file last changed. Agreement between two
annotators comes from each document's pair counts (:attr:`ProjectWork.pairs`), not from
the labels themselves. All of it is kept in ``.annotate/cache/summaries.json`` keyed by the
size and modification time of each file, so a run where nothing changed reads no label file.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

from ..agreement import PairCounts
from ..listing import Listing
from ..models import GOLD
from ..reading import journal_path
from ..store import Document, Project
from ..summaries import About, FileSummary, Progress, Summaries, read_summaries

FileWork = FileSummary
"""One label file summed up for the team views (figures for the document's current source)."""


@dataclass
class ProjectWork:
    """Every label file of the project, summed up, by document and annotator (gold under ``gold``)."""

    documents: dict[str, Document]
    """Every document under ``seeds/`` by id, sorted."""
    files: dict[str, dict[str, FileWork]] = field(default_factory=dict)
    """Document id -> annotator (or ``gold``) -> the file's summary."""
    homeless: list[FileWork] = field(default_factory=list)
    """Label files under ``labels/`` whose document has no source under ``seeds/``."""
    pairs: dict[str, dict[tuple[str, str], PairCounts]] = field(default_factory=dict)
    """Document id -> (a, b) -> what a and b labeled of its sentences (gold always second)."""
    unreadable: dict[str, str] = field(default_factory=dict)
    """Documents whose source cannot be read, and why (without the file's name)."""
    about: dict[str, About] = field(default_factory=dict)
    """Documents with a metadata file -> what it says (or why it cannot be used)."""
    figures: bool = True
    """The label mix, seconds, reviewers and pair counts were read (see :func:`read_work`)."""

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


def read_work(project: Project, progress: Progress | None = None, figures: bool = True,
              listing: Listing | None = None) -> ProjectWork:
    """Sum up every label file of the project (a broken file is kept with its error, never dropped).

    ``figures=False``: progress only (each file's label mix, seconds and reviewers, and the
    pair counts, are left empty): what queues and the plan need, read faster. ``listing``: the
    walk, when the caller has just made it.
    """
    return work_of(project, read_summaries(project, progress, figures, listing))


def work_of(project: Project, summaries: Summaries) -> ProjectWork:
    """The project's label files summed up, from :func:`annotate.summaries.read_summaries`'s result."""
    figures = all(s.has_figures or not s.files for s in summaries.documents.values())
    work = ProjectWork({}, figures=figures)
    for doc_id, summary in summaries.documents.items():
        work.documents[doc_id] = summary.document
        if summary.files:
            work.files[doc_id] = summary.files
        if summary.pairs:
            work.pairs[doc_id] = summary.pairs
        if summary.unreadable is not None:
            work.unreadable[doc_id] = summary.unreadable
        if summary.about is not None:
            work.about[doc_id] = summary.about
    for doc_id, names in summaries.homeless.items():
        error = f"no source for this document: seeds/{doc_id}.txt is missing"
        work.homeless.extend(_homeless(project, doc_id, name, error) for name in names)
    return work


def _homeless(project: Project, doc_id: str, name: str, error: str) -> FileWork:
    """A label file without a source: its error, and when it last changed (the newer of it and its journal)."""
    fw = FileWork(annotator=name, document=doc_id, error=error)
    path = project.label_path(doc_id, name)
    with contextlib.suppress(OSError):
        fw.mtime = os.stat(path).st_mtime
    with contextlib.suppress(OSError):
        journal = os.stat(journal_path(path))
        fw.pending = journal.st_size > 0
        fw.mtime = max(fw.mtime, journal.st_mtime)
    return fw
