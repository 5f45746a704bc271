"""Issue 17 on the screens: the home screen in queue order, n, the completion box's offer, review lists, the dashboard.

Every test runs the app through Pilot on a fixture team project (:func:`team_fixture`):
twelve documents, alice, bob and carol two per document, rita reviewing, zed (not in the
team) labeling one document, files dated on fixed days.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import run_async
from snapshot_apps import app_for, screen_lines, text_of, wait_for_document
from team_project import TEAM, TRUTH, label, small_project
from textual.pilot import Pilot
from textual.widgets import DataTable

from annotate.models import GOLD
from annotate.reading import journal_path
from annotate.store import Project
from annotate.team import team_state
from annotate.team.dashboard import dashboard_data
from annotate.team.figures import Tables, annotator_status, confusion_of
from annotate.team.queues import annotator_queue, review_queue
from annotate.tui.app import AnnotateApp
from annotate.tui.charts import BarsChart, HeatmapChart, LinesChart
from annotate.tui.dashboard import DashboardScreen
from annotate.tui.dialogs import SummaryDialog
from annotate.tui.home import HomeScreen
from annotate.tui.label_screen import LabelScreen
from annotate.tui.review_screen import ReviewScreen

BOB = ["fact", "fact", "quote", "opinion"]
CAROL = ["fact", "speculation", "quote", "fact"]
SECONDS = [3.0, 4.0, 5.0, 6.0]

WORK: list[tuple[str, str, list[str | None], int]] = [
    # document, annotator, labels, day of March 2025 the file last changed
    ("d01", "alice", TRUTH, 1), ("d03", "alice", TRUTH, 2), ("d04", "alice", TRUTH[:2], 3),
    ("d08", "alice", TRUTH[:1], 3),
    ("d01", "bob", BOB, 1), ("d03", "bob", BOB, 1), ("d04", "bob", BOB, 2), ("d05", "bob", BOB, 2),
    ("d09", "bob", BOB[:3], 4),
    ("d05", "carol", CAROL, 3), ("d00", "carol", CAROL[:2], 4), ("d07", "carol", CAROL, 4),
    ("d02", "zed", TRUTH[:2], 4),
    ("d01", GOLD, TRUTH, 5), ("d05", GOLD, TRUTH[:1], 5),
]
"""Who labeled what in the fixture. Ready for review: d03 (alice, bob) and d05 (bob, carol; gold started);
d01 is adjudicated. zed's labels on d02 are unassigned work."""


def team_fixture(root: Path, team: str | None = TEAM) -> Project:
    """The fixture team project (see the module's docstring) at ``root``."""
    project = small_project(root, 12, team)
    for doc_id, who, labels, day in WORK:
        path = label(project, doc_id, who, labels, seconds=SECONDS)
        when = datetime(2025, 3, day, 10, tzinfo=UTC).timestamp()
        for written in (path, journal_path(path)):
            if written.exists():
                os.utime(written, (when, when))
    return project


@pytest.fixture
def team(tmp_path: Path) -> Project:
    """The fixture team project."""
    return team_fixture(tmp_path / "team")


async def until(pilot: Pilot[None], done: Any, limit: int = 400) -> None:
    """Wait (a few seconds at most) until ``done()`` is true."""
    for _ in range(limit):
        if done():
            await pilot.pause()
            return
        await pilot.pause(0.01)
    raise AssertionError(f"never happened; screen is {pilot.app.screen!r}")


@asynccontextmanager
async def home_of(project: Project, annotator: str = "alice", size: tuple[int, int] = (110, 32),
                  **options: Any) -> AsyncIterator[tuple[AnnotateApp, Pilot[None], HomeScreen]]:
    """The app on its home screen, the team's files read."""
    app = app_for(project, annotator, **options)
    async with app.run_test(size=size) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        await until(pilot, lambda: not home.team_file or home.view is not None or home.team_error is not None)
        yield app, pilot, home


def rows(home: HomeScreen) -> list[tuple[str, str]]:
    """(queue section, document) of every row, top to bottom, as the table shows them."""
    table = home.query_one(DataTable)
    return [(str(table.get_row_at(k)[0]), str(table.get_row_at(k)[1])) for k in range(table.row_count)]


