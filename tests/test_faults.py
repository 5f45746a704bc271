"""Disk faults during a save: a full disk, a read-only or forbidden labels folder.

Whatever fails (creating the temp file, writing it, fsyncing it, renaming it, or
appending to the journal), the old YAML file stays intact, no temp file is left,
``session.status.error`` says what happened, the change stays in memory, and once
the fault clears the next change or ``fold()`` writes everything. The faults are
injected by patching the write path (only for files under ``labels/``), through
the library and through the screen; and once for real when running as root: a
full 64 KB tmpfs, a tmpfs remounted read-only, and a ``chmod 0555`` folder with
the effective uid dropped to ``nobody`` (root ignores permissions).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from annotate.models import LabelFile
from annotate.reading import journal_path, load_current
from annotate.session import LabelSession
from annotate.store import LabelLock, Project, read_label_file
from annotate.tui.app import AppOptions, make_app
from annotate.tui.label_screen import LabelScreen

sys.path.insert(0, str(Path(__file__).parent))
from conftest import SEED_ID, make_project, run_async, start_labels  # noqa: E402
from snapshot_apps import wait_for_document

STRERROR = {errno.ENOSPC: "No space left on device", errno.EROFS: "Read-only file system",
            errno.EACCES: "Permission denied", errno.EDQUOT: "Disk quota exceeded", errno.EIO: "Input/output error"}


# --------------------------------------------------------------------------- fault injection


class Faults:
    """Make chosen file operations under ``folder`` fail with an errno; everything else works.

    ops: ``write`` (os.write: the journal), ``fsync`` (os.fsync: journal and YAML), ``filewrite``
    (writes through os.fdopen: the YAML temp file), ``replace`` (os.replace onto the label file),
    ``mkstemp`` (creating the temp file), ``open`` (os.open creating the journal), ``all``.
    """

    OPS = ("write", "fsync", "filewrite", "replace", "mkstemp", "open")

    def __init__(self, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        self.folder = str(folder.resolve())
        self.active: dict[str, int] = {}
        self.hits: dict[str, int] = dict.fromkeys(self.OPS, 0)
        real = {"write": os.write, "fsync": os.fsync, "replace": os.replace, "fdopen": os.fdopen,
                "open": os.open, "mkstemp": tempfile.mkstemp}
        self.real = real

        def inside(path: object) -> bool:
            return str(Path(os.fsdecode(path)).resolve()).startswith(self.folder + os.sep)  # type: ignore[arg-type]

        def fd_inside(fd: int) -> bool:
            try:
                return inside(os.readlink(f"/proc/self/fd/{fd}").removesuffix(" (deleted)"))
            except OSError:
                return False

        def check(op: str) -> None:
            code = self.active.get(op, self.active.get("all"))
            if code is not None:
                self.hits[op] += 1
                raise OSError(code, os.strerror(code))

        def write(fd: int, data: bytes) -> int:
            if fd_inside(fd):
                check("write")
            return real["write"](fd, data)

        def fsync(fd: int) -> None:
            if fd_inside(fd) and not os.path.isdir(f"/proc/self/fd/{fd}"):
                check("fsync")
            real["fsync"](fd)

        def at(path: Any, dir_fd: int | None) -> Any:
            """A path given relative to a folder descriptor (``dir_fd``), as a whole path."""
            return path if dir_fd is None else os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), os.fsdecode(path))

        def replace(src: Any, dst: Any, **kw: Any) -> None:
            if inside(at(dst, kw.get("dst_dir_fd"))):
                check("replace")
            real["replace"](src, dst, **kw)

        def mkstemp(*args: Any, **kw: Any) -> tuple[int, str]:
            if kw.get("dir") is not None and inside(Path(kw["dir"]) / "x"):
                check("mkstemp")
            return real["mkstemp"](*args, **kw)

        def open_(path: Any, flags: int, *args: Any, **kw: Any) -> int:
            if flags & os.O_CREAT and inside(at(path, kw.get("dir_fd"))):
                if str(path).endswith(".journal"):
                    check("open")
                elif flags & os.O_EXCL and str(path).endswith(".tmp"):  # atomic_write's temp file
                    check("mkstemp")
            return real["open"](path, flags, *args, **kw)

        def fdopen(fd: int, *args: Any, **kw: Any) -> Any:
            fh = real["fdopen"](fd, *args, **kw)
            if fd_inside(fd) and ("filewrite" in self.active or "all" in self.active):
                return _FailingFile(fh, lambda: check("filewrite"))
            return fh

        monkeypatch.setattr(os, "write", write)
        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "open", open_)
        monkeypatch.setattr(os, "fdopen", fdopen)
        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)

    def fail(self, op: str, code: int) -> None:
        """From now on, ``op`` (or every op: ``all``) under the folder fails with ``code``."""
        self.active[op] = code

    def clear(self) -> None:
        """The fault is gone (space freed, folder writable again)."""
        self.active.clear()


class _FailingFile:
    """A file object whose writes fail (as a full disk does), closing the real file on exit."""

    def __init__(self, fh: Any, fail: Callable[[], None]) -> None:
        self._fh = fh
        self._fail = fail

    def write(self, data: bytes) -> int:
        self._fail()
        return self._fh.write(data)  # pragma: no cover

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _FailingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


@pytest.fixture
def faults(project: Project, monkeypatch: pytest.MonkeyPatch) -> Faults:
    project.labels.mkdir(parents=True, exist_ok=True)
    return Faults(monkeypatch, project.labels)


# --------------------------------------------------------------------------- helpers


def labels_of(lf: LabelFile, n: int = 4) -> list[str | None]:
    return [s.label for s in lf.sentences[:n]]


def yaml_only(path: Path) -> LabelFile:
    """The YAML file by itself (no journal applied)."""
    return read_label_file(path)[0]


def temp_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f".{path.name}.*.tmp"))


def journal_lines_are_whole(path: Path) -> None:
    """The journal never holds a torn line after a failed append."""
    jpath = journal_path(path)
    if jpath.exists():
        data = jpath.read_bytes()
        assert not data or data.endswith(b"\n"), "a torn journal line was left"
        for line in data.splitlines():
            json.loads(line)




# --------------------------------------------------------------------------- through the library

# which ops hit which write: the journal (change) or the YAML rewrite (fold)
HITS_JOURNAL = {"write", "fsync", "open", "all"}
HITS_FOLD = {"fsync", "filewrite", "replace", "mkstemp", "all"}


@pytest.mark.parametrize("then", ["change", "fold"])
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
@pytest.mark.parametrize("op", ["write", "fsync", "open", "filewrite", "replace", "mkstemp", "all"])
def test_fault_during_a_save_loses_nothing(open_session: Callable[..., LabelSession], faults: Faults,
                                           op: str, code: int, then: str) -> None:
    session = open_session()
    path = session.path
    session.change(0, label="fact")
    assert session.fold()
    old = path.read_bytes()

    faults.fail(op, code)
    session.change(1, label="quote")
    assert session.sentences[1].label == "quote"  # on screen, in memory
    if op in HITS_JOURNAL:
        assert session.status.error is not None
        assert session.status.error.startswith(session.where), session.status.error
        assert STRERROR[code] in session.status.error and "kept in memory" in session.status.error
    else:  # the journal append worked: the change is on disk already
        assert session.status.error is None
        assert labels_of(load_current(path)) == ["fact", "quote", None, None]
    journal_lines_are_whole(path)

    folded = session.fold()
    assert folded is (op not in HITS_FOLD)
    if not folded:
        assert session.status.error is not None and STRERROR[code] in session.status.error
        assert path.read_bytes() == old, "the old YAML file was touched"
        assert labels_of(yaml_only(path)) == ["fact", None, None, None]
    assert temp_files(path) == [], "a temp file was left behind"
    assert session.sentences[1].label == "quote" and session.dirty is (not folded)
    assert sum(faults.hits.values()) >= 1, "the fault was never hit"

    faults.clear()
    if then == "change":
        session.change(2, label="opinion")
        assert session.status.error is None
        want = ["fact", "quote", "opinion", None]
        assert labels_of(load_current(path)) == want  # journal (+ pending lines) on disk at once
        assert session.fold()
    else:
        want = ["fact", "quote", None, None]
        assert session.fold() is True
    assert session.status.error is None and not session.status.pending
    assert labels_of(yaml_only(path)) == want
    assert not journal_path(path).exists() and temp_files(path) == []
    session.close()
    assert labels_of(yaml_only(path)) == want


def test_repeated_failures_keep_every_change_in_order(open_session: Callable[..., LabelSession],
                                                      faults: Faults) -> None:
    """Several changes (and undo) while the disk is full; all of them land, in order, once it clears."""
    session = open_session()
    path = session.path
    session.change(9, unsure=True)  # the file exists
    old = path.read_bytes()
    faults.fail("all", errno.ENOSPC)
    session.change(0, label="fact")
    session.change(1, label="quote")
    session.change(0, label="opinion")
    session.change(2, label="speculation", unsure=True, note="full disk")
    session.undo()  # the note and label of sentence 2 go again
    session.change(3, label="fact")
    for _ in range(3):
        assert session.fold() is False
    assert path.read_bytes() == old and temp_files(path) == []
    assert "No space left on device" in (session.status.error or "")
    faults.clear()
    session.change(4, label="quote")
    want = ["opinion", "quote", None, "fact", "quote"]
    assert labels_of(load_current(path), 5) == want
    session.close()
    saved = yaml_only(path)
    assert labels_of(saved, 5) == want
    assert saved.sentences[2].note is None and not saved.sentences[2].unsure


def test_a_fault_on_the_first_save_of_a_new_label_file_leaves_no_file(project: Project, faults: Faults) -> None:
    """The very first save (the first change makes the file) fails: a clear error, no half file, no temp file;
    the label is in the journal, and a retry writes the file."""
    tagset = project.tagset()
    doc = project.document(SEED_ID)
    path = project.label_path(SEED_ID, "alice")
    faults.fail("filewrite", errno.ENOSPC)
    session = LabelSession.open(project, doc, "alice", tagset)
    try:
        assert session.status.error is None and not path.exists()  # opening writes nothing
        session.change(0, label="fact")
        assert session.status.error and "No space left on device" in session.status.error
        assert not path.exists() and temp_files(path) == []
        assert journal_path(path).exists()  # the label is on disk all the same
        faults.clear()
        assert session.fold()
    finally:
        session.close()
    assert labels_of(yaml_only(path), 1) == ["fact"]


def test_first_save_failed_then_killed_the_journal_is_not_lost(project: Project, faults: Faults) -> None:
    """The new label file could not be written (full disk), labels went to the journal, then kill -9.

    Reopening must take the journal's labels into the new file (it used to start afresh and
    delete the journal, losing labels that had been on screen).
    """
    from conftest import crash

    tagset = project.tagset()
    doc = project.document(SEED_ID)
    path = project.label_path(SEED_ID, "alice")
    faults.fail("filewrite", errno.ENOSPC)
    session = LabelSession.open(project, doc, "alice", tagset)
    session.change(0, label="fact")
    session.change(1, label="quote", unsure=True)
    assert not path.exists()  # only the journal holds the labels
    crash(session)
    faults.clear()
    session = LabelSession.open(project, doc, "alice", tagset)
    try:
        assert labels_of(session.labels, 3) == ["fact", "quote", None]
        assert session.sentences[1].unsure is True
    finally:
        session.close()
    assert labels_of(yaml_only(path), 3) == ["fact", "quote", None]
    assert not journal_path(path).exists()


# --------------------------------------------------------------------------- through the screen


def bar_text(screen: LabelScreen) -> str:
    return str(screen.query_one("#bar", Static).content)


def row_text(screen: LabelScreen, index: int) -> str:
    """What the document view draws for a sentence (gutter with the label badge, then the text)."""
    assert screen.view is not None
    return "".join(strip.text for strip in screen.view._strips(index))




@asynccontextmanager
async def screen_on_a_file(project: Project) -> AsyncIterator[tuple[Pilot[None], Any, Path, bytes]]:
    """The labeling screen on alice's existing label file: the pilot, the screen, the file and its bytes."""
    path = start_labels(project)  # a file to keep intact
    app = make_app(AppOptions(project, "alice", documents=[project.document(SEED_ID)]))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await wait_for_document(pilot, 300)
        assert screen.session is not None
        yield pilot, screen, path, path.read_bytes()


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
@run_async
async def test_the_screen_shows_the_fault_and_saves_once_it_clears(project: Project, faults: Faults,
                                                                   code: int) -> None:
    async with screen_on_a_file(project) as (pilot, screen, path, old):
        n = len(screen.session.sentences)

        faults.fail("all", code)
        await pilot.press("1")
        await pilot.pause()
        bar = bar_text(screen)
        assert "cannot save" in bar and STRERROR[code] in bar and "kept in memory" in bar, bar
        assert screen.session.sentences[0].label == "fact"
        assert "FACT" in row_text(screen, 0)  # the label is on screen
        assert f"1/{n}" in bar
        assert path.read_bytes() == old and temp_files(path) == []

        faults.clear()
        await pilot.press("2")
        await pilot.pause()
        bar = bar_text(screen)
        assert "cannot save" not in bar, bar
        assert f"2/{n}" in bar and "SPEC" in row_text(screen, 1)
        assert labels_of(load_current(path), 2) == ["fact", "speculation"]  # both on disk now
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert labels_of(yaml_only(path), 3) == ["fact", "speculation", None]
    assert not journal_path(path).exists() and temp_files(path) == []


