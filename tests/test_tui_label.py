"""Behaviour of the labeling and home screens through Pilot: keys, mouse, dialogs, files on disk."""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from conftest import run_async
from rich.console import Console
from snapshot_apps import DOC, SECOND_DOC_TEXT, app_for, labeling, prelabel, screen_lines, text_of, wait_for_document
from textual.command import CommandInput, CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TextArea

from annotate.cli import main
from annotate.models import LabelFile
from annotate.reading import journal_path, load_current
from annotate.session import LabelSession
from annotate.store import LabelLock, Project, read_label_file
from annotate.tui import document_screen
from annotate.tui.app import AnnotateApp, AppOptions
from annotate.tui.dialogs import FindDialog, GuidelinesScreen, NoteDialog, SummaryDialog
from annotate.tui.document_screen import IDLE_LIMIT
from annotate.tui.document_view import DocumentView
from annotate.tui.home import HomeScreen
from annotate.tui.keybar import KeyBar
from annotate.tui.label_screen import LabelScreen

FACT, SPEC, QUOTE, OPINION = "fact", "speculation", "quote", "opinion"




class Clock:
    """A stand-in for ``time`` in the labeling screen: stands still until advanced."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        """The frozen time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze the labeling screen's clock so no time is recorded unless a test lets it pass."""
    fake = Clock()
    monkeypatch.setattr(document_screen, "time", SimpleNamespace(monotonic=fake.monotonic))
    return fake


# helpers ---------------------------------------------------------------------------------


def add_document(project: Project, doc: str = "talks-end", text: str = SECOND_DOC_TEXT) -> None:
    """Add a short document under seeds/."""
    (project.seeds / f"{doc}.txt").write_text(text, encoding="utf-8")


def sentence_count(project: Project, doc: str = DOC) -> int:
    """How many sentences the document has (the units every annotator labels)."""
    from annotate.reading import document_spans

    return len(document_spans(project, project.document(doc)))


def label_file(project: Project, doc: str = DOC) -> Path:
    """alice's label file of a document."""
    return project.label_path(doc, "alice")


def on_disk(project: Project, doc: str = DOC) -> LabelFile:
    """What is on disk now: the YAML plus the journal."""
    return load_current(label_file(project, doc))


def yaml_only(project: Project, doc: str = DOC) -> LabelFile:
    """The YAML file by itself (after a fold), with no journal left beside it."""
    path = label_file(project, doc)
    assert not journal_path(path).exists(), "the journal was not folded into the YAML file"
    return read_label_file(path)[0]


def labels(lf: LabelFile) -> list[str | None]:
    """The label of every sentence."""
    return [s.label for s in lf.sentences]


def footer_keys(screen: LabelScreen) -> dict[str, str]:
    """Key display -> description of the keys in the key line at the bottom."""
    return {entry.display: entry.description for entry in screen.query_one(KeyBar).entries()}


def opened(screen: LabelScreen) -> LabelSession:
    """The labeling screen's open document."""
    assert screen.session is not None
    return screen.session


def expect(project: Project, screen: LabelScreen, want: Sequence[str | None], cursor: int) -> None:
    """The screen and the file on disk agree with the expected labels and cursor."""
    n = len(opened(screen).sentences)
    full = [*want] + [None] * (n - len(want))
    assert screen.cursor == cursor
    assert labels(opened(screen).labels) == full
    if label_file(project).exists():
        assert labels(on_disk(project)) == full
    else:  # a label file comes into being with the first change, not with opening
        assert not any(x is not None for x in full), "labels on screen but no label file"
    done = sum(1 for x in full if x is not None)
    assert f"{done}/{n}" in text_of(screen, "#bar")
    assert text_of(screen, "#focus").startswith(f"Sentence {cursor + 1} of {n}")


