"""An open label file: every change on disk before change() returns, folding, undo, crashes."""

from __future__ import annotations

import errno
import os

import pytest
from conftest import HEADLINE, SEED_ID, crash

from annotate.errors import AnnotateError, LockedError
from annotate.reading import journal_path, load_current
from annotate.session import LabelSession
from annotate.store import SCHEMA_HEADER, LabelLock, Project, read_label_file


def on_disk(session: LabelSession):
    """What any other reader (validate, status, a new session) sees now."""
    return load_current(session.path)


def yaml_only(session: LabelSession):
    return read_label_file(session.path)[0]


def test_opening_creates_no_file_and_leaving_unlabeled_leaves_none(open_session, project: Project) -> None:
    session = open_session()
    path = project.label_path(SEED_ID, "alice")
    assert session.path == path and not path.exists()
    session.add_seconds(0, 12.0)  # time on a sentence is not a change of the annotation
    session.close()
    assert not path.exists()
    assert [p.name for p in path.parent.iterdir() if not p.name.startswith(".")] == []


def test_the_first_change_creates_a_label_file_with_every_sentence(open_session, project: Project) -> None:
    session = open_session()
    path = project.label_path(SEED_ID, "alice")
    session.add_seconds(0, 3.0)
    session.change(1, note="check the date")
    assert path.is_file()  # the YAML file, not only the journal
    text = path.read_text(encoding="utf-8")
    assert text.startswith(SCHEMA_HEADER + "\n")
    labels = yaml_only(session)
    source = project.read_source(project.document(SEED_ID))
    assert labels.source_sha256 == source.sha256
    assert labels.annotator == "alice" and labels.document == SEED_ID
    assert labels.source == f"seeds/{SEED_ID}.txt"
    assert labels.sentences[0].text == HEADLINE
    assert all(source.text[s.start : s.end] == s.text for s in labels.sentences)
    assert labels.labeled == 0 and len(labels.sentences) >= 4
    assert labels.sentences[0].seconds == 3.0 and labels.sentences[1].note == "check the date"


def test_change_is_on_disk_before_it_returns(open_session) -> None:
    session = open_session()
    session.change(0, unsure=True)  # the file comes into being with the first change
    change = session.change(2, label="quote")
    assert change is not None and change.index == 2
    assert on_disk(session).sentences[2].label == "quote"  # journal, without folding
    assert yaml_only(session).sentences[2].label is None  # not folded yet
    session.change(2, unsure=True, note="who said it?")
    current = on_disk(session).sentences[2]
    assert (current.label, current.unsure, current.note) == ("quote", True, "who said it?")


def test_unchanged_value_is_not_a_change(open_session) -> None:
    session = open_session()
    session.change(0, label="fact")
    assert session.change(0, label="fact") is None
    assert len(session.undo_stack) == 1


def test_unknown_label_is_refused(open_session) -> None:
    session = open_session()
    with pytest.raises(AnnotateError, match="'fakt' is not a label of tagset claim-types"):
        session.change(0, label="fakt")
    assert not session.path.exists()  # nothing was written


def test_fold_empties_the_journal_and_writes_the_yaml(open_session) -> None:
    session = open_session()
    session.change(0, label="fact")
    session.change(1, label="speculation", note="hedged")
    assert journal_path(session.path).exists() and session.dirty
    assert session.fold() is True
    assert not journal_path(session.path).exists() and not session.dirty
    labels = yaml_only(session)
    assert labels.sentences[0].label == "fact"
    assert (labels.sentences[1].label, labels.sentences[1].note) == ("speculation", "hedged")
    session.change(3, label="opinion")  # and journaling goes on after a fold
    assert on_disk(session).sentences[3].label == "opinion"


def test_close_folds_and_releases_the_lock(open_session, project: Project, tagset) -> None:
    session = open_session()
    session.change(0, label="fact")
    session.close()
    assert yaml_only(session).sentences[0].label == "fact"
    assert not journal_path(session.path).exists()
    again = LabelSession.open(project, project.document(SEED_ID), "alice", tagset)
    try:
        assert again.sentences[0].label == "fact"
    finally:
        again.close()