# --------------------------------------------------------------------------- the queue on the home screen


@run_async
async def test_home_lists_the_queue_first_in_progress_not_started_done_then_the_others(team: Project) -> None:
    queue = annotator_queue(team_state(team), "alice")
    async with home_of(team) as (app, pilot, home):
        shown = rows(home)
        expected = ([("in progress", i.doc.id) for i in queue.in_progress]
                    + [("not started", i.doc.id) for i in queue.not_started]
                    + [("done", i.doc.id) for i in queue.done]
                    + [("not yours", i.doc.id) for i in queue.others])
        assert shown == expected
        assert shown[:2] == [("in progress", "d04"), ("in progress", "d08")]
        assert ("done", "d01") in shown and ("not yours", "d05") in shown and len(shown) == 12
        assert home._selected() == "d04"  # the next of the queue is selected
        bar = text_of(home, "#bar")
        assert f"queue: {len(queue.todo)} left, {len(queue.done)} done" in bar, bar
        assert "2 of 4 sentences labeled · assigned: bob (done), alice (in progress)" in text_of(home, "#detail")
        await pilot.press("p")  # sorting keeps the sections: by progress inside each
        assert [s for s, _ in rows(home)] == [s for s, _ in shown]
        assert rows(home)[:2] == [("in progress", "d08"), ("in progress", "d04")]  # 1 of 4 before 2 of 4


@run_async
async def test_n_opens_the_next_document_of_the_queue_with_the_rest_following(team: Project) -> None:
    todo = [d.id for d in annotator_queue(team_state(team), "alice").todo]
    async with home_of(team) as (app, pilot, home):
        await pilot.press("down", "down", "down")  # the cursor elsewhere: n still opens the queue's next
        await pilot.press("n")
        screen = await wait_for_document(pilot)
        assert isinstance(screen, LabelScreen) and screen.doc.id == todo[0] == "d04"
        assert [d.id for d in screen.queue] == todo[1:]
        assert app.team_queue is not None and [d.id for d in app.team_queue.todo] == todo
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is home and home._selected() == "d04")


def slow_read(monkeypatch: pytest.MonkeyPatch, seconds: float = 0.5) -> None:
    """The home screen's read of the label files takes ``seconds`` longer (on its thread)."""
    import time

    from annotate.tui import home as home_module

    real = home_module.read_rows

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(home_module, "read_rows", slow)


@pytest.mark.parametrize("key", ["enter", "n"])
@run_async
async def test_a_key_pressed_while_the_files_are_read_is_done_when_they_are(
        team: Project, monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    """Enter (the first document of the queue is selected) or n, pressed before the list is there, is not lost."""
    slow_read(monkeypatch)
    todo = [d.id for d in annotator_queue(team_state(team), "alice").todo]
    app = app_for(team, "alice")
    async with app.run_test(size=(110, 32)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        home = app.screen
        assert not home.ready and "reading the team's label files" in text_of(home, "#bar")
        await pilot.press(key)
        screen = await wait_for_document(pilot)
        assert home.ready and isinstance(screen, LabelScreen) and screen.doc.id == todo[0]


@run_async
async def test_n_skips_a_document_whose_source_cannot_be_read(team: Project) -> None:
    (team.seeds / "d04.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    async with home_of(team) as (app, pilot, home):
        await pilot.press("n")
        screen = await wait_for_document(pilot)
        assert screen.doc.id == "d08"
        said = [n.message for n in app._notifications]
        assert any(m.startswith("d04 cannot be opened: unreadable: ") and "binary" in m for m in said), said


@run_async
async def test_finishing_a_document_offers_the_next_of_the_queue_and_enter_opens_it(team: Project) -> None:
    async with home_of(team) as (app, pilot, home):
        await pilot.press("n")
        screen = await wait_for_document(pilot)
        assert screen.doc.id == "d04"
        await pilot.press("q", "o")  # d04 had two labels: two more finish it
        await until(pilot, lambda: isinstance(app.screen, SummaryDialog))
        box = app.screen
        assert isinstance(box, SummaryDialog)
        assert box.next_in_queue == "d08" and box.enter_does == "next in your queue (d08)"
        assert "Enter: next in your queue (d08)" in " ".join(screen_lines(app))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LabelScreen) and app.screen.doc.id == "d08")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is home and ("done", "d04") in rows(home))
        assert home._selected() == "d08"


