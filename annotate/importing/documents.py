"""``annotate import``: documents from files, folders, pages and rows into ``seeds/``, with their metadata.

Each document is written whole (temp file, fsync, rename), its metadata first, so a killed
import leaves only whole documents and running it again finishes it: what is already in
``seeds/`` (the same text) is skipped and reported, never duplicated. New documents are
segmented on every core and their spans remembered for every annotator.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pydantic import ValidationError

from ..encodings import normalize_newlines, python_codec
from ..errors import AnnotateError, LockedError
from ..metadata import META_SUFFIX, metadata_bytes, metadata_path
from ..models import DocumentMeta, ImportOrigin
from ..project import CACHE_DIR
from ..reading import Span, remember_spans
from ..safefs import fsync_dir, unlink_inside
from ..store import Document, LabelLock, Project, Source, atomic_write, read_file
from .fields import one_line
from .records import FORMAT_NAMES, FORMATS, FileInfo, InputFile, ReadOptions, Record, format_of, read_records
from .slugs import slug_path, slugify, with_suffix
from .spans import POOL_CHARS

MAX_FIELDS = 100
"""At most this many ``--meta`` fields are kept per document."""

Progress = Callable[[str, int, int | None], None]
"""``progress(stage, done, total)``: stage "read" counts bytes of the sources, "segment" documents."""


@dataclass
class ImportOptions:
    """What to import and how (the options of ``annotate import``)."""

    read: ReadOptions = field(default_factory=ReadOptions)
    into: str | None = None
    dry_run: bool = False
    update: bool = False
    segment: bool = True
    workers: int | None = None


@dataclass
class Skipped:
    """A document not imported (or imported under another id), where it was read and why."""

    where: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: documents written, skipped as duplicates, refused, renamed, segmented."""

    read: int = 0
    imported: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    duplicates: list[Skipped] = field(default_factory=list)
    refused: list[Skipped] = field(default_factory=list)
    renamed: list[Skipped] = field(default_factory=list)
    files: dict[str, FileInfo] = field(default_factory=dict)
    other_files: list[str] = field(default_factory=list)
    """Files found in folders that are of no kind import reads (left alone)."""
    segmented: int = 0
    sentences: int = 0
    segment_failed: int = 0
    workers: int = 0
    dry_run: bool = False

    @property
    def written(self) -> int:
        """Documents written (new and updated)."""
        return len(self.imported) + len(self.updated)


# --------------------------------------------------------------------------- the files to read


def input_files(paths: list[Path], fmt: str = "auto", skip: tuple[Path, ...] = ()) -> tuple[list[InputFile], list[str]]:
    """The files to read, in order: files as given, folders walked (sorted, hidden entries and the folders
    ``skip`` skipped: the project's own, when its root is imported).

    Also returns the files found in folders that are of no kind import reads. A path that
    does not exist, or a file whose kind cannot be told, is an error.
    """
    if fmt not in FORMAT_NAMES:
        raise AnnotateError(f"--format {fmt}: not one of {', '.join(FORMAT_NAMES)}")
    files: list[InputFile] = []
    others: list[str] = []
    for path in paths:
        if path.is_dir():
            _walk(path, fmt, files, others, {p.resolve() for p in skip})
        elif path.is_file():
            kind = format_of(path) if fmt == "auto" else fmt
            if kind is None:
                known = ", ".join(s for f in FORMATS.values() for s in f.suffixes)
                raise AnnotateError(f"cannot tell what kind of file this is (known: {known}); pass --format", path)
            files.append(InputFile(path, _display(path), kind, [path.stem]))
        else:
            raise AnnotateError("no such file or folder", path)
    return files, others


def _walk(folder: Path, fmt: str, files: list[InputFile], others: list[str], skip: set[Path]) -> None:
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (Path(root) / d).resolve() not in skip)
        arrow = any(n.endswith(".arrow") for n in names)
        for name in sorted(names):
            path = Path(root) / name
            if name.startswith(".") or (arrow and name in ("state.json", "dataset_info.json")):
                continue  # datasets' save_to_disk describes its .arrow files in these two
            kind = format_of(path)
            if kind is None or (fmt != "auto" and kind != fmt):
                others.append(_display(path))
                continue
            rel = path.relative_to(folder)
            files.append(InputFile(path, _display(path), kind, [*rel.parent.parts, rel.stem]))


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- what is in seeds/ already


