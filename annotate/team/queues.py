"""Queues: an annotator's documents in the order to label them, and a reviewer's documents ready for review.

An annotator's queue is the documents assigned to them (see :mod:`.assign`): first those
in progress, then those not started, then those done, each in document order. Every other
document stays reachable (``others``). Without a project file everyone may label
everything: the queue is every document. A reviewer's list is the documents whose
annotators have all finished and whose gold labels are not complete, those already in
review first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..reading import FileProgress
from ..store import Document, Project
from .assign import DocumentState, TeamState, team_state

IN_PROGRESS, NOT_STARTED, DONE = "in progress", "not started", "done"
IN_REVIEW = "in review"


@dataclass
class QueueItem:
    """One document of a queue, with where its annotator (or its reviewer) stands."""

    state: DocumentState
    status: str
    """``in progress``, ``not started`` or ``done`` (review lists: ``in review`` or ``not started``)."""
    progress: FileProgress | None = None
    """The annotator's progress (review lists: the gold file's); None when there is no file."""

    @property
    def doc(self) -> Document:
        """The document, to open."""
        return self.state.doc


@dataclass
class Queue:
    """An annotator's queue: in progress, not started, done; and every other document, still reachable."""

    annotator: str
    in_team: bool
    """False when the project file does not name the annotator (their queue is empty; they may still label)."""
    in_progress: list[QueueItem] = field(default_factory=list)
    not_started: list[QueueItem] = field(default_factory=list)
    done: list[QueueItem] = field(default_factory=list)
    others: list[QueueItem] = field(default_factory=list)
    """Documents not in the queue, in document order (with the annotator's own state on each: unassigned work)."""

    @property
    def items(self) -> list[QueueItem]:
        """The whole queue in order: in progress, not started, done."""
        return self.in_progress + self.not_started + self.done

    @property
    def todo(self) -> list[Document]:
        """The documents left to label, in order: in progress, then not started."""
        return [item.doc for item in self.in_progress + self.not_started]

    @property
    def next(self) -> Document | None:
        """The next document to open: the first in progress, else the first not started; None when all done."""
        todo = self.in_progress + self.not_started
        return todo[0].doc if todo else None

    def after(self, doc_id: str) -> Document | None:
        """The next document of the queue to label once ``doc_id`` is done (for "open the next one")."""
        return next((d for d in self.todo if d.id != doc_id), None)


def status_of(progress: FileProgress | None) -> str:
    """``not started`` (no file, or a file without a label), ``done`` (every sentence), else ``in progress``."""
    if progress is None or (progress.labeled == 0 and progress.error is None):
        return NOT_STARTED
    if progress.finished and progress.error is None:
        return DONE
    return IN_PROGRESS


def annotator_queue(state: TeamState, annotator: str) -> Queue:
    """An annotator's queue (see the module's docstring)."""
    everyone = state.team is None
    queue = Queue(annotator, everyone or annotator in state.members)
    lists = {IN_PROGRESS: queue.in_progress, NOT_STARTED: queue.not_started, DONE: queue.done}
    for doc in state.documents.values():
        progress = doc.progress(annotator)
        item = QueueItem(doc, status_of(progress), progress)
        if everyone or annotator in doc.assigned:
            lists[item.status].append(item)
        else:
            queue.others.append(item)
    return queue


UNASSIGNED_WORK = "unassigned work"


def queue_counts(state: TeamState, names: list[str]) -> dict[str, dict[str, int]]:
    """Per annotator of ``names``: how many documents of their queue are in progress, not started and done, and
    on how many others they have worked (``unassigned work``): :func:`annotator_queue`'s sizes, in one pass."""
    counts = {name: dict.fromkeys((IN_PROGRESS, NOT_STARTED, DONE, UNASSIGNED_WORK), 0) for name in names}
    everyone = state.team is None
    for d in state.documents.values():
        assigned = d.assigned
        for name, fw in d.files.items():
            tally = counts.get(name)
            if tally is None or name in assigned:
                continue
            status = status_of(fw.progress)
            if everyone:
                tally[status] += 1
            elif status != NOT_STARTED:
                tally[UNASSIGNED_WORK] += 1
        for name in assigned:
            tally = counts.get(name)
            if tally is not None:
                tally[status_of(d.progress(name))] += 1
    if everyone:  # every document is in everyone's queue: those without a file are not started
        for tally in counts.values():
            tally[NOT_STARTED] = len(state.documents) - tally[IN_PROGRESS] - tally[DONE]
    return counts


def review_queue(state: TeamState) -> list[QueueItem]:
    """The documents ready for review: every (assigned) annotator done, gold not complete; in review first."""
    ready = [d for d in state.documents.values() if d.ready_for_review]
    items = [QueueItem(d, IN_REVIEW if d.gold is not None and d.gold.labeled else NOT_STARTED,
                       d.gold.progress if d.gold is not None else None) for d in ready]
    return sorted(items, key=lambda item: item.status != IN_REVIEW)


def queue_of(project: Project, annotator: str) -> Queue:
    """An annotator's queue, reading the project (a broken project file is an AnnotateError)."""
    return annotator_queue(team_state(project, figures=False), annotator)