@run_async
async def test_the_queue_comes_before_the_next_document_given_and_the_documents_after_it(team: Project) -> None:
    """`annotate label d04 d10`: the box offers the queue's next (d08), then d10 is still to come."""
    app = app_for(team, "alice", ["d04", "d10"])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_document(pilot)
        await until(pilot, lambda: app.team_queue is not None)  # read at start, off the UI thread
        await pilot.press("q", "o")
        await until(pilot, lambda: isinstance(app.screen, SummaryDialog))
        box = app.screen
        assert box.next_document == "d10" and box.next_in_queue == "d08" and box.opens == "d08"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LabelScreen) and app.screen.doc.id == "d08")
        assert [d.id for d in app.screen.queue] == ["d10"]


@run_async
async def test_when_the_queue_is_done_the_box_offers_the_next_given_then_the_documents(tmp_path: Path) -> None:
    project = team_fixture(tmp_path / "p")
    state = team_state(project)
    for item in annotator_queue(state, "alice").todo:
        if item.id != "d04":
            label(project, item.id, "alice", TRUTH)
    app = app_for(project, "alice", ["d04"])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_document(pilot)
        await until(pilot, lambda: app.team_queue is not None)
        await pilot.press("q", "o")
        await until(pilot, lambda: isinstance(app.screen, SummaryDialog))
        assert app.screen.next_in_queue is None and app.screen.enter_does == "back to the documents"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.view is not None)
        assert "queue: all done" in text_of(app.screen, "#bar")


# --------------------------------------------------------------------------- reviewers, unassigned work


@pytest.mark.parametrize(("who", "role"), [("rita", None), ("rex", "reviewer")])
@run_async
async def test_a_reviewer_sees_the_documents_ready_for_review_first_and_r_opens_review(
        team: Project, who: str, role: str | None) -> None:
    ready = [(i.status, i.doc.id) for i in review_queue(team_state(team))]
    assert ready == [("in review", "d05"), ("not started", "d03")]
    async with home_of(team, who, role=role) as (app, pilot, home):
        assert rows(home)[:2] == [("in review", "d05"), ("to review", "d03")]
        assert "2 to review" in text_of(home, "#bar")
        assert home._selected() == "d05"
        detail = text_of(home, "#detail")
        assert "ready for review: bob, carol done · gold 1 of 4 decided" in detail, detail
        assert ("not yours", "d01") in rows(home)  # adjudicated: not in the list to review
        table = home.query_one(DataTable)
        assert str(table.get_row_at(0)[3]) == "1/4"  # the review's progress: gold decided 1 of 4
        await pilot.press("down", "r")
        screen = await wait_for_document(pilot)
        assert isinstance(screen, ReviewScreen) and screen.doc.id == "d03"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is home and home.view is not None)
        await pilot.press("home", "enter")  # Enter on a document to review reviews it too
        screen = await wait_for_document(pilot)
        assert isinstance(screen, ReviewScreen) and screen.doc.id == "d05"


@run_async
async def test_a_reviewer_with_nothing_to_label_gets_the_next_review_with_n(team: Project) -> None:
    async with home_of(team, "rita") as (app, pilot, home):
        await pilot.press("n")
        screen = await wait_for_document(pilot)
        assert isinstance(screen, ReviewScreen) and screen.doc.id == "d05"


@run_async
async def test_a_reviewer_named_in_the_file_but_running_as_annotator_sees_no_review_list(team: Project) -> None:
    async with home_of(team, "rita", role="annotator") as (app, pilot, home):
        assert all(section == "not yours" for section, _ in rows(home))
        assert "to review" not in text_of(home, "#bar")