def test_undo_redo_chain(open_session) -> None:
    session = open_session()
    session.change(0, label="fact")
    session.change(0, label="opinion")
    session.change(1, label="quote")

    assert session.undo().index == 1
    assert on_disk(session).sentences[1].label is None
    assert session.undo().index == 0
    assert on_disk(session).sentences[0].label == "fact"
    session.undo()
    assert on_disk(session).sentences[0].label is None
    assert session.undo() is None  # nothing more to undo

    session.redo()
    session.redo()
    assert on_disk(session).sentences[0].label == "opinion"
    session.change(2, label="fact")  # a new change drops what could be redone
    assert session.redo() is None
    assert [s.label for s in on_disk(session).sentences[:3]] == ["opinion", None, "fact"]
    session.fold()
    assert [s.label for s in yaml_only(session).sentences[:3]] == ["opinion", None, "fact"]


def test_time_spent_is_saved_but_not_undone(open_session) -> None:
    session = open_session()
    session.change(0, label="fact")
    session.add_seconds(0, 2.5)
    session.add_seconds(0, 1.0)
    assert on_disk(session).sentences[0].seconds == 3.5
    session.undo()
    current = on_disk(session).sentences[0]
    assert current.label is None and current.seconds == 3.5


def test_crash_then_reopen_replays_the_journal(open_session) -> None:
    session = open_session()
    session.change(0, label="fact")
    session.change(1, label="speculation", unsure=True)
    crash(session)
    del session
    again = open_session()
    assert again.sentences[0].label == "fact"
    assert (again.sentences[1].label, again.sentences[1].unsure) == ("speculation", True)
    # opening folded the journal into the YAML file
    assert not journal_path(again.path).exists()
    assert yaml_only(again).sentences[1].label == "speculation"


def test_torn_last_journal_line_is_skipped(open_session) -> None:
    session = open_session()
    session.change(0, label="fact")
    session.change(1, label="quote")
    crash(session)
    jpath = journal_path(session.path)
    raw = jpath.read_bytes()
    jpath.write_bytes(raw[: len(raw) - 7])  # the power went out mid-line
    assert on_disk(session).sentences[0].label == "fact"
    assert on_disk(session).sentences[1].label is None
    again = open_session()
    assert [again.sentences[0].label, again.sentences[1].label] == ["fact", None]
    again.change(2, label="opinion")
    again.close()
    labels = yaml_only(again)
    assert [s.label for s in labels.sentences[:3]] == ["fact", None, "opinion"]


def test_second_session_on_the_same_file_is_refused(open_session) -> None:
    session = open_session()
    with pytest.raises(LockedError) as info:
        open_session()
    assert f"pid {os.getpid()}" in str(info.value)
    session.close()
    open_session()  # free once closed


def test_journal_write_failure_keeps_the_change_and_reports(open_session, monkeypatch) -> None:
    session = open_session()
    session.change(0, label="fact")
    real_write = os.write

    def full_disk(fd: int, data: bytes) -> int:
        if fd in (1, 2):
            return real_write(fd, data)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full_disk)
    change = session.change(1, label="quote")
    monkeypatch.undo()
    assert change is not None
    assert session.status.error is not None and "cannot save" in session.status.error
    assert session.sentences[1].label == "quote"  # kept in memory
    assert session.dirty
    assert session.fold() is True
    assert session.status.error is None
    labels = yaml_only(session)
    assert [labels.sentences[0].label, labels.sentences[1].label] == ["fact", "quote"]


def test_journal_failure_then_next_change_writes_both(open_session, monkeypatch) -> None:
    session = open_session()
    session.change(2, unsure=True)
    monkeypatch.setattr(os, "write", lambda fd, data: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, "No space left on device")))
    session.change(0, label="fact")
    monkeypatch.undo()
    assert session.status.error
    session.change(1, label="opinion")
    assert session.status.error is None
    current = on_disk(session)
    assert [current.sentences[0].label, current.sentences[1].label] == ["fact", "opinion"]