def text_key(text: str) -> str:
    """What makes two documents the same: the sha256 of their text, newlines as LF, without outer whitespace."""
    return hashlib.sha256(normalize_newlines(text.removeprefix("\ufeff")).strip().encode("utf-8")).hexdigest()


@dataclass
class SeedIndex:
    """The documents in ``seeds/``: their ids and which text each has (to skip duplicates)."""

    ids: set[str] = field(default_factory=set)
    by_text: dict[str, str] = field(default_factory=dict)

    @classmethod
    def scan(cls, project: Project) -> SeedIndex:
        """Read every source under ``seeds/`` once (those that cannot be read are only ids)."""
        index = cls()
        for doc in project.documents():
            index.ids.add(doc.id)
            with contextlib.suppress(OSError, UnicodeDecodeError, AnnotateError):
                raw = read_file(doc.path, "source", project.display(doc.path), root=project.root)
                index.by_text.setdefault(text_key(raw.decode("utf-8")), doc.id)
        return index


# --------------------------------------------------------------------------- one document


def document_text(title: str | None, body: str) -> str:
    """The source file's text: the title as the first line and a blank line (unless the body starts with
    it), then the body; newlines as LF, one at the end."""
    body = normalize_newlines(body).strip()
    if not body:
        return ""
    if title and body.split("\n", 1)[0].strip() != title:
        return f"{title}\n\n{body}\n"
    return f"{body}\n"


def wanted_id(record: Record, into: str | None) -> str:
    """The id a record asks for: its path (files), its id field, its title, else file name and row."""
    if record.id_parts:
        base = slug_path(record.id_parts)
    else:
        base = slugify(record.id_hint or "")
    if not base:
        stem = slugify(Path(record.origin.file).stem) or "document"
        base = f"{stem}-{record.origin.row}" if record.origin.row is not None else stem
    return f"{into}/{base}" if into else base