@run_async
async def test_labels_by_someone_not_in_the_project_file_are_unassigned_work(team: Project) -> None:
    async with home_of(team, "zed") as (app, pilot, home):
        assert ("unassigned", "d02") in rows(home)
        assert {s for s, d in rows(home) if d != "d02"} == {"not yours"}
        assert "not in annotate.yaml: your labels are unassigned work" in text_of(home, "#bar")
        await pilot.press("n")
        assert app.screen is home and "not in annotate.yaml" in [n.message for n in app._notifications][-1]
        await pilot.press("slash", *"d02", "enter")  # still reachable: zed may label anything
        screen = await wait_for_document(pilot)
        assert screen.doc.id == "d02"
    async with home_of(team, "alice") as (app, pilot, home):
        await pilot.press("slash", *"d02")
        detail = text_of(home, "#detail")
        assert "not started · assigned: carol (not started), alice (not started) · unassigned work by zed" in detail


# --------------------------------------------------------------------------- without a project file, a broken one


@run_async
async def test_without_a_project_file_the_home_screen_is_as_before(tmp_path: Path) -> None:
    project = team_fixture(tmp_path / "p", team=None)
    async with home_of(project, size=(100, 30)) as (app, pilot, home):
        assert home.view is None and not home.team_file
        table = home.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()][:2] == ["document", "progress"]
        assert [str(table.get_row_at(k)[0]) for k in range(table.row_count)] == [f"d{k:02d}" for k in range(12)]
        keys = " ".join(screen_lines(app)[-2:])
        assert "next in queue" not in keys and "dashboard" not in keys and "d dash" not in keys
        assert "finished · sorted by name" in text_of(home, "#bar")
        await pilot.press("n", "d")  # no queue, no dashboard key: nothing happens
        assert app.screen is home


@pytest.mark.parametrize(("text", "line", "words"), [
    ("version: 1\nannotators:\n- alice\n- alice\n", 4, "listed twice"),
    ("version: 1\nannotators: [alice\n", 3, "YAML syntax error"),
    ("version: 1\nannotators:\n- Alice Smith\n", 3, "not an annotator name"),
])
@run_async
async def test_a_broken_project_file_is_one_line_on_the_home_screen_and_the_documents_stay(
        tmp_path: Path, text: str, line: int, words: str) -> None:
    project = team_fixture(tmp_path / "p", team=text)
    async with home_of(project) as (app, pilot, home):
        problem = text_of(home, "#problem")
        assert home.query_one("#problem").display
        assert problem.startswith(f" annotate.yaml:{line}:") and words in problem, problem
        assert "Traceback" not in problem and "\n" not in problem
        assert home.view is None and len(home.all_rows) == 12  # every document, as without a project file
        await pilot.press("enter")
        screen = await wait_for_document(pilot)
        assert screen.doc.id == "d00"


# --------------------------------------------------------------------------- the dashboard


@asynccontextmanager
async def dashboard_of(project: Project, size: tuple[int, int] = (160, 48)
                       ) -> AsyncIterator[tuple[AnnotateApp, Pilot[None], DashboardScreen]]:
    """The dashboard opened with d from alice's home screen, its figures read."""
    async with home_of(project, size=size) as (app, pilot, home):
        await pilot.press("d")
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await until(pilot, lambda: screen.data is not None or screen.error is not None)
        yield app, pilot, screen


