"""The review screen through Pilot (annotators side by side, gold decisions in gold.yaml) and the review CLI."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import SEED_ID, label_as, run_async
from snapshot_apps import ALICE, BOB, CAROL, labeling, screen_lines, text_of
from textual.pilot import Pilot

from annotate.cli import main
from annotate.models import GOLD, LabelFile, Tagset
from annotate.reading import journal_path, load_current
from annotate.session import LabelSession
from annotate.store import LabelLock, Project, read_label_file
from annotate.tui import document_screen
from annotate.tui.app import AnnotateApp, AppOptions
from annotate.tui.dialogs import NoteDialog
from annotate.tui.keybar import KeyBar
from annotate.tui.review_screen import ReviewScreen

DOC = SEED_ID
F, S, Q, OP = "fact", "speculation", "quote", "opinion"
Labels = list[str | None]

# snapshot_apps.ALICE, BOB, CAROL: alice is unsure of 9 (index 8). To review, in order: 5, 7, 8, 10, 18, 23, 24.
TO_REVIEW = [5, 7, 8, 10, 18, 23, 24]
REVIEWER = "carl"




@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen's clock stands still: no time spent is recorded, so moving never writes the file."""
    monkeypatch.setattr(document_screen, "time", SimpleNamespace(monotonic=lambda: 1000.0))


@pytest.fixture
def pair(project: Project, tagset: Tagset) -> Project:
    """The sample article labeled by alice (unsure of sentence 9) and bob."""
    label_as(project, "alice", ALICE, unsure_at=(8,))
    label_as(project, "bob", BOB)
    return project


@pytest.fixture
def trio(pair: Project, tagset: Tagset) -> Project:
    """... and by carol, who sides with bob on 6 and 19 and with alice on 11."""
    label_as(pair, "carol", CAROL)
    return pair


# helpers ---------------------------------------------------------------------------------------------


def gold_path(project: Project) -> Path:
    return project.label_path(DOC, GOLD)


def gold_now(project: Project) -> LabelFile:
    """gold.yaml as it stands on disk now (YAML plus journal)."""
    return load_current(gold_path(project))


def files_of(path: Path) -> tuple[bytes | None, bytes | None]:
    """The bytes of a label file and of its journal (None: no such file)."""
    return tuple(p.read_bytes() if p.exists() else None for p in (path, journal_path(path)))  # type: ignore[return-value]


def gold_yaml(project: Project) -> LabelFile:
    """gold.yaml alone, after the screen closed (the journal folded into it)."""
    assert not journal_path(gold_path(project)).exists(), "the journal was not folded"
    return read_label_file(gold_path(project))[0]


def words(text: str) -> list[str]:
    """The lines of a text with their runs of spaces squeezed (label badges are padded)."""
    return [" ".join(line.split()) for line in text.splitlines()]


def gutter(screen: ReviewScreen, index: int) -> str:
    return "".join(seg.text for seg in screen.sentence_gutter(index, index == screen.cursor))


def decision(project: Project, index: int) -> tuple[str | None, str | None, dict[str, str | None] | None]:
    """(label, reviewer, annotator_labels) of a gold sentence on disk."""
    s = gold_now(project).sentences[index]
    return s.label, s.reviewer, s.annotator_labels


def given(*coders: Labels, names: tuple[str, ...] = ("alice", "bob", "carol"), index: int) -> dict[str, Any]:
    return {name: labels[index] for name, labels in zip(names, coders, strict=False)}


@asynccontextmanager
async def reviewing(project: Project, review: list[str] | None = None, size: tuple[int, int] = (120, 40),
                    tagset: Tagset | None = None, doc: str = DOC
                    ) -> AsyncIterator[tuple[AnnotateApp, Pilot[None], ReviewScreen]]:
    """The review screen of REVIEWER on ``doc``, open."""
    async with labeling(project, (doc,), size, REVIEWER, review=review or [], tagset=tagset) as (app, pilot, screen):
        assert isinstance(screen, ReviewScreen)
        yield app, pilot, screen


async def quit_app(pilot: Pilot[None]) -> None:
    await pilot.press("ctrl+q")
    await pilot.pause()


# opening and display ------------------------------------------------------------------------------------


