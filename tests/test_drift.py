"""Source drift: the source is edited between sessions, under a running screen, and between review and export.

No label is ever dropped: each one stays on a sentence with the same text (an edit of
whitespace only: the same words) or is kept as an orphan, which the annotator sees
(bar, notification, shift+O) and re-attaches or discards on purpose.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner, Result
from conftest import SEED_ID, crash, run_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from snapshot_apps import labeling, wait_for_document
from test_anchor import edits, sentence_st
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from annotate import reading as reading_module
from annotate import segment as segment_module
from annotate.anchor import reanchor
from annotate.cli import main
from annotate.models import GOLD, LabelFile, Sentence
from annotate.reading import journal_path, load_current
from annotate.session import LabelSession
from annotate.store import Project, read_label_file, save_label_file
from annotate.tui import document_screen
from annotate.tui.app import AnnotateApp, AppOptions, make_app
from annotate.tui.dialogs import OrphansDialog
from annotate.tui.document_view import DocumentView
from annotate.tui.label_screen import LabelScreen
from annotate.tui.review_screen import ReviewScreen

LABELS = ["fact", "speculation", "quote", "opinion", "fact", "speculation", "quote", "opinion"]
"""Given to sentences 0..7 of the sample article."""

INSERTED = "Correction: an earlier version of this story gave the wrong date for the visit."
REWRITTEN = "Officials in Seoul declined to comment on any of the reports about the trip."
REWRITTEN_AT, DELETED_AT, RESPACED_AT = 2, 4, 6
"""The edit: a new first sentence, sentence 3 rewritten, sentence 5 deleted, sentence 7's spaces changed."""




@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen's clock stands still: no time spent is recorded, so only labels carry data."""
    monkeypatch.setattr(document_screen, "time", SimpleNamespace(monotonic=lambda: 1000.0))


# helpers ---------------------------------------------------------------------------------------------------


def source_path(project: Project) -> Path:
    return project.seeds / f"{SEED_ID}.txt"


def squeeze(text: str) -> str:
    """A text with its whitespace collapsed: what a whitespace-only edit keeps."""
    return " ".join(text.split())


def edit_source(project: Project, old: list[Sentence]) -> str:
    """Edit the sample article as a copy editor would; returns the new text.

    A sentence inserted before everything, one labeled sentence rewritten beyond
    recognition, one deleted with its paragraph break, a labeled sentence's inner
    spaces doubled, and blank lines added between two paragraphs.
    """
    path = source_path(project)
    text = path.read_text("utf-8")
    for i in (REWRITTEN_AT, DELETED_AT, RESPACED_AT, DELETED_AT + 1):
        assert text.count(old[i].text) == 1
    new = text.replace(old[RESPACED_AT].text, old[RESPACED_AT].text.replace(" ", "  ", 3), 1)
    new = new.replace(old[REWRITTEN_AT].text, REWRITTEN, 1)
    assert old[DELETED_AT].text + "\n\n" in new
    new = new.replace(old[DELETED_AT].text + "\n\n", "", 1)
    new = new.replace("\n\n" + old[DELETED_AT + 1].text, "\n\n \n\n" + old[DELETED_AT + 1].text, 1)
    new = f"{INSERTED}\n\n{new}"
    path.write_text(new, encoding="utf-8")
    return new


def check_no_label_lost(labels: LabelFile, before: list[tuple[str, str | None]], text: str) -> None:
    """Every label of ``before`` (text, label) is on a sentence with that text (whitespace aside) or an orphan."""
    for s in labels.sentences:
        assert text[s.start:s.end] == s.text
    placed = {squeeze(s.text): s.label for s in labels.sentences if s.label is not None}
    orphans = [(o.text, o.label) for o in labels.orphans]
    for old_text, label in before:
        assert placed.get(squeeze(old_text)) == label or (old_text, label) in orphans, (old_text, label)
    assert labels.labeled + sum(1 for o in labels.orphans if o.label) == len(before)


def expected_orphans(old: list[Sentence]) -> list[tuple[str, str]]:
    return [(old[i].text, LABELS[i]) for i in (REWRITTEN_AT, DELETED_AT)]


def validate(project: Project, *paths: Path) -> Result:
    return CliRunner().invoke(main, ["--root", str(project.root), "validate", *map(str, paths)])