@run_async
async def test_the_dashboard_draws_each_figure_from_the_teams_figures(team: Project) -> None:
    state = team_state(team, dated=True)
    tables = Tables.of(state)
    status = annotator_status(state, tables)
    rows_by = {a["annotator"]: a for a in status["annotators"]}
    async with dashboard_of(team) as (app, pilot, screen):
        assert screen.grid  # 160x48: the four at once
        progress = screen.query_one("#chart-progress", BarsChart).figure
        assert progress.categories == ["alice", "bob", "carol", "zed"]
        series = {name: values for name, values, _ in progress.series}
        assert series["done"] == [2, 4, 2, 0] and series["in progress"] == [2, 1, 1, 0]
        assert series["not started"] == [5, 3, 4, 0] and series["unassigned work"] == [0, 0, 0, 1]
        assert progress.n == sum(sum(v) for v in series.values())
        for name, row in rows_by.items():
            k = progress.categories.index(name)
            assert series["done"][k] == row["done"] and series["in progress"][k] == row["in_progress"]

        mix = screen.query_one("#chart-mix", BarsChart).figure
        assert mix.categories == ["alice", "bob", "carol", "zed"] and mix.unit == "% of labels"
        shares = {name: values for name, values, _ in mix.series}
        assert list(shares) == ["fact", "speculation", "quote", "opinion"]
        bob = mix.categories.index("bob")  # four documents of fact, fact, quote, opinion; fact, fact, quote
        assert rows_by["bob"]["labels"] == 19 and rows_by["bob"]["label_counts"]["fact"] == 10
        assert shares["fact"][bob] == pytest.approx(100 * 10 / 19)
        assert mix.n == sum(r["labels"] for r in status["annotators"])

        heat = screen.query_one("#chart-confusion", HeatmapChart).figure
        assert (heat.row_by, heat.column_by) == ("alice", GOLD)
        matrix = confusion_of(tables, "alice", GOLD, heat.labels)
        assert heat.cells == [[matrix[r][c] for c in heat.labels] for r in heat.labels]
        assert heat.n == 4 and heat.agreed == 4  # alice labeled d01 as gold did

        lines = screen.query_one("#chart-throughput", LinesChart).figure
        assert lines.days == ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04"]  # gold is nobody's throughput
        per = {name: values for name, values, _ in lines.series}
        assert per == {"alice": [4, 4, 3, 0], "bob": [8, 8, 0, 3], "carol": [0, 0, 4, 6], "zed": [0, 0, 0, 2]}
        assert lines.n == sum(sum(v) for v in per.values())

        for chart in (BarsChart, HeatmapChart, LinesChart):  # plotext drew something in each
            for widget in screen.query(chart):
                assert widget.plt.monitor.signals or widget.plt.monitor.text, widget.id
        titles = [p.border_title for p in screen.query(".figure")]
        assert titles[0] == f"Progress per annotator · documents · n = {progress.n}"
        assert titles[2] == "Confusion · alice × gold · n = 4 sentences"


@run_async
async def test_dashboard_keys_change_the_confusion_pair_and_the_figure_shown(team: Project) -> None:
    data = dashboard_data(team)
    assert data.row_choices() == ["alice", "bob", "carol"]
    assert data.column_choices("alice") == ["bob", GOLD]
    async with dashboard_of(team, size=(80, 24)) as (app, pilot, screen):
        assert not screen.grid and screen.shown == "progress"
        shown = [p.id for p in screen.query(".figure") if p.display and p.has_class("-shown")]
        assert shown == ["figure-progress"]
        await pilot.press("tab")
        assert screen.shown == "mix"
        await pilot.press("shift+tab", "shift+tab")
        assert screen.shown == "throughput"
        heat = screen.query_one(HeatmapChart)
        await pilot.press("b")  # alice against bob now, and the confusion figure comes up
        assert screen.pair == ("alice", "bob") and screen.shown == "confusion"
        assert (heat.figure.row_by, heat.figure.column_by) == ("alice", "bob")
        table = Tables.of(team_state(team))
        matrix = confusion_of(table, "alice", "bob", heat.figure.labels)
        assert heat.figure.cells == [[matrix[r][c] for c in heat.figure.labels] for r in heat.figure.labels]
        await pilot.press("a")  # bob's rows: alice is kept as columns, transposed
        assert screen.pair == ("bob", "alice")
        assert heat.figure.cells == [[matrix[c][r] for c in heat.figure.labels] for r in heat.figure.labels]
        await pilot.press("a")  # carol shares sentences with bob only
        assert screen.pair == ("carol", "bob")
        await pilot.press("shift+a", "shift+a")
        assert screen.pair[0] == "alice"
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


@run_async
async def test_the_dashboard_says_when_the_project_file_is_broken(tmp_path: Path) -> None:
    project = team_fixture(tmp_path / "p", team="version: 1\nannotators: 3\n")
    app = app_for(project, "alice")
    async with app.run_test(size=(100, 30)) as pilot:
        app.show_dashboard()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await until(pilot, lambda: screen.error is not None)
        message = text_of(screen, "#dashboard-message")
        assert message.startswith("annotate.yaml:2:") and "fix it to see the dashboard" in message
        assert not screen.query_one("#figures").display
