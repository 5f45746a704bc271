"""The home screen through Pilot: Home/End, the filter, columns at 80, unreadable sources, the review key by role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from conftest import label_as, run_async, write_source
from snapshot_apps import (
    ALICE,
    BOB,
    DOC,
    app_for,
    build_project,
    screen_lines,
    text_of,
    wait_for_document,
    wait_for_home,
)
from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable

from annotate.homeview import document_progress
from annotate.store import Project
from annotate.tui.app import AnnotateApp
from annotate.tui.home import DocumentTable, HomeScreen
from annotate.tui.keybar import KeyBar
from annotate.tui.label_screen import LabelScreen
from annotate.tui.review_screen import ReviewScreen

MANY = 40
"""Documents named doc-00 .. doc-39 besides the sample article."""


@pytest.fixture
def many(tmp_path) -> Project:  # noqa: ANN001 - pytest's tmp_path
    """The sample article, MANY short documents, and three sources that cannot be read."""
    project = build_project(tmp_path / "proj")
    for k in range(MANY):
        write_source(project, f"doc-{k:02d}", f"Document {k} says hello. It may rain tomorrow.\n")
    write_source(project, "empty", b"")
    write_source(project, "latin1-menu", "Café au lait. It is hot.\n".encode("latin-1"))
    write_source(project, "scan", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return project


@asynccontextmanager
async def at_home(project: Project, size: tuple[int, int] = (100, 30),
                  **options: object) -> AsyncIterator[tuple[AnnotateApp, Pilot[None], HomeScreen]]:
    """The app on its home screen."""
    app = app_for(project, **options)  # type: ignore[arg-type]
    async with app.run_test(size=size) as pilot:
        home = await wait_for_home(pilot)
        yield app, pilot, home


def names(home: HomeScreen) -> list[str]:
    """The documents listed, in order."""
    table = home.query_one(DataTable)
    return [str(table.get_row_at(k)[0]) for k in range(table.row_count)]


def selected(home: HomeScreen) -> str | None:
    """The document the cursor is on."""
    return home._selected()


def messages(app: AnnotateApp) -> list[str]:
    """The notifications shown so far."""
    return [n.message for n in app._notifications]


@run_async
async def test_home_and_end_go_to_the_first_and_last_document(many: Project) -> None:
    async with at_home(many) as (app, pilot, home):
        listed = names(home)
        await pilot.press("end")
        assert selected(home) == listed[-1]
        await pilot.press("home")
        assert selected(home) == listed[0]
        await pilot.press("down", "down", "end", "up")
        assert selected(home) == listed[-2]


@run_async
async def test_slash_filters_by_name_as_you_type_and_escape_clears(many: Project) -> None:
    async with at_home(many) as (app, pilot, home):
        total = MANY + 4
        assert f"{total} documents" in text_of(home, "#bar")
        await pilot.press("slash")
        assert home.query_one("#filter").display and home.filter_open
        await pilot.press("1")
        assert names(home) == sorted([f"doc-{k:02d}" for k in range(MANY) if "1" in f"{k:02d}"] + ["latin1-menu"])
        assert f"{len(names(home))} of {total} documents" in text_of(home, "#bar")
        await pilot.press("3")
        assert names(home) == ["doc-13"]
        await pilot.press("backspace", "backspace", "-", "3")
        assert names(home) == [f"doc-3{k}" for k in range(10)]
        assert f"10 of {total} documents" in text_of(home, "#bar")
        await pilot.press("down")  # arrows move in the list while typing
        assert selected(home) == "doc-31"
        await pilot.press("x")
        assert names(home) == [] and f"0 of {total} documents" in text_of(home, "#bar")
        assert "no document matches" in text_of(home, "#detail")
        await pilot.press("enter")  # nothing to open: nothing happens
        assert app.screen is home
        await pilot.press("backspace")
        assert len(names(home)) == 10
        await pilot.press("escape")
        assert not home.query_one("#filter").display and home.filter_text == "" and names(home) == sorted(names(home))
        assert len(names(home)) == total and f"{total} documents" in text_of(home, "#bar")
        assert home.query_one(DocumentTable).has_focus


@run_async
async def test_letters_typed_fast_after_slash_all_go_into_the_filter(many: Project) -> None:
    """Keys arriving together (a fast typist, a paste): none of them sorts, reviews or quits instead."""
    async with at_home(many) as (app, pilot, home):
        for ch in "/doc-1q":
            app.post_message(events.Key(ch if ch != "/" else "slash", ch))
        for _ in range(50):
            await pilot.pause(0.01)
            if home.filter_text == "doc-1q":
                break
        assert home.filter_text == "doc-1q" and names(home) == [] and app.return_code is None
        assert home.sort_by == "name"
        await pilot.press("backspace")
        assert names(home) == [f"doc-1{k}" for k in range(10)]
        await pilot.press("o")  # still typing: o is a letter of the filter, not "sort by name"
        assert home.filter_text == "doc-1o"


@run_async
async def test_enter_in_the_filter_opens_the_selected_match(many: Project) -> None:
    async with at_home(many) as (app, pilot, home):
        await pilot.press("slash", *"kim")
        assert names(home) == [DOC]
        await pilot.press("enter")
        screen = await wait_for_document(pilot)
        assert isinstance(screen, LabelScreen) and screen.doc.id == DOC
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is home and names(home) == [DOC]  # back: the filter is still there
        await pilot.press("escape")
        assert len(names(home)) == MANY + 4


@pytest.mark.parametrize("width", [80, 160])
@run_async
async def test_every_column_fits_the_terminal(many: Project, width: int) -> None:
    """Issue 12, item 7: at 80 columns the labeled/unsure/orphans columns were cut off."""
    label_as(many, "alice", ["fact"] * 10, unsure_at=(2, 3))
    async with at_home(many, size=(width, 24)) as (app, pilot, home):
        table = home.query_one(DataTable)
        drawn = sum(column.get_render_width(table) for column in table.columns.values())
        assert drawn <= table.scrollable_content_region.width
        lines = screen_lines(app)
        header = next(line for line in lines if "document" in line and "progress" in line)
        for title in ("labeled", "unsure", "orphans"):
            assert title in header
        keys = " ".join(line for line in screen_lines(app)[-2:])
        for key in ("⏎ open", "/ filter", "r review", "? guide", "^q quit"):
            assert key in keys, keys
        await pilot.press("slash", *"kim")
        row = next(line for line in screen_lines(app) if line.lstrip().startswith(DOC))
        assert row.rstrip().endswith("10/25       2"), row  # labeled and unsure, readable at the right


@run_async
async def test_unreadable_sources_are_shown_as_such_and_enter_says_why(many: Project) -> None:
    """Issue 12, item 7: binary, empty and latin-1 sources showed "not started" and failed only when opened."""
    rows = {r.doc.id: r for r in document_progress(many, "alice")}
    assert "empty" in rows["empty"].unreadable  # type: ignore[operator]
    assert "binary" in rows["scan"].unreadable  # type: ignore[operator]
    assert "Latin-1" in rows["latin1-menu"].unreadable and "iconv" in rows["latin1-menu"].unreadable  # type: ignore[operator]
    assert rows[DOC].unreadable is None and rows["doc-00"].progress is None  # not started
    async with at_home(many, size=(160, 60)) as (app, pilot, home):
        table = home.query_one(DataTable)
        for doc in ("empty", "latin1-menu", "scan"):
            row = table.get_row_at(names(home).index(doc))
            assert str(row[1]).startswith("unreadable: "), row
        assert selected(home) == "doc-00"  # the first document that can be worked on
        await pilot.press("slash", *"latin1", "escape")
        await pilot.press("slash", *"latin1")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is home  # not opened
        said = messages(app)[-1]
        assert "latin1-menu cannot be opened: unreadable:" in said and "Latin-1" in said, said
        assert "unreadable" in text_of(home, "#detail") and "iconv" in text_of(home, "#detail")
        await pilot.press("r")  # nor reviewed
        assert app.screen is home


@asynccontextmanager
async def with_labels(project: Project, **options: object) -> AsyncIterator[tuple[AnnotateApp, Pilot[None],
                                                                                    HomeScreen]]:
    """alice and bob labeled the sample article; carl is on the home screen with the article selected."""
    label_as(project, "alice", ALICE)
    label_as(project, "bob", BOB)
    write_source(project, "talks-end", "The talks ended on Friday.\n")
    async with at_home(project, annotator="carl", **options) as (app, pilot, home):
        await pilot.press("home")
        assert selected(home) == DOC
        yield app, pilot, home


@pytest.mark.parametrize("role", [None, "reviewer"])
@run_async
async def test_r_opens_the_review_screen_for_a_reviewer(project: Project, role: str | None) -> None:
    async with with_labels(project, role=role) as (app, pilot, home):
        await pilot.press("r")
        screen = await wait_for_document(pilot)
        assert isinstance(screen, ReviewScreen) and screen.reviewer == "carl"
        assert screen.annotators == ["alice", "bob"]
        await pilot.press("1")  # decides gold
        assert screen.session is not None and screen.session.sentences[screen.cursor].label is None
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is home
        await pilot.press("down", "r")  # nobody labeled talks-end: said, not opened
        await pilot.pause()
        assert app.screen is home and "nobody has labeled talks-end" in messages(app)[-1]
    assert project.label_path(DOC, "gold").exists()


@run_async
async def test_r_is_refused_to_an_annotator(project: Project) -> None:
    async with with_labels(project, role="annotator") as (app, pilot, home):
        await pilot.press("r")
        await pilot.pause()
        assert app.screen is home
        assert "Reviewing is for reviewers; your role is annotator." in messages(app)
        await pilot.press("enter")  # labeling is allowed
        screen = await wait_for_document(pilot)
        assert isinstance(screen, LabelScreen) and screen.annotator == "carl"
    assert not project.label_path(DOC, "gold").exists()


@run_async
async def test_an_annotator_cannot_start_on_the_review_screen(project: Project) -> None:
    label_as(project, "alice", ALICE)
    app = app_for(project, "carl", [DOC], review=[], role="annotator")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.1)
        assert isinstance(app.screen, HomeScreen)
        assert any("may not review" in m for m in messages(app))


@run_async
async def test_home_key_line_at_80_columns_keeps_every_key(project: Project) -> None:
    async with at_home(project, size=(80, 24)) as (app, pilot, home):
        bar = home.query_one(KeyBar)
        shown = " ".join(str(bar.render()).splitlines())
        for entry in bar.entries():
            assert f"{entry.display} " in shown
        assert "^q quit" in shown and "^p palette" in shown


# --------------------------------------------------------------------------- metadata (issue 13, item 2)


@pytest.fixture
def with_metadata(tmp_path) -> Project:  # noqa: ANN001 - pytest's tmp_path
    """The home screen's snapshot project: three documents with metadata, one of them broken."""
    from snapshot_apps import home_metadata_project

    return home_metadata_project(tmp_path / "meta")


