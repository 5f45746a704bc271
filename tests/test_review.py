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
from conftest import SEED_ID, run_async
from textual.pilot import Pilot
from textual.widgets import Static

from annotate.cli import main
from annotate.models import GOLD, LabelFile, Tagset
from annotate.reading import journal_path, load_current
from annotate.session import LabelSession
from annotate.store import LabelLock, Project, read_label_file
from annotate.tui import label_screen
from annotate.tui.app import AnnotateApp, make_app
from annotate.tui.dialogs import NoteDialog
from annotate.tui.review_screen import ReviewScreen

DOC = SEED_ID
F, S, Q, OP = "fact", "speculation", "quote", "opinion"
Labels = list[str | None]

# 25 sentences. alice and bob disagree on 6, 8, 11 and 19 (indices 5, 7, 10, 18); bob left 24
# unlabeled, both left 25; alice is unsure of 9 (index 8). To review, in order: 5, 7, 8, 10, 18, 23, 24.
ALICE: Labels = [F, S, F, Q, F, S, Q, F, S, F, Q, F, F, F, F, Q, OP, Q, F, F, F, F, Q, S, None]
BOB: Labels = [F, S, F, Q, F, F, Q, OP, S, F, OP, F, F, F, F, Q, OP, Q, S, F, F, F, Q, None, None]
CAROL: Labels = [F, S, F, Q, F, F, Q, Q, S, F, Q, F, F, F, F, Q, OP, Q, S, F, F, F, Q, S, None]
TO_REVIEW = [5, 7, 8, 10, 18, 23, 24]
REVIEWER = "carl"




@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen's clock stands still: no time spent is recorded, so moving never writes the file."""
    monkeypatch.setattr(label_screen, "time", SimpleNamespace(monotonic=lambda: 1000.0))


def write_labels(project: Project, name: str, labels: Labels, tagset: Tagset,
                 unsure: tuple[int, ...] = ()) -> None:
    """Label the sample article as ``name`` through a LabelSession."""
    session = LabelSession.open(project, project.document(DOC), name, tagset)
    try:
        for i, label in enumerate(labels):
            if label is not None:
                session.change(i, label=label)
        for i in unsure:
            session.change(i, unsure=True)
    finally:
        session.close()


@pytest.fixture
def pair(project: Project, tagset: Tagset) -> Project:
    """The sample article labeled by alice (unsure of sentence 9) and bob."""
    write_labels(project, "alice", ALICE, tagset, unsure=(8,))
    write_labels(project, "bob", BOB, tagset)
    return project


@pytest.fixture
def trio(pair: Project, tagset: Tagset) -> Project:
    """... and by carol, who sides with bob on 6 and 19 and with alice on 11."""
    write_labels(pair, "carol", CAROL, tagset)
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


