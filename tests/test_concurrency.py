"""Several processes on one project: locks, stale locks, parallel annotators, review, git replacing files.

- Two sessions (or ``annotate label``) on the same document and annotator: the
  second is refused and names the first's pid, in one process and across processes.
- A lock left by a SIGKILLed process is taken over (flock dies with its holder),
  and the killed process's journal is replayed.
- Two annotators (and a reviewer writing gold) on one document at once: every
  file complete, valid and independent.
- A label file replaced under an open session (``git pull``/``git checkout``):
  noticed, never overwritten with the old state, reloaded; also through the screen.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Static

from annotate.cli import main
from annotate.errors import AnnotateError, LockedError
from annotate.models import GOLD, LabelFile
from annotate.reading import document_labels as load_document_labels
from annotate.reading import journal_path, load_current
from annotate.session import LabelSession
from annotate.store import LabelLock, Project, atomic_write, dump_label_file, read_label_file
from annotate.tui.app import AppOptions, make_app
from annotate.tui.label_screen import LabelScreen

sys.path.insert(0, str(Path(__file__).parent))
from conftest import SEED_ID, run_async, start_labels  # noqa: E402
from snapshot_apps import wait_for_document

REPO = Path(__file__).resolve().parent.parent
NAMES = ["fact", "speculation", "quote", "opinion"]


# --------------------------------------------------------------------------- helpers

CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from annotate.store import Project
    from annotate.session import LabelSession
    root, doc_id, annotator, mode = sys.argv[1:5]
    project = Project(root)
    doc = project.document(doc_id)
    tagset = project.tagset()
    names = tagset.names[:4]
    if mode == "hold":  # lock, label the first sentence (journal only), wait to be killed
        s = LabelSession.open(project, doc, annotator, tagset, purpose="annotate label")
        s.change(0, label="fact")
        print("ready", os.getpid(), flush=True)
        time.sleep(120)
    elif mode == "label":  # wait for go, relabel every sentence many rounds, folding now and then
        rounds, shift, go = int(sys.argv[5]), int(sys.argv[6]), Path(sys.argv[7])
        s = LabelSession.open(project, doc, annotator, tagset, purpose="annotate label")
        print("ready", os.getpid(), flush=True)
        while not go.exists():
            time.sleep(0.005)
        n = len(s.sentences)
        for r in range(rounds):
            for i in range(n):
                s.change(i, label=names[(i + shift + r) % 4])
                if i % 7 == 0:
                    assert s.fold(), s.status.error
        s.close()
        print("done", flush=True)
""")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), env.get("PYTHONPATH", "")] if p)
    return env


def spawn(project: Project, annotator: str, mode: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(project.root), SEED_ID, annotator, mode, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())


def read_line(proc: subprocess.Popen[str], timeout: float = 30) -> str:
    """The child's next stdout line, or fail with its stderr after ``timeout`` seconds."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        proc.kill()
        raise AssertionError(f"no answer from the child: {proc.stderr.read() if proc.stderr else ''}")
    line = proc.stdout.readline()
    if not line:
        proc.wait(10)
        raise AssertionError(f"child exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
    return line.strip()


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> None:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    assert proc.returncode == 0, err
    assert "done" in out, (out, err)


@pytest.fixture
def reaper() -> Iterator[list[subprocess.Popen[str]]]:
    """Children to kill at teardown, whatever happened (only those this test started)."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def labels_of(lf: LabelFile) -> list[str | None]:
    return [s.label for s in lf.sentences]




def git_replace(path: Path, labels: LabelFile) -> bytes:
    """Replace a label file the way git does: a new file renamed over the old one (new inode)."""
    data = dump_label_file(labels).encode()
    tmp = path.with_name("git-tmp-object")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return data


def relabeled(path: Path, changes: dict[int, str | None]) -> LabelFile:
    """The label file at ``path`` (YAML only) with some labels changed: "the version from git"."""
    labels = read_label_file(path)[0]
    for i, name in changes.items():
        labels.sentences[i].label = name
    return labels


# --------------------------------------------------------------------------- locks


