"""An open label file being edited: per-change durability (journal), folding, undo and redo.

Every change is appended to a small journal beside the label file and fsynced
before the call returns, so its cost does not grow with the document. The
journal is folded into the YAML file (atomic rewrite) when asked, typically when
the annotator pauses and on exit, and replayed on open, so a ``kill -9`` at any
moment loses nothing that was shown. Readers (validate, status, agreement,
export) see the journal too: :mod:`annotate.reading` owns the journal format and reading.

A label file comes into being with the first change (a label, an unsure flag, a note),
not with opening: a document opened and left is no annotator's work.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .anchor import AnchorReport
from .errors import AnnotateError
from .models import LabelFile, Orphan, Sentence, Tagset
from .reading import (
    EDITABLE,
    Fields,
    NeedsSegmentation,
    apply_fields,
    check_identity,
    document_units,
    follow_units,
    journal_line,
    journal_path,
    load_current,
    read_journal,
    reanchored,
    replay,
    write_parse_cache,
)
from .safefs import RefusedPath, read_if_there, remove_stale_temps, unlink_inside
from .store import (
    SCHEMA_HEADER,
    Document,
    LabelLock,
    Project,
    Source,
    atomic_write,
    check_against,
    new_label_file,
    open_inside,
)
from .yamlio import dump_document

__all__ = ["BoundaryEdit", "Change", "ChangeGroup", "FollowCancelled", "LabelSession", "NeedsSegmentation",
           "SaveStatus"]


@dataclass
class Change:
    """One undoable change of one sentence: the fields before and after."""

    index: int
    before: Fields
    after: Fields
    orphan: tuple[int, Orphan] | None = None
    """A re-attached orphan and its place in ``orphans``: undo puts it back, redo takes it again."""

    @property
    def indices(self) -> list[int]:
        """The sentences this change touched (one)."""
        return [self.index]


@dataclass
class ChangeGroup:
    """Changes of several sentences made by one action (accept every agreed sentence): one undo step.

    Each sentence still gets its own journal line, so what the screen showed is on disk
    sentence by sentence, exactly as with single changes.
    """

    parts: list[Change]

    @property
    def index(self) -> int:
        """The first sentence changed."""
        return self.parts[0].index

    @property
    def indices(self) -> list[int]:
        """Every sentence changed, in order."""
        return [part.index for part in self.parts]


@dataclass
class BoundaryEdit:
    """One merge or split made in this session: undo records the opposite change at the same place."""

    kind: Literal["merge", "split"]
    at: int
    index: int
    """The unit to show afterwards (the merged unit, or the first part of the split)."""


@dataclass
class SaveStatus:
    """The outcome of the last write: ``error`` is set while changes are only in memory."""

    error: str | None = None
    pending: list[tuple[int, Fields]] = field(default_factory=list)


class LabelSession:
    """One annotator's label file for one document, open for editing by this process."""

    def __init__(
        self,
        project: Project,
        doc: Document,
        annotator: str,
        tagset: Tagset,
        labels: LabelFile,
        source: Source,
        lock: LabelLock,
        report: AnchorReport | None = None,
    ) -> None:
        self.project = project
        self.doc = doc
        self.annotator = annotator
        self.tagset = tagset
        self.labels = labels
        self.source = source
        self.lock = lock
        self.report = report
        self.path = project.label_path(doc.id, annotator)
        self.where = project.display(self.path)
        self.undo_stack: list[Change | ChangeGroup | BoundaryEdit] = []
        self.redo_stack: list[Change | ChangeGroup | BoundaryEdit] = []
        self.status = SaveStatus()
        self._journal_fd: int | None = None
        self._journal_entries = 0
        self._disk_stamp: tuple[int, int, int] | None = None
        self._writing = False  # a fold is replacing the file: until its new stamp is recorded, a change is ours
        self._source_stamp: tuple[int, int, int] | None = None
        self._units_stamp: tuple[tuple[str, tuple[int, int, int] | None], ...] = ()
        self._last_editor: str | None = None  # who made this session's boundary changes (undo records as them)
        self._closing = threading.Event()  # close() was called: a follow_source() in a worker gives up
        self._lock = threading.RLock()  # change() on the UI thread vs fold() in a worker thread
        self._fold_lock = threading.RLock()  # one fold at a time, written in the order of their snapshots

    # opening -----------------------------------------------------------------

    @classmethod
    def open(
        cls,
        project: Project,
        doc: Document,
        annotator: str,
        tagset: Tagset,
        progress: Callable[[int, int], None] | None | bool = None,
        purpose: str = "annotate label",
        lock: LabelLock | None = None,
    ) -> LabelSession:
        """Lock, load (or create) and check the label file; re-anchor if the source changed.

        ``progress(done_chars, total_chars)`` is called while a new document is segmented.
        ``lock`` is a lock on the file the caller already holds (it is taken over).
        ``progress=False`` raises :class:`NeedsSegmentation` (lock released) instead of
        segmenting a big source, so a caller can open at once when it can and show
        progress otherwise.
        """
        path = project.label_path(doc.id, annotator)
        where = project.display(path)
        source_stamp = _file_stamp(doc.path)  # before reading: an edit after this is seen by source_changed()
        from .boundaries import units_files

        units_stamp = tuple((p.name, _file_stamp(p)) for p in units_files(project.root, path.parent))
        source = project.read_source(doc)
        owns_lock = lock is None
        if lock is None:
            lock = LabelLock(path, purpose, root=project.root)
            lock.acquire()
        try:
            remove_stale_temps(path, project.root)  # a writer killed inside atomic_write; we hold the lock: none live
            report = None
            replayed = 0
            if path.exists():
                labels, report = _load_anchored(project, doc, annotator, tagset, path, where, source, progress)
            else:
                spans, segmenter = document_units(project, doc, source, progress)
                labels = new_label_file(doc, source, annotator, tagset.name, spans, project, segmenter=segmenter)
                # A journal without its YAML file: the first save failed (full disk) and the process
                # died; its lines are labels that were shown, so they go into the new file.
                replayed = replay(labels, read_journal(path, project.root))
            session = cls(project, doc, annotator, tagset, labels, source, lock, report)
            session._source_stamp = source_stamp
            session._units_stamp = units_stamp
            session._disk_stamp = session._stamp()  # None: no file yet, until the first change
            if replayed or (session.exists and (report is not None or journal_path(path).exists())):
                session.fold()
            return session
        except NeedsSegmentation:
            if owns_lock:
                lock.release()
            raise
        except BaseException:
            lock.release()
            raise

    # editing -------------------------------------------------------------------

    def fields(self, index: int) -> Fields:
        """The editable fields of a sentence as they are now."""
        s = self.labels.sentences[index]
        return {k: getattr(s, k) for k in EDITABLE}

    def change(
        self, index: int, undoable: bool = True, also: Fields | None = None, **fields: Any
    ) -> Change | None:
        """Change fields of one sentence: on disk (journal, fsynced) before this returns.

        Returns the change (for undo), or None when nothing changed. If the disk
        write fails the change is kept in memory, ``status.error`` says why, and
        the next successful write (or :meth:`fold`) saves it. ``also`` holds fields
        written in the same journal line but not undone with the change (time spent).
        """
        also = also or {}
        self._check_fields({**fields, **also})
        with self._lock:
            now = self.fields(index)
            before = {k: now[k] for k in fields}
            if before == fields and not also:
                return None
            apply_fields(self.labels, index, {**fields, **also})
            changed = {k for k in fields if before[k] != fields[k]} | set(also)
            if not self.exists and changed <= {"seconds"}:
                return None  # time on a sentence of a file not made yet: kept, saved with the first change
            self._journal(index, {**fields, **also})
        if not self.exists:
            self.fold()  # the first change brings the label file into being (the journal already holds it)
        change = Change(index, before, dict(fields))
        if before == fields:
            return None
        if undoable:
            self.undo_stack.append(change)
            self.redo_stack.clear()
        return change

    def _check_fields(self, fields: Fields) -> None:
        unknown = set(fields) - set(EDITABLE)
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        if "label" in fields and fields["label"] is not None and fields["label"] not in self.tagset.names:
            raise AnnotateError(f"{fields['label']!r} is not a label of tagset {self.tagset.name}")

    def change_many(self, edits: list[tuple[int, Fields]]) -> ChangeGroup | None:
        """Change several sentences as one undoable step (None when none of them changes).

        Every sentence gets its own journal line; the lines are written together and
        fsynced once before this returns, with the same guarantees as :meth:`change`.
        """
        for _index, fields in edits:
            self._check_fields(fields)
        parts = []
        with self._lock:
            for index, fields in edits:
                now = self.fields(index)
                before = {k: now[k] for k in fields}
                if before != fields:
                    apply_fields(self.labels, index, fields)
                    parts.append(Change(index, before, dict(fields)))
            if not parts:
                return None
            self._journal_many([(part.index, part.after) for part in parts])
        if not self.exists:
            self.fold()  # the first change brings the label file into being
        group = ChangeGroup(parts)
        self.undo_stack.append(group)
        self.redo_stack.clear()
        return group

    def _restore(self, parts: list[Change], side: str) -> None:
        """Put the fields of ``side`` ("before" or "after") of these changes back, journaled."""
        with self._lock:
            edits = [(part.index, getattr(part, side)) for part in parts]
            for index, fields in edits:
                apply_fields(self.labels, index, fields)
            self._journal_many(edits)

    def undo(self) -> Change | ChangeGroup | BoundaryEdit | None:
        """Undo the last change of this session; returns it (its index is where to move)."""
        if not self.undo_stack:
            return None
        change = self.undo_stack.pop()
        if isinstance(change, BoundaryEdit):
            return self._redo_boundary(change, undo=True)
        if isinstance(change, ChangeGroup):
            self._restore(change.parts[::-1], "before")
            self.redo_stack.append(change)
            return change
        if change.orphan is not None:  # the orphan is saved back before its label leaves the sentence
            k, orphan = change.orphan
            with self._lock:
                self.labels.orphans.insert(min(k, len(self.labels.orphans)), orphan)
            if not self.fold():
                with self._lock:
                    self.labels.orphans.remove(orphan)
                self.undo_stack.append(change)
                return None
        with self._lock:
            apply_fields(self.labels, change.index, change.before)
            self._journal(change.index, change.before)
        self.redo_stack.append(change)
        return change

    def redo(self) -> Change | ChangeGroup | BoundaryEdit | None:
        """Redo the last undone change; returns it."""
        if not self.redo_stack:
            return None
        change = self.redo_stack.pop()
        if isinstance(change, BoundaryEdit):
            return self._redo_boundary(change, undo=False)
        if isinstance(change, ChangeGroup):
            self._restore(change.parts, "after")
            self.undo_stack.append(change)
            return change
        with self._lock:
            apply_fields(self.labels, change.index, change.after)
            self._journal(change.index, change.after)
        if change.orphan is not None:
            with self._lock:
                with contextlib.suppress(ValueError):
                    self.labels.orphans.remove(change.orphan[1])
            self.fold()
        self.undo_stack.append(change)
        return change

    # units ------------------------------------------------------------------------

    def merge_with_next(self, index: int, editor: str) -> BoundaryEdit:
        """Join unit ``index`` with the next one, for everyone (recorded in ``_units-<editor>.yaml``); undoable.

        Labels follow (see :func:`annotate.boundaries.remap`). Raises AnnotateError saying
        why when the units cannot be joined (the last unit, a paragraph break between).
        """
        if index + 1 >= len(self.labels.sentences):
            raise AnnotateError("the last unit has no next unit to merge with")
        return self._boundary("merge", self.labels.sentences[index + 1].start, index, editor)

    def split(self, index: int, at: int, editor: str) -> BoundaryEdit:
        """Cut unit ``index`` in two at source offset ``at``, for everyone; undoable. AnnotateError says why not."""
        return self._boundary("split", at, index, editor)

    def _boundary(self, kind: Literal["merge", "split"], at: int, index: int, editor: str,
                  undoable: bool = True) -> BoundaryEdit:
        from .boundaries import make_change, merge_at, record_change, split_at, trim, units_path

        text = self.source.text
        spans = [s.span for s in self.labels.sentences]
        _new, why = (merge_at if kind == "merge" else split_at)(spans, text, at)
        if why is not None:
            raise AnnotateError(f"cannot {kind} here: {why}")
        if kind == "split":
            at = trim(text, at, len(text))[0]  # type: ignore[index]  # the new unit's first character
        if self.dirty and not self.fold():
            raise AnnotateError(self.status.error or f"{self.where}: cannot save")
        record_change(self.project.root, units_path(self.path.parent, editor), self.doc.id, editor,
                      make_change(kind, at, text, self.source.sha256))
        self._last_editor = editor
        edit = BoundaryEdit(kind, at, index)
        self.follow_source()
        if undoable:
            self.undo_stack.append(edit)
            self.redo_stack.clear()
        return edit

    def _redo_boundary(self, edit: BoundaryEdit, undo: bool) -> BoundaryEdit | None:
        """Undo (the opposite change at the same place) or redo a merge or split; None when it cannot be."""
        kind: Literal["merge", "split"] = ("split" if edit.kind == "merge" else "merge") if undo else edit.kind
        editor = self._last_editor or self.annotator
        try:
            self._boundary(kind, edit.at, edit.index, editor, undoable=False)
        except AnnotateError as exc:
            self.status.error = str(exc)
            (self.undo_stack if undo else self.redo_stack).append(edit)
            return None
        (self.redo_stack if undo else self.undo_stack).append(edit)
        return edit

    def add_seconds(self, index: int, seconds: float) -> None:
        """Add time spent on a sentence (not undoable: time is not a decision)."""
        if seconds <= 0.05:
            return
        current = self.labels.sentences[index].seconds or 0.0
        self.change(index, undoable=False, seconds=round(current + seconds, 1))

    # disk ------------------------------------------------------------------------

    def _stamp(self) -> tuple[int, int, int] | None:
        return _file_stamp(self.path)

    def changed_on_disk(self) -> bool:
        """True when someone else replaced (or, before our first change, created) the label file."""
        with self._lock:
            if self._writing:  # our own fold, between its rename and recording the new stamp
                return False
            return self._stamp() != self._disk_stamp

    @property
    def exists(self) -> bool:
        """True once the label file has been written (it is not made by opening, only by the first change)."""
        return self._disk_stamp is not None

    def _journal(self, index: int, fields: Fields) -> None:
        self._journal_many([(index, fields)])

    def _journal_many(self, edits: list[tuple[int, Fields]]) -> None:
        """Append one journal line per sentence and fsync once; on failure keep them pending (never a torn line)."""
        sents = self.labels.sentences
        lines = b"".join(journal_line(index, sents[index].span, fields) for index, fields in edits)
        good_size: int | None = None
        try:
            if self._journal_fd is None:
                self._journal_fd = open_inside(self.project.root, journal_path(self.path),
                                               os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            good_size = os.lseek(self._journal_fd, 0, os.SEEK_END)
            if self.status.pending:
                self._journal_pending()
            _write_all(self._journal_fd, lines)
            os.fsync(self._journal_fd)
            self._journal_entries += len(edits)
            self.status.error = None
        except (OSError, RefusedPath) as exc:
            if self._journal_fd is not None and good_size is not None:
                with contextlib.suppress(OSError):  # never leave a torn line for the next write
                    os.ftruncate(self._journal_fd, good_size)
            self.status.pending.extend((index, dict(fields)) for index, fields in edits)
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            self.status.error = f"{self.where}: cannot save ({why}); changes kept in memory"

    def _journal_pending(self) -> None:
        assert self._journal_fd is not None
        sents = self.labels.sentences
        _write_all(self._journal_fd, b"".join(journal_line(i, sents[i].span, f) for i, f in self.status.pending))
        self.status.pending.clear()

    @property
    def dirty(self) -> bool:
        """True when the journal holds changes not yet folded into the YAML file."""
        return self._journal_entries > 0 or bool(self.status.pending)

    def fold(self) -> bool:
        """Rewrite the YAML file with every change and empty the journal. False if the write failed.

        Safe to call from a worker thread while the UI thread keeps changing
        sentences: it writes a snapshot, and keeps the journal when changes
        arrived meanwhile (replaying a journal is idempotent). Folds never overlap,
        so an older snapshot is never written over a newer one.
        """
        with self._fold_lock:
            return self._fold()

    def _fold(self) -> bool:
        with self._lock:
            data = self.labels.to_data()
            entries = self._journal_entries
            if self.changed_on_disk():
                self.status.error = f"{self.where}: changed on disk by someone else; not overwritten"
                return False
            self._writing = True
        written = False
        try:
            text = dump_document(data, header=SCHEMA_HEADER).encode("utf-8")
            atomic_write(self.path, text, root=self.project.root)
            written = True
        except (OSError, RefusedPath) as exc:
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            self.status.error = f"{self.where}: cannot save ({why}); changes kept in memory"
            return False
        finally:
            with self._lock:
                self._writing = False
                if written:
                    self._disk_stamp = self._stamp()
        with self._lock:
            if self._journal_entries == entries:
                self.status.pending.clear()
                self.status.error = None
                if self._journal_fd is not None:
                    os.close(self._journal_fd)
                    self._journal_fd = None
                with contextlib.suppress(FileNotFoundError, RefusedPath):
                    unlink_inside(self.project.root, journal_path(self.path))
                self._journal_entries = 0
        write_parse_cache(self.path, text, data, self.project.root)
        return True

    def remove_orphan(self, index: int) -> bool:
        """Discard one orphan on purpose and save at once (not undoable: the screen asks first).

        False when the save failed (``status.error`` says why; the next fold saves it)."""
        with self._lock:
            del self.labels.orphans[index]
        return self.fold()

    def reattach_orphan(self, k: int, index: int) -> Change | None:
        """Give orphan ``k``'s label, flags and note to sentence ``index`` and drop the orphan: one undoable change.

        The sentence's new fields are journaled before the orphan leaves the file, so a
        crash in between leaves the label twice, never nowhere. Undo puts the orphan back.
        """
        orphan = self.labels.orphans[k]
        fields = {f: getattr(orphan, f, None) for f in EDITABLE}  # its label, flag and note; the rest if it has them
        fields = {f: v for f, v in fields.items() if v is not None or f in ("label", "unsure", "note")}
        change = self.change(index, **fields)
        with self._lock:
            del self.labels.orphans[k]
        if change is not None:
            change.orphan = (k, orphan)
        self.fold()
        return change

    def _units_stamps(self) -> tuple[tuple[str, tuple[int, int, int] | None], ...]:
        """The boundary change files of the document and their stamps (one listing)."""
        from .boundaries import units_files

        return tuple((p.name, _file_stamp(p)) for p in units_files(self.project.root, self.path.parent))

    def source_changed(self) -> bool:
        """True when the source on disk is no longer the text the sentences are anchored to, or units changed.

        One ``stat`` (and a listing of the document's boundary change files) when nothing
        happened; a file touched but not changed is hashed once.
        """
        if self._units_stamps() != self._units_stamp:
            return True  # someone merged or split units of this document
        stamp = _file_stamp(self.doc.path)
        if stamp == self._source_stamp:
            return False
        try:
            raw = read_if_there(self.doc.path, self.project.root)
        except (OSError, AnnotateError):
            raw = None
        if raw is None:
            return True  # gone (or refused): follow_source() says so
        if hashlib.sha256(raw).hexdigest() == self.source.sha256:
            self._source_stamp = stamp
            return False
        return True

    def follow_source(self, progress: Callable[[int, int], None] | None = None) -> AnchorReport | None:
        """Re-anchor on the source as it is now (edited under a running screen); None if its bytes are the same.

        What is pending is folded first; then the file is loaded and re-anchored exactly as
        :meth:`open` does (YAML plus journal; labels that cannot be placed become orphans)
        and saved with the new ``source_sha256`` and spans. Undo history is dropped (it
        names sentences of the old text). Raises AnnotateError (a bad source, a failed
        save) and then leaves the session and the file as they were. Run in a worker
        thread, it gives up with :class:`FollowCancelled` while segmenting when the
        session is closed (the labels stay as they were, the next open re-anchors).
        """

        def checked(done: int, total: int) -> None:
            if self._closing.is_set():
                raise FollowCancelled
            if progress is not None:
                progress(done, total)

        with self._fold_lock:
            stamp = _file_stamp(self.doc.path)
            units_stamp = self._units_stamps()
            source = self.project.read_source(self.doc)
            if source.sha256 == self.source.sha256 and units_stamp == self._units_stamp:
                self._source_stamp = stamp
                return None
            if self.dirty and not self.fold() and (self.status.pending or not self.changed_on_disk()):
                raise AnnotateError(self.status.error or f"{self.where}: cannot save")
            if not self.exists:  # nothing labeled yet: the new text's sentences, still no file
                spans, segmenter = document_units(self.project, self.doc, source, checked)
                with self._lock:
                    self.labels = new_label_file(self.doc, source, self.annotator, self.tagset.name, spans,
                                                 self.project, segmenter=segmenter)
                    self.source, self.report = source, AnchorReport()
                self._source_stamp, self._units_stamp = stamp, units_stamp
                return self.report
            labels, report = _load_anchored(self.project, self.doc, self.annotator, self.tagset, self.path,
                                            self.where, source, checked)
            with self._lock:
                old = (self.labels, self.source, self.report, self._disk_stamp)
                self.labels, self.source, self.report = labels, source, report
                self._disk_stamp = self._stamp()
            if not self.fold():
                with self._lock:
                    self.labels, self.source, self.report, self._disk_stamp = old
                raise AnnotateError(self.status.error or f"{self.where}: cannot save")
            self._source_stamp, self._units_stamp = stamp, units_stamp
            self.undo_stack = [c for c in self.undo_stack if isinstance(c, BoundaryEdit)]
            self.redo_stack.clear()
            return report

    def reload(self) -> None:
        """Take the file as it is on disk now (replaced by git pull, say); undo history is dropped.

        A file made for another version of the source is re-anchored as :meth:`open` does, and saved so.
        """
        labels, report = _load_anchored(self.project, self.doc, self.annotator, self.tagset, self.path,
                                        self.where, self.source, None)
        self.labels = labels  # only once it is known good: a bad file leaves the session as it was
        self.undo_stack.clear()
        self.redo_stack.clear()
        self._disk_stamp = self._stamp()
        if report is not None:
            self.report = report
            self.fold()

    def close(self) -> None:
        """Fold the journal into the YAML file and release the lock (a follow_source() in a worker gives up)."""
        self._closing.set()
        try:
            if self.dirty:
                self.fold()
        finally:
            if self._journal_fd is not None:
                os.close(self._journal_fd)
                self._journal_fd = None
            self.lock.release()

    # reading -----------------------------------------------------------------------

    @property
    def sentences(self) -> list[Sentence]:
        """The document's sentences with their labels."""
        return self.labels.sentences

    def first_unlabeled(self, after: int = -1) -> int | None:
        """Index of the first unlabeled sentence after ``after`` (wrapping), or None."""
        n = len(self.labels.sentences)
        for k in range(1, n + 1):
            i = (after + k) % n
            if self.labels.sentences[i].label is None:
                return i
        return None

    def counts(self) -> dict[str, int]:
        """How many sentences carry each label (tagset order)."""
        counts = dict.fromkeys(self.tagset.names, 0)
        for s in self.labels.sentences:
            if s.label is not None:
                counts[s.label] = counts.get(s.label, 0) + 1
        return counts


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte (a short write, as on a nearly full disk, goes on until done or an error is raised)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _load_anchored(project: Project, doc: Document, annotator: str, tagset: Tagset, path: Path, where: str,
                   source: Source, progress: Callable[[int, int], None] | None | bool
                   ) -> tuple[LabelFile, AnchorReport | None]:
    """A label file as it stands (YAML plus journal), checked, and re-anchored if its source changed."""
    labels = load_current(path, where, project.root)
    check_identity(labels, doc, annotator, where, project)
    if labels.scheme != tagset.name:
        raise AnnotateError(
            f"scheme: the file uses tagset {labels.scheme!r}, not {tagset.name!r}"
            f" (pass --scheme {labels.scheme})",
            where,
        )
    report: Any = None
    if labels.source_sha256 != source.sha256:
        labels, report = reanchored(project, doc, labels, source, progress)
    labels, moved = follow_units(project, doc, labels, source)
    report = report or moved
    check_against(labels, where, tagset, source.text)
    return labels, report


class FollowCancelled(Exception):
    """The session was closed while :meth:`LabelSession.follow_source` was segmenting: nothing changed."""
