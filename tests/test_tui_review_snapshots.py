"""SVG snapshots of the review screen (pytest-textual-snapshot); update with ``--snapshot-update``.

The projects live in fixed folders under the temp dir, use the minimal tagset written here (never the
shipped one, which may change) and a frozen clock, so the pictures depend on the screen alone.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import MINIMAL_TAGSET, SEED_ID, make_project
from textual.pilot import Pilot

from annotate.session import LabelSession
from annotate.store import Project
from annotate.tui import label_screen
from annotate.tui.app import AnnotateApp, make_app
from annotate.tui.review_screen import ReviewScreen

DOC = SEED_ID
F, S, Q, OP = "fact", "speculation", "quote", "opinion"
ALICE = [F, S, F, Q, F, S, Q, F, S, F, Q, F, F, F, F, Q, OP, Q, F, F, F, F, Q, S, None]
BOB = [F, S, F, Q, F, F, Q, OP, S, F, OP, F, F, F, F, Q, OP, Q, S, F, F, F, Q, None, None]
CAROL = [F, S, F, Q, F, F, Q, Q, S, F, Q, F, F, F, F, Q, OP, Q, S, F, F, F, Q, S, None]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(label_screen, "time", SimpleNamespace(monotonic=lambda: 1000.0))


def review_project(name: str, annotators: dict[str, list[str | None]]) -> Project:
    """A project in a fixed folder with the sample article labeled by ``annotators``."""
    root = Path(tempfile.gettempdir()) / "annotate-review-snapshots" / name
    shutil.rmtree(root, ignore_errors=True)
    project = make_project(root)
    (project.schemas / "claim-types.yaml").write_text(MINIMAL_TAGSET, encoding="utf-8")
    tagset = project.tagset()
    for annotator, labels in annotators.items():
        session = LabelSession.open(project, project.document(DOC), annotator, tagset)
        for i, label in enumerate(labels):
            if label is not None:
                session.change(i, label=label)
        if annotator == "alice":
            session.change(8, unsure=True)
        session.close()
    return project


def review_app(name: str, annotators: dict[str, list[str | None]], review: list[str] | None = None) -> AnnotateApp:
    project = review_project(name, annotators)
    return make_app(project, "carl", project.tagset(), documents=[project.document(DOC)], home=False,
                    review=review or [])


def pressing(*keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Wait for the review screen to open, then press ``keys``."""

    async def run_before(pilot: Pilot[None]) -> None:
        for _ in range(300):
            screen = pilot.app.screen
            if isinstance(screen, ReviewScreen) and screen.session is not None:
                break
            await pilot.pause(0.01)
        else:
            raise AssertionError("the review screen did not open")
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_review_two_annotators_80x24(snap_compare: Callable[..., bool]) -> None:
    app = review_app("two", {"alice": ALICE, "bob": BOB})
    assert snap_compare(app, terminal_size=(80, 24), run_before=pressing())


def test_review_three_annotators_after_decisions_160x48(snap_compare: Callable[..., bool]) -> None:
    """Majority accepted on 6, a key decides 8, then disagreements only."""
    app = review_app("three", {"alice": ALICE, "bob": BOB, "carol": CAROL})
    assert snap_compare(app, terminal_size=(160, 48), run_before=pressing("enter", "4", "tab"))


def test_review_one_annotator_quality_control_80x24(snap_compare: Callable[..., bool]) -> None:
    app = review_app("one", {"alice": ALICE, "bob": BOB}, review=["alice"])
    assert snap_compare(app, terminal_size=(80, 24), run_before=pressing())