def test_fold_failure_keeps_the_old_yaml_and_the_journal(open_session, monkeypatch) -> None:
    session = open_session()
    session.change(2, unsure=True)
    before = session.path.read_bytes()
    session.change(0, label="fact")

    def enospc(*_a: object, **_kw: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", enospc)
    assert session.fold() is False
    monkeypatch.undo()
    assert session.status.error and "No space left" in session.status.error
    assert session.path.read_bytes() == before
    assert on_disk(session).sentences[0].label == "fact"  # still safe in the journal
    assert session.fold() is True and session.status.error is None


def test_broken_file_is_never_overwritten(project: Project, tagset) -> None:
    path = project.label_path(SEED_ID, "alice")
    path.parent.mkdir(parents=True)
    broken = b"version: 1\ndocument: kim-visits-beijing\nsentences: [\n"
    path.write_bytes(broken)
    doc = project.document(SEED_ID)
    with pytest.raises(AnnotateError) as info:
        LabelSession.open(project, doc, "alice", tagset)
    assert str(info.value).startswith("labels/kim-visits-beijing/alice.yaml:")
    assert path.read_bytes() == broken
    with LabelLock(path):  # the failed open did not keep the lock
        pass


def test_file_with_unknown_label_is_not_opened_or_changed(open_session, project: Project,
                                                          tagset) -> None:
    session = open_session()
    session.change(0, label="fact")
    session.close()
    path = session.path
    text = path.read_text(encoding="utf-8").replace("label: fact", "label: fakt", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnnotateError, match="'fakt' is not a label of tagset claim-types"):
        LabelSession.open(project, project.document(SEED_ID), "alice", tagset)
    assert path.read_text(encoding="utf-8") == text


def test_session_on_another_tagset_is_refused(open_session, project: Project, tagset) -> None:
    session = open_session()
    session.change(0, label="fact")
    session.close()
    other = tagset.model_copy(update={"name": "other"})
    with pytest.raises(AnnotateError, match="claim-types"):
        LabelSession.open(project, project.document(SEED_ID), "alice", other)


def test_each_annotator_has_their_own_file(open_session, project: Project) -> None:
    a = open_session(annotator="alice")
    b = open_session(annotator="bob")
    a.change(0, label="fact")
    b.change(0, label="opinion")
    a.close()
    b.close()
    assert read_label_file(project.label_path(SEED_ID, "alice"))[0].sentences[0].label == "fact"
    assert read_label_file(project.label_path(SEED_ID, "bob"))[0].sentences[0].label == "opinion"


def test_reopen_after_source_change_reanchors(open_session, project: Project) -> None:
    session = open_session()
    session.change(0, label="fact")
    session.change(2, label="quote", note="attributed")
    first, third = session.sentences[0].text, session.sentences[2].text
    session.close()
    src = project.seeds / f"{SEED_ID}.txt"
    src.write_text("Breaking: an added first line.\n\n" + src.read_text(encoding="utf-8"),
                   encoding="utf-8")
    again = open_session()
    assert again.report is not None and len(again.report.moved) == 2
    by_text = {s.text: s for s in again.sentences}
    assert by_text[first].label == "fact"
    assert (by_text[third].label, by_text[third].note) == ("quote", "attributed")
    assert again.sentences[0].label is None  # the new line is not labeled
    labels = yaml_only(again)  # saved re-anchored, with the new checksum
    assert labels.source_sha256 == project.read_source(project.document(SEED_ID)).sha256
    assert by_text[first].start == labels.sentences[1].start


def test_temp_files_of_a_killed_save_are_removed_on_open(project: Project) -> None:
    """kill -9 inside atomic_write leaves .alice.yaml.XXXX.tmp; the next session (holding the lock) removes it."""
    tagset = project.tagset()
    doc = project.document(SEED_ID)
    session = LabelSession.open(project, doc, "alice", tagset)
    session.change(0, label="fact")
    session.close()
    path = project.label_path(SEED_ID, "alice")
    left = path.parent / f".{path.name}.k3j_x1.tmp"
    left.write_bytes(path.read_bytes()[:100])  # half a file
    other = path.parent / ".bob.yaml.k3j_x1.tmp"  # another annotator's: not ours to touch
    other.write_bytes(b"x")
    session = LabelSession.open(project, doc, "alice", tagset)
    try:
        assert not left.exists() and other.exists()
        assert session.sentences[0].label == "fact"
    finally:
        session.close()