@run_async
async def test_opens_on_the_first_unresolved_disagreement(pair: Project) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        assert screen.annotators == ["alice", "bob"]
        assert screen.cursor == 5
        assert [i for i, r in enumerate(screen.rows) if r.needs_review] == TO_REVIEW
        assert [r.state for r in screen.rows].count("disagreed") == 4
        assert screen.rows[5].labels == {"alice": S, "bob": F}
        assert screen.rows[8].unsure == ["alice"] and screen.rows[8].state == "agreed"
        assert screen.rows[23].labels == {"alice": S, "bob": None} and screen.rows[23].state == "missing"
        focus = words(text_of(screen, "#focus"))
        assert focus[0].startswith("Sentence 6 of 25 ✗ disagreed")
        assert focus[-1].startswith("There is speculation")
        assert "alice speculation" in focus and "bob fact" in focus and "gold unlabeled" in focus
        assert focus[0].endswith("⏎ accepts: nothing (no majority)")
        row = gutter(screen, 5)
        assert row.startswith("▶") and "✗" in row
        assert row.index("SPEC") < row.index("FACT") < row.index("→")
        assert "✓" in gutter(screen, 0) and "○" in gutter(screen, 23)
        assert "?" in gutter(screen, 8)
        assert text_of(screen, "#bar").startswith(f" {DOC} ")
        assert not gold_path(pair).exists()  # gold.yaml comes with the first decision, not with opening
        await quit_app(pilot)
    assert not gold_path(pair).exists()


@run_async
async def test_focus_shows_unsure_and_notes_of_annotators(pair: Project, tagset: Tagset) -> None:
    session = LabelSession.open(pair, pair.document(DOC), "bob", tagset)
    session.change(8, note="hedged by may")
    session.close()
    async with reviewing(pair) as (app, pilot, screen):
        await pilot.press("j", "j", "j")
        assert screen.cursor == 8
        focus = words(text_of(screen, "#focus"))
        assert "alice speculation unsure" in focus
        assert "bob speculation note: hedged by may" in focus
        assert focus[0].endswith("⏎ accepts: speculation (agreed)")


@run_async
async def test_agreement_panel_shows_alpha_kappa_and_progress(pair: Project) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        panel = text_of(screen, "#agreement")
        assert f"review: {REVIEWER}" in panel and " · alice, bob · " in panel
        assert "α 0.727 (n=23)" in panel and "κ 0.722 (n=23)" in panel
        assert "to review 7, decided 0" in panel and "gold  0/25" in text_of(screen, "#bar")
        await pilot.press("1")
        panel = text_of(screen, "#agreement")
        assert "to review 7, decided 1" in panel and "gold  1/25" in text_of(screen, "#bar")
        assert "α 0.727 (n=23)" in panel  # the annotators' agreement does not change with gold


# deciding -------------------------------------------------------------------------------------------------


@run_async
async def test_label_keys_decide_save_gold_and_move_to_the_next_unresolved(pair: Project) -> None:
    keys = ["1", "2", "3", "4", "f", "s", "q"]
    names = [F, S, Q, OP, F, S, Q]
    async with reviewing(pair) as (app, pilot, screen):
        for n, (key, name) in enumerate(zip(keys, names, strict=True)):
            i = TO_REVIEW[n]
            assert screen.cursor == i
            await pilot.press(key)
            assert decision(pair, i) == (name, REVIEWER, given(ALICE, BOB, index=i))
            assert screen.session.sentences[i].label == name
            if n + 1 < len(TO_REVIEW):
                assert screen.cursor == TO_REVIEW[n + 1]
        assert screen.cursor == 24  # all decided: stays at the end
        await pilot.press("home", "o")  # a letter on an agreed sentence overrides the annotators
        assert decision(pair, 0) == (OP, REVIEWER, {"alice": F, "bob": F})
        await quit_app(pilot)
    gold = gold_yaml(pair)
    assert gold.annotator == GOLD and gold.scheme == "claim-types"
    for n, i in enumerate(TO_REVIEW):
        s = gold.sentences[i]
        assert (s.label, s.reviewer, s.annotator_labels) == (names[n], REVIEWER, given(ALICE, BOB, index=i))
    assert gold.sentences[0].label == OP
    assert gold.labeled == 8
    # the annotators' files are untouched
    assert [s.label for s in load_current(pair.label_path(DOC, "alice")).sentences] == ALICE
    assert [s.label for s in load_current(pair.label_path(DOC, "bob")).sentences] == BOB


