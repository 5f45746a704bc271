"""Start-up work of the labeling screen: segmentation prefetched in a child process, the collector paused."""

from __future__ import annotations

import gc
import os
import sys
import threading
from importlib.metadata import version
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import run_async
from snapshot_apps import wait_for_document, wait_for_home

from annotate import segment as seg
from annotate.cli import main
from annotate.store import Project
from annotate.tui.app import AppOptions, make_app

DOC = "kim-visits-beijing"

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the prefetch forks on Linux only")

TEXTS = [
    "One sentence. Another one? Yes!\n\nA headline\n\nMr. Smith went to Washington. He arrived at 5 p.m. today.",
    "  leading spaces. trailing spaces.   ",
    "Unicode: “Quoted,” she said. Über alles… Next.\u2028Line two.",
]


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@linux_only
@pytest.mark.parametrize("text", TEXTS)
def test_prefetched_spans_are_the_segmenters_and_the_child_is_reaped(text: str) -> None:
    expected = list(seg.iter_segment(text))
    assert seg.prefetch(text)
    pid = seg._prefetched[text].pid
    assert seg.segment(text) == expected
    assert not seg._prefetched
    assert _reaped(pid)


@linux_only
def test_prefetch_of_the_sample_article(project: Project) -> None:
    text = project.read_source(project.document(DOC)).text
    expected = seg.segment(text)
    assert seg.prefetch(text)
    assert seg.segment(text) == expected
    assert len(expected) == 25


@linux_only
def test_a_prefetch_for_another_text_is_not_used_and_cancel_reaps_it() -> None:
    assert seg.prefetch(TEXTS[0])
    pid = seg._prefetched[TEXTS[0]].pid
    assert seg.segment(TEXTS[1]) == list(seg.iter_segment(TEXTS[1]))
    assert TEXTS[0] in seg._prefetched  # still waiting for its own text
    seg.cancel_prefetch()
    assert not seg._prefetched
    assert _reaped(pid)


@linux_only
def test_a_failing_child_falls_back_to_segmenting_here(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    real = seg._split_block

    def split(text: str, start: int, end: int) -> Any:
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return real(text, start, end)

    monkeypatch.setattr(seg, "_split_block", split)
    text = TEXTS[0]
    expected = seg.segment(text)  # here, in the parent: the real split
    assert seg.prefetch(text)
    assert seg.segment(text) == expected
    assert not seg._prefetched


def test_implausible_spans_are_refused() -> None:
    text = "One. Two."
    assert seg._plausible(text, [(0, 4), (5, 9)])
    assert not seg._plausible(text, [(0, 4), (3, 9)])  # overlap
    assert not seg._plausible(text, [(0, 5), (5, 9)])  # ends on a space
    assert not seg._plausible(text, [(0, 4), (5, 10)])  # past the end
    assert not seg._plausible(text, [])


def test_no_prefetch_with_other_threads_or_for_big_texts() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not seg.prefetch(TEXTS[0])  # forking a process with threads is not safe
    finally:
        stop.set()
        thread.join()
    assert not seg.prefetch("A sentence. " * (seg.PREFETCH_CHARS // 12 + 1))
    assert not seg._prefetched


def test_segmenter_id_names_the_installed_pysbd() -> None:
    seg.segmenter_id.cache_clear()
    assert seg.segmenter_id() == f"pysbd {version('pysbd')}; annotate-rules {seg.SEGMENTER_RULES}"


def test_label_command_pauses_the_collector_and_leaves_no_child(project: Project,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run_app(*args: object, **kwargs: object) -> int:
        seen["gc_enabled"] = gc.isenabled()
        seen["prefetched"] = list(seg._prefetched)
        return 0

    monkeypatch.setattr("annotate.tui.app.run_app", fake_run_app)
    assert gc.isenabled()
    result = CliRunner().invoke(main, ["--root", str(project.root), "label", DOC, "--annotator", "alice"])
    assert result.exit_code == 0, result.output
    assert seen["gc_enabled"] is False
    if sys.platform.startswith("linux"):
        assert len(seen["prefetched"]) == 1  # a new document: segmentation started before the screen
    assert gc.isenabled()
    assert not seg._prefetched  # never picked up: the child was stopped and reaped


def test_label_command_switches_the_collector_back_on_after_an_error(project: Project) -> None:
    result = CliRunner().invoke(main, ["--root", str(project.root), "label", "no-such-doc", "--annotator", "alice"])
    assert result.exit_code == 2
    assert gc.isenabled()


@run_async
async def test_app_switches_a_paused_collector_on_once_the_first_frame_is_up(project: Project) -> None:
    app = make_app(AppOptions(project, "alice", documents=[project.document(DOC)]))
    gc.disable()
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            await wait_for_document(pilot)
            await pilot.pause()
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0  # start-up's objects are out of the collector's way
    finally:
        gc.unfreeze()
        gc.enable()


@run_async
async def test_home_screen_keeps_a_paused_collector_off_until_its_rows_are_shown(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The home screen's first read (10,000 rows for a team) is start-up too: the collector, paused by the CLI,
    stays off while the rows are read and put in the table, even when the first frame came before them."""
    from annotate.tui import home

    seen: list[bool] = []
    fill = home.HomeScreen._fill

    def watched_fill(screen: home.HomeScreen, current: str | None) -> None:
        seen.append(gc.isenabled())
        fill(screen, current)

    monkeypatch.setattr(home.HomeScreen, "_fill", watched_fill)
    app = make_app(AppOptions(project, "alice"))
    gc.disable()
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            await wait_for_home(pilot)
            await pilot.pause()
            assert seen and not seen[0]  # the first frame was up long before; the collector was still off
            assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()


@run_async
async def test_app_leaves_an_enabled_collector_alone(project: Project) -> None:
    app = make_app(AppOptions(project, "alice", documents=[project.document(DOC)]))
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for_document(pilot)
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