def document_meta(record: Record, title: str | None, encoding: str | None) -> DocumentMeta:
    """The metadata written beside a document: what the source said, and where it came from."""
    meta = dict(record.meta)
    fields = dict(list(meta.pop("fields", {}).items())[:MAX_FIELDS])
    origin = record.origin
    imported = ImportOrigin(file=origin.file, line=origin.line, row=origin.row, format=origin.format,
                            encoding=encoding, at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return DocumentMeta(title=title, fields=fields, imported=imported, **meta)


# --------------------------------------------------------------------------- writing whole files


class FileWriter:
    """Writes files whole, in threads beside the reading: each file to a temp file beside it, fsynced,
    then renamed over it; the files of one job in their order. Other disk work (remembering a
    document's spans) can be handed to the same threads.

    A kill leaves each file old or new, never part of one: a document's metadata is written
    before its text, so a document never lacks it. fsync waits for the disk (milliseconds
    per file on a busy machine); several writers overlap those waits while the reading
    thread goes on. Folders are fsynced once, at the end: a power cut before that may lose
    the last renames (those documents are then not there, and importing again brings them),
    never leave an empty or partial document.
    """

    THREADS = 4
    QUEUE = 64

    def __init__(self, root: Path) -> None:
        self.root = root
        """The project root: every file is written inside it, never through a link out."""
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(self.QUEUE)
        self._threads: list[threading.Thread] = []
        self._folders: set[Path] = set()
        self._error: BaseException | None = None

    def put(self, files: list[tuple[Path, bytes]]) -> None:
        """Write these files (in this order) soon; an error of an earlier write is raised here."""
        self.submit(lambda: self._write_all(files))

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` in a writer thread soon; an error of an earlier job is raised here."""
        self._raise()
        if not self._threads:
            self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.THREADS)]
            for thread in self._threads:
                thread.start()
        self._jobs.put(job)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                if self._error is None:
                    job()
            except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
                self._error = self._error or exc
            finally:
                self._jobs.task_done()
        self._jobs.task_done()

    def _write_all(self, files: list[tuple[Path, bytes]]) -> None:
        for path, data in files:
            self._write(path, data)

    def _write(self, path: Path, data: bytes) -> None:
        """One whole file, durably, inside the project (its folder is fsynced once, when the import ends)."""
        atomic_write(path, data, root=self.root, sync_folder=False)
        self._folders.add(path.parent)

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def flush(self) -> None:
        """Wait until every file is written and its folder fsynced; raise the first error."""
        self._jobs.join()
        for folder in list(self._folders):
            fsync_dir(folder)
        self._raise()

    def close(self) -> None:
        """Finish what is queued and stop the threads (no error raised: an import that failed already says why)."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []


# --------------------------------------------------------------------------- the import


class Importer:
    """One run of ``annotate import``: places records in ``seeds/`` as they are read."""

    def __init__(self, project: Project, options: ImportOptions, progress: Progress | None = None) -> None:
        self.project = project
        self.options = options
        self.progress = progress
        self.report = ImportReport(dry_run=options.dry_run)
        self.index = SeedIndex()
        self.assigned: set[str] = set()
        self._folders_checked: dict[Path, bool] = {}
        self.writer = FileWriter(project.root)
        self.workers = None
        if options.segment and not options.dry_run:
            from .spans import SpanWorkers, cores

            self.workers = SpanWorkers(project, options.workers or cores(), self._segmented, self._remember)

    def _remember(self, source: Source, spans: list[Span]) -> None:
        """Remember a document's spans from a writer thread (the cache write may wait for the disk)."""
        from ..segment import segmenter_id

        self.writer.submit(partial(remember_spans, self.project, source, spans, segmenter_id()))

    def _segmented(self, _sentences: int) -> None:
        if self.progress is not None and self.workers is not None:
            self.progress("segment", self.workers.segmented, self.workers.segmented + self.workers.pending)

    def start_workers(self, files: list[InputFile]) -> None:
        """Start the segmenting workers when the files hold enough text: before the import takes its lock
        (workers must not inherit it) and before any thread starts (they are forked)."""
        if self.workers is not None and sum(_size(f.path) for f in files) >= POOL_CHARS:
            self.workers.start()

    def run(self, files: list[InputFile]) -> ImportReport:
        """Read every file and place its documents; segment the new ones."""
        total = sum(_size(f.path) for f in files)
        done = 0
        self.index = SeedIndex.scan(self.project)
        try:
            for f in files:
                info = self.report.files[f.display] = FileInfo()
                try:
                    for record in read_records(f, self.options.read, info):
                        self.place(record)
                        if self.progress is not None:
                            self.progress("read", done + info.bytes_read, total)
                except AnnotateError as exc:
                    if exc.path is None:
                        raise
                    self.report.refused.append(Skipped(f.display, _without_path(exc, f.display)))
                done += _size(f.path)
                if self.progress is not None:
                    self.progress("read", done, total)
            if self.workers is not None:
                self.workers.finish()
            self.writer.flush()
        finally:
            self.writer.close()
            if self.workers is not None:
                self.workers.close()
                self.report.segmented, self.report.sentences = self.workers.segmented, self.workers.sentences
                self.report.segment_failed = self.workers.failed
                self.report.workers = self.workers.workers if self.workers.pooled else 1
        return self.report

    def place(self, record: Record) -> None:
        """Write one document (or say why not)."""
        self.report.read += 1
        where = record.origin.where
        if record.error is not None:
            self.report.refused.append(Skipped(where, record.error))
            return
        title = one_line(record.title) if record.title else None
        text = document_text(title, record.body)
        if not text:
            self.report.refused.append(Skipped(where, "no text"))
            return
        key = text_key(text)
        same = self.index.by_text.get(key)
        if same is not None:
            self._duplicate(where, same)
            return
        try:
            meta = document_meta(record, title, record.origin.encoding)
        except ValidationError as exc:
            self.report.refused.append(Skipped(where, f"metadata: {exc.errors()[0]['msg']}"))
            return
        doc_id = self._choose_id(record, where)
        if doc_id is None:
            return
        if not self._inside(self.project.seeds / doc_id):
            self._unlist(doc_id)
            self.report.refused.append(Skipped(where, f"seeds/{doc_id}: a folder on its way is a link out of the"
                                                      " project: not written"))
            return
        self.assigned.add(doc_id)
        self.index.by_text[key] = doc_id
        if self.options.dry_run:
            return
        data = text.encode("utf-8")
        self.writer.put([(metadata_path(self.project, doc_id), metadata_bytes(doc_id, meta)),
                         (self.project.seeds / f"{doc_id}.txt", data)])
        self.index.ids.add(doc_id)
        if self.workers is not None:
            self.workers.add(Source(text, hashlib.sha256(data).hexdigest()))

    def _inside(self, path: Path) -> bool:
        """True when ``path``'s folder is inside the project (no link on the way leads out); asked once per folder."""
        folder = path.parent
        if folder not in self._folders_checked:
            try:
                self._folders_checked[folder] = folder.resolve().is_relative_to(self.project.root.resolve())
            except (OSError, RuntimeError):
                self._folders_checked[folder] = False
        return self._folders_checked[folder]

    def _unlist(self, doc_id: str) -> None:
        for listed in (self.report.imported, self.report.updated):
            if listed and listed[-1] == doc_id:
                listed.pop()

    def _duplicate(self, where: str, same: str) -> None:
        self.report.duplicates.append(Skipped(where, f"same text as seeds/{same}.txt"))
        if self.workers is None or same in self.assigned:
            return
        self._finish_segmenting(same)

    def _finish_segmenting(self, doc_id: str) -> None:
        """A document imported before (by an import that was stopped, say) gets its spans if it has none yet."""
        from ..reading import remembered_spans

        if self.project.label_files(doc_id):
            return
        doc = Document(doc_id, self.project.seeds / f"{doc_id}.txt")
        try:
            source = self.project.read_source(doc)
        except AnnotateError:
            return
        self.assigned.add(doc_id)
        if remembered_spans(self.project, source) is None and self.workers is not None:
            self.workers.add(source)

    def _choose_id(self, record: Record, where: str) -> str | None:
        wanted = wanted_id(record, self.options.into)
        if wanted in self.assigned:  # two documents of this import want one id
            doc_id = with_suffix(wanted, self.index.ids, self.assigned)
            self.report.renamed.append(Skipped(where, f"id {wanted} is taken by another document of this import:"
                                                      f" imported as {doc_id}"))
            self.report.imported.append(doc_id)
            return doc_id
        if wanted not in self.index.ids:
            self.report.imported.append(wanted)
            return wanted
        if not record.id_explicit:
            doc_id = with_suffix(wanted, self.index.ids, self.assigned)
            self.report.imported.append(doc_id)
            return doc_id
        if self.options.update:
            self.report.updated.append(wanted)
            return wanted
        self.report.refused.append(Skipped(where, f"seeds/{wanted}.txt exists with other text: not overwritten"
                                                  " (--update replaces it and its labels follow the new text;"
                                                  " --into PREFIX imports beside it)"))
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _without_path(exc: AnnotateError, display: str) -> str:
    """An error about a file, for the summary that names the file already."""
    if exc.path == display:
        return f"line {exc.line}: {exc.message}" if exc.line is not None else exc.message
    return str(exc)


@contextlib.contextmanager
def import_lock(project: Project) -> Iterator[None]:
    """One import at a time per project (``.annotate/.import.lock``); temp files a killed one left are removed."""
    lock = LabelLock(project.root / CACHE_DIR.split("/")[0] / "import", purpose="annotate import", root=project.root)
    try:
        lock.acquire()
    except LockedError:
        raise AnnotateError(f"another import is running in this project ({lock.holder()}); wait for it") from None
    try:
        _remove_killed_temps(project)
        yield
    finally:
        lock.release()


def _remove_killed_temps(project: Project) -> None:
    """Temp files left in ``seeds/`` by an import killed inside a write (never a whole document)."""
    for suffix in (".txt", META_SUFFIX):
        for tmp in glob.glob(f"{glob.escape(str(project.seeds))}/**/.*{suffix}.*.tmp", recursive=True):
            with contextlib.suppress(OSError, AnnotateError):
                unlink_inside(project.root, Path(tmp))


def check_options(options: ImportOptions) -> None:
    """Errors in the options, before anything is read: the encoding, ``--into``."""
    if options.read.encoding is not None:
        python_codec(options.read.encoding)
    if options.into is not None:
        into = slug_path(options.into.replace("\\", "/").split("/"))
        if not into:
            raise AnnotateError(f"--into {options.into!r}: needs letters or digits (a folder under seeds/)")
        options.into = into


def import_documents(project: Project, paths: list[Path], options: ImportOptions,
                     progress: Progress | None = None) -> ImportReport:
    """Import the documents of ``paths`` (files and folders) into the project's ``seeds/``.

    Errors in the options or paths are :class:`AnnotateError` before anything is written;
    a document that cannot be read is refused (in the report) and the others are imported.
    """
    check_options(options)
    files, others = input_files(paths, options.read.format, (project.seeds, project.labels, project.schemas))
    if options.dry_run:
        report = Importer(project, options, progress).run(files)
    else:
        project.seeds.mkdir(parents=True, exist_ok=True)
        importer = Importer(project, options, progress)
        importer.start_workers(files)
        try:
            with import_lock(project):
                report = importer.run(files)
        finally:
            if importer.workers is not None:
                importer.workers.close()
    report.other_files = others
    return report