def check_file(project: Project, text: str, before: list[tuple[str, str | None]], orphans: int,
               annotator: str = "alice") -> LabelFile:
    """The YAML file alone (journal folded) has the new sha256 and spans, keeps every label and validates."""
    path = project.label_path(SEED_ID, annotator)
    assert not journal_path(path).exists()
    labels = read_label_file(path)[0]
    assert labels.source_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    check_no_label_lost(labels, before, text)
    assert len(labels.orphans) == orphans
    result = validate(project, path)
    assert result.exit_code == 0, result.output
    return labels


async def wait_until(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 15) -> None:
    """Let the app run until ``condition`` holds (the watch timer, a worker); fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def bar(screen: LabelScreen) -> str:
    return str(screen.query_one("#bar", Static).content)


def messages(app: AnnotateApp) -> list[str]:
    return [n.message for n in app._notifications]


async def open_orphans(pilot: Pilot[None]) -> OrphansDialog:
    await pilot.press("O")
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, OrphansDialog)
    return dialog


async def reattach_and_discard(pilot: Pilot[None], screen: LabelScreen, project: Project,
                               old: list[Sentence], text: str) -> None:
    """Both orphans are listed; re-attach one (undo, redo), discard the other: the file after each step."""
    path = project.label_path(SEED_ID, screen.annotator)
    session = screen.session
    assert session is not None
    target = next(i for i, s in enumerate(session.sentences) if s.text == REWRITTEN)
    screen.goto_sentence(target + 1)
    assert screen.cursor == target

    dialog = await open_orphans(pilot)
    assert [(t, lab) for t, lab, _ in dialog.orphans] == expected_orphans(old)
    assert all(reason for _, _, reason in dialog.orphans)
    assert dialog.query_one(OptionList).option_count == 2
    await pilot.press("a")  # the first one: the label of the rewritten sentence, onto its rewrite
    await pilot.pause()
    assert pilot.app.screen is screen
    rewritten_label = LABELS[REWRITTEN_AT]
    on_disk = read_label_file(path)[0]  # the orphan left the YAML file, the label is on the sentence
    assert on_disk.sentences[target].label == rewritten_label
    assert [o.text for o in on_disk.orphans] == [old[DELETED_AT].text]
    assert "1 orphans (O)" in bar(screen)
    assert validate(project).exit_code == 0

    await pilot.press("u")  # undo puts the orphan back: the label is never nowhere
    await pilot.pause()
    now = load_current(path)
    assert now.sentences[target].label is None
    assert [(o.text, o.label) for o in now.orphans] == expected_orphans(old)
    assert "2 orphans (O)" in bar(screen)
    await pilot.press("ctrl+y")  # and redo takes it again
    await pilot.pause()
    now = load_current(path)
    assert now.sentences[target].label == rewritten_label and len(now.orphans) == 1

    dialog = await open_orphans(pilot)
    assert [t for t, _, _ in dialog.orphans] == [old[DELETED_AT].text]
    await pilot.press("d")  # discarding asks first
    await pilot.pause()
    assert pilot.app.screen is dialog
    await pilot.press("y")
    await pilot.pause()
    assert pilot.app.screen is screen
    on_disk = read_label_file(path)[0]
    assert on_disk.orphans == [] and on_disk.sentences[target].label == rewritten_label
    assert "orphans" not in bar(screen)
    assert any("discarded for good" in m for m in messages(pilot.app))
    assert validate(project).exit_code == 0

    # a discard is not undone: u undoes the change before it (the re-attach), the discarded label stays gone
    await pilot.press("u")
    await pilot.pause()
    now = load_current(path)
    assert now.sentences[target].label is None
    assert [(o.text, o.label) for o in now.orphans] == [expected_orphans(old)[0]]
    assert all(o.text != old[DELETED_AT].text for o in now.orphans)
    assert squeeze(old[DELETED_AT].text) not in {squeeze(s.text) for s in now.sentences}
    check_no_label_lost(now, [(s.text, lab) for i, (s, lab) in enumerate(zip(old, LABELS, strict=False))
                              if i != DELETED_AT], text)


# 1. the source is edited under the running labeling screen ----------------------------------------------


@run_async
async def test_source_edited_under_the_running_screen(project: Project) -> None:
    path = project.label_path(SEED_ID, "alice")
    async with labeling(project, size=(120, 40)) as (app, pilot, screen):
        session = screen.session
        assert session is not None
        keys = {name: str(i + 1) for i, name in enumerate(project.tagset().names)}
        await pilot.press(*(keys[name] for name in LABELS[:-1]))  # sentences 1..7, each key moves on
        assert screen.cursor == 7
        old = list(session.sentences)
        text = edit_source(project, old)
        # a label made after the edit, before the screen looks: journaled against the old text
        await pilot.press(keys[LABELS[-1]])
        assert screen.cursor == 8
        assert load_current(path).source_sha256 != hashlib.sha256(text.encode()).hexdigest()

        screen._watch_disk()  # what the timer does every WATCH_INTERVAL
        await pilot.pause()

        before = [(s.text, lab) for s, lab in zip(old, LABELS, strict=False)]
        assert screen.session is session and session.source.text == text
        check_no_label_lost(session.labels, before, text)
        assert [(o.text, o.label) for o in session.labels.orphans] == expected_orphans(old)
        check_file(project, text, before, orphans=2)
        # the whitespace-only edit was followed; the inserted sentence is new and unlabeled
        assert session.sentences[0].text == INSERTED and session.sentences[0].label is None
        respaced = next(s for s in session.sentences if squeeze(s.text) == squeeze(old[RESPACED_AT].text))
        assert respaced.text != old[RESPACED_AT].text and respaced.label == LABELS[RESPACED_AT]
        # the cursor stays on the same sentence text, now one further down (one in, one out before it)
        assert session.sentences[screen.cursor].text == old[8].text
        assert screen.view is not None and screen.view.cursor == screen.cursor
        assert len(screen.view.texts) == len(session.sentences)
        assert squeeze(old[8].text) in str(screen.query_one("#focus", Static).content)
        # the annotator is told: how many moved, how many are orphans, and where to see them
        note = next(m for m in messages(app) if "re-anchored" in m)
        assert "0 kept, 5 moved to the same text elsewhere, 1 matched to an edited sentence" in note
        assert "2 orphaned" in note and "shift+O shows them" in note
        first_row = "".join(strip.text for strip in screen.view._strips(0))
        assert "Correction:" in first_row  # the document on screen is the new text
        assert "2 orphans (O)" in bar(screen)
        # undo history named sentences of the old text: it is dropped (u is disabled until the next change)
        assert not session.undo_stack and screen.check_action("undo", ()) is None
        # labeling goes on against the new text, and undo works again
        here = screen.cursor
        await pilot.press("1")
        assert load_current(path).sentences[here].label == "fact"
        await pilot.press("u")
        assert load_current(path).sentences[here].label is None and screen.cursor == here

        await reattach_and_discard(pilot, screen, project, old, text)
        await pilot.press("ctrl+q")
        await pilot.pause()
    final = read_label_file(path)[0]
    assert final.source_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert validate(project).exit_code == 0


class Gate:
    """Holds segmentation in the worker thread after its first sentence until opened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = threading.Event()
        self.entered = threading.Event()
        real = segment_module.iter_segment

        def gated(text: str) -> Iterator[tuple[int, int]]:
            for n, span in enumerate(real(text)):
                if n == 1 and threading.current_thread() is not threading.main_thread():
                    self.entered.set()
                    assert self.open.wait(20), "the test never opened the gate"
                yield span

        monkeypatch.setattr(segment_module, "iter_segment", gated)
        monkeypatch.setattr(reading_module, "PROGRESS_EVERY", 1)
        monkeypatch.setattr(document_screen, "FOLLOW_AT_ONCE_BYTES", 0)  # the sample is followed as a big source is