@run_async
async def test_the_screen_reports_a_failed_background_fold(project: Project, faults: Faults,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The journal works but the YAML rewrite fails: the label is safe, the fold error is shown, a retry saves."""
    from annotate.tui import document_screen

    monkeypatch.setattr(document_screen, "FOLD_DELAY", 0.05)
    async with screen_on_a_file(project) as (pilot, screen, path, old):
        faults.fail("replace", errno.ENOSPC)
        await pilot.press("3")
        for _ in range(750):  # up to 15 s on a loaded machine; done in about 0.1 s
            await pilot.pause(0.02)
            if "cannot save" in bar_text(screen):
                break
        assert "No space left on device" in bar_text(screen)
        assert path.read_bytes() == old and temp_files(path) == []
        assert labels_of(load_current(path), 1) == ["quote"]  # in the journal meanwhile
        faults.clear()
        for _ in range(750):  # the screen retries the fold by itself (the bar follows once its message arrives)
            await pilot.pause(0.02)
            if not screen.session.dirty and "cannot save" not in bar_text(screen):
                break
        assert not screen.session.dirty and "cannot save" not in bar_text(screen)
        assert labels_of(yaml_only(path), 1) == ["quote"]
        await pilot.press("ctrl+q")
        await pilot.pause()


# --------------------------------------------------------------------------- for real (root only)


def _can_mount() -> str | None:
    """None when a tmpfs can be mounted here, else why not."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root to mount a tmpfs"
    if not shutil.which("mount"):
        return "no mount command"
    probe = Path(tempfile.mkdtemp(prefix="annotate-mount-probe-"))
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                              capture_output=True, text=True, timeout=20)
        if done.returncode != 0:
            return f"cannot mount a tmpfs: {done.stderr.strip()}"
        subprocess.run(["umount", str(probe)], check=True, timeout=20)
        return None
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot mount a tmpfs: {exc}"
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