@run_async
async def test_enter_accepts_the_unanimous_label(pair: Project) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        await pilot.press("home")
        assert words(text_of(screen, "#focus"))[0].endswith("⏎ accepts: fact (agreed)")
        await pilot.press("enter")
        assert decision(pair, 0) == (F, REVIEWER, {"alice": F, "bob": F})
        assert screen.cursor == 5  # on to the first unresolved one
        await pilot.press("k", "k", "enter")  # sentence 4: quote by both
        assert decision(pair, 3) == (Q, REVIEWER, {"alice": Q, "bob": Q})
        await pilot.press("end", "k", "enter")  # sentence 24: only alice labeled it
        assert decision(pair, 23) == (S, REVIEWER, {"alice": S, "bob": None})
        await quit_app(pilot)
    assert [s.label for s in gold_yaml(pair).sentences if s.label] == [F, Q, S]


@run_async
async def test_enter_accepts_the_majority_label(trio: Project) -> None:
    async with reviewing(trio) as (app, pilot, screen):
        assert screen.annotators == ["alice", "bob", "carol"]
        assert screen.cursor == 5
        assert words(text_of(screen, "#focus"))[0].endswith("⏎ accepts: fact (majority)")
        await pilot.press("enter")
        assert decision(trio, 5) == (F, REVIEWER, {"alice": S, "bob": F, "carol": F})
        assert screen.cursor == 7  # alice fact, bob opinion, carol quote: a three-way tie
        before = files_of(gold_path(trio))
        await pilot.press("enter")
        assert screen.cursor == 7 and decision(trio, 7) == (None, None, None)
        assert files_of(gold_path(trio)) == before
        await pilot.press("j", "j", "j", "enter")  # sentence 11: alice and carol say quote
        assert decision(trio, 10) == (Q, REVIEWER, {"alice": Q, "bob": OP, "carol": Q})
        await quit_app(pilot)


@run_async
async def test_enter_on_a_tie_changes_nothing(pair: Project) -> None:
    path = gold_path(pair)
    async with reviewing(pair) as (app, pilot, screen):
        await pilot.press("enter")
        assert screen.cursor == 5
        assert not path.exists() and not journal_path(path).exists()
        assert not screen.session.undo_stack
        await pilot.press("end", "enter")  # nobody labeled the last sentence: nothing to accept
        assert screen.cursor == 24 and not path.exists()
        await quit_app(pilot)
    assert not path.exists()


@run_async
async def test_enter_on_a_decided_tie_moves_on(trio: Project) -> None:
    """Issue 12, item 5: Enter on a tie already decided said "No majority here" again instead of moving on."""
    async with reviewing(trio) as (app, pilot, screen):
        await pilot.press("enter")  # sentence 6: the majority
        assert screen.cursor == 7  # a three-way tie
        await pilot.press("4")  # decided by its key
        assert decision(trio, 7) == (OP, REVIEWER, {"alice": F, "bob": OP, "carol": Q})
        after_tie = screen.cursor
        await pilot.press("k")
        assert screen.cursor == 7
        assert "keeps the decision" in words(text_of(screen, "#focus"))[0]
        before = files_of(gold_path(trio))
        app._notifications.clear()
        await pilot.press("enter")
        assert screen.cursor == after_tie  # on to the next sentence to review
        assert not any("No majority" in n.message for n in app._notifications)
        assert files_of(gold_path(trio)) == before and decision(trio, 7)[0] == OP  # the decision stays
        await pilot.press("home", "enter", "k")  # a decided agreed sentence: Enter keeps it as well
        await pilot.press("home")
        assert decision(trio, 0) == (F, REVIEWER, {"alice": F, "bob": F, "carol": F})
        await pilot.press("enter")
        assert screen.cursor != 0 and decision(trio, 0)[0] == F
        await quit_app(pilot)


AGREED_UNDECIDED = [i for i in range(25) if i not in TO_REVIEW]
"""The sentences alice and bob labeled alike, nobody unsure (18 of them)."""


