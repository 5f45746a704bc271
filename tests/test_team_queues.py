"""Queues: an annotator's documents in order, a reviewer's documents ready for review, and `annotate label` alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_async
from snapshot_apps import wait_for_document
from team_project import TEAM, TRUTH, label, small_project

from annotate.cli import main
from annotate.store import Project
from annotate.team.assign import team_state
from annotate.team.queues import DONE, IN_PROGRESS, IN_REVIEW, NOT_STARTED, annotator_queue, queue_of, review_queue
from annotate.tui.options import AppOptions


def assigned_docs(project: Project, who: str) -> list[str]:
    return [d.document for d in team_state(project).assigned(who)]


@pytest.fixture
def team_project(tmp_path: Path) -> Project:
    """Ten documents, alice/bob/carol with two per document, rita reviewing."""
    return small_project(tmp_path / "p", 10, TEAM)


def test_queue_is_in_progress_then_not_started_then_done_and_others_stay_reachable(team_project: Project) -> None:
    mine = assigned_docs(team_project, "alice")
    assert len(mine) >= 4
    label(team_project, mine[3], "alice", TRUTH)  # done
    label(team_project, mine[2], "alice", TRUTH[:2])  # in progress
    queue = queue_of(team_project, "alice")
    assert [i.doc.id for i in queue.items] == [mine[2], *[d for d in mine if d not in mine[2:4]], mine[3]]
    assert [i.status for i in queue.in_progress] == [IN_PROGRESS]
    assert queue.in_progress[0].progress is not None and queue.in_progress[0].progress.labeled == 2
    assert all(i.status == NOT_STARTED and i.progress is None for i in queue.not_started)
    assert [i.doc.id for i in queue.done] == [mine[3]] and queue.done[0].status == DONE
    assert queue.next is not None and queue.next.id == mine[2]
    assert queue.after(mine[2]) is not None and queue.after(mine[2]).id == queue.not_started[0].doc.id
    others = [i.doc.id for i in queue.others]
    assert sorted(others + [i.doc.id for i in queue.items]) == [f"d{n:02d}" for n in range(10)]
    assert not set(others) & set(mine)


def test_work_on_a_document_outside_the_queue_brings_it_into_the_queue(team_project: Project) -> None:
    other = next(d for d in (f"d{n:02d}" for n in range(10)) if d not in assigned_docs(team_project, "alice"))
    label(team_project, other, "alice", TRUTH[:1])
    queue = queue_of(team_project, "alice")
    assert queue.in_progress[0].doc.id == other  # a team member's work counts: it is theirs now


def test_someone_outside_the_team_has_an_empty_queue_and_every_document_reachable(team_project: Project) -> None:
    label(team_project, "d03", "dave", TRUTH)
    queue = queue_of(team_project, "dave")
    assert not queue.in_team and queue.items == [] and queue.next is None
    assert len(queue.others) == 10
    assert next(i for i in queue.others if i.doc.id == "d03").status == DONE


def test_without_a_project_file_the_queue_is_every_document(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", 3)
    label(project, "d01", "zoe", TRUTH[:1])
    label(project, "d02", "zoe", TRUTH)
    queue = queue_of(project, "zoe")
    assert queue.in_team
    assert [(i.doc.id, i.status) for i in queue.items] == [("d01", IN_PROGRESS), ("d00", NOT_STARTED),
                                                           ("d02", DONE)]
    assert queue.others == []


def test_ready_for_review_when_every_assigned_annotator_is_done_and_gold_incomplete(team_project: Project) -> None:
    state = team_state(team_project)
    d0, d1, d2, d3 = (state.documents[f"d0{n}"] for n in range(4))
    for d in (d0, d1, d2, d3):
        label(team_project, d.document, d.assigned[0], TRUTH)
    for d in (d0, d1, d2):
        label(team_project, d.document, d.assigned[1], TRUTH)
    label(team_project, d3.document, d3.assigned[1], TRUTH[:3])  # not finished: not ready
    label(team_project, d1.document, "gold", TRUTH[:2])  # review under way
    label(team_project, d2.document, "gold", TRUTH)  # adjudicated
    ready = review_queue(team_state(team_project))
    assert [(i.doc.id, i.status) for i in ready] == [(d1.document, IN_REVIEW), (d0.document, NOT_STARTED)]
    assert ready[0].progress is not None and ready[0].progress.labeled == 2


def test_without_a_project_file_a_document_is_ready_when_everyone_who_labeled_it_is_done(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", 3)
    label(project, "d00", "zoe", TRUTH)
    label(project, "d01", "zoe", TRUTH)
    label(project, "d01", "yan", TRUTH[:1])
    assert [i.doc.id for i in review_queue(team_state(project))] == ["d00"]


def test_assign_shows_an_annotators_queue_in_order(team_project: Project) -> None:
    mine = assigned_docs(team_project, "bob")
    label(team_project, mine[1], "bob", TRUTH[:1])
    result = CliRunner().invoke(main, ["--root", str(team_project.root), "assign", "--annotator", "bob", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["document"] for r in data["queue"]] == [mine[1], mine[0], *mine[2:]]
    assert data["queue"][0] == {"document": mine[1], "status": "in progress", "labeled": 1, "total": 4}
    assert data["next"] == mine[1] and data["in_team"] is True
    text = CliRunner().invoke(main, ["--root", str(team_project.root), "assign", "--annotator", "bob"])
    assert text.stdout.splitlines()[0].split() == [mine[1], "in", "progress", "1/4"]
    assert f"next: {mine[1]}" in text.stderr


# --------------------------------------------------------------------------- annotate label, no document


def captured_run_app(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    seen: dict[str, object] = {}

    def fake_run_app(options: AppOptions) -> int:
        seen.update({"documents": options.documents, "annotator": options.annotator})
        if options.lock is not None:
            options.lock.release()
        return 0

    monkeypatch.setattr("annotate.tui.app.run_app", fake_run_app)
    return seen


def test_label_without_a_document_opens_the_next_of_the_queue_with_the_rest_after_it(
        team_project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = assigned_docs(team_project, "carol")
    label(team_project, mine[2], "carol", TRUTH[:1])
    label(team_project, mine[0], "carol", TRUTH)
    seen = captured_run_app(monkeypatch)
    result = CliRunner().invoke(main, ["--root", str(team_project.root), "label", "--annotator", "carol"])
    assert result.exit_code == 0, result.output
    assert [d.id for d in seen["documents"]] == [mine[2], mine[1], *mine[3:]]  # type: ignore[attr-defined]
    # the home screen comes after them (AppOptions): Escape or the last document goes back to the documents


def test_label_without_a_document_and_no_project_file_opens_the_home_screen_as_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = small_project(tmp_path / "p", 2)
    seen = captured_run_app(monkeypatch)
    result = CliRunner().invoke(main, ["--root", str(project.root), "label", "--annotator", "zoe"])
    assert result.exit_code == 0, result.output
    assert seen["documents"] == ()  # no documents: the home screen


def test_label_without_a_document_when_the_queue_is_done_opens_the_home_screen(
        team_project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    for doc in assigned_docs(team_project, "alice"):
        label(team_project, doc, "alice", TRUTH)
    seen = captured_run_app(monkeypatch)
    result = CliRunner().invoke(main, ["--root", str(team_project.root), "label", "--annotator", "alice"])
    assert result.exit_code == 0, result.output
    assert seen["documents"] == ()  # no documents: the home screen


@run_async
async def test_the_queue_through_pilot_finishing_a_document_offers_the_next_of_the_queue(tmp_path: Path) -> None:
    """What `annotate label` (no document) runs: the queue's first document, then Enter in the box opens the next."""
    from annotate.tui.app import make_app
    from annotate.tui.dialogs import SummaryDialog
    from annotate.tui.label_screen import LabelScreen

    project = small_project(tmp_path / "p", 6, TEAM)
    queue = queue_of(project, "alice").todo
    app = make_app(AppOptions(project, "alice", documents=queue))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_for_document(pilot)
        assert screen.doc.id == queue[0].id
        await pilot.press("f", "s", "q", "o")
        for _ in range(100):
            if isinstance(app.screen, SummaryDialog):
                break
            await pilot.pause(0.01)
        assert isinstance(app.screen, SummaryDialog)
        await pilot.press("enter")
        for _ in range(200):
            if isinstance(app.screen, LabelScreen) and app.screen.doc.id == queue[1].id:
                break
            await pilot.pause(0.01)
        assert isinstance(app.screen, LabelScreen) and app.screen.doc.id == queue[1].id
    after = annotator_queue(team_state(project), "alice")
    assert [i.doc.id for i in after.done] == [queue[0].id]


def test_assign_review_lists_the_documents_ready_for_review(team_project: Project) -> None:
    state = team_state(team_project)
    d = state.documents["d04"]
    for who in d.assigned:
        label(team_project, "d04", who, TRUTH)
    result = CliRunner().invoke(main, ["--root", str(team_project.root), "assign", "--review", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"document": "d04", "status": "not started", "annotators": d.assigned,
                                          "decided": 0, "total": None}]
    text = CliRunner().invoke(main, ["--root", str(team_project.root), "assign", "--review"])
    assert text.stdout.split() == ["d04", "not", "started", *(f"{a}," for a in d.assigned[:-1]), d.assigned[-1]]
    assert "1 documents ready for review" in text.stderr