def test_a_second_session_is_refused_and_names_the_first(project: Project) -> None:
    tagset = project.tagset()
    doc = project.document(SEED_ID)
    first = LabelSession.open(project, doc, "alice", tagset, purpose="annotate label")
    try:
        with pytest.raises(LockedError) as info:
            LabelSession.open(project, doc, "alice", tagset)
        message = str(info.value)
        assert f"pid {os.getpid()}" in message and "annotate label" in message
        assert message.startswith(f"labels/{SEED_ID}/alice.yaml: ") or f"{SEED_ID}/alice.yaml" in message
        assert "\n" not in message
        # the CLI refuses too, before any screen, with exit code 2 and one line
        result = CliRunner().invoke(main, ["--root", str(project.root), "label", SEED_ID, "--annotator", "alice"])
        assert result.exit_code == 2, result.output
        assert f"pid {os.getpid()}" in result.stderr and result.stderr.count("\n") == 1
        # and a different annotator is not blocked
        other = LabelSession.open(project, doc, "bob", tagset)
        other.close()
    finally:
        first.close()
    LabelSession.open(project, doc, "alice", tagset).close()  # free once closed


def test_another_process_holding_the_lock_is_named(project: Project,
                                                   reaper: list[subprocess.Popen[str]]) -> None:
    tagset = project.tagset()
    doc = project.document(SEED_ID)
    start_labels(project)  # the file exists
    child = spawn(project, "alice", "hold")
    reaper.append(child)
    word, pid = read_line(child).split()
    assert word == "ready" and int(pid) == child.pid
    with pytest.raises(LockedError) as info:
        LabelSession.open(project, doc, "alice", tagset)
    assert f"pid {child.pid}" in str(info.value) and "annotate label" in str(info.value)
    # `annotate label` as a real process: refused at once, naming the holder
    proc = subprocess.run([sys.executable, "-m", "annotate", "--root", str(project.root), "label", SEED_ID,
                           "--annotator", "alice"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env=child_env())
    assert proc.returncode == 2, proc.stderr
    assert f"pid {child.pid}" in proc.stderr and proc.stderr.startswith("annotate: ")
    assert proc.stderr.count("\n") == 1
    # the lock file names the holder for anyone who asks
    assert LabelLock(project.label_path(SEED_ID, "alice")).holder().startswith("annotate label pid")


def test_a_stale_lock_of_a_killed_process_is_taken_over(project: Project,
                                                        reaper: list[subprocess.Popen[str]]) -> None:
    tagset = project.tagset()
    doc = project.document(SEED_ID)
    child = spawn(project, "alice", "hold")
    reaper.append(child)
    assert read_line(child).startswith("ready")
    path = project.label_path(SEED_ID, "alice")
    lock = LabelLock(path)
    assert f"pid {child.pid}" in lock.holder()
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(10) == -signal.SIGKILL
    assert f"pid {child.pid}" in lock.holder()  # the lock file still names the dead process...
    session = LabelSession.open(project, doc, "alice", tagset)  # ...but the kernel dropped its flock
    try:
        assert f"pid {os.getpid()}" in lock.holder()
        assert session.sentences[0].label == "fact"  # the killed process's journal is replayed
    finally:
        session.close()
    assert read_label_file(path)[0].sentences[0].label == "fact"


def test_a_lock_file_with_garbage_or_a_dead_pid_does_not_block(project: Project) -> None:
    path = project.label_path(SEED_ID, "alice")
    lock = LabelLock(path)
    lock.path.parent.mkdir(parents=True, exist_ok=True)
    for content in (b"", b"\x00\xff garbage", b'{"pid": 999999999, "host": "elsewhere", "what": "annotate label"}'):
        lock.path.write_bytes(content)
        session = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
        session.close()


# --------------------------------------------------------------------------- parallel writers


def _expected(n: int, shift: int, rounds: int) -> list[str]:
    return [NAMES[(i + shift + rounds - 1) % 4] for i in range(n)]


def test_two_annotators_at_once_write_complete_independent_files(project: Project, tmp_path: Path,
                                                                 reaper: list[subprocess.Popen[str]]) -> None:
    start_labels(project)
    n = len(read_label_file(project.label_path(SEED_ID, "alice"))[0].sentences)
    go = tmp_path / "go"
    rounds = 6
    procs = {name: spawn(project, name, "label", str(rounds), str(shift), str(go))
             for name, shift in (("alice", 0), ("bob", 1))}
    reaper.extend(procs.values())
    for proc in procs.values():
        assert read_line(proc).startswith("ready")
    go.touch()
    for proc in procs.values():
        finish(proc)
    for name, shift in (("alice", 0), ("bob", 1)):
        path = project.label_path(SEED_ID, name)
        labels = read_label_file(path)[0]
        assert labels.annotator == name and labels.document == SEED_ID
        assert labels_of(labels) == _expected(n, shift, rounds), name
        assert not journal_path(path).exists()
        assert not list(path.parent.glob("*.tmp"))
    result = CliRunner().invoke(main, ["--root", str(project.root), "validate"])
    assert result.exit_code == 0, result.output


def test_review_while_an_annotator_keeps_labeling(project: Project, tmp_path: Path,
                                                  reaper: list[subprocess.Popen[str]]) -> None:
    """Gold decisions are written while alice's process rewrites her file: no corruption, no cross-writes."""
    tagset = project.tagset()
    doc = project.document(SEED_ID)
    start_labels(project, label="fact")
    go = tmp_path / "go"
    rounds = 20
    alice = spawn(project, "alice", "label", str(rounds), "2", str(go))
    reaper.append(alice)
    assert read_line(alice).startswith("ready")
    gold = LabelSession.open(project, doc, GOLD, tagset, purpose="annotate review")
    decided: dict[int, str] = {}
    reads = reads_while_labeling = 0
    try:
        go.touch()
        n = len(gold.sentences)
        k = 0
        while alice.poll() is None or k < n:
            running = alice.poll() is None
            seen = load_document_labels(project, doc)  # never a half-written file, never an error
            reads += 1
            reads_while_labeling += running
            assert "alice" in seen.files and seen.files["alice"].annotator == "alice"
            i = k % n
            label = NAMES[(i * 3) % 4]
            gold.change(i, label=label, reviewer="rita", annotator_labels={"alice": seen.files["alice"].sentences[i]
                                                                           .label})
            decided[i] = label
            if k % 5 == 0:
                assert gold.fold(), gold.status.error
            k += 1
            if k > 20 * n:
                break
    finally:
        gold.close()
    finish(alice)
    alice_file = read_label_file(project.label_path(SEED_ID, "alice"))[0]
    gold_file = read_label_file(project.label_path(SEED_ID, GOLD))[0]
    assert alice_file.annotator == "alice" and gold_file.annotator == GOLD
    assert labels_of(alice_file) == _expected(len(alice_file.sentences), 2, rounds)
    assert all(s.reviewer is None and s.annotator_labels is None for s in alice_file.sentences)
    assert {i: gold_file.sentences[i].label for i in decided} == decided
    assert all(gold_file.sentences[i].reviewer == "rita" for i in decided)
    assert reads_while_labeling >= 10, f"only {reads_while_labeling} reads overlapped alice's writes"
    result = CliRunner().invoke(main, ["--root", str(project.root), "validate"])
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- replaced under an open session


def test_a_file_replaced_by_git_is_noticed_never_overwritten_and_reloaded(project: Project) -> None:
    session = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
    path = session.path
    try:
        session.change(0, label="fact")
        assert session.fold()
        assert not session.changed_on_disk()
        new = git_replace(path, relabeled(path, {0: "opinion", 1: "quote"}))
        assert session.changed_on_disk()
        session.change(3, label="speculation")  # a key pressed before the screen noticed
        assert session.fold() is False
        assert session.status.error and "changed on disk" in session.status.error
        assert session.status.error.startswith(session.where)
        assert path.read_bytes() == new, "the old state was written over the new file"
        session.reload()
        assert not session.changed_on_disk()
        assert labels_of(session.labels)[:4] == ["opinion", "quote", None, "speculation"]
        assert not session.undo_stack  # undo would bring back the old state: dropped
        assert session.fold()
        assert labels_of(read_label_file(path)[0])[:4] == ["opinion", "quote", None, "speculation"]
    finally:
        session.close()
    assert labels_of(read_label_file(path)[0])[:4] == ["opinion", "quote", None, "speculation"]


def test_after_a_replacement_what_is_shown_is_what_is_on_disk(project: Project) -> None:
    """An unfolded change, then the file replaced: after reload the session and the disk agree exactly."""
    session = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
    path = session.path
    try:
        session.change(0, label="fact")  # in the journal only
        git_replace(path, relabeled(path, {0: "opinion", 2: "quote"}))
        session.reload()
        assert labels_of(session.labels) == labels_of(load_current(path))
        assert session.labels.sentences[2].label == "quote"
        assert session.fold()
        assert labels_of(read_label_file(path)[0]) == labels_of(session.labels)
    finally:
        session.close()


def test_a_conflicted_file_from_git_is_never_overwritten(project: Project) -> None:
    session = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
    path = session.path
    try:
        session.change(0, label="fact")
        assert session.fold()
        good = path.read_bytes()
        lines = good.split(b"\n")
        conflicted = b"\n".join([*lines[:12], b"<<<<<<< HEAD", lines[12], b"=======", lines[12],
                                 b">>>>>>> theirs", *lines[13:]])
        tmp = path.with_name("tmp")
        tmp.write_bytes(conflicted)
        os.replace(tmp, path)
        assert session.changed_on_disk()
        with pytest.raises(AnnotateError) as info:
            session.reload()
        assert str(info.value).startswith(session.where + ":") and "\n" not in str(info.value)
        session.change(1, label="quote")
        assert session.fold() is False and "changed on disk" in (session.status.error or "")
        assert path.read_bytes() == conflicted
        assert labels_of(session.labels)[:2] == ["fact", "quote"]  # kept in memory (and journal)
        atomic_write(path, good)  # the conflict resolved
        session.reload()
        assert labels_of(session.labels)[:2] == ["fact", "quote"]
        assert session.fold()
    finally:
        session.close()
    assert labels_of(read_label_file(path)[0])[:2] == ["fact", "quote"]


@pytest.mark.parametrize("damage", ["unknown label", "another annotator", "another document", "text mismatch"])
def test_a_replacement_that_is_wrong_for_this_session_is_refused_and_changes_nothing(project: Project,
                                                                                     damage: str) -> None:
    """The new file parses but does not fit (bad label, someone else's file): reload refuses, nothing moves."""
    session = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
    path = session.path
    try:
        session.change(0, label="fact")
        assert session.fold()
        before = labels_of(session.labels)
        new = relabeled(path, {1: "quote"})
        if damage == "unknown label":
            new.sentences[2].label = "bogus"
        elif damage == "another annotator":
            new.annotator = "bob"
        elif damage == "another document":
            new.document = "other-doc"
        else:
            new.sentences[2].text = "not the source"
        replaced = git_replace(path, new)
        with pytest.raises(AnnotateError) as info:
            session.reload()
        assert str(info.value).startswith(session.where + ":") and "\n" not in str(info.value)
        assert labels_of(session.labels) == before, "a refused file still replaced what the session holds"
        assert session.fold() is False and path.read_bytes() == replaced
    finally:
        session.close()
    assert path.read_bytes() == replaced
    with pytest.raises(AnnotateError):  # and nobody opens it for editing either
        LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset()).close()


