"""Deterministic projects and app factories for the TUI tests (behaviour, snapshots, kill)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from annotate.session import LabelSession
from annotate.store import Project
from annotate.tui.app import AnnotateApp, make_app
from annotate.tui.label_screen import LabelScreen

REPO = Path(__file__).resolve().parent.parent
"""The repository root (the seed document is copied from here)."""

DOC = "kim-visits-beijing"
"""The document every TUI test labels."""

TAGSET_YAML = """\
name: claim-types
version: 1
description: What kind of claim a sentence of a news article makes.
labels:
  - name: fact
    key: f
    color: green
    definition: A checkable statement about what happened or what is.
    rules:
      - Reported events stated without hedging are facts.
    examples:
      - Kim arrived in Beijing on Tuesday.
  - name: speculation
    key: s
    color: yellow
    definition: A guess about what may happen or why something happened.
    rules:
      - Hedges such as may, could, is expected to mark speculation.
    examples:
      - Kim may also seek China's support.
  - name: quote
    key: q
    color: cyan
    definition: Someone's words, reported in quotation marks.
    rules:
      - A sentence that is mostly a direct quotation is a quote.
    examples:
      - '"We will not give in", Kim said.'
  - name: opinion
    key: o
    color: magenta
    definition: The writer's own judgement or evaluation.
    rules:
      - Evaluative words the writer does not attribute mark opinion.
    examples:
      - The summit achieved very little.
"""
"""The claim-types tagset of the test projects (fixed, so snapshots stay put)."""

SECOND_DOC_TEXT = "The talks ended on Friday.\n\nBoth sides may meet again in March.\n"
"""A short second document (two sentences) for the queue tests."""


def build_project(root: Path, second_doc: bool = False) -> Project:
    """A project at ``root``: the repo's seed document and the fixed :data:`TAGSET_YAML`.

    The tagset is always written here (not copied), so screens do not change when the
    shipped tagset does. ``second_doc`` adds ``seeds/talks-end.txt``.
    """
    (root / "seeds").mkdir(parents=True, exist_ok=True)
    (root / "schemas").mkdir(parents=True, exist_ok=True)
    (root / "seeds" / f"{DOC}.txt").write_bytes((REPO / "seeds" / f"{DOC}.txt").read_bytes())
    (root / "schemas" / "claim-types.yaml").write_text(TAGSET_YAML, encoding="utf-8")
    if second_doc:
        (root / "seeds" / "talks-end.txt").write_text(SECOND_DOC_TEXT, encoding="utf-8")
    return Project(root)


def prelabel(project: Project, labels: list[str | None], doc: str = DOC, **fields: Any) -> None:
    """Label the first sentences of a document through the library (quicker than keys).

    ``fields`` (note=..., unsure=...) are set on the first sentence.
    """
    session = LabelSession.open(project, project.document(doc), "alice", project.tagset())
    try:
        for i, name in enumerate(labels):
            if name is not None:
                session.change(i, label=name)
        if fields:
            session.change(0, **fields)
    finally:
        session.close()


def fixed_root(name: str) -> Path:
    """An emptied folder with a fixed name under the temp dir (snapshots must not depend on it)."""
    root = Path(tempfile.gettempdir()) / "annotate-snapshots" / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return root


def home_app(name: str = "home") -> AnnotateApp:
    """The home screen: one document partly labeled, one finished, one not started."""
    project = build_project(fixed_root(name), second_doc=True)
    (project.seeds / "aaa-done.txt").write_text("It rained.\n\nThe match was called off.\n", encoding="utf-8")
    prelabel(project, ["fact", "fact"], "aaa-done")
    prelabel(project, ["fact", "speculation", "quote", None, "opinion"], unsure=True)
    return make_app(project, "alice", home=True)


def label_app(name: str = "label") -> AnnotateApp:
    """The labeling screen on the seed document, for a fresh annotator."""
    project = build_project(fixed_root(name))
    return make_app(project, "alice", documents=[project.document(DOC)], home=False)


async def wait_for_document(pilot: Pilot[None], limit: int = 200) -> LabelScreen:
    """Wait until the labeling screen's worker has opened the document; returns the screen."""
    for _ in range(limit):
        screen = pilot.app.screen
        if isinstance(screen, LabelScreen) and screen.session is not None:
            await pilot.pause()
            return screen
        await pilot.pause(0.01)
    raise AssertionError(f"the document did not open; screen is {pilot.app.screen!r}")


@asynccontextmanager
async def labeling(project: Project, docs: tuple[str, ...] = (DOC,), size: tuple[int, int] = (100, 40),
                   annotator: str = "alice") -> AsyncIterator[tuple[AnnotateApp, Pilot[None], LabelScreen]]:
    """Run the app on the labeling screen and wait for the document to open."""
    app = make_app(project, annotator, documents=[project.document(d) for d in docs], home=False)
    async with app.run_test(size=size) as pilot:
        screen = await wait_for_document(pilot)
        yield app, pilot, screen


def pressing(*keys: str) -> Callable[[Pilot[None]], object]:
    """A ``run_before`` that waits for the document to open, then presses ``keys``."""

    async def run_before(pilot: Pilot[None]) -> None:
        await wait_for_document(pilot)
        await pilot.press(*keys)
        await pilot.pause()

    return run_before
