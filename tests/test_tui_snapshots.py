"""SVG snapshots of the screens and dialogs (pytest-textual-snapshot) at 80x24 and a wide size.

Update with ``--snapshot-update`` after looking at what changed. The projects live in fixed
folders under the temp dir, use the fixed test tagset and a frozen clock, so the pictures
depend on the screens alone.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from snapshot_apps import (
    ALICE,
    BOB,
    CAROL,
    app_for,
    fixed_root,
    home_app,
    home_metadata_app,
    label_app,
    review_app,
    wait_for_document,
    wait_for_home,
)
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from annotate.tui import document_screen
from annotate.tui.app import AnnotateApp
from annotate.tui.dashboard import DashboardScreen
from annotate.tui.dialogs import OrphansDialog

LABEL_KEYS = ("f", "s", "q", "o", "exclamation_mark", "1")
"""A few labels, one unsure sentence: every kind of badge shows."""

SnapCompare = Callable[..., bool]
SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
"""Every picture at the smallest terminal the screens support and at a wide one."""

ORPHANS = [("The leaders are expected to sign a trade agreement worth billions before the week is out.",
            "speculation", "text changed"), ("Kim left Beijing on Thursday.", "fact", None)]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """No time passes on the document screens, so no seconds appear in a snapshot."""
    monkeypatch.setattr(document_screen, "time", SimpleNamespace(monotonic=lambda: 1000.0))


def after(*keys: str, type_note: str | None = None, dialog: object = None) -> Callable[[Pilot[None]], object]:
    """``run_before``: wait for the document, press ``keys``, type into the note dialog, or open ``dialog``."""

    async def run_before(pilot: Pilot[None]) -> None:
        await wait_for_document(pilot)
        await pilot.press(*keys)
        if type_note is not None:
            await pilot.press("n")
            area = pilot.app.screen.query_one(TextArea)
            area.cursor_blink = False
            await pilot.press(*["ctrl+j" if c == "\n" else c for c in type_note])
        if dialog is not None:
            pilot.app.push_screen(dialog)  # type: ignore[arg-type]
        await pilot.pause()

    return run_before


def on_home(*keys: str) -> Callable[[Pilot[None]], object]:
    """``run_before`` for the home screen: press ``keys`` (the filter's cursor does not blink)."""

    async def run_before(pilot: Pilot[None]) -> None:
        await wait_for_home(pilot)
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


@SIZES
def test_home_screen(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """Documents finished, started, not started and unreadable; the first unfinished one selected."""
    assert snap_compare(home_app(f"home-{size[0]}"), terminal_size=size, run_before=on_home())


@SIZES
def test_home_screen_filtered(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """``/`` and a few letters: the documents whose name holds them, "N of M documents" in the bar."""
    assert snap_compare(home_app(f"home-filter-{size[0]}"), terminal_size=size, run_before=on_home("slash", "a"))


@SIZES
def test_home_screen_with_metadata(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """Documents imported with metadata: a title column where there is room (at 160), title, outlet, date and url
    of the selected document under the list; a broken metadata file says so for its row only."""
    assert snap_compare(home_metadata_app(f"home-meta-{size[0]}"), terminal_size=size, run_before=on_home())


@SIZES
def test_label_screen(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """Badges, the unsure flag, full label names in the bar and the keys where they fit, the focus panel."""
    assert snap_compare(label_app(f"label-{size[0]}"), terminal_size=size, run_before=after(*LABEL_KEYS))


@SIZES
def test_guidelines_dialog(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """The guidelines: each label with its keys, definition, rule and example."""
    assert snap_compare(label_app(f"guidelines-{size[0]}"), terminal_size=size, run_before=after("question_mark"))


@SIZES
def test_note_dialog(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """The note dialog over the labeling screen, with a two-line note typed."""
    assert snap_compare(label_app(f"note-{size[0]}"), terminal_size=size,
                        run_before=after("f", type_note='"Hedged": see #2\nask the editor'))


@SIZES
def test_orphans_dialog(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """Labels that lost their sentence, with every key of the dialog in view."""
    assert snap_compare(label_app(f"orphans-{size[0]}"), terminal_size=size,
                        run_before=after(dialog=OrphansDialog(ORPHANS, "The current sentence.")))


@SIZES
def test_review_two_annotators(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """alice and bob side by side, the agreement bar, the first disagreement."""
    app = review_app(f"review-two-{size[0]}", {"alice": ALICE, "bob": BOB})
    assert snap_compare(app, terminal_size=size, run_before=after())


@SIZES
def test_review_three_annotators_disagreements_only(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """Majority accepted on 6, a key decides 8, then tab: the agreed sentences hidden and counted."""
    app = review_app(f"review-three-{size[0]}", {"alice": ALICE, "bob": BOB, "carol": CAROL})
    assert snap_compare(app, terminal_size=size, run_before=after("enter", "4", "tab"))


@SIZES
def test_review_accept_every_agreed_sentence_dialog(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """``A``: the confirmation, with how many sentences it would decide."""
    app = review_app(f"review-accept-{size[0]}", {"alice": ALICE, "bob": BOB})
    assert snap_compare(app, terminal_size=size, run_before=after("A"))


def test_review_one_annotator_quality_control_80x24(snap_compare: SnapCompare) -> None:
    """One annotator's labels checked by a reviewer."""
    app = review_app("review-one", {"alice": ALICE, "bob": BOB}, review=["alice"])
    assert snap_compare(app, terminal_size=(80, 24), run_before=after())


def team_home_app(name: str, annotator: str = "alice") -> AnnotateApp:
    """The home screen of the fixture team project (tests/test_team_screens.py)."""
    from test_team_screens import team_fixture

    return app_for(team_fixture(fixed_root(name)), annotator)


def team_read(*keys: str) -> Callable[[Pilot[None]], object]:
    """``run_before``: wait for the team's files to be read, press ``keys``, wait for a dashboard to be drawn."""

    async def run_before(pilot: Pilot[None]) -> None:
        for _ in range(400):
            screen = pilot.app.screen
            if getattr(screen, "view", None) is not None or getattr(screen, "data", None) is not None:
                break
            await pilot.pause(0.01)
        await pilot.press(*keys)
        for _ in range(400):
            if not isinstance(pilot.app.screen, DashboardScreen) or pilot.app.screen.data is not None:
                break
            await pilot.pause(0.01)
        await pilot.pause()

    return run_before


@SIZES
def test_home_screen_with_a_queue(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """annotate.yaml: alice's queue first (in progress, not started, done), then the documents not hers."""
    assert snap_compare(team_home_app(f"team-home-{size[0]}"), terminal_size=size, run_before=team_read())


@SIZES
def test_team_dashboard(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """d on the home screen: progress per annotator at 80x24 (tab shows the others); all four at 160x48."""
    assert snap_compare(team_home_app(f"team-dashboard-{size[0]}"), terminal_size=size, run_before=team_read("d"))
