"""Deterministic projects and app factories for the TUI tests (behaviour, snapshots, kill)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from conftest import MINIMAL_TAGSET, SEED_ID, label_as, make_project
from conftest import REPO as REPO  # the repository root, for tests that run the CLI from it
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from annotate.store import Project
from annotate.tui.app import AnnotateApp, make_app
from annotate.tui.document_screen import DocumentScreen
from annotate.tui.options import AppOptions

DOC = SEED_ID
"""The document every TUI test labels."""

SECOND_DOC_TEXT = "The talks ended on Friday.\n\nBoth sides may meet again in March.\n"
"""A short second document (two sentences) for the queue tests."""

F, S, Q, OP = "fact", "speculation", "quote", "opinion"
ALICE = [F, S, F, Q, F, S, Q, F, S, F, Q, F, F, F, F, Q, OP, Q, F, F, F, F, Q, S, None]
BOB = [F, S, F, Q, F, F, Q, OP, S, F, OP, F, F, F, F, Q, OP, Q, S, F, F, F, Q, None, None]
CAROL = [F, S, F, Q, F, F, Q, Q, S, F, Q, F, F, F, F, Q, OP, Q, S, F, F, F, Q, S, None]
"""Three annotators' labels of the 25 sentences of the sample article (the review tests and snapshots).

alice and bob disagree on sentences 6, 8, 11 and 19 (indices 5, 7, 10, 18); bob left 24
unlabeled, both left 25; carol sides with bob on 6 and 19 and with alice on 11."""


def build_project(root: Path, second_doc: bool = False) -> Project:
    """A project at ``root``: the sample article and the fixed :data:`MINIMAL_TAGSET`.

    The tagset is always written here (not copied), so screens do not change when the
    shipped tagset does. ``second_doc`` adds ``seeds/talks-end.txt``.
    """
    project = make_project(root)
    (project.schemas / "claim-types.yaml").write_text(MINIMAL_TAGSET, encoding="utf-8")
    if second_doc:
        (project.seeds / "talks-end.txt").write_text(SECOND_DOC_TEXT, encoding="utf-8")
    return project


def prelabel(project: Project, labels: Sequence[str | None], doc: str = DOC, **fields: Any) -> None:
    """Label the first sentences of a document as alice through the library (quicker than keys).

    ``fields`` (note=..., unsure=...) are set on the first sentence.
    """
    label_as(project, "alice", labels, doc, **fields)


def fixed_root(name: str) -> Path:
    """An emptied folder with a fixed name under the temp dir (snapshots must not depend on it)."""
    root = Path(tempfile.gettempdir()) / "annotate-snapshots" / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return root


def app_for(project: Project, annotator: str = "alice", docs: Sequence[str] = (), **options: Any) -> AnnotateApp:
    """The app as the CLI builds it: ``docs`` open in turn (none: the home screen), with these options."""
    return make_app(AppOptions(project, annotator, documents=[project.document(d) for d in docs], **options))


def home_app(name: str = "home") -> AnnotateApp:
    """The home screen: documents partly labeled, finished, not started, and three that cannot be read."""
    return app_for(home_app_project(fixed_root(name)))


def home_app_project(root: Path) -> Project:
    """:func:`home_app`'s project at ``root``."""
    project = build_project(root, second_doc=True)
    (project.seeds / "aaa-done.txt").write_text("It rained.\n\nThe match was called off.\n", encoding="utf-8")
    (project.seeds / "empty.txt").write_bytes(b"")
    (project.seeds / "latin1-menu.txt").write_bytes("Café au lait. It is hot.\n".encode("latin-1"))
    (project.seeds / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    prelabel(project, ["fact", "fact"], "aaa-done")
    prelabel(project, ["fact", "speculation", "quote", None, "opinion"], unsure=True)
    return project


def home_metadata_project(root: Path) -> Project:
    """:func:`home_app`'s documents, three with metadata (written by ``annotate import``), one broken."""
    from annotate.metadata import write_metadata
    from annotate.models import DocumentMeta

    project = home_app_project(root)
    write_metadata(project, DOC, DocumentMeta(title="North Korea's Kim Visits Beijing Amid US-China Trade Talks",
                                              outlet="Example Wire", date="2019-01-08",
                                              url="https://example.org/2019/01/08/kim-beijing"))
    write_metadata(project, "aaa-done", DocumentMeta(title="Rain stops play", outlet="Daily Example"))
    (project.seeds / "talks-end.meta.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    return project


def home_metadata_app(name: str = "home-metadata") -> AnnotateApp:
    """The home screen of :func:`home_metadata_project`."""
    return app_for(home_metadata_project(fixed_root(name)))


def label_app(name: str = "label") -> AnnotateApp:
    """The labeling screen on the seed document, for a fresh annotator."""
    return app_for(build_project(fixed_root(name)), docs=[DOC])


def review_project(root: Path, annotators: dict[str, list[str | None]]) -> Project:
    """The sample article labeled by ``annotators`` (alice is unsure of sentence 9)."""
    project = build_project(root)
    for annotator, labels in annotators.items():
        label_as(project, annotator, labels, unsure_at=(8,) if annotator == "alice" else ())
    return project


def review_app(name: str, annotators: dict[str, list[str | None]], review: Sequence[str] = ()) -> AnnotateApp:
    """The review screen of carl on the sample article labeled by ``annotators``."""
    return app_for(review_project(fixed_root(name), annotators), "carl", [DOC], review=review)


async def wait_for_home(pilot: Pilot[None], limit: int = 500) -> Any:
    """Wait until the home screen has read the label files (off its thread) and shows them; returns the screen."""
    from annotate.tui.home import HomeScreen

    for _ in range(limit):
        screen = pilot.app.screen
        if isinstance(screen, HomeScreen) and screen.ready:
            await pilot.pause()
            return screen
        await pilot.pause(0.01)
    raise AssertionError(f"the home screen did not read the label files; screen is {pilot.app.screen!r}")


async def wait_for_document(pilot: Pilot[None], limit: int = 300) -> Any:
    """Wait until the labeling (or review) screen's worker has opened the document; returns the screen."""
    for _ in range(limit):
        screen = pilot.app.screen
        if isinstance(screen, DocumentScreen) and screen.session is not None:
            await pilot.pause()
            return screen
        await pilot.pause(0.01)
    raise AssertionError(f"the document did not open; screen is {pilot.app.screen!r}")


@asynccontextmanager
async def labeling(project: Project, docs: tuple[str, ...] = (DOC,), size: tuple[int, int] = (100, 40),
                   annotator: str = "alice", **options: Any) -> AsyncIterator[tuple[AnnotateApp, Pilot[None], Any]]:
    """Run the app on the labeling screen (or with ``review=...`` the review screen) and wait for it to open."""
    app = app_for(project, annotator, docs, **options)
    async with app.run_test(size=size) as pilot:
        screen = await wait_for_document(pilot)
        yield app, pilot, screen


def text_of(screen: Screen, selector: str) -> str:
    """The plain text of a Static (the #bar, #focus or #agreement line)."""
    return str(screen.query_one(selector, Static).content)


def screen_lines(app: AnnotateApp) -> list[str]:
    """The text of every row of the terminal as the app draws it now."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def pressing(*keys: str) -> Callable[[Pilot[None]], object]:
    """A ``run_before`` that waits for the document to open, then presses ``keys``."""

    async def run_before(pilot: Pilot[None]) -> None:
        await wait_for_document(pilot)
        await pilot.press(*keys)
        await pilot.pause()

    return run_before
