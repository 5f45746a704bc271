"""The project on disk: sources, annotator names, durable writes and locks."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import HEADLINE, SEED_ID, minimal_label_file, write_source

from annotate.errors import AnnotateError, LockedError
from annotate.segment import segment
from annotate.store import (
    LabelLock,
    Project,
    annotator_name,
    atomic_write,
    read_label_file,
    save_label_file,
)

# --------------------------------------------------------------------------- documents


def test_documents_are_found_by_id_and_by_path(project: Project, monkeypatch) -> None:
    assert [d.id for d in project.documents()] == [SEED_ID]
    by_id = project.document(SEED_ID)
    assert by_id.path == project.seeds / f"{SEED_ID}.txt"
    assert project.document(str(by_id.path)) == by_id
    monkeypatch.chdir(project.root)
    assert project.document(f"seeds/{SEED_ID}.txt") == by_id


def test_nested_document_ids(project: Project) -> None:
    write_source(project, "2019/jan/story", "One sentence here. Another one there.")
    assert project.document("2019/jan/story").id == "2019/jan/story"
    assert "2019/jan/story" in [d.id for d in project.documents()]


def test_unknown_document_is_a_clear_error(project: Project) -> None:
    with pytest.raises(AnnotateError) as info:
        project.document("no-such-doc")
    assert str(info.value).startswith("no-such-doc: no such document")
    assert SEED_ID in str(info.value)  # lists what is there


def test_file_outside_seeds_is_refused(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("Text. More text.")
    with pytest.raises(AnnotateError) as info:
        project.document(str(outside))
    assert "seeds/" in str(info.value)


# --------------------------------------------------------------------------- sources


def source_error(project: Project, raw: bytes | None, name: str = "bad") -> AnnotateError:
    path = project.seeds / f"{name}.txt"
    if raw is not None:
        path.write_bytes(raw)
    from annotate.store import Document

    with pytest.raises(AnnotateError) as info:
        project.read_source(Document(name, path))
    err = info.value
    assert "\n" not in str(err)
    assert str(err).startswith(f"seeds/{name}.txt")
    return err


def test_missing_source(project: Project) -> None:
    assert "missing" in source_error(project, None).message


@pytest.mark.parametrize("raw", [b"", b" \n\t\r\n  "])
def test_empty_or_blank_source(project: Project, raw: bytes) -> None:
    assert "empty" in source_error(project, raw).message


def test_binary_source(project: Project) -> None:
    err = source_error(project, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "binary" in err.message


def test_non_utf8_source_names_line_and_column(project: Project) -> None:
    err = source_error(project, "Première phrase.\nDeuxième phrase.".encode("latin-1"))
    assert "UTF-8" in err.message and "0xe8" in err.message
    assert (err.line, err.column) == (1, 6)


def test_bom_is_dropped_and_offsets_index_the_text(project: Project) -> None:
    write_source(project, "bom", b"\xef\xbb\xbfFirst sentence here. Second one.\n")
    source = project.read_source(project.document("bom"))
    assert source.text.startswith("First")
    spans = segment(source.text)
    assert [source.text[s:e] for s, e in spans] == ["First sentence here.", "Second one."]


def test_crlf_source_offsets_index_the_decoded_text(project: Project) -> None:
    raw = "Headline here\r\n\r\nFirst sentence is here. Second one.\r\nThird line.\r\n"
    write_source(project, "crlf", raw.encode())
    source = project.read_source(project.document("crlf"))
    assert source.text == raw  # line ends are kept: offsets count both \r and \n
    spans = segment(source.text)
    texts = [source.text[s:e] for s, e in spans]
    assert texts[0] == "Headline here"
    assert "First sentence is here." in texts
    assert all(t == t.strip() for t in texts)


def test_source_sha256_is_of_the_bytes(project: Project) -> None:
    import hashlib

    raw = b"\xef\xbb\xbfText. More.\r\n"
    write_source(project, "sha", raw)
    assert project.read_source(project.document("sha")).sha256 == hashlib.sha256(raw).hexdigest()


# --------------------------------------------------------------------------- annotators


def test_annotator_from_option_env_and_login(monkeypatch) -> None:
    import getpass

    monkeypatch.setattr(getpass, "getuser", lambda: "Login.Name")
    assert annotator_name("alice") == "alice"
    monkeypatch.setenv("ANNOTATE_ANNOTATOR", "bob")
    assert annotator_name(None) == "bob"
    assert annotator_name("alice") == "alice"  # the option wins over the environment
    monkeypatch.delenv("ANNOTATE_ANNOTATOR")
    assert annotator_name(None) == "login.name"  # the login, lower-cased


@pytest.mark.parametrize("bad", ["Alice", "alice smith", ".alice", "-alice", "al/ice", "a:b", "é"])
def test_invalid_annotator_names_are_refused(monkeypatch, bad: str) -> None:
    with pytest.raises(AnnotateError) as info:
        annotator_name(bad)
    assert repr(bad) in str(info.value) and "--annotator" in str(info.value)
    monkeypatch.setenv("ANNOTATE_ANNOTATOR", bad)
    with pytest.raises(AnnotateError) as info:
        annotator_name(None)
    assert "ANNOTATE_ANNOTATOR" in str(info.value)


def test_login_name_that_cannot_be_an_annotator_is_refused(monkeypatch) -> None:
    import getpass

    monkeypatch.setattr(getpass, "getuser", lambda: "John Smith")
    with pytest.raises(AnnotateError) as info:
        annotator_name(None)
    assert "login" in str(info.value) and "'john smith'" in str(info.value)


# --------------------------------------------------------------------------- durability


def enospc(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch,
                                                           where: str) -> None:
    path = tmp_path / "labels" / "alice.yaml"
    atomic_write(path, b"old content\n")
    monkeypatch.setattr(os, where, enospc)
    with pytest.raises(OSError) as info:
        atomic_write(path, b"new content that does not fit\n")
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert path.read_bytes() == b"old content\n"
    assert os.listdir(path.parent) == ["alice.yaml"]


def test_failed_first_write_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(os, "fsync", enospc)
    with pytest.raises(OSError):
        atomic_write(tmp_path / "alice.yaml", b"content")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_written_files_are_not_private_and_keep_their_mode(tmp_path: Path) -> None:
    path = tmp_path / "alice.yaml"
    atomic_write(path, b"a")
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert path.stat().st_mode & 0o777 != 0o600
    path.chmod(0o664)
    atomic_write(path, b"b")
    assert path.stat().st_mode & 0o777 == 0o664
    assert path.read_bytes() == b"b"


def test_save_label_file_is_atomic_on_a_full_disk(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "alice.yaml"
    save_label_file(path, minimal_label_file())
    before = path.read_bytes()
    changed = minimal_label_file()
    changed.sentences[0].label = "quote"
    monkeypatch.setattr(os, "fsync", enospc)
    with pytest.raises(OSError):
        save_label_file(path, changed)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert read_label_file(path)[0].sentences[0].label is None


# --------------------------------------------------------------------------- locks

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from annotate.store import LabelLock
    lock = LabelLock(Path(sys.argv[1]), "annotate label")
    lock.acquire()
    print("locked", flush=True)
    time.sleep(60)
    """
)


def test_second_lock_in_the_same_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "labels" / "doc" / "alice.yaml"
    first = LabelLock(path)
    first.acquire()
    try:
        with pytest.raises(LockedError) as info:
            LabelLock(path).acquire()
        message = str(info.value)
        assert f"pid {os.getpid()}" in message
        assert "alice.yaml" in message and "\n" not in message
    finally:
        first.release()
    with LabelLock(path):  # free again once released
        pass


def test_lock_held_by_another_process_then_killed(tmp_path: Path) -> None:
    path = tmp_path / "labels" / "doc" / "alice.yaml"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError) as info:
            LabelLock(path).acquire()
        assert f"pid {proc.pid}" in str(info.value)
        assert "annotate label" in str(info.value)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
    with LabelLock(path):  # the kernel dropped the dead holder's lock
        pass


def test_headline_of_the_seed_is_its_first_sentence(project: Project) -> None:
    source = project.read_source(project.document(SEED_ID))
    s, e = segment(source.text)[0]
    assert source.text[s:e] == HEADLINE
