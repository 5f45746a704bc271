"""Merging and splitting units from the screen (shift+M, shift+S): two annotators' files checked on disk."""

from __future__ import annotations

import pytest
from conftest import SEED_ID, label_as, run_async
from snapshot_apps import build_project, labeling

from annotate.boundaries import load_changes, units_files
from annotate.models import GOLD
from annotate.reading import current_labels, load_current
from annotate.session import LabelSession
from annotate.store import Project
from annotate.tui import document_screen
from annotate.tui.dialogs import SplitDialog, split_points

# Units 8 and 9 of the sample (indices 7 and 8) are one paragraph: they can be merged.
JOIN = 7
LABELS = ["fact", "speculation", "fact", "quote", "fact", "speculation", "fact", "fact", "fact", "opinion"]


@pytest.fixture
def two(tmp_path) -> Project:
    project = build_project(tmp_path / "p")
    label_as(project, "alice", LABELS)
    label_as(project, "bob", [*LABELS[:7], "opinion", "fact", "opinion"])  # bob differs on unit 8
    return project


def spans(project: Project, name: str) -> list[tuple[int, int]]:
    return [s.span for s in load_current(project.label_path(SEED_ID, name)).sentences]


@run_async
async def test_shift_m_merges_for_everyone_and_u_undoes_it(two: Project) -> None:
    before = spans(two, "alice")
    async with labeling(two) as (app, pilot, screen):
        screen.goto_sentence(JOIN + 1)
        await pilot.press("M")
        merged = (before[JOIN][0], before[JOIN + 1][1])
        assert screen.session.sentences[JOIN].span == merged
        assert screen.session.sentences[JOIN].label == "fact"  # both parts were fact: the label stays
        assert screen.cursor == JOIN and len(screen.session.sentences) == len(before) - 1
        assert spans(two, "alice")[JOIN] == merged  # on disk at once
        assert [(e, c.kind) for e, c in load_changes(two, SEED_ID)] == [("alice", "merge")]
        # bob's file has not been opened: every reader sees it on the new units, his labels moved or parked
        bob = current_labels(two, two.document(SEED_ID), "bob").labels
        assert bob.sentences[JOIN].span == merged and bob.sentences[JOIN].label is None
        assert sorted(o.label for o in bob.orphans) == ["fact", "opinion"]
        await pilot.press("u")
        assert [s.span for s in screen.session.sentences] == before
        assert [s.label for s in screen.session.sentences[:10]] == LABELS  # the parts have their labels back
        assert spans(two, "alice") == before
        await pilot.press("ctrl+q")
    bob = current_labels(two, two.document(SEED_ID), "bob").labels
    assert [s.span for s in bob.sentences] == before and not bob.orphans


@run_async
async def test_shift_s_splits_where_the_dialog_says(two: Project) -> None:
    async with labeling(two) as (app, pilot, screen):
        i = 6  # Kim's long quotation
        unit = screen.session.sentences[i]
        screen.goto_sentence(i + 1)
        await pilot.press("S")
        dialog = app.screen
        assert isinstance(dialog, SplitDialog)
        first = dialog.at
        await pilot.press("right")
        assert dialog.at == split_points(unit.text)[split_points(unit.text).index(first) + 1]
        at = dialog.at
        await pilot.press("enter")
        assert app.screen is screen
        left, right = screen.session.sentences[i], screen.session.sentences[i + 1]
        assert right.start == unit.start + at and left.start == unit.start and right.end == unit.end
        assert left.label is None and right.label is None  # its label waits as an orphan
        assert [o.label for o in screen.session.labels.orphans] == ["fact"]
        assert "1 orphans" in str(screen.query_one("#bar").render())
        await pilot.press("escape")
    assert units_files(two.root, two.labels / SEED_ID)[0].name == "_units-alice.yaml"
    assert spans(two, "alice")[i + 1][0] == unit.start + at


@run_async
async def test_a_merge_elsewhere_reaches_a_running_screen(two: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """bob labels while alice merges from her machine: bob's screen follows on its next look, his file too."""
    monkeypatch.setattr(document_screen, "WATCH_INTERVAL", 0.05)
    before = spans(two, "bob")
    async with labeling(two, annotator="bob") as (app, pilot, screen):
        alice = LabelSession.open(two, two.document(SEED_ID), "alice", two.tagset())
        try:
            alice.merge_with_next(JOIN, "alice")
        finally:
            alice.close()
        for _ in range(200):
            await pilot.pause(0.02)
            if len(screen.session.sentences) == len(before) - 1:
                break
        assert screen.session.sentences[JOIN].span == (before[JOIN][0], before[JOIN + 1][1])
        assert len(screen.session.labels.orphans) == 2  # bob's fact and opinion did not agree
        await pilot.press("ctrl+q")
    assert spans(two, "bob") == spans(two, "alice")


@run_async
async def test_a_merge_while_reviewing_is_the_reviewers(two: Project) -> None:
    async with labeling(two, annotator="rita", review=()) as (app, pilot, screen):
        screen.goto_sentence(JOIN + 1)
        await pilot.press("M")
        assert len(screen.rows) == len(screen.session.sentences)
        await pilot.press("ctrl+q")
    assert [p.name for p in units_files(two.root, two.labels / SEED_ID)] == ["_units-rita.yaml"]
    assert not two.label_path(SEED_ID, GOLD).exists()  # a merge is not a gold decision


@run_async
async def test_a_refused_merge_says_why_and_changes_nothing(two: Project) -> None:
    async with labeling(two) as (app, pilot, screen):
        screen.goto_sentence(1)
        await pilot.press("M")  # the headline stands above a paragraph break
        assert len(screen.session.sentences) == len(spans(two, "alice"))
        await pilot.press("ctrl+q")
    assert units_files(two.root, two.labels / SEED_ID) == []
