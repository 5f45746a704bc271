"""An imported document's metadata where people look: the labeling screen's header line (title, outlet, date, url)."""

from __future__ import annotations

from conftest import run_async
from snapshot_apps import build_project, labeling, text_of

from annotate.metadata import write_metadata
from annotate.models import DocumentMeta

URL = "https://example.org/news/2024/talks"


@run_async
async def test_the_header_shows_title_outlet_date_and_url(tmp_path) -> None:
    project = build_project(tmp_path / "p", second_doc=True)
    write_metadata(project, "talks-end", DocumentMeta(title="Talks end in Beijing", outlet="Example News",
                                                      date="2024-05-01", url=URL))
    async with labeling(project, docs=("talks-end",), size=(160, 30)) as (app, pilot, screen):
        line = text_of(screen, "#about")
        assert line.strip() == f"Talks end in Beijing · Example News · 2024-05-01 · {URL}"
        await pilot.press("ctrl+q")


@run_async
async def test_no_metadata_no_header_and_a_broken_file_says_so_in_one_line(tmp_path) -> None:
    project = build_project(tmp_path / "p", second_doc=True)
    async with labeling(project) as (app, pilot, screen):
        assert not screen.query("#about")  # the sample has no metadata: the screen is as before
        await pilot.press("ctrl+q")
    (project.seeds / "talks-end.meta.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    async with labeling(project, docs=("talks-end",)) as (app, pilot, screen):
        line = text_of(screen, "#about")
        assert "metadata not shown: seeds/talks-end.meta.yaml:" in line
        assert screen.session is not None  # labeling goes on
        await pilot.press("f")
        assert screen.session.sentences[0].label == "fact"
        await pilot.press("ctrl+q")