@run_async
async def test_accept_every_agreed_sentence_at_once_asks_first_and_undoes_in_one_step(
        pair: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from annotate.tui.dialogs import ConfirmDialog

    monkeypatch.setattr(document_screen, "FOLD_DELAY", 1000.0)  # the journal holds every change meanwhile
    path = gold_path(pair)
    async with reviewing(pair) as (app, pilot, screen):
        await pilot.press("home", "2")  # sentence 1 (agreed: fact) decided otherwise by hand
        assert decision(pair, 0)[0] == S
        await pilot.press("A")
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "17 sentences" in dialog.question  # the agreed ones not decided yet
        await pilot.press("escape")  # no: nothing changes
        assert app.screen is screen and [decision(pair, i)[0] for i in AGREED_UNDECIDED[1:]] == [None] * 17
        journal = journal_path(path).read_bytes() if journal_path(path).exists() else b""
        await pilot.press("A", "y")
        assert app.screen is screen
        for i in AGREED_UNDECIDED[1:]:
            assert decision(pair, i) == (ALICE[i], REVIEWER, {"alice": ALICE[i], "bob": BOB[i]})
        assert decision(pair, 0)[0] == S  # a decision by hand is never overwritten
        assert [decision(pair, i)[0] for i in TO_REVIEW] == [None] * len(TO_REVIEW)
        added = journal_path(path).read_bytes()[len(journal):].splitlines()
        assert len(added) == 17  # one durable journal line per sentence
        assert "decided 0" in text_of(screen, "#agreement") and "gold  18/25" in text_of(screen, "#bar")
        await pilot.press("u")  # one step undoes all 17
        assert [decision(pair, i)[0] for i in AGREED_UNDECIDED] == [S] + [None] * 17
        await pilot.press("ctrl+y")
        assert [decision(pair, i)[0] for i in AGREED_UNDECIDED] == [S] + [ALICE[i] for i in AGREED_UNDECIDED[1:]]
        await pilot.press("A")  # nothing left to accept: said, no dialog
        assert app.screen is screen
        assert any("No agreed sentence is waiting" in n.message for n in app._notifications)
        await quit_app(pilot)
    gold = gold_yaml(pair)
    assert gold.labeled == 18 and gold.sentences[0].label == S


@run_async
async def test_accept_every_agreed_sentence_with_enter_and_undo(trio: Project) -> None:
    async with reviewing(trio) as (app, pilot, screen):
        await pilot.press("A", "enter")
        agreed = [i for i, r in enumerate(screen.rows) if r.state == "agreed" and not r.unsure]
        assert [decision(trio, i)[0] for i in agreed] == [ALICE[i] for i in agreed]
        await pilot.press("u")
        assert not gold_now(trio).labeled
        await quit_app(pilot)


def shown_rows(screen: ReviewScreen) -> list[int]:
    """The sentences the document view draws (by their numbers in the gutter), top to bottom."""
    view = screen.view
    assert view is not None
    rows = [view.sentence_at(y) for y in range(view.virtual_size.height)]
    return sorted({i for i in rows if i is not None})


@run_async
async def test_tab_hides_the_agreed_sentences_and_says_how_many(pair: Project) -> None:
    """Issue 12, item 4: "disagreements only" must hide the agreed rows, not list them all."""
    async with reviewing(pair) as (app, pilot, screen):
        assert shown_rows(screen) == list(range(25))
        await pilot.press("tab")
        assert screen.only_disagreements
        assert shown_rows(screen) == TO_REVIEW  # really gone from the view, not dimmed
        assert screen.view.hidden == {i for i in range(25) if i not in TO_REVIEW}
        assert "disagreements only (18 agreed hidden)" in text_of(screen, "#agreement")
        lines = [str(screen.view.render_line(y).text) for y in range(screen.view.size.height)]
        assert any("5 sentences hidden" in line for line in lines), lines  # between sentence 1 and 6
        seen = []
        for _ in range(7):
            await pilot.press("j")
            seen.append(screen.cursor)
        assert seen == [7, 8, 10, 18, 23, 24, 24]
        await pilot.press("k", "k")
        assert screen.cursor == 18
        await pilot.press("home")
        assert screen.cursor == 5  # the first shown sentence, not sentence 1
        await pilot.press("end")
        assert screen.cursor == 24
        await pilot.press("pageup")
        assert screen.cursor in TO_REVIEW
        await pilot.press("tab")
        assert not screen.only_disagreements and screen.view.hidden == frozenset()
        assert shown_rows(screen) == list(range(25))
        assert "disagreements only" not in text_of(screen, "#agreement")
        await pilot.press("home", "tab")  # on an agreed sentence, the filter moves to the next one to review
        assert screen.cursor == 5
        assert not gold_path(pair).exists()  # moving writes nothing


@run_async
async def test_clicks_and_pages_with_disagreements_only_land_on_shown_sentences(pair: Project) -> None:
    async with reviewing(pair, size=(100, 24)) as (app, pilot, screen):
        view = screen.view
        assert view is not None
        await pilot.press("tab")
        await pilot.pause()

        def on_screen() -> dict[int, int]:
            """Sentence -> the first screen row showing it."""
            found: dict[int, int] = {}
            for y in range(view.size.height):
                index = view.sentence_at(view.scroll_offset.y + y)
                if index is not None:
                    found.setdefault(index, y)
            return found

        for _ in range(3):
            shown = on_screen()
            assert len(shown) >= 2 and set(shown) <= set(TO_REVIEW)
            index = max(i for i in shown if i != screen.cursor)
            assert await pilot.click(type(view), offset=(view.gutter_width + 3, shown[index]))
            assert screen.cursor == index
        for key in ("pagedown", "pagedown", "pageup"):
            await pilot.press(key)
            assert screen.cursor in TO_REVIEW, (key, screen.cursor)
        first, count = view.rows_of(0)
        assert count == 0  # a hidden sentence has no rows to click on


@run_async
async def test_going_to_a_hidden_sentence_shows_every_sentence_again(pair: Project) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        await pilot.press("home", "enter")  # sentence 1: agreed, accepted
        await pilot.press("tab")
        assert 0 in screen.view.hidden
        await pilot.press("u")  # undo goes to sentence 1, which the filter hides: everything is shown
        assert screen.cursor == 0 and not screen.only_disagreements and not screen.view.hidden
        assert decision(pair, 0) == (None, None, None)
        assert any("Showing every sentence" in n.message for n in app._notifications)


@run_async
async def test_n_adds_a_reviewer_note(pair: Project) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        await pilot.press("n")
        assert isinstance(app.screen, NoteDialog)
        await pilot.press(*"both fit")
        await pilot.press("enter")
        assert app.screen is screen
        s = gold_now(pair).sentences[5]
        assert (s.note, s.label) == ("both fit", None)
        assert "reason: both fit" in text_of(screen, "#focus")
        assert "✎" in gutter(screen, 5)
        await pilot.press("2")
        assert decision(pair, 5) == (S, REVIEWER, {"alice": S, "bob": F})
        await quit_app(pilot)
    s = gold_yaml(pair).sentences[5]
    assert (s.label, s.note, s.reviewer) == (S, "both fit", REVIEWER)


@run_async
async def test_undo_and_redo_with_the_file_checked_after_each(pair: Project) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        await pilot.press("1")
        await pilot.press("4")
        d5 = (F, REVIEWER, {"alice": S, "bob": F})
        d7 = (OP, REVIEWER, {"alice": F, "bob": OP})
        none = (None, None, None)
        assert (decision(pair, 5), decision(pair, 7), screen.cursor) == (d5, d7, 8)
        await pilot.press("u")
        assert (decision(pair, 5), decision(pair, 7), screen.cursor) == (d5, none, 7)
        await pilot.press("ctrl+z")
        assert (decision(pair, 5), decision(pair, 7), screen.cursor) == (none, none, 5)
        await pilot.press("u")  # nothing left to undo
        assert (decision(pair, 5), decision(pair, 7), screen.cursor) == (none, none, 5)
        await pilot.press("ctrl+y")
        assert (decision(pair, 5), decision(pair, 7), screen.cursor) == (d5, none, 5)
        await pilot.press("ctrl+y")
        assert (decision(pair, 5), decision(pair, 7), screen.cursor) == (d5, d7, 7)
        await pilot.press("u")
        assert (decision(pair, 5), decision(pair, 7)) == (d5, none)
        await pilot.press("backspace")  # clearing a decision is undoable too
        assert decision(pair, 5) == d5  # the cursor is on 7, which has no decision: nothing to clear
        await pilot.press("k", "k", "backspace")
        assert screen.cursor == 5 and decision(pair, 5) == none
        await pilot.press("u")
        assert decision(pair, 5) == d5
        await quit_app(pilot)
    gold = gold_yaml(pair)
    assert (gold.sentences[5].label, gold.sentences[7].label, gold.labeled) == (F, None, 1)


@run_async
async def test_one_annotator_quality_control(pair: Project) -> None:
    async with reviewing(pair, review=["alice"]) as (app, pilot, screen):
        assert screen.annotators == ["alice"]
        assert screen.cursor == 8  # alice was unsure of it
        assert screen.rows[8].labels == {"alice": S}
        assert words(text_of(screen, "#focus"))[0].endswith("⏎ accepts: speculation (their label)")
        panel = text_of(screen, "#agreement")
        assert " · alice · " in panel and "α" not in panel and "κ" not in panel
        assert "FACT" not in gutter(screen, 8)
        await pilot.press("enter")
        assert decision(pair, 8) == (S, REVIEWER, {"alice": S})
        assert screen.cursor == 24  # alice left it unlabeled
        await pilot.press("enter")
        assert decision(pair, 24) == (None, None, None)
        await pilot.press("home", "enter")
        assert decision(pair, 0) == (F, REVIEWER, {"alice": F})
        assert screen.cursor == 24  # the next unresolved one
        await pilot.press("enter")  # still nothing to accept
        assert decision(pair, 24) == (None, None, None)
        await quit_app(pilot)
    assert gold_yaml(pair).labeled == 2


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
@run_async
async def test_review_key_line_keeps_every_key(pair: Project, size: tuple[int, int]) -> None:
    """Issue 12, item 8: at 80x24 the review screen's key line lost ^q quit."""
    async with reviewing(pair, size=size) as (app, pilot, screen):
        bar = screen.query_one(KeyBar)
        shown = " ".join(str(bar.render()).splitlines())
        for entry in bar.entries():
            assert f"{entry.display} {entry.description}" in shown or f"{entry.display} " in shown
        for key in ("1f fact", "tab filter", "⏎ accept", "A accept all agreed", "^q quit"):
            assert key in shown, shown
        assert len(shown) <= 2 * size[0]  # two rows at most
        lines = screen_lines(app)
        assert "^q quit" in lines[-1] or "^q quit" in lines[-2]  # really drawn on the screen


def test_grouped_change_is_journaled_per_sentence_and_survives_a_crash(pair: Project, tagset: Tagset) -> None:
    from conftest import crash

    journal = journal_path(gold_path(pair))
    session = LabelSession.open(pair, pair.document(DOC), GOLD, tagset)
    session.change(1, label=S)  # the first change makes the file (and folds)
    assert not journal.exists()
    group = session.change_many([(0, {"label": F}), (2, {"label": F}), (3, {"label": Q}), (4, {"label": None})])
    assert group is not None and group.indices == [0, 2, 3]  # sentence 5 had no label: no change there
    assert len(journal.read_bytes().splitlines()) == 3  # one line per sentence, all fsynced before returning
    crash(session)  # kill -9 right after the screen showed them
    assert [s.label for s in load_current(gold_path(pair)).sentences[:5]] == [F, S, F, Q, None]
    session = LabelSession.open(pair, pair.document(DOC), GOLD, tagset)
    try:
        grouped = session.change_many([(5, {"label": S}), (6, {"label": Q})])
        assert session.change_many([(5, {"label": S})]) is None  # nothing changes: no undo step
        assert session.undo() is grouped
        assert [s.label for s in load_current(gold_path(pair)).sentences[:7]] == [F, S, F, Q, None, None, None]
        assert session.redo() is grouped and session.undo_stack == [grouped]
        assert [s.label for s in load_current(gold_path(pair)).sentences[:7]] == [F, S, F, Q, None, S, Q]
    finally:
        session.close()


# the annotators' files change while the screen runs --------------------------------------------------------


@run_async
async def test_annotator_file_changed_on_disk_is_followed_and_decisions_kept(pair: Project, tagset: Tagset) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        await pilot.press("2")  # sentence 6: speculation
        await pilot.press("1")  # sentence 8: fact
        assert "α 0.727 (n=23)" in text_of(screen, "#agreement")
        # bob, in his own process (the review does not lock his file), changes sentence 6 to speculation
        bob = LabelSession.open(pair, pair.document(DOC), "bob", tagset)
        bob.change(5, label=S)
        bob.change(23, label=S)
        bob.close()
        screen._watch_disk()
        await pilot.pause()
        assert screen.rows[5].labels == {"alice": S, "bob": S} and screen.rows[5].state == "agreed"
        assert screen.rows[23].state == "agreed"
        row = gutter(screen, 5)
        assert row.count("SPEC") == 3  # alice, bob and gold
        panel = text_of(screen, "#agreement")
        assert "α 0.813 (n=24)" in panel and "κ 0.811 (n=24)" in panel
        assert "to review 5" in panel
        # the gold decisions are kept, on screen and on disk, and still say what was decided against
        assert decision(pair, 5) == (S, REVIEWER, {"alice": S, "bob": F})
        assert decision(pair, 7) == (F, REVIEWER, {"alice": F, "bob": OP})
        assert screen.session.sentences[5].label == S
        await pilot.press("u")  # undo history survives the annotators' reload
        assert decision(pair, 7) == (None, None, None)
        await quit_app(pilot)
    gold = gold_yaml(pair)
    assert gold.sentences[5].label == S and gold.sentences[7].label is None


@run_async
async def test_annotator_file_change_is_picked_up_by_the_watch_timer(pair: Project, tagset: Tagset,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document_screen, "WATCH_INTERVAL", 0.05)
    async with reviewing(pair) as (app, pilot, screen):
        assert screen.rows[7].labels["bob"] == OP
        bob = LabelSession.open(pair, pair.document(DOC), "bob", tagset)
        bob.change(7, label=F)  # a journal line only: still seen
        for _ in range(100):
            await pilot.pause(0.02)
            if screen.rows[7].labels["bob"] == F:
                break
        bob.close()
        assert screen.rows[7].labels["bob"] == F
        assert "to review 6" in text_of(screen, "#agreement")
        await quit_app(pilot)


@run_async
async def test_filter_follows_a_reload_of_the_annotators_files(pair: Project, tagset: Tagset) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        await pilot.press("tab")
        bob = LabelSession.open(pair, pair.document(DOC), "bob", tagset)
        bob.change(10, label=Q)  # sentence 11 is agreed now
        bob.change(2, label=OP)  # sentence 3 is disagreed now
        bob.close()
        screen._watch_disk()
        await pilot.pause()
        await pilot.press("j", "j", "j")
        assert screen.cursor == 18  # 5 → 7 → 8 → 18: sentence 11 is skipped
        await pilot.press("home")
        assert screen.cursor == 2  # sentence 3, disagreed now, is the first shown
        assert screen.view.hidden == {i for i, r in enumerate(screen.rows) if not r.needs_review}
        assert 2 not in screen.view.hidden and 10 in screen.view.hidden
        assert "(18 agreed hidden)" in text_of(screen, "#agreement")


@run_async
async def test_disagreements_only_survives_an_edited_source(pair: Project) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        await pilot.press("1", "tab")  # sentence 6 decided; only what needs review shown
        source = pair.document(DOC).path
        source.write_text(source.read_text(encoding="utf-8") + "\n\nA closing sentence nobody labeled.\n",
                          encoding="utf-8")
        screen._watch_disk()
        await pilot.pause()
        assert screen.session is not None and len(screen.session.sentences) == 26
        assert screen.only_disagreements
        assert screen.view.hidden == {i for i, r in enumerate(screen.rows) if not r.needs_review}
        assert 25 not in screen.view.hidden  # the new sentence: nobody labeled it, so it needs review
        assert screen.view.is_shown(screen.cursor)
        assert "(18 agreed hidden)" in text_of(screen, "#agreement")
        assert decision(pair, 5)[0] == F  # the decision followed the text
        await pilot.press("end")
        assert screen.cursor == 25
        await quit_app(pilot)


@run_async
async def test_a_new_annotator_appearing_widens_the_gutter(pair: Project, tagset: Tagset) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        assert sum(len(seg.text) for seg in screen.sentence_gutter(0, False)) == screen.view.gutter_width
        label_as(pair, "carol", CAROL)  # carol pushes her file meanwhile
        screen._watch_disk()
        await pilot.pause()
        assert screen.annotators == ["alice", "bob", "carol"]
        assert screen.rows[5].suggestion == F
        for i in (0, 5):
            width = sum(len(seg.text) for seg in screen.sentence_gutter(i, i == screen.cursor))
            assert width == screen.view.gutter_width
        await quit_app(pilot)


SENTIMENT_YAML = """\
name: sentiment
version: 1
labels:
- {name: pos, key: p, color: green, definition: Positive tone.}
- {name: neg, key: x, color: red, definition: Negative tone.}
- {name: neu, color: white, definition: Neither.}
"""


@run_async
async def test_review_with_a_tagset_of_its_own(project: Project) -> None:
    (project.schemas / "sentiment.yaml").write_text(SENTIMENT_YAML, encoding="utf-8")
    text = "Good news today. Prices rose again. Rain is expected.\n"
    (project.seeds / "short.txt").write_text(text, encoding="utf-8")
    sentiment = project.tagset("sentiment")
    for name, labels in (("ann", ["pos", "neg", "neu"]), ("ben", ["pos", "neu", "neg"])):
        session = LabelSession.open(project, project.document("short"), name, sentiment)
        assert len(session.sentences) == 3
        for i, label in enumerate(labels):
            session.change(i, label=label)
        session.close()
    async with reviewing(project, tagset=sentiment, doc="short") as (app, pilot, screen):
        assert screen.cursor == 1
        assert "ann neg" in words(text_of(screen, "#focus"))
        await pilot.press("3")
        await pilot.press("x")
        await pilot.press("home", "enter")
        await quit_app(pilot)
    gold = read_label_file(project.label_path("short", GOLD))[0]
    assert gold.scheme == "sentiment"
    assert [s.label for s in gold.sentences] == ["pos", "neu", "neg"]
    assert gold.sentences[2].annotator_labels == {"ann": "neu", "ben": "neg"}


# the review command ------------------------------------------------------------------------------------------


def cli(project: Project, *args: str) -> Result:
    return CliRunner().invoke(main, ["--root", str(project.root), *args])


def one_line_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("annotate: ")
    return lines[0]


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[AppOptions]:
    """Replace the terminal app by a recorder: the CLI tests never start a real screen."""
    calls: list[AppOptions] = []

    def fake_run_app(options: AppOptions) -> int:
        calls.append(options)
        return 0

    monkeypatch.setattr("annotate.tui.app.run_app", fake_run_app)
    return calls


def test_review_with_no_label_files_is_exit_2(project: Project, runs: list[AppOptions]) -> None:
    line = one_line_error(cli(project, "review", DOC, "--reviewer", REVIEWER))
    assert "nobody has labeled" in line and DOC in line
    assert runs == [] and not gold_path(project).exists()


def test_reviewer_gold_is_refused(pair: Project, runs: list[AppOptions]) -> None:
    assert "gold" in one_line_error(cli(pair, "review", DOC, "--reviewer", "gold"))
    assert "gold" in one_line_error(cli(pair, "--annotator", "gold", "review", DOC))
    assert runs == []


def test_label_as_gold_is_refused(pair: Project, runs: list[AppOptions]) -> None:
    line = one_line_error(cli(pair, "label", DOC, "--annotator", "gold"))
    assert "gold" in line and "review" in line
    assert runs == []


def test_review_annotators_must_exist(pair: Project, runs: list[AppOptions]) -> None:
    line = one_line_error(cli(pair, "review", DOC, "--reviewer", REVIEWER, "--annotators", "alice,zed"))
    assert "zed" in line and "alice, bob" in line
    assert "gold" in one_line_error(cli(pair, "review", DOC, "--reviewer", REVIEWER, "--annotators", "gold"))
    assert runs == []


def test_review_starts_the_screen_with_the_chosen_annotators(pair: Project, runs: list[AppOptions]) -> None:
    assert cli(pair, "review", DOC, "--reviewer", REVIEWER).exit_code == 0
    assert cli(pair, "review", DOC, "--reviewer", REVIEWER, "--annotators", "bob").exit_code == 0
    assert [(c.annotator, c.review, [d.id for d in c.documents]) for c in runs] == [(REVIEWER, (), [DOC]),
                                                                                    (REVIEWER, ("bob",), [DOC])]
    assert runs[0].tagset is not None and runs[0].tagset.name == "claim-types" and runs[0].role is None


def test_review_without_a_document_opens_the_first_ready_for_review(project: Project,
                                                                     runs: list[AppOptions]) -> None:
    label_as(project, "alice", [x or F for x in ALICE])  # both finished: ready for review
    label_as(project, "bob", [x or F for x in BOB])
    result = cli(project, "review", "--reviewer", REVIEWER)
    assert result.exit_code == 0 and f"reviewing {DOC} (1 ready for review)" in result.stderr
    assert [(c.annotator, [d.id for d in c.documents]) for c in runs] == [(REVIEWER, [DOC])]
    label_as(project, GOLD, [x or F for x in ALICE])  # adjudicated: nothing left to review
    assert "nothing is ready for review" in one_line_error(cli(project, "review", "--reviewer", REVIEWER))


def test_review_without_a_document_when_nothing_is_ready_is_exit_2(project: Project,
                                                                     runs: list[AppOptions]) -> None:
    label_as(project, "alice", ALICE[:3])  # started, not finished: not ready for review
    line = one_line_error(cli(project, "review", "--reviewer", REVIEWER))
    assert "nothing is ready for review" in line and "annotate review DOC" in line
    assert runs == [] and not gold_path(project).exists()


def test_review_while_another_review_holds_gold_is_exit_2(pair: Project, runs: list[AppOptions]) -> None:
    lock = LabelLock(gold_path(pair), "annotate review (dana)")
    lock.acquire()
    try:
        line = one_line_error(cli(pair, "review", DOC, "--reviewer", REVIEWER))
    finally:
        lock.release()
    assert "annotate review (dana)" in line and f"pid {os.getpid()}" in line
    assert "gold.yaml" in line
    assert runs == []
    assert cli(pair, "review", DOC, "--reviewer", REVIEWER).exit_code == 0  # free again


@run_async
async def test_review_while_the_review_screen_is_open_is_exit_2(pair: Project) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        line = one_line_error(cli(pair, "review", DOC, "--reviewer", "dana"))
        assert f"annotate review ({REVIEWER})" in line
        await quit_app(pilot)