def column(home: HomeScreen, key: str) -> dict[str, str]:
    """Document -> its cell in the column ``key`` (empty when the column is not shown)."""
    table = home.query_one(DataTable)
    if key not in {str(k.value) for k in table.columns}:
        return {}
    return {str(table.get_cell(row, "document")): str(table.get_cell(row, key)) for row in table.rows}


@run_async
async def test_titles_in_a_column_where_there_is_room_and_the_whole_story_under_the_list(
        with_metadata: Project) -> None:
    async with at_home(with_metadata, size=(160, 30)) as (app, pilot, home):
        titles = column(home, "title")
        assert titles[DOC] == "North Korea's Kim Visits Beijing Amid US-China Trade Talks"
        assert titles["aaa-done"] == "Rain stops play" and titles["scan"] == ""
        assert titles["talks-end"] == "metadata broken"  # that row only
        assert selected(home) == DOC
        assert text_of(home, "#about").strip() == ("North Korea's Kim Visits Beijing Amid US-China Trade Talks"
                                                   " · Example Wire · 2019-01-08"
                                                   " · https://example.org/2019/01/08/kim-beijing")
        await pilot.press("end")
        assert selected(home) == "talks-end"
        about = text_of(home, "#about")
        assert about.startswith(" metadata not shown: seeds/talks-end.meta.yaml:2:1: YAML syntax error"), about
        await pilot.press("home")
        assert text_of(home, "#about").strip() == "Rain stops play · Daily Example"
        await pilot.press("down")
        assert text_of(home, "#about") == ""  # empty: no metadata file
        await pilot.press("end", "enter")  # a broken metadata file does not keep the document from opening
        screen = await wait_for_document(pilot)
        assert isinstance(screen, LabelScreen) and screen.doc.id == "talks-end"


