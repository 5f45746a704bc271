"""SVG snapshots of the main screens (pytest-textual-snapshot): home, labeling, guidelines, note."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from snapshot_apps import home_app, label_app, wait_for_document
from textual.pilot import Pilot
from textual.widgets import TextArea

from annotate.tui import label_screen

LABEL_KEYS = ("f", "s", "q", "o", "exclamation_mark", "1")
"""A few labels, one unsure sentence: every kind of badge shows."""

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """No time passes on the labeling screen, so no seconds appear in a snapshot."""
    monkeypatch.setattr(label_screen, "time", SimpleNamespace(monotonic=lambda: 1000.0))


def after(*keys: str, type_note: str | None = None) -> Callable[[Pilot[None]], object]:
    """``run_before``: wait for the document, press ``keys``, optionally type into the note dialog."""

    async def run_before(pilot: Pilot[None]) -> None:
        await wait_for_document(pilot)
        await pilot.press(*keys)
        if type_note is not None:
            await pilot.press("n")
            area = pilot.app.screen.query_one(TextArea)
            area.cursor_blink = False
            await pilot.press(*["ctrl+j" if c == "\n" else c for c in type_note])
        await pilot.pause()

    return run_before


def test_home_screen(snap_compare: SnapCompare) -> None:
    """Three documents with progress; the first unfinished one (kim-visits-beijing) selected."""
    assert snap_compare(home_app(), terminal_size=(100, 30))


def test_label_screen_80x24(snap_compare: SnapCompare) -> None:
    """The labeling screen in a small terminal: badges, the unsure flag, the focus panel, the footer keys."""
    assert snap_compare(label_app("label-80"), terminal_size=(80, 24), run_before=after(*LABEL_KEYS))


def test_label_screen_160x48(snap_compare: SnapCompare) -> None:
    """The labeling screen in a wide terminal."""
    assert snap_compare(label_app("label-160"), terminal_size=(160, 48), run_before=after(*LABEL_KEYS))


def test_guidelines_dialog(snap_compare: SnapCompare) -> None:
    """The guidelines: each label with its keys, definition, rule and example."""
    assert snap_compare(label_app("guidelines"), terminal_size=(100, 40),
                        run_before=after("question_mark"))


def test_note_dialog(snap_compare: SnapCompare) -> None:
    """The note dialog over the labeling screen, with a two-line note typed."""
    assert snap_compare(label_app("note"), terminal_size=(100, 30),
                        run_before=after("f", type_note='"Hedged": see #2\nask the editor'))