def _row(screen: LabelScreen, index: int) -> str:
    assert screen.view is not None
    return "".join(strip.text for strip in screen.view._strips(index))




@run_async
async def test_the_screen_follows_a_replaced_file_and_never_writes_the_old_state(project: Project) -> None:
    session = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
    session.change(0, label="fact")
    session.change(1, label="fact")
    session.close()
    path = project.label_path(SEED_ID, "alice")
    app = make_app(AppOptions(project, "alice", documents=[project.document(SEED_ID)]))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await wait_for_document(pilot, 300)
        assert screen.session is not None
        n = len(screen.session.sentences)
        assert "FACT" in _row(screen, 0)
        git_replace(path, relabeled(path, {0: "opinion", 1: None, 2: "quote"}))
        screen._watch_disk()
        await pilot.pause()
        assert labels_of(screen.session.labels)[:3] == ["opinion", None, "quote"]
        assert "OPIN" in _row(screen, 0) and "FACT" not in _row(screen, 0)
        assert "QUOT" in _row(screen, 2)
        assert f"2/{n}" in str(screen.query_one("#bar", Static).content)
        await pilot.press("end", "2")  # a later key: the last sentence
        await pilot.pause()
        want = ["opinion", None, "quote"] + [None] * (n - 4) + ["speculation"]
        assert labels_of(load_current(path)) == want
        screen.session.fold()
        assert labels_of(read_label_file(path)[0]) == want, "the old state came back"
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert labels_of(read_label_file(path)[0]) == want


@run_async
async def test_the_screen_notices_a_replacement_by_itself(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """No direct call: the screen's own watch timer reloads the file."""
    from annotate.tui import document_screen

    monkeypatch.setattr(document_screen, "WATCH_INTERVAL", 0.05)
    path = start_labels(project)
    app = make_app(AppOptions(project, "alice", documents=[project.document(SEED_ID)]))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await wait_for_document(pilot, 300)
        assert screen.session is not None
        git_replace(path, relabeled(path, {0: "quote"}))
        deadline = time.monotonic() + 10
        while screen.session.sentences[0].label != "quote" and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert screen.session.sentences[0].label == "quote" and "QUOT" in _row(screen, 0)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert read_label_file(path)[0].sentences[0].label == "quote"