Following = tuple[AnnotateApp, Pilot[None], LabelScreen, Gate, list[Sentence], str]


@asynccontextmanager
async def following_in_a_worker(project: Project, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Following]:
    """The screen with LABELS given, the source edited, and the worker following it held at the gate."""
    gate = Gate(monkeypatch)
    async with labeling(project, size=(120, 40)) as (app, pilot, screen):
        assert screen.session is not None
        keys = {name: str(i + 1) for i, name in enumerate(project.tagset().names)}
        await pilot.press(*(keys[name] for name in LABELS))
        old = list(screen.session.sentences)
        text = edit_source(project, old)
        screen._watch_disk()
        assert await asyncio.to_thread(gate.entered.wait, 10)
        await pilot.pause()
        yield app, pilot, screen, gate, old, text


@run_async
async def test_a_big_edited_source_is_followed_in_a_worker_while_keys_wait(project: Project,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = project.label_path(SEED_ID, "alice")
    async with following_in_a_worker(project, monkeypatch) as (app, pilot, screen, gate, old, text):
        session = screen.session
        assert session is not None
        # the screen is not frozen: it says what is going on, and keys wait instead of editing the old text
        assert "re-anchoring" in bar(screen) and "keys wait" in bar(screen)
        journal = journal_path(path).read_bytes() if journal_path(path).exists() else b""
        cursor = screen.cursor
        await pilot.press("1", "j", "backspace", "!")
        assert screen.cursor == cursor
        assert (journal_path(path).read_bytes() if journal_path(path).exists() else b"") == journal
        assert await pilot.click(DocumentView, offset=(30, 2))
        assert screen.cursor == cursor
        screen._watch_disk()  # the timer looking again does not start a second follow
        assert "8/25" in bar(screen)  # the labels shown are the ones before the edit
        gate.open.set()
        await wait_until(pilot, lambda: screen._following is None)
        assert "re-anchoring" not in bar(screen)
        before = [(s.text, lab) for s, lab in zip(old, LABELS, strict=False)]
        assert session.source.text == text
        check_no_label_lost(session.labels, before, text)
        check_file(project, text, before, orphans=2)
        assert session.sentences[screen.cursor].text == old[8].text  # the same sentence, further down
        assert len(screen.view.texts) == len(session.sentences)  # type: ignore[union-attr]
        assert any("re-anchored" in m for m in messages(app))
        here = screen.cursor
        await pilot.press("1")  # keys work again, on the new text
        assert load_current(path).sentences[here].label == "fact"
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert validate(project).exit_code == 0


@run_async
async def test_quitting_while_a_big_source_is_followed_gives_up_and_keeps_every_label(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project.label_path(SEED_ID, "alice")
    async with following_in_a_worker(project, monkeypatch) as (app, pilot, screen, gate, old, text):
        threading.Timer(0.3, gate.open.set).start()  # quitting blocks the loop until the worker gives up
        started = time.monotonic()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert time.monotonic() - started < 10
    labels = read_label_file(path)[0]  # saved on the way out, on the old text: nothing was half done
    assert labels.source_sha256 != hashlib.sha256(text.encode()).hexdigest()
    assert [s.label for s in labels.sentences[:8]] == LABELS
    assert not journal_path(path).exists()
    reopened = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
    try:  # the next open re-anchors, as after any edit between sessions
        check_no_label_lost(reopened.labels, list(zip([s.text for s in old], LABELS, strict=False)), text)
    finally:
        reopened.close()


@run_async
async def test_a_label_file_from_before_the_edit_pulled_later_is_re_anchored(project: Project) -> None:
    """git brings the edited source first and, a poll later, this annotator's file from another machine."""
    path = project.label_path(SEED_ID, "alice")
    async with labeling(project, size=(120, 40)) as (app, pilot, screen):
        session = screen.session
        assert session is not None
        await pilot.press("1", "2", "3", "4", "1", "2", "3")
        assert session.fold()
        theirs = read_label_file(path)[0]  # made on the other machine: the old text, one more label
        theirs.sentences[7].label = LABELS[7]
        old = list(session.sentences)
        text = edit_source(project, old)
        screen._watch_disk()
        await pilot.pause()
        assert session.source.text == text
        save_label_file(path, theirs)  # written beside, renamed over: what git does
        screen._watch_disk()
        await pilot.pause()
        before = [(s.text, lab) for s, lab in zip(old, LABELS, strict=False)]
        check_no_label_lost(session.labels, before, text)
        check_file(project, text, before, orphans=2)
        assert not any("not valid" in m for m in messages(app))
        assert "2 orphans (O)" in bar(screen)
        await pilot.press("ctrl+q")
        await pilot.pause()


@run_async
async def test_the_watch_timer_notices_an_edited_source_by_itself(project: Project,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document_screen, "WATCH_INTERVAL", 0.05)
    async with labeling(project, size=(120, 40)) as (app, pilot, screen):
        assert screen.session is not None
        await pilot.press("1", "2", "3", "4", "1", "2", "3", "4")
        old = list(screen.session.sentences)
        text = edit_source(project, old)
        await wait_until(pilot, lambda: screen.session is not None and screen.session.source.text == text)
        check_no_label_lost(screen.session.labels, list(zip([s.text for s in old], LABELS, strict=False)), text)
        assert "2 orphans (O)" in bar(screen)
        await pilot.press("ctrl+q")
        await pilot.pause()


@run_async
async def test_the_source_is_followed_only_once_a_dialog_is_closed(project: Project) -> None:
    """A note dialog's answer is for the sentence it was opened on: the sentences do not change under it."""
    path = project.label_path(SEED_ID, "alice")
    async with labeling(project, size=(120, 40)) as (app, pilot, screen):
        assert screen.session is not None
        await pilot.press("1", "2")  # on sentence 3 now
        old = list(screen.session.sentences)
        await pilot.press("n")
        await pilot.pause()
        text = edit_source(project, old)
        screen._watch_disk()
        assert screen.session.source.text != text  # not while the dialog is open
        await pilot.press(*"hedged", "enter")
        await pilot.pause()
        assert load_current(path).sentences[2].note == "hedged"
        screen._watch_disk()
        await pilot.pause()
        assert screen.session.source.text == text
        rewritten = next(s for s in screen.session.sentences if s.text == REWRITTEN)
        assert rewritten.note is None
        (orphan,) = screen.session.labels.orphans  # sentence 3 was rewritten: its note went with its label
        assert (orphan.text, orphan.label, orphan.note) == (old[2].text, None, "hedged")
        await pilot.press("ctrl+q")
        await pilot.pause()


@run_async
async def test_a_touched_but_unchanged_source_is_not_re_anchored(project: Project) -> None:
    async with labeling(project, size=(120, 40)) as (app, pilot, screen):
        assert screen.session is not None
        await pilot.press("1")
        src = source_path(project)
        src.write_bytes(src.read_bytes())  # same bytes, new mtime
        assert screen.session.source_changed() is False
        screen._watch_disk()
        await pilot.pause()
        assert screen.session.undo_stack, "nothing changed: the undo history stays"
        assert not any("re-anchored" in m for m in messages(app))
        await pilot.press("ctrl+q")
        await pilot.pause()


@run_async
async def test_a_broken_source_is_reported_once_and_the_labels_stay(project: Project) -> None:
    path = project.label_path(SEED_ID, "alice")
    async with labeling(project, size=(120, 40)) as (app, pilot, screen):
        assert screen.session is not None
        await pilot.press("1", "2")
        good = source_path(project).read_bytes()
        source_path(project).write_bytes(b"\xff\xfe not utf-8")
        screen._watch_disk()
        screen._watch_disk()
        await pilot.pause()
        errors = [m for m in messages(app) if "cannot follow" in m]
        assert len(errors) == 1 and "UTF-8" in errors[0]
        assert [s.label for s in load_current(path).sentences[:2]] == ["fact", "speculation"]
        source_path(project).write_bytes(good + b"\nOne more sentence at the end.\n")
        screen._watch_disk()
        await pilot.pause()
        assert screen.session.sentences[-1].text == "One more sentence at the end."
        assert [s.label for s in read_label_file(path)[0].sentences[:2]] == ["fact", "speculation"]
        await pilot.press("ctrl+q")
        await pilot.pause()


# 2. the same edit between sessions -------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["close", "crash"])
def test_labels_made_after_an_unnoticed_edit_survive_the_next_open(project: Project, ending: str) -> None:
    """The old path, without a screen to notice: labels journaled against the old text, then closed or killed."""
    tagset = project.tagset()
    session = LabelSession.open(project, project.document(SEED_ID), "alice", tagset)
    for i, name in enumerate(LABELS[:-1]):
        session.change(i, label=name)
    old = list(session.sentences)
    text = edit_source(project, old)
    session.change(7, label=LABELS[-1])  # spans of the old text, in the journal
    if ending == "close":
        session.close()  # folds with the old source_sha256
        assert read_label_file(session.path)[0].source_sha256 != hashlib.sha256(text.encode()).hexdigest()
    else:
        crash(session)
    again = LabelSession.open(project, project.document(SEED_ID), "alice", tagset)
    try:
        assert again.report is not None and len(again.report.orphaned) == 2
        before = [(s.text, lab) for s, lab in zip(old, LABELS, strict=False)]
        check_no_label_lost(again.labels, before, text)
    finally:
        again.close()
    check_file(project, text, before, orphans=2)


@run_async
async def test_source_edited_between_sessions(project: Project) -> None:
    doc = project.document(SEED_ID)
    app = make_app(AppOptions(project, "alice", documents=[doc]))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for_document(pilot)
        assert screen.session is not None
        await pilot.press("1", "2", "3", "4", "1", "2", "3", "4")
        old = list(screen.session.sentences)
        await pilot.press("ctrl+q")
        await pilot.pause()
    text = edit_source(project, old)
    before = [(s.text, lab) for s, lab in zip(old, LABELS, strict=False)]
    result = validate(project)  # the file on disk is stale until it is opened (or validate --fix)
    assert result.exit_code == 1 and "validate --fix" in result.output

    app = make_app(AppOptions(project, "alice", documents=[doc]))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for_document(pilot)
        assert screen.session is not None
        check_no_label_lost(screen.session.labels, before, text)
        check_file(project, text, before, orphans=2)  # opening saved the re-anchored file
        said = messages(app)
        assert any("The source changed" in m and "2 orphaned" in m for m in said), said
        assert any("shift+O" in m for m in said), said
        assert "2 orphans (O)" in bar(screen)
        await reattach_and_discard(pilot, screen, project, old, text)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert validate(project).exit_code == 0


# the review screen follows an edited source too ------------------------------------------------------------


def label_as(project: Project, name: str, labels: list[str | None], **extra: object) -> None:
    session = LabelSession.open(project, project.document(SEED_ID), name, project.tagset())
    try:
        for i, label in enumerate(labels):
            if label is not None:
                session.change(i, label=label, **extra)
    finally:
        session.close()


BOB = ["fact", "fact", "quote", "opinion", "opinion", "speculation", "quote", "fact"]


@run_async
@pytest.mark.parametrize("in_a_worker", [False, True], ids=["at-once", "big-source-worker"])
async def test_review_screen_follows_an_edited_source(project: Project, monkeypatch: pytest.MonkeyPatch,
                                                      in_a_worker: bool) -> None:
    if in_a_worker:
        monkeypatch.setattr(document_screen, "FOLLOW_AT_ONCE_BYTES", 0)
    label_as(project, "alice", LABELS)
    label_as(project, "bob", BOB)
    app = make_app(AppOptions(project, "carl", documents=[project.document(SEED_ID)], review=[]))
    gold = project.label_path(SEED_ID, GOLD)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await wait_for_document(pilot)
        assert isinstance(screen, ReviewScreen) and screen.session is not None
        # decide sentences 2 (disagreement), 3 (soon rewritten) and 5 (soon deleted)
        for i in (1, REWRITTEN_AT, DELETED_AT):
            screen.goto_sentence(i + 1)
            await pilot.press("2")
        old = list(screen.session.sentences)
        decided = [(old[i].text, "speculation") for i in (1, REWRITTEN_AT, DELETED_AT)]
        text = edit_source(project, old)
        screen._watch_disk()
        await pilot.pause()
        await wait_until(pilot, lambda: screen._following is None)
        assert screen.session.source.text == text
        n = len(screen.session.sentences)
        assert len(screen.rows) == n and len(screen.view.texts) == n
        check_no_label_lost(screen.session.labels, decided, text)
        on_disk = check_file(project, text, decided, orphans=2, annotator=GOLD)
        assert [o.reviewer for o in on_disk.orphans] == ["carl", "carl"]  # what was decided, and by whom
        # the annotators' files are compared on the new text (in memory: the review does not write them)
        moved = next(i for i, s in enumerate(screen.session.sentences) if s.text == old[1].text)
        assert screen.rows[moved].labels == {"alice": LABELS[1], "bob": BOB[1]}
        panel = str(screen.query_one("#agreement", Static).content)
        assert "re-anchored (source changed): alice, bob" in panel
        assert "orphaned: alice 2, bob 2" in panel
        assert "2 orphans (O)" in bar(screen)
        # a gold orphan re-attached keeps its reviewer and what the annotators said
        target = next(i for i, s in enumerate(screen.session.sentences) if s.text == REWRITTEN)
        screen.goto_sentence(target + 1)
        await open_orphans(pilot)
        await pilot.press("a")
        await pilot.pause()
        back = read_label_file(gold)[0].sentences[target]
        assert (back.label, back.reviewer) == ("speculation", "carl")
        assert back.annotator_labels == {"alice": LABELS[REWRITTEN_AT], "bob": BOB[REWRITTEN_AT]}
        await pilot.press("ctrl+q")
        await pilot.pause()
    for name in ("alice", "bob"):  # their files are untouched until they open them
        assert read_label_file(project.label_path(SEED_ID, name))[0].source_sha256 != \
            hashlib.sha256(text.encode()).hexdigest()


# 3. the source is edited between review and export ---------------------------------------------------------


def run(project: Project, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--root", str(project.root), *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def rows_of(out: Path) -> list[dict]:
    rows = []
    for split in ("train", "dev", "test"):
        path = out / f"{split}.jsonl"
        if path.exists():
            rows.extend(json.loads(line) for line in path.read_text("utf-8").splitlines())
    return rows


def test_source_edited_between_review_and_export(project: Project, tmp_path: Path) -> None:
    label_as(project, "alice", LABELS)
    label_as(project, "bob", BOB)
    gold_labels = [a if a == b else None for a, b in zip(LABELS, BOB, strict=True)]
    gold_labels[REWRITTEN_AT] = gold_labels[DELETED_AT] = "speculation"  # decisions on soon-lost sentences
    label_as(project, GOLD, gold_labels, reviewer="carl")
    old = read_label_file(project.label_path(SEED_ID, "alice"))[0].sentences
    files = {name: load_current(project.label_path(SEED_ID, name)) for name in ("alice", "bob", GOLD)}
    before = {name: lf.labeled for name, lf in files.items()}
    assert before == {"alice": 8, "bob": 8, GOLD: 6}
    agreement_before = json.loads(run(project, "agreement", "--json").output)

    text = edit_source(project, old)
    sha = hashlib.sha256(text.encode()).hexdigest()

    out_all = tmp_path / "all"
    result = run(project, "export", "--out", str(out_all), "--labels", "all", "--split", "100")
    assert "re-anchored in memory" in result.stderr
    stats = json.loads((out_all / "stats.json").read_text("utf-8"))
    left = stats["left_out"]
    assert left["stale_files"] == 3
    assert left["orphans"] == 6  # two per file: the rewritten and the deleted sentence
    rows = rows_of(out_all)
    for r in rows:
        assert text[r["start"]:r["end"]] == r["text"]
    per_annotator = {name: sum(1 for r in rows if r["label_source"] == name) for name in ("alice", "bob")}
    out_gold = tmp_path / "gold"
    run(project, "export", "--out", str(out_gold), "--labels", "gold", "--split", "100")
    gold_rows = rows_of(out_gold)
    gold_left = json.loads((out_gold / "stats.json").read_text("utf-8"))["left_out"]
    assert gold_left["orphans"] == 6
    # nothing silently dropped: exported + orphaned == labeled before, file by file
    orphans = {"alice": 2, "bob": 2, GOLD: 2}
    assert per_annotator["alice"] + orphans["alice"] == before["alice"]
    assert per_annotator["bob"] + orphans["bob"] == before["bob"]
    assert len(gold_rows) + orphans[GOLD] == before[GOLD]
    assert sum(orphans.values()) == left["orphans"]
    # every exported label sits on its sentence's (re-anchored) text
    given = {name: {squeeze(s.text): s.label for s in lf.sentences if s.label} for name, lf in files.items()}
    for r in rows:
        assert given[r["label_source"]][squeeze(r["text"])] == r["label"]
    for r in gold_rows:
        assert given[GOLD][squeeze(r["text"])] == r["label"] == r["gold"]
    lost = {squeeze(old[i].text) for i in (REWRITTEN_AT, DELETED_AT)}
    assert not any(squeeze(r["text"]) in lost for r in rows + gold_rows)
    card = (out_all / "README.md").read_text("utf-8")
    assert "| orphans | 6 |" in card and "| stale_files | 3 |" in card
    # the label files themselves are not touched by export
    for name in files:
        assert read_label_file(project.label_path(SEED_ID, name))[0].source_sha256 != sha

    # agreement follows the current source too: the stale files are re-anchored in memory, the two
    # sentences whose labels became orphans drop out of the pairs, nothing becomes a boundary disagreement
    agreement = json.loads(run(project, "agreement", "--json").output)
    assert agreement["annotators"] == ["alice", "bob"]
    assert agreement["units"]["pairable"] == agreement_before["units"]["pairable"] - 2
    assert agreement["boundary_disagreements"] == []
    assert "alpha" in run(project, "agreement").output.lower()

    # once re-anchored for good (validate --fix), every label is still there and agreement follows
    run(project, "validate", "--fix")
    for name, lf in files.items():
        fixed = read_label_file(project.label_path(SEED_ID, name))[0]
        assert fixed.source_sha256 == sha
        check_no_label_lost(fixed, [(s.text, s.label) for s in lf.sentences if s.label], text)
    after_fix = json.loads(run(project, "agreement", "--json").output)
    assert after_fix["pairs"] == agreement["pairs"]  # saving the re-anchoring changes no figure
    assert after_fix["units"] == agreement["units"] and after_fix["boundary_disagreements"] == []


# 4. re-anchoring, property-based: duplicates, reordering and whitespace too ---------------------------------

SEPS = [" ", "  ", "\n", "\n\n", " \n\n\t"]


def build(sentences: list[str], seps: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """A text of the sentences joined by ``seps[i]`` before sentence i (cycled), and the spans."""
    text, spans = "", []
    for i, s in enumerate(sentences):
        if i:
            text += seps[i % len(seps)]
        spans.append((len(text), len(text) + len(s)))
        text += s
    return text, spans


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_reanchoring_never_loses_a_label_under_any_edit(data: st.DataObject) -> None:
    sentences = data.draw(st.lists(sentence_st, min_size=1, max_size=8), label="old")
    labels = data.draw(st.lists(st.sampled_from([None, "fact", "opinion", "quote"]), min_size=len(sentences),
                                max_size=len(sentences)), label="labels")
    text, spans = build(sentences, data.draw(st.lists(st.sampled_from(SEPS), min_size=1, max_size=3)))
    old = LabelFile(version=1, document="doc", source="seeds/doc.txt", source_sha256="a" * 64,
                    annotator="alice", scheme="claim-types",
                    sentences=[Sentence(start=s, end=e, text=text[s:e], label=lab, note=f"id{i}" if lab else None)
                               for i, ((s, e), lab) in enumerate(zip(spans, labels, strict=True))])
    changed = data.draw(edits(sentences), label="new")
    new_text, new_spans = build(changed, data.draw(st.lists(st.sampled_from(SEPS), min_size=1, max_size=3)))
    new, _ = reanchor(old, new_text, new_spans, "b" * 64)

    labeled_before = sum(1 for lab in labels if lab is not None)
    placed = [s for s in new.sentences if s.label is not None]
    orphaned = [o for o in new.orphans if o.label is not None]
    assert len(placed) + len(orphaned) == labeled_before  # none lost, none made up
    assert sorted(s.note for s in [*placed, *orphaned]) == sorted(s.note for s in old.sentences if s.label)
    assert [s.span for s in new.sentences] == new_spans
    for s in new.sentences:
        assert s.text == new_text[s.start:s.end]
    assert all(a.end <= b.start for a, b in zip(new.sentences, new.sentences[1:], strict=False))
    origin = {s.note: s for s in old.sentences if s.label}
    for s in placed:
        assert s.label == origin[s.note].label
    for o in orphaned:  # an orphan keeps its old span, text and label
        assert (o.span, o.text, o.label) == (origin[o.note].span, origin[o.note].text, origin[o.note].label)
    # an unchanged sentence text that exists once on both sides keeps its label
    for s in old.sentences:
        if s.label and sentences.count(s.text) == 1 and changed.count(s.text) == 1:
            assert next(n for n in new.sentences if n.text == s.text).note == s.note
    assert new.source_sha256 == "b" * 64