def text_of(screen: ReviewScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


def words(text: str) -> list[str]:
    """The lines of a text with their runs of spaces squeezed (label badges are padded)."""
    return [" ".join(line.split()) for line in text.splitlines()]


def gutter(screen: ReviewScreen, index: int) -> str:
    return "".join(seg.text for seg in screen._gutter(index, index == screen.cursor))


def decision(project: Project, index: int) -> tuple[str | None, str | None, dict[str, str | None] | None]:
    """(label, reviewer, annotator_labels) of a gold sentence on disk."""
    s = gold_now(project).sentences[index]
    return s.label, s.reviewer, s.annotator_labels


def given(*coders: Labels, names: tuple[str, ...] = ("alice", "bob", "carol"), index: int) -> dict[str, Any]:
    return {name: labels[index] for name, labels in zip(names, coders, strict=False)}


async def wait_for_review(pilot: Pilot[None], limit: int = 300) -> ReviewScreen:
    for _ in range(limit):
        screen = pilot.app.screen
        if isinstance(screen, ReviewScreen) and screen.session is not None:
            await pilot.pause()
            return screen
        await pilot.pause(0.01)
    raise AssertionError(f"the review screen did not open; screen is {pilot.app.screen!r}")


@asynccontextmanager
async def reviewing(project: Project, review: list[str] | None = None, size: tuple[int, int] = (120, 40),
                    tagset: Tagset | None = None, doc: str = DOC
                    ) -> AsyncIterator[tuple[AnnotateApp, Pilot[None], ReviewScreen]]:
    app = make_app(project, REVIEWER, tagset or project.tagset(), documents=[project.document(doc)], home=False,
                   review=review or [])
    async with app.run_test(size=size) as pilot:
        screen = await wait_for_review(pilot)
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
async def test_tab_walks_only_what_needs_review(pair: Project) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        await pilot.press("tab")
        assert screen.only_disagreements
        assert "disagreements only" in text_of(screen, "#agreement")
        assert screen.view.dimmed == {i for i in range(25) if i not in TO_REVIEW}
        seen = []
        for _ in range(7):
            await pilot.press("j")
            seen.append(screen.cursor)
        assert seen == [7, 8, 10, 18, 23, 24, 24]
        await pilot.press("k", "k")
        assert screen.cursor == 18
        await pilot.press("down", "up")
        assert screen.cursor == 18
        await pilot.press("tab")
        assert not screen.only_disagreements and screen.view.dimmed == set()
        assert "showing disagreements only" not in text_of(screen, "#agreement")
        await pilot.press("j")
        assert screen.cursor == 19
        await pilot.press("home", "tab")  # on an agreed sentence, the filter moves to the next one to review
        assert screen.cursor == 5
        assert not gold_path(pair).exists()  # moving writes nothing


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
    monkeypatch.setattr(label_screen, "WATCH_INTERVAL", 0.05)
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
        assert screen.cursor == 0
        assert screen.view.dimmed == {i for i, r in enumerate(screen.rows) if not r.needs_review}


@run_async
async def test_a_new_annotator_appearing_widens_the_gutter(pair: Project, tagset: Tagset) -> None:
    async with reviewing(pair) as (app, pilot, screen):
        assert sum(len(seg.text) for seg in screen._gutter(0, False)) == screen.view.gutter_width
        write_labels(pair, "carol", CAROL, tagset)  # carol pushes her file meanwhile
        screen._watch_disk()
        await pilot.pause()
        assert screen.annotators == ["alice", "bob", "carol"]
        assert screen.rows[5].suggestion == F
        for i in (0, 5):
            assert sum(len(seg.text) for seg in screen._gutter(i, i == screen.cursor)) == screen.view.gutter_width
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
def runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the terminal app by a recorder: the CLI tests never start a real screen."""
    calls: list[dict[str, Any]] = []

    def fake_run_app(project: Project, annotator: str, **kwargs: Any) -> int:
        calls.append({"annotator": annotator, **kwargs})
        return 0

    monkeypatch.setattr("annotate.tui.app.run_app", fake_run_app)
    return calls


def test_review_with_no_label_files_is_exit_2(project: Project, runs: list[dict[str, Any]]) -> None:
    line = one_line_error(cli(project, "review", DOC, "--reviewer", REVIEWER))
    assert "nobody has labeled" in line and DOC in line
    assert runs == [] and not gold_path(project).exists()


def test_reviewer_gold_is_refused(pair: Project, runs: list[dict[str, Any]]) -> None:
    assert "gold" in one_line_error(cli(pair, "review", DOC, "--reviewer", "gold"))
    assert "gold" in one_line_error(cli(pair, "--annotator", "gold", "review", DOC))
    assert runs == []


def test_label_as_gold_is_refused(pair: Project, runs: list[dict[str, Any]]) -> None:
    line = one_line_error(cli(pair, "label", DOC, "--annotator", "gold"))
    assert "gold" in line and "review" in line
    assert runs == []


def test_review_annotators_must_exist(pair: Project, runs: list[dict[str, Any]]) -> None:
    line = one_line_error(cli(pair, "review", DOC, "--reviewer", REVIEWER, "--annotators", "alice,zed"))
    assert "zed" in line and "alice, bob" in line
    assert "gold" in one_line_error(cli(pair, "review", DOC, "--reviewer", REVIEWER, "--annotators", "gold"))
    assert runs == []


def test_review_starts_the_screen_with_the_chosen_annotators(pair: Project, runs: list[dict[str, Any]]) -> None:
    assert cli(pair, "review", DOC, "--reviewer", REVIEWER).exit_code == 0
    assert cli(pair, "review", DOC, "--reviewer", REVIEWER, "--annotators", "bob").exit_code == 0
    assert [(c["annotator"], c["review"], c["home"]) for c in runs] == [(REVIEWER, [], False),
                                                                      (REVIEWER, ["bob"], False)]
    assert runs[0]["documents"][0].id == DOC and runs[0]["tagset"].name == "claim-types"


def test_review_while_another_review_holds_gold_is_exit_2(pair: Project, runs: list[dict[str, Any]]) -> None:
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