@run_async
async def test_at_80_columns_no_title_column_but_the_line_under_the_list(with_metadata: Project) -> None:
    async with at_home(with_metadata, size=(80, 24)) as (app, pilot, home):
        assert column(home, "title") == {}
        table = home.query_one(DataTable)
        drawn = sum(c.get_render_width(table) for c in table.columns.values())
        assert drawn <= table.scrollable_content_region.width
        assert text_of(home, "#about").startswith(" North Korea's Kim Visits Beijing")


@run_async
async def test_the_filter_matches_titles_too(with_metadata: Project) -> None:
    async with at_home(with_metadata) as (app, pilot, home):
        await pilot.press("slash", *"STOPS")
        assert names(home) == ["aaa-done"]  # "Rain stops play": not in its name
        assert "name or title has" in text_of(home, "#bar")
        await pilot.press("escape", "slash", *"kim")
        assert names(home) == [DOC]


@run_async
async def test_without_metadata_the_screen_is_as_before(many: Project) -> None:
    async with at_home(many) as (app, pilot, home):
        assert not home.query_one("#about").display and column(home, "title") == {}
        await pilot.press("slash", "x")
        assert "(name has" in text_of(home, "#bar")


@run_async
async def test_metadata_files_are_read_once_then_when_they_change(with_metadata: Project,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from annotate import metadata

    async with at_home(with_metadata) as (app, pilot, home):
        pass
    read: list[str] = []
    real = metadata.read_metadata

    def counted(project: Project, doc: object) -> object:
        read.append(str(getattr(doc, "id", doc)))
        return real(project, doc)  # type: ignore[arg-type]

    monkeypatch.setattr(metadata, "read_metadata", counted)
    async with at_home(with_metadata) as (app, pilot, home):
        assert read == []  # every metadata file from the summaries
    (with_metadata.seeds / "talks-end.meta.yaml").write_text("title: Talks end\noutlet: Example\n", encoding="utf-8")
    async with at_home(with_metadata, size=(160, 30)) as (app, pilot, home):
        assert read == ["talks-end"]
        assert column(home, "title")["talks-end"] == "Talks end"


# --------------------------------------------------------------------------- the table's rows, added at once


@run_async
async def test_rows_added_at_once_make_the_table_add_row_makes() -> None:
    """add_document_rows (the home screen's fill of 10,000 rows) leaves the table as add_row one by one does: the
    same rows, cells, order, lines, cursor and highlight; a duplicate document is refused as add_row refuses it."""
    from textual.app import App
    from textual.widgets.data_table import DuplicateKey

    from annotate.tui.home import Cell, LazyCells

    rows = [(f"d{k:03d}", (Cell(f"d{k:03d}"), Cell(str(k), justify="right"))) for k in range(120)]
    made: list[str] = []

    def lazy(key: str, cells: tuple[Cell, ...]) -> LazyCells:
        return LazyCells(lambda: made.append(key) or cells)

    class Two(App[None]):
        def compose(self):  # noqa: ANN202 - Textual's
            yield DocumentTable(id="bulk", cursor_type="row")
            yield DocumentTable(id="one", cursor_type="row")

    app = Two()
    async with app.run_test(size=(60, 30)) as pilot:
        bulk, one = app.query_one("#bulk", DocumentTable), app.query_one("#one", DocumentTable)
        for table in (bulk, one):
            table.add_column("document", key="document", width=8)
            table.add_column("n", key="n", width=4)
        bulk.add_document_rows((key, lazy(key, cells)) for key, cells in rows)
        for key, cells in rows:
            one.add_row(*cells, key=key)
        await pilot.pause()
        assert bulk.row_count == one.row_count == 120
        assert made and "d000" in made and "d119" not in made and len(made) < 30  # only the rows drawn are made
        assert [r.key for r in bulk.ordered_rows] == [r.key for r in one.ordered_rows]
        assert bulk._y_offsets == one._y_offsets and bulk.virtual_size == one.virtual_size
        assert [list(map(str, bulk.get_row_at(k))) for k in range(120)] == [list(map(str, one.get_row_at(k)))
                                                                           for k in range(120)]
        assert str(bulk.get_cell("d007", "n")) == "7" and bulk.cursor_row == one.cursor_row == 0
        bulk.move_cursor(row=119)
        await pilot.pause()
        assert bulk.cursor_row == 119 and bulk.scroll_y > 0
        assert str(bulk.get_row_at(bulk.cursor_row)[0]) == "d119"
        with pytest.raises(DuplicateKey):
            bulk.add_document_rows([("new", lazy("new", (Cell("new"), Cell("")))),
                                    ("d005", lazy("d005", (Cell("again"), Cell(""))))])
        assert bulk.row_count == 121  # the rows before the refused one stay, as with add_row
        bulk.add_document_rows([("extra", lazy("extra", (Cell("extra"), Cell("1"))))])  # at the bottom
        await pilot.pause()
        assert bulk.row_count == 122 and str(bulk.get_row_at(121)[0]) == "extra"
        assert len(bulk._y_offsets) == 122
