"""Shared fixtures: a throw-away annotation project in tmp_path, and helpers to fill it."""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path

import pytest

from annotate.models import LabelFile, Sentence, Tagset
from annotate.session import LabelSession
from annotate.store import Project

REPO = Path(__file__).resolve().parent.parent
SEED_ID = "kim-visits-beijing"
SEED = REPO / "seeds" / f"{SEED_ID}.txt"
HEADLINE = "North Korea's Kim Visits Beijing Amid US-China Trade Talks"

MINIMAL_TAGSET = """\
name: claim-types
version: 1
description: Claim types of news sentences.
labels:
- name: fact
  key: f
  color: green
  definition: A checkable statement presented as true.
  rules:
  - Reported events stated without hedging are facts.
  examples:
  - Kim arrived in Beijing on Tuesday.
- name: speculation
  key: s
  color: yellow
  definition: A guess, prediction or hedged statement.
  rules:
  - Hedges such as may, could, is expected to mark speculation.
  examples:
  - Kim may also seek China's support.
- name: quote
  key: q
  color: cyan
  definition: Words attributed to someone.
  rules:
  - A sentence that is mostly a direct quotation is a quote.
  examples:
  - '"We will not give in", Kim said.'
- name: opinion
  key: o
  color: magenta
  definition: A judgement or evaluation.
  rules:
  - Evaluative words the writer does not attribute mark opinion.
  examples:
  - The summit achieved very little.
"""
"""The claim-types tagset of the tests: fixed (the shipped one may change), one rule and example per label."""

# Used when the repository's seed is missing: a headline, a blank line, then sentences.
FALLBACK_SEED = (
    f"{HEADLINE}\n\n"
    "North Korean leader Kim Jong Un was expected to meet Tuesday with China's president. "
    "Kim was invited by Xi, the state-run news agency said.\n\n"
    '"Kim\'s confidence stems from the expectation of support by China," an analyst said. '
    "The talks could last several days.\n"
)


def _copy(src: Path, dst: Path) -> None:
    # Copy the bytes only: the repository's seed is read-only, the copy must be editable.
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(src.read_bytes())


def make_project(root: Path) -> Project:
    """A project at ``root`` with the repo's seed document and tagsets (or minimal stand-ins)."""
    seeds = root / "seeds"
    schemas = root / "schemas"
    seeds.mkdir(parents=True, exist_ok=True)
    schemas.mkdir(parents=True, exist_ok=True)
    if SEED.is_file():
        _copy(SEED, seeds / SEED.name)
    else:
        (seeds / f"{SEED_ID}.txt").write_text(FALLBACK_SEED, encoding="utf-8")
    for pattern in ("*.yaml", "*.schema.json"):
        for path in sorted((REPO / "schemas").glob(pattern)):
            if path.is_file():
                _copy(path, schemas / path.name)
    tagset_file = schemas / "claim-types.yaml"
    if not tagset_file.is_file() or not _loads(tagset_file):
        tagset_file.write_text(MINIMAL_TAGSET, encoding="utf-8")
    return Project(root)


def _loads(path: Path) -> bool:
    """True when a copied tagset is complete enough to rely on (it may be mid-edit)."""
    from annotate.errors import AnnotateError
    from annotate.store import load_tagset

    try:
        names = load_tagset(path).names
    except AnnotateError:
        return False
    return {"fact", "speculation", "quote", "opinion"} <= set(names)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh project: ``seeds/kim-visits-beijing.txt`` and ``schemas/claim-types.yaml``."""
    return make_project(tmp_path / "proj")


@pytest.fixture
def tagset(project: Project) -> Tagset:
    """The project's default tagset (fact, speculation, quote, opinion)."""
    return project.tagset()


@pytest.fixture(autouse=True)
def _annotator_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never depend on the machine's login name or a stray ANNOTATE_ANNOTATOR."""
    monkeypatch.delenv("ANNOTATE_ANNOTATOR", raising=False)


def write_source(project: Project, doc_id: str, text: str | bytes) -> Path:
    """Write ``seeds/<doc_id>.txt`` (text as UTF-8, bytes as given); returns the path."""
    path = project.seeds / f"{doc_id}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


@pytest.fixture
def open_session(project: Project, tagset: Tagset) -> Iterator:
    """``open_session(doc_id=SEED_ID, annotator="alice")``; locks released at teardown."""
    sessions: list[LabelSession] = []

    def _open(doc_id: str = SEED_ID, annotator: str = "alice") -> LabelSession:
        session = LabelSession.open(project, project.document(doc_id), annotator, tagset)
        sessions.append(session)
        return session

    yield _open
    for s in sessions:
        if s._journal_fd is not None:
            os.close(s._journal_fd)
            s._journal_fd = None
        s.lock.release()


def start_labels(project: Project, doc_id: str = SEED_ID, annotator: str = "alice", label: str | None = None) -> Path:
    """Make ``annotator``'s label file of a document (it comes with a first change, not with opening).

    With ``label`` the first sentence carries it; without, the file holds no label. Returns its path.
    """
    session = LabelSession.open(project, project.document(doc_id), annotator, project.tagset())
    try:
        if label is not None:
            session.change(0, label=label)
        else:
            session.change(0, unsure=True)
            session.change(0, unsure=None)
    finally:
        session.close()
    return session.path


def label_as(project: Project, annotator: str, labels: Sequence[str | None], doc_id: str = SEED_ID,
             unsure_at: Sequence[int] = (), **first: object) -> None:
    """Label a document as ``annotator`` through a session: ``labels`` from the first sentence on (None: left
    unlabeled), the sentences ``unsure_at`` flagged, and ``first`` (note=..., unsure=...) set on the first one."""
    session = LabelSession.open(project, project.document(doc_id), annotator, project.tagset())
    try:
        for i, label in enumerate(labels):
            if label is not None:
                session.change(i, label=label)
        for i in unsure_at:
            session.change(i, unsure=True)
        if first:
            session.change(0, **first)
    finally:
        session.close()


def crash(session: LabelSession) -> None:
    """Simulate ``kill -9``: no fold, no close; the kernel drops the fd and the lock."""
    if session._journal_fd is not None:
        os.close(session._journal_fd)
        session._journal_fd = None
    session.lock.release()


def minimal_label_file(**overrides: object) -> LabelFile:
    """A small valid LabelFile (three sentences of "Aa. Bb. Cc.") for model and store tests."""
    data: dict = {
        "version": 1,
        "document": "doc",
        "source": "seeds/doc.txt",
        "source_sha256": "0" * 64,
        "annotator": "alice",
        "scheme": "claim-types",
        "sentences": [
            Sentence(start=0, end=3, text="Aa."),
            Sentence(start=4, end=7, text="Bb.", label="fact"),
            Sentence(start=8, end=11, text="Cc.", label="opinion", unsure=True, note="hm"),
        ],
    }
    data.update(overrides)
    return LabelFile(**data)


def run_async(test: Callable[..., Coroutine[object, object, None]]) -> Callable[..., None]:
    """Run an async test in its own event loop (no pytest asyncio plugin needed)."""

    @functools.wraps(test)
    def run(*args: object, **kwargs: object) -> None:
        asyncio.run(test(*args, **kwargs))

    return run