_NO_MOUNT = _can_mount()
needs_mount = pytest.mark.skipif(_NO_MOUNT is not None, reason=_NO_MOUNT or "")


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=20)


@contextlib.contextmanager
def tmpfs(where: Path, size: str = "64k") -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where))
    try:
        yield where
    finally:
        result = subprocess.run(["umount", str(where)], capture_output=True, timeout=20)
        if result.returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=20)


def _fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte; returns the filler file."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        chunk = b"\0" * 4096
        while True:
            try:
                os.write(fd, chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
        while True:  # the last partial page too
            try:
                os.write(fd, b"\0")
            except OSError:
                break
    finally:
        os.close(fd)
    return filler


@needs_mount
def test_a_really_full_disk(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    tagset = project.tagset()
    with tmpfs(project.labels):
        session = LabelSession.open(project, project.document(SEED_ID), "alice", tagset)
        try:
            path = session.path
            session.change(0, label="fact")
            assert session.fold()
            old = path.read_bytes()
            filler = _fill(project.labels)

            session.change(1, label="quote")
            assert session.sentences[1].label == "quote"
            assert session.status.error and "No space left on device" in session.status.error
            assert session.fold() is False
            assert "No space left on device" in (session.status.error or "")
            assert path.read_bytes() == old and temp_files(path) == []
            journal_lines_are_whole(path)

            filler.unlink()
            session.change(2, label="opinion")
            assert session.status.error is None
            assert labels_of(load_current(path), 3) == ["fact", "quote", "opinion"]
            assert session.fold()
            assert labels_of(yaml_only(path), 3) == ["fact", "quote", "opinion"]
        finally:
            session.close()
        assert labels_of(yaml_only(path), 3) == ["fact", "quote", "opinion"]


@needs_mount
def test_a_really_read_only_labels_folder(tmp_path: Path) -> None:
    """``mount -o remount,ro`` under an open session.

    Linux refuses to remount a file system read-only while a file on it is open for
    writing, and the session's lock file is; so the lock is taken beside it (in
    tmp_path) for this test. A disk the kernel turns read-only after an error has
    no such check, and that is the case this stands for.
    """
    project = make_project(tmp_path / "proj")
    tagset = project.tagset()
    lock = LabelLock(tmp_path / "locks" / "alice.yaml", "annotate label")
    lock.acquire()
    with tmpfs(project.labels, size="1m"):
        session = LabelSession.open(project, project.document(SEED_ID), "alice", tagset, lock=lock)
        try:
            path = session.path
            session.change(0, label="fact")
            assert session.fold()
            old = path.read_bytes()
            _mount("-o", "remount,ro", str(project.labels))
            try:
                session.change(1, label="quote")
                assert session.sentences[1].label == "quote"
                assert session.status.error and "Read-only file system" in session.status.error
                assert session.fold() is False
                assert "Read-only file system" in (session.status.error or "")
                assert path.read_bytes() == old and temp_files(path) == []
            finally:
                _mount("-o", "remount,rw", str(project.labels))
            session.change(2, label="opinion")
            assert session.status.error is None
            assert session.fold()
            assert labels_of(yaml_only(path), 3) == ["fact", "quote", "opinion"]
        finally:
            session.close()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="root only: drops the effective uid to nobody so that chmod 0555 is enforced")
def test_a_really_forbidden_labels_folder() -> None:
    """``chmod 0555`` on the document's labels folder, with the effective uid dropped to ``nobody``."""
    base = Path(tempfile.mkdtemp(prefix="annotate-eacces-"))
    base.chmod(0o755)  # nobody must be able to reach the project
    folder = None
    try:
        project = make_project(base / "proj")
        session = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
        try:
            path = session.path
            folder = path.parent
            session.change(0, label="fact")
            assert session.fold()
            old = path.read_bytes()
            folder.chmod(0o555)
            os.seteuid(65534)
            try:
                session.change(1, label="quote")
                error_after_change = session.status.error
                folded = session.fold()
                error_after_fold = session.status.error
            finally:
                os.seteuid(0)
                folder.chmod(0o755)
            assert session.sentences[1].label == "quote"
            assert error_after_change and "Permission denied" in error_after_change
            assert folded is False and error_after_fold and "Permission denied" in error_after_fold
            assert path.read_bytes() == old and temp_files(path) == []
            session.change(2, label="opinion")
            assert session.status.error is None
            assert session.fold()
            assert labels_of(yaml_only(path), 3) == ["fact", "quote", "opinion"]
        finally:
            session.close()
    finally:
        if os.geteuid() != 0:  # pragma: no cover - never leave the test process as nobody
            os.seteuid(0)
        if folder is not None:
            with contextlib.suppress(OSError):
                folder.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)