async def quit_app(pilot: Pilot[None]) -> None:
    """Quit the way the user does."""
    await pilot.press("ctrl+q")
    await pilot.pause()


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type text key by key ("\\n" is ctrl+j, the note dialog's new line)."""
    await pilot.press(*["ctrl+j" if c == "\n" else c for c in text])


# opening ---------------------------------------------------------------------------------


@run_async
async def test_opens_on_first_sentence_with_label_keys_in_footer(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        n = len(opened(screen).sentences)
        assert n > 20
        expect(project, screen, [], 0)
        assert text_of(screen, "#bar").startswith(f" {DOC} ")
        keys = footer_keys(screen)
        for display in ("1f", "2s", "3q", "4o"):
            assert display in keys, keys
        assert keys["1f"] == "fact"
        assert keys["u"] == "undo"
        assert not label_file(project).exists()  # opening is not labeling


# labeling keys ----------------------------------------------------------------------------


@run_async
async def test_each_label_key_labels_saves_and_moves_on(project: Project) -> None:
    keys = {"1": FACT, "2": SPEC, "3": QUOTE, "4": OPINION, "f": FACT, "s": SPEC, "q": QUOTE, "o": OPINION}
    async with labeling(project) as (app, pilot, screen):
        want: list[str | None] = []
        for i, (key, name) in enumerate(keys.items()):
            await pilot.press(key)
            want.append(name)
            expect(project, screen, want, i + 1)
        await quit_app(pilot)
    assert labels(yaml_only(project))[:8] == want
    assert app.return_code == 0


@run_async
async def test_labeling_a_labeled_sentence_replaces_its_label(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        await pilot.press("f", "f")
        expect(project, screen, [FACT, FACT], 2)
        await pilot.press("up", "up", "s")
        expect(project, screen, [SPEC, FACT], 2)  # on to the first unlabeled after it
        await pilot.press("up", "4")
        expect(project, screen, [SPEC, OPINION], 2)
        await quit_app(pilot)
    assert labels(yaml_only(project))[:3] == [SPEC, OPINION, None]


@run_async
async def test_when_all_are_labeled_a_label_key_moves_to_the_next_sentence(project: Project) -> None:
    n = sentence_count(project)
    prelabel(project, [FACT] * (n - 1))
    async with labeling(project) as (app, pilot, screen):
        expect(project, screen, [FACT] * (n - 1), n - 1)
        await pilot.press("f")
        assert isinstance(app.screen, SummaryDialog)
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("home", "s")
        expect(project, screen, [SPEC] + [FACT] * (n - 1), 1)
        await pilot.press("q")
        expect(project, screen, [SPEC, QUOTE] + [FACT] * (n - 2), 2)
        await pilot.press("end", "o")
        expect(project, screen, [SPEC, QUOTE] + [FACT] * (n - 3) + [OPINION], n - 1)
        assert app.screen is screen  # the summary is not shown twice
        await quit_app(pilot)
    assert labels(yaml_only(project)) == [SPEC, QUOTE] + [FACT] * (n - 3) + [OPINION]


# moving -----------------------------------------------------------------------------------


@run_async
async def test_moving_with_arrows_vi_keys_home_end(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        n = len(opened(screen).sentences)
        for key, cursor in [("down", 1), ("j", 2), ("j", 3), ("up", 2), ("k", 1), ("k", 0), ("up", 0),
                            ("end", n - 1), ("down", n - 1), ("home", 0)]:
            await pilot.press(key)
            expect(project, screen, [], cursor)
    assert not label_file(project).exists()  # moving alone writes nothing


@run_async
async def test_g_goes_to_the_next_unlabeled_sentence(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        n = len(opened(screen).sentences)
        await pilot.press("f", "f", "down", "f")  # 0, 1 and 3 labeled
        want: list[str | None] = [FACT, FACT, None, FACT]
        expect(project, screen, want, 4)
        for key, cursor in [("home", 0), ("g", 2), ("g", 4), ("g", 5), ("end", n - 1), ("g", 2)]:
            await pilot.press(key)
            expect(project, screen, want, cursor)


@run_async
async def test_clicking_a_sentence_makes_it_current(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        view = screen.query_one(DocumentView)

        async def click(index: int) -> None:
            first, count = view.rows_of(index)
            y = first + count - 1 - view.scroll_offset.y
            assert 0 <= y < view.scrollable_content_region.height, "sentence not on screen"
            assert await pilot.click(DocumentView, offset=(view.gutter_width + 3, y))

        await click(3)
        expect(project, screen, [], 3)
        await pilot.press("s")
        expect(project, screen, [None, None, None, SPEC], 4)
        await pilot.press("end")
        n = len(opened(screen).sentences)
        await click(n - 3)
        expect(project, screen, [None, None, None, SPEC], n - 3)


# undo and redo ----------------------------------------------------------------------------


@run_async
async def test_undo_and_redo_every_kind_of_change(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        session = opened(screen)

        def state(i: int) -> tuple[str | None, bool | None, str | None]:
            s = on_disk(project).sentences[i]
            assert (s.label, s.unsure, s.note) == (session.sentences[i].label, session.sentences[i].unsure,
                                                   session.sentences[i].note)
            return s.label, s.unsure, s.note

        await pilot.press("f", "s", "up", "backspace", "!", "n")
        await type_text(pilot, "w")
        await pilot.press("enter", "down", "down")
        assert state(0) == (FACT, None, None)
        assert state(1) == (None, True, "w")
        assert screen.cursor == 3

        await pilot.press("u")  # the note
        assert (state(1), screen.cursor) == ((None, True, None), 1)
        await pilot.press("down", "ctrl+z")  # unsure
        assert (state(1), screen.cursor) == ((None, None, None), 1)
        await pilot.press("u")  # the clear
        assert (state(1), screen.cursor) == ((SPEC, None, None), 1)
        await pilot.press("u")  # the label
        assert (state(1), screen.cursor) == ((None, None, None), 1)
        await pilot.press("u")
        assert (state(0), screen.cursor) == ((None, None, None), 0)
        assert not session.undo_stack
        await pilot.press("u")  # nothing left: nothing happens
        assert labels(on_disk(project)) == [None] * len(session.sentences)
        assert screen.cursor == 0

        await pilot.press("end", "ctrl+y")
        assert (state(0), screen.cursor) == ((FACT, None, None), 0)
        await pilot.press("ctrl+y")
        assert (state(1), screen.cursor) == ((SPEC, None, None), 1)
        await pilot.press("q")  # a new change drops what was left to redo
        assert state(1) == (QUOTE, None, None)
        assert not session.redo_stack
        await pilot.press("ctrl+y")
        assert state(1) == (QUOTE, None, None)
        assert not session.sentences[1].unsure
        await quit_app(pilot)
    lf = yaml_only(project)
    assert labels(lf)[:3] == [FACT, QUOTE, None]
    assert lf.sentences[1].unsure is None and lf.sentences[1].note is None


# clearing, unsure, notes ------------------------------------------------------------------


@run_async
async def test_backspace_and_delete_clear_the_label(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        await pilot.press("f", "s", "q", "home", "backspace")
        expect(project, screen, [None, SPEC, QUOTE], 0)
        await pilot.press("down", "delete")
        expect(project, screen, [None, None, QUOTE], 1)
        await pilot.press("delete")  # clearing an unlabeled sentence changes nothing
        expect(project, screen, [None, None, QUOTE], 1)
        assert len(opened(screen).undo_stack) == 5
        await quit_app(pilot)
    assert labels(yaml_only(project))[:3] == [None, None, QUOTE]


@run_async
async def test_exclamation_mark_toggles_unsure(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        await pilot.press("f", "!")
        assert opened(screen).sentences[1].unsure is True
        assert on_disk(project).sentences[1].unsure is True
        assert "?1" in text_of(screen, "#bar")
        assert "unsure" in text_of(screen, "#focus").splitlines()[0]
        expect(project, screen, [FACT], 1)  # unsure does not move on
        await pilot.press("up", "!")
        assert on_disk(project).sentences[0].unsure is True
        await pilot.press("!")
        assert on_disk(project).sentences[0].unsure is None
        assert "?1" in text_of(screen, "#bar")
        await quit_app(pilot)
    lf = yaml_only(project)
    assert [s.unsure for s in lf.sentences[:3]] == [None, True, None]
    assert "unsure" not in label_file(project).read_text().split("sentences:")[1].split("- start")[1]


NOTE = '"No": #1\nok'


@run_async
async def test_note_dialog_saves_a_note_with_quotes_colon_hash_and_newline(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        await pilot.press("n")
        assert isinstance(app.screen, NoteDialog)
        await type_text(pilot, NOTE)
        assert app.screen.query_one(TextArea).text == NOTE
        await pilot.press("enter")
        assert app.screen is screen
        assert opened(screen).sentences[0].note == NOTE
        assert on_disk(project).sentences[0].note == NOTE
        assert 'note: "No": #1' in text_of(screen, "#focus")
        assert screen.cursor == 0  # a note does not move on
        await quit_app(pilot)
    assert yaml_only(project).sentences[0].note == NOTE


@run_async
async def test_note_dialog_escape_leaves_the_files_unchanged(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document_screen, "FOLD_DELAY", 1000.0)  # no fold in the middle of the test
    async with labeling(project) as (app, pilot, screen):
        await pilot.press("!", "!")  # the file exists and the journal holds lines
        await pilot.press("n")
        await type_text(pilot, "a")
        await pilot.press("enter")
        path = label_file(project)
        before = (path.read_bytes(), journal_path(path).read_bytes())
        await pilot.press("n")
        await type_text(pilot, "bc")
        await pilot.press("escape")
        assert app.screen is screen
        assert (path.read_bytes(), journal_path(path).read_bytes()) == before
        assert opened(screen).sentences[0].note == "a"
        assert len(opened(screen).undo_stack) == 3


@run_async
async def test_editing_and_removing_an_existing_note(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        await pilot.press("n")
        await type_text(pilot, "ab")
        await pilot.press("enter", "n")
        area = app.screen.query_one(TextArea)
        assert area.text == "ab"
        await pilot.press("backspace")
        await type_text(pilot, ": #2")
        await pilot.press("enter")
        assert on_disk(project).sentences[0].note == "a: #2"
        await pilot.press("n", *["backspace"] * 5, "enter")  # an empty note removes it
        assert on_disk(project).sentences[0].note is None
        assert "note:" not in text_of(screen, "#focus")
        await pilot.press("u")
        assert on_disk(project).sentences[0].note == "a: #2"
        await quit_app(pilot)
    assert yaml_only(project).sentences[0].note == "a: #2"


@run_async
async def test_shift_o_without_orphans_says_so(project: Project) -> None:
    """Issue 12, item 9: shift+O did nothing at all when no label was orphaned."""
    async with labeling(project) as (app, pilot, screen):
        await pilot.press("O")
        await pilot.pause()
        assert app.screen is screen
        assert any("No orphaned labels" in n.message for n in app._notifications)


@pytest.mark.parametrize("size", [(80, 24), (120, 30)])
@run_async
async def test_orphans_dialog_shows_all_its_keys(project: Project, size: tuple[int, int]) -> None:
    """Issue 12, item 8: at 120 columns the help of the orphans dialog was cut and hid d (discard)."""
    from annotate.tui.dialogs import OrphansDialog

    orphans = [("A sentence the editor rewrote entirely, long enough to be cut at the edge of the dialog.",
                "fact", "text changed"), ("Another lost one.", None, None)]
    async with labeling(project, size=size) as (app, pilot, screen):
        app.push_screen(OrphansDialog(orphans, "The current sentence."))
        await pilot.pause()
        shown = " ".join(" ".join(line.split()) for line in screen_lines(app))
        for key in ("a attach to the current sentence", "d discard", "↑↓ choose", "Esc close"):
            assert key in shown, shown
        await pilot.press("d")
        shown = " ".join(" ".join(line.split()) for line in screen_lines(app))
        assert "Discard this label for good? y: yes · Esc: no" in shown


# guidelines and find -----------------------------------------------------------------------


@run_async
async def test_guidelines_dialog_shows_the_definitions(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        await pilot.press("question_mark")
        assert isinstance(app.screen, GuidelinesScreen)
        body = app.screen.query_one("#guidelines-body Static", Static)
        console = Console(width=96, file=io.StringIO(), record=True)
        console.print(body.content)
        text = " ".join(console.export_text().split())
        for lab in project.tagset().labels:
            assert " ".join(lab.definition.split()) in text
        assert "keys: 1 or f" in text
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("f1")
        assert isinstance(app.screen, GuidelinesScreen)
        await pilot.press("question_mark")
        assert app.screen is screen
        await pilot.press("f")  # labeling goes on
        expect(project, screen, [FACT], 1)


@run_async
async def test_find_jumps_to_the_sentence_containing_the_text(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        sentences = opened(screen).sentences
        huawei = next(i for i, s in enumerate(sentences) if "Huawei" in s.text)
        await pilot.press("slash")
        assert isinstance(app.screen, FindDialog)
        await type_text(pilot, "huawei")
        await pilot.press("enter")
        assert app.screen is screen
        assert screen.cursor == huawei
        kim = next(i for i, s in enumerate(sentences) if i > huawei and "Kim " in s.text)
        await pilot.press("slash", *["backspace"] * 6)
        await type_text(pilot, "Kim ")
        await pilot.press("enter")
        assert screen.cursor == kim
        await pilot.press("slash", "escape")
        assert app.screen is screen and screen.cursor == kim
        assert not label_file(project).exists()  # finding is not labeling


# time -----------------------------------------------------------------------------------------


@run_async
async def test_time_on_a_sentence_is_recorded(project: Project, clock: Clock) -> None:
    async with labeling(project) as (app, pilot, screen):
        clock.advance(12.0)
        await pilot.press("down")
        assert opened(screen).sentences[0].seconds == 12.0
        assert not label_file(project).exists()  # time alone is kept, and written with the first label
        clock.advance(3.0)
        await pilot.press("f")  # time and label in one step
        assert on_disk(project).sentences[0].seconds == 12.0
        assert on_disk(project).sentences[1].seconds == 3.0
        assert on_disk(project).sentences[1].label == FACT
        await pilot.press("home")
        assert "12s" in text_of(screen, "#focus").splitlines()[0]
        clock.advance(1000.0)  # away from the keyboard: only IDLE_LIMIT counts
        await pilot.press("down")
        assert on_disk(project).sentences[0].seconds == 12.0 + IDLE_LIMIT
        await pilot.press("u")  # undoing the label keeps the time
        assert on_disk(project).sentences[1].seconds == 3.0
        clock.advance(2.0)
        await quit_app(pilot)
    lf = yaml_only(project)
    assert [s.seconds for s in lf.sentences[:3]] == [12.0 + IDLE_LIMIT, 5.0, None]


@run_async
async def test_a_key_on_a_sentence_restarts_the_idle_limit(project: Project, clock: Clock) -> None:
    async with labeling(project) as (app, pilot, screen):
        clock.advance(50.0)
        await pilot.press("!")  # working on the sentence, not idle
        clock.advance(50.0)
        await pilot.press("down")
        assert on_disk(project).sentences[0].seconds == 100.0


# resume and finishing -----------------------------------------------------------------------------


@run_async
async def test_reopening_resumes_at_the_first_unlabeled_sentence(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        await pilot.press("f", "s", "down", "q")  # 0, 1, 3 labeled; 2 is not
        await quit_app(pilot)
    assert labels(yaml_only(project))[:5] == [FACT, SPEC, None, QUOTE, None]
    async with labeling(project) as (app, pilot, screen):
        expect(project, screen, [FACT, SPEC, None, QUOTE], 2)
        await pilot.press("o")
        expect(project, screen, [FACT, SPEC, OPINION, QUOTE], 4)


@run_async
async def test_finishing_shows_the_summary_and_enter_opens_the_next_document(project: Project) -> None:
    add_document(project)
    n = sentence_count(project)
    prelabel(project, [FACT] * (n - 3))
    async with labeling(project, docs=(DOC, "talks-end")) as (app, pilot, screen):
        await pilot.press("s", "!", "q")
        assert not isinstance(app.screen, SummaryDialog)
        await pilot.press("o")
        summary = app.screen
        assert isinstance(summary, SummaryDialog)
        assert summary.counts == {FACT: n - 3, SPEC: 1, QUOTE: 1, OPINION: 1}
        assert summary.unsure == 1
        assert summary.next_document == "talks-end"
        shown = " ".join(str(w.content) for w in summary.query(Static))
        assert f"All {n} sentences of {DOC} are labeled" in shown
        assert "talks-end" in shown
        await pilot.press("enter")
        second = await wait_for_document(pilot)
        assert second is not screen and second.doc.id == "talks-end"
        assert second.cursor == 0
        assert f"0/{len(opened(second).sentences)}" in text_of(second, "#bar")
        assert labels(yaml_only(project)) == [FACT] * (n - 3) + [SPEC, QUOTE, OPINION]
        with LabelLock(label_file(project)):  # the first document was released
            pass
        await pilot.press("f")
        assert labels(on_disk(project, "talks-end")) == [FACT, None]
        await quit_app(pilot)
    assert labels(yaml_only(project, "talks-end")) == [FACT, None]


@pytest.mark.parametrize("docs", [(DOC,), ("talks-end", DOC)], ids=["one-document", "last-of-two"])
@run_async
async def test_enter_after_the_last_document_given_goes_to_the_documents(project: Project,
                                                                         docs: tuple[str, ...]) -> None:
    """Issue 12, item 6: the summary said "Enter: back to the documents" and Enter quit the program."""
    add_document(project)
    n = sentence_count(project)
    prelabel(project, [None] + [QUOTE] * (n - 1))
    prelabel(project, [FACT], "talks-end")
    async with labeling(project, docs=docs) as (app, pilot, screen):
        if len(docs) == 2:  # the first document given: Enter goes on to the next one, as the dialog says
            await pilot.press("f")
            summary = app.screen
            assert isinstance(summary, SummaryDialog) and summary.enter_does == f"next document ({DOC})"
            await pilot.press("enter")
            screen = await wait_for_document(pilot)
            assert screen.doc.id == DOC
        await pilot.press("q")
        summary = app.screen
        assert isinstance(summary, SummaryDialog)
        assert summary.next_document is None and summary.enter_does == "back to the documents"
        assert "Enter: back to the documents" in " ".join(str(w.content) for w in summary.query(Static))
        await pilot.press("enter")
        for _ in range(50):
            await pilot.pause(0.01)
            if isinstance(app.screen, HomeScreen):
                break
        home = app.screen
        assert isinstance(home, HomeScreen), "Enter did not go back to the documents"
        assert app.return_code is None  # still running
        assert home._selected() == DOC  # the document just finished is the one selected
        assert str(home.query_one(DataTable).get_row_at(home.query_one(DataTable).cursor_row)[2]) == f"{n}/{n}"
        await pilot.press("escape")  # nothing to go back to from the documents: still there
        assert app.screen is home
        await quit_app(pilot)
    assert labels(yaml_only(project)) == [QUOTE] * n
    assert app.return_code == 0


@run_async
async def test_escape_from_a_document_given_on_the_command_line_goes_to_the_documents(project: Project) -> None:
    async with labeling(project) as (app, pilot, screen):
        await pilot.press("f", "escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and app.return_code is None
        assert app.screen._selected() == DOC
        with LabelLock(label_file(project)):  # the document was released
            pass
        await pilot.press("enter")  # and it opens again from there
        again = await wait_for_document(pilot)
        expect(project, again, [FACT], 1)
        await quit_app(pilot)


# locks ------------------------------------------------------------------------------------------


def test_cli_refuses_a_document_locked_by_another_process(project: Project) -> None:
    path = label_file(project)
    with LabelLock(path, "annotate label"):
        result = CliRunner().invoke(main, ["--root", str(project.root), "label", DOC, "--annotator", "alice"])
    assert result.exit_code == 2, result.output
    assert f"pid {os.getpid()}" in result.output
    assert "alice.yaml" in result.output
    assert "Traceback" not in result.output
    assert not path.exists()


@run_async
async def test_app_refuses_a_locked_document_exits_2_and_writes_nothing(project: Project) -> None:
    path = label_file(project)
    with LabelLock(path, "annotate label"):
        app = app_for(project, docs=[DOC])
        async with app.run_test(size=(100, 40)) as pilot:
            for _ in range(100):
                await pilot.pause(0.01)
                if app.return_code is not None:
                    break
    assert app.return_code == 2
    assert not path.exists() and not journal_path(path).exists()


@run_async
async def test_app_with_home_shows_the_lock_error_and_stays_on_the_list(project: Project) -> None:
    path = label_file(project)
    with LabelLock(path, "annotate label"):
        app = app_for(project)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            await pilot.press("enter")
            for _ in range(100):
                await pilot.pause(0.01)
                if app._notifications:
                    break
            messages = [n.message for n in app._notifications]
            assert any(f"pid {os.getpid()}" in m and "alice.yaml" in m for m in messages), messages
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
    assert not path.exists() and not journal_path(path).exists()


# home screen ------------------------------------------------------------------------------------


@run_async
async def test_home_screen_lists_progress_sorts_and_opens_documents(project: Project) -> None:
    add_document(project)
    add_document(project, "aaa-done", "It rained.\n\nThe match was called off.\n")
    prelabel(project, [FACT, FACT], "aaa-done")
    prelabel(project, [FACT, SPEC])
    app = app_for(project)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        home = app.screen
        assert isinstance(home, HomeScreen)
        table = home.query_one(DataTable)

        def shown() -> list[tuple[str, str]]:
            return [(str(table.get_row_at(k)[0]), str(table.get_row_at(k)[2])) for k in range(table.row_count)]

        n = len(on_disk(project).sentences)
        assert shown() == [("aaa-done", "2/2"), (DOC, f"2/{n}"), ("talks-end", "")]
        assert table.cursor_row == 1  # the first unfinished document
        assert "3 documents, 1 finished" in text_of(home, "#bar")

        bar = home.query_one(KeyBar)
        assert [(e.display, e.description) for e in bar.entries()] == [
            ("⏎", "open"), ("/", "filter"), ("o", "sort by name"), ("p", "sort by progress"), ("r", "review"),
            ("?", "guide"), ("^q", "quit"), ("^p", "palette")]
        start = next(s for _y, s, _e, entry in bar.regions if entry.display == "p")
        assert await pilot.click(KeyBar, offset=(start + 2, 0))  # the key line, like the keys themselves
        await pilot.pause()
        assert [r for r, _ in shown()] == ["talks-end", DOC, "aaa-done"]
        assert table.cursor_row == 1 and "sorted by progress" in text_of(home, "#bar")
        await pilot.press("o")
        assert [r for r, _ in shown()] == ["aaa-done", DOC, "talks-end"]
        assert table.cursor_row == 1

        await pilot.press("enter")
        screen = await wait_for_document(pilot)
        assert screen.doc.id == DOC and screen.queue == (project.document("talks-end"),)
        assert screen.cursor == 2
        await pilot.press("q", "o")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is home
        assert shown()[1] == (DOC, f"4/{n}")
        assert labels(yaml_only(project))[:5] == [FACT, SPEC, QUOTE, OPINION, None]

        await pilot.press("down", "enter")
        screen = await wait_for_document(pilot)
        assert screen.doc.id == "talks-end"
        await pilot.press("f", "f")
        assert isinstance(app.screen, SummaryDialog)
        await pilot.press("enter")  # the last document: back to the list
        await pilot.pause()
        assert app.screen is home
        assert shown()[2] == ("talks-end", "2/2")
        assert "2 finished" in text_of(home, "#bar")


# command palette and small terminals -------------------------------------------------------------


async def palette_pick(pilot: Pilot[None], typed: str) -> str:
    """Open the command palette, type, wait for the commands; returns the highlighted one (Enter runs it)."""
    await pilot.press("ctrl+p")
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette)
    palette.query_one(CommandInput).value = typed[:-2]  # typing it all takes long; the end is typed
    await type_text(pilot, typed[-2:])
    commands = palette.query_one(CommandList)
    for _ in range(100):
        await pilot.pause(0.01)
        if commands.option_count and commands.highlighted is not None:
            break
    await pilot.pause(0.3)  # the palette adds hits in batches: let every provider answer
    assert commands.highlighted is not None
    return str(commands.get_option_at_index(commands.highlighted).prompt)


@pytest.mark.parametrize("typed", ["go to sentence 12", "12", " 9", "9 "])
@run_async
async def test_command_palette_goes_to_a_sentence(project: Project, typed: str) -> None:
    """Issue 12, item 3: "9" and Enter opened a document whose name holds a 9; a number means that sentence."""
    for name in ("report-9", "2019-summit", "doc-12"):
        add_document(project, name)
    n = int(typed.split()[-1])
    async with labeling(project) as (app, pilot, screen):
        assert f"Go to sentence {n}" in await palette_pick(pilot, typed)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        expect(project, screen, [], n - 1)


@run_async
async def test_command_palette_still_opens_a_document_by_name(project: Project) -> None:
    add_document(project, "report-9")
    async with labeling(project) as (app, pilot, screen):
        assert "Open document report-9" in await palette_pick(pilot, "report-9")
        await pilot.press("enter")
        second = await wait_for_document(pilot)
        assert second.doc.id == "report-9"


@run_async
async def test_small_terminal_labels_and_keeps_the_current_sentence_in_view(project: Project) -> None:
    async with labeling(project, size=(80, 24)) as (app, pilot, screen):
        view = screen.query_one(DocumentView)

        def current_visible() -> bool:
            first, count = view.rows_of(screen.cursor)
            top, height = view.scroll_offset.y, view.scrollable_content_region.height
            return top <= first and first + min(count, height) <= top + height

        assert view.scrollable_content_region.height >= 5
        keys = footer_keys(screen)
        assert "1f" in keys and "4o" in keys
        want: list[str | None] = []
        for key, name in zip("fsqo12", [FACT, SPEC, QUOTE, OPINION, FACT, SPEC], strict=True):
            await pilot.press(key)
            want.append(name)
            expect(project, screen, want, len(want))
            assert current_visible()
        for key in ("end", "up", "up", "home", "g"):
            await pilot.press(key)
            assert current_visible()
        assert screen.cursor == len(want)


@run_async
async def test_clicking_a_key_in_the_key_line_presses_it(project: Project) -> None:
    async with labeling(project, size=(100, 30)) as (app, pilot, screen):
        bar = screen.query_one(KeyBar)

        def x_of(display: str) -> int:
            start, _end = next((s, e) for _y, s, e, entry in bar.regions if entry.display == display)
            return start

        undo = next(entry for entry in bar.entries() if entry.display == "u")
        assert not undo.enabled  # nothing to undo yet: shown dimmed
        assert await pilot.click(KeyBar, offset=(x_of("u"), 0))
        await pilot.pause()
        expect(project, screen, [], 0)  # clicking a dimmed key does nothing
        assert await pilot.click(KeyBar, offset=(x_of("2s") + 3, 0))  # on the description, not just the key
        await pilot.pause()
        expect(project, screen, [SPEC], 1)
        assert next(entry for entry in bar.entries() if entry.display == "u").enabled
        assert await pilot.click(KeyBar, offset=(x_of("u"), 0))
        await pilot.pause()
        expect(project, screen, [], 0)


def key_rows(screen: LabelScreen | HomeScreen) -> list[str]:
    """The rows of the key line, as drawn."""
    return [line.rstrip() for line in str(screen.query_one(KeyBar).render()).splitlines()]


@run_async
async def test_key_line_uses_full_label_names_and_shortens_only_what_the_width_requires(project: Project) -> None:
    """Issue 12, item 8: at 120 columns the keys read 2s spec 3q quot 4o opin; at 80 nothing may be lost."""
    async with labeling(project, size=(120, 30)) as (app, pilot, screen):
        assert key_rows(screen) == ["1f fact 2s speculation 3q quote 4o opinion u undo ! unsure n note / find"
                                    " ? guide ^q quit"]
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert key_rows(screen) == ["1f fact 2s spec 3q quote 4o opin u undo ! unsure n note / find ? guide ^q quit"]
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        rows = key_rows(screen)
        assert len(rows) == 2 and screen.query_one(KeyBar).size.height == 2  # a second row, nothing cut
        assert " ".join(rows) == ("1f fact 2s speculation 3q quote 4o opinion u undo ! unsure n note / find"
                                  " ? guide ^q quit")
        await pilot.press("2")  # the keys of the second row still work, the screen still labels
        expect(project, screen, [SPEC], 1)


@pytest.mark.parametrize("size", [(80, 24), (120, 30)])
@run_async
async def test_status_bar_uses_full_label_names_when_they_fit(project: Project, size: tuple[int, int]) -> None:
    async with labeling(project, size=size) as (app, pilot, screen):
        await pilot.press("1", "2", "3")
        bar = text_of(screen, "#bar")
        assert bar.rstrip() == f" {DOC}  alice  3/25  fact 1 speculation 1 quote 1 opinion 0"
        await pilot.press("exclamation_mark")
        await pilot.resize_terminal(70, 24)
        await pilot.pause()
        bar = text_of(screen, "#bar")  # less room: the longest name is shortened, only as far as needed
        assert bar.rstrip() == f" {DOC}  alice  3/25  fact 1 spec 1 quote 1 opinion 0  ?1", bar
        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        assert text_of(screen, "#bar").rstrip() == f" {DOC}  alice  3/25  fact 1 spec 1 quot 1 opin 0  ?1"


# suggestions (annotate label --suggest) ------------------------------------------------------


@asynccontextmanager
async def suggesting(project: Project, suggest: bool,
                     size: tuple[int, int] = (100, 40)) -> AsyncIterator[tuple[AnnotateApp, Pilot[None], LabelScreen]]:
    """The labeling screen with or without --suggest."""
    app = app_for(project, docs=[DOC], suggest=suggest)
    async with app.run_test(size=size) as pilot:
        screen = await wait_for_document(pilot)
        yield app, pilot, screen


@run_async
async def test_blind_mode_shows_no_suggestion_and_enter_does_nothing(project: Project) -> None:
    async with suggesting(project, suggest=False) as (app, pilot, screen):
        for _ in range(3):
            assert "suggestion" not in text_of(screen, "#focus")
            assert "⏎" not in footer_keys(screen)
            await pilot.press("enter")
            await pilot.press("down")
        await pilot.press("home", "f", "s")
        expect(project, screen, [FACT, SPEC], 2)
        await quit_app(pilot)
    assert all(s.suggested is None for s in yaml_only(project).sentences)
    assert b"suggested" not in label_file(project).read_bytes()


@run_async
async def test_suggest_shows_the_rule_suggestion_and_enter_accepts_it(project: Project) -> None:
    from annotate.suggest import RulesSuggester

    async with suggesting(project, suggest=True) as (app, pilot, screen):
        sents = opened(screen).sentences
        rules = RulesSuggester(screen.tagset)
        want = [rules.suggest(s.text, sents[i - 1].text if i else None, sents[i + 1].text).label
                for i, s in enumerate(sents[:4])]
        assert footer_keys(screen)["⏎"] == "accept"
        focus = " ".join(text_of(screen, "#focus").split())
        assert f"suggestion: {want[0]} " in focus and "accepts" in focus, focus
        await pilot.press("enter")
        expect(project, screen, [want[0]], 1)
        await pilot.press("enter")
        expect(project, screen, want[:2], 2)
        # a different key overrides the suggestion; the file still records what was shown
        other = next(n for n in (FACT, SPEC, QUOTE, OPINION) if n != want[2])
        await pilot.press(str((FACT, SPEC, QUOTE, OPINION).index(other) + 1))
        expect(project, screen, [*want[:2], other], 3)
        await quit_app(pilot)
    saved = yaml_only(project).sentences
    assert [(s.label, s.suggested) for s in saved[:3]] == [(want[0], want[0]), (want[1], want[1]),
                                                           (other, want[2])]
    assert saved[3].suggested is None  # never labeled: nothing recorded


@run_async
async def test_suggest_uses_the_documents_suggestions_file(project: Project) -> None:
    from annotate.suggest import Suggestion, document_spans, write_suggestions

    spans = document_spans(project, DOC)[0]
    fixed = Suggestion(OPINION, 0.77, "a cue of the test", "test 1")
    write_suggestions(project, DOC, [(s, e, fixed) for s, e in spans],
                      SimpleNamespace(agent="test 1", scheme="claim-types"))
    async with suggesting(project, suggest=True) as (app, pilot, screen):
        focus = text_of(screen, "#focus")
        assert "0.77" in focus and "a cue of the test" in focus, focus
        await pilot.press("enter", "enter")
        expect(project, screen, [OPINION, OPINION], 2)
        await quit_app(pilot)
    assert [s.suggested for s in yaml_only(project).sentences[:2]] == [OPINION, OPINION]


# order (annotate label --order uncertain) -------------------------------------------------------------


def scored_suggestions(project: Project) -> list[float]:
    """A suggestions file whose scores put the sentences in a known, scrambled order; returns the scores."""
    from annotate.suggest import Suggestion, document_spans, write_suggestions

    spans = document_spans(project, DOC)[0]
    scores = [((i * 7) % len(spans)) / len(spans) for i in range(len(spans))]
    write_suggestions(project, DOC, [(s, e, Suggestion(OPINION, score, "test cue", "test 1"))
                                     for (s, e), score in zip(spans, scores, strict=True)],
                      SimpleNamespace(agent="test 1", scheme="claim-types"))
    return scores


@run_async
async def test_order_uncertain_visits_the_least_sure_sentences_first_without_showing_suggestions(
        project: Project) -> None:
    scores = scored_suggestions(project)
    order = sorted(range(len(scores)), key=lambda i: (scores[i], i))
    app = app_for(project, docs=[DOC], order="uncertain")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await wait_for_document(pilot)
        assert screen.cursor == order[0] and "least sure first" in text_of(screen, "#bar")
        assert "suggestion" not in text_of(screen, "#focus")  # blind: the order uses them, the screen does not
        await pilot.press("1", "2")
        assert screen.cursor == order[2]
        assert [opened(screen).sentences[i].label for i in order[:2]] == [FACT, SPEC]
        assert labels(on_disk(project))[order[0]] == FACT
        await pilot.press("j")  # moving is still in reading order
        assert screen.cursor == order[2] + 1
        await pilot.press("g")  # g: the next unlabeled one in the order after this sentence
        rank = order.index(order[2] + 1)
        assert screen.cursor == next(i for i in order[rank + 1:] + order[:rank] if i not in order[:2])
        await quit_app(pilot)
    app = app_for(project, docs=[DOC], order="uncertain")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await wait_for_document(pilot)
        assert screen.cursor == order[2]  # resumes at the least sure sentence not yet labeled
        await quit_app(pilot)


@run_async
async def test_order_uncertain_uses_the_cue_rules_without_a_suggestions_file(project: Project) -> None:
    from annotate.suggest import RulesSuggester

    app = app_for(project, docs=[DOC], order="uncertain")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await wait_for_document(pilot)
        texts = [s.text for s in opened(screen).sentences]
        rules = RulesSuggester(screen.tagset)
        scores = [rules.suggest(t, texts[i - 1] if i else None, texts[i + 1] if i + 1 < len(texts) else None).score
                  for i, t in enumerate(texts)]
        order = sorted(range(len(texts)), key=lambda i: (scores[i], i))
        assert screen.cursor == order[0]
        await pilot.press("3")
        assert screen.cursor == order[1]
        await quit_app(pilot)


@run_async
async def test_order_uncertain_without_a_suggester_goes_in_reading_order(project: Project,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from annotate import suggest
    from annotate.errors import AnnotateError

    def broken(*args: object, **kwargs: object) -> None:
        raise AnnotateError("the tagset's suggest: section is broken")

    monkeypatch.setattr(suggest, "RulesSuggester", broken)
    app = app_for(project, docs=[DOC], order="uncertain")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await wait_for_document(pilot)
        assert screen.cursor == 0
        await pilot.press("1")
        expect(project, screen, [FACT], 1)
        assert any("reading order" in n.message for n in app._notifications)
        await quit_app(pilot)


def test_label_suggest_and_order_flags_reach_the_screen(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[AppOptions] = []

    def fake_run_app(options: AppOptions) -> int:
        seen.append(options)
        assert isinstance(options.lock, LabelLock)
        options.lock.release()  # the screen's session would have taken it over and released it on quitting
        return 0

    monkeypatch.setattr("annotate.tui.app.run_app", fake_run_app)
    result = CliRunner().invoke(main, ["--root", str(project.root), "label", DOC, "--annotator", "alice",
                                       "--suggest"])
    assert result.exit_code == 0, result.output
    assert (seen[-1].suggest, seen[-1].order, seen[-1].annotator) == (True, "document", "alice")
    assert [d.id for d in seen[-1].documents] == [DOC] and seen[-1].role is None
    result = CliRunner().invoke(main, ["--root", str(project.root), "label", DOC, "--annotator", "alice",
                                       "--order", "uncertain"])
    assert result.exit_code == 0, result.output
    assert (seen[-1].suggest, seen[-1].order) == (False, "uncertain")
    result = CliRunner().invoke(main, ["--root", str(project.root), "label", DOC, "--order", "random"])
    assert result.exit_code == 2 and "'random' is not one of" in result.output
    with pytest.raises(dataclasses.FrozenInstanceError):
        seen[-1].suggest = True  # type: ignore[misc]


@run_async
async def test_a_note_typed_fast_with_its_enter_keeps_every_character(project: Project) -> None:
    """Keys arriving together (a paste, a fast typist, a remote terminal): Enter saves what was typed before it."""
    from textual import events

    async with labeling(project) as (app, pilot, screen):
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog)
        for ch in "hedged":  # all queued before the app handles any of them
            app.post_message(events.Key(ch, ch))
        app.post_message(events.Key("ctrl+j", None))
        app.post_message(events.Key("x", "x"))
        app.post_message(events.Key("enter", "\r"))
        for _ in range(50):
            await pilot.pause(0.01)
            if not isinstance(app.screen, NoteDialog):
                break
        assert opened(screen).sentences[0].note == "hedged\nx"
        await quit_app(pilot)
    assert yaml_only(project).sentences[0].note == "hedged\nx"
