"""Helpers for the team tests: a project of small documents, a project file, labels made through LabelSession."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from annotate.models import GOLD
from annotate.session import LabelSession
from annotate.store import Project

SENTENCES = 4
"""Every document of :func:`small_project` has four sentences (fact, speculation, quote, opinion)."""

TRUTH = ["fact", "speculation", "quote", "opinion"]


def doc_text(n: int) -> str:
    """Document ``n``: four sentences whose natural labels are fact, speculation, quote, opinion."""
    return (f"The mayor opened bridge number {n} on Monday. It may close again in {n} weeks. "
            f'"We are proud of bridge {n}," she said. The design of bridge {n} is ugly.\n')


def small_project(root: Path, docs: int, team_yaml: str | None = None) -> Project:
    """A project with ``docs`` documents ``d00``, ``d01``... and, when given, ``annotate.yaml``."""
    from conftest import MINIMAL_TAGSET

    (root / "seeds").mkdir(parents=True)
    (root / "schemas").mkdir()
    (root / "schemas" / "claim-types.yaml").write_text(MINIMAL_TAGSET, encoding="utf-8")
    for n in range(docs):
        (root / "seeds" / f"d{n:02d}.txt").write_text(doc_text(n), encoding="utf-8")
    if team_yaml is not None:
        (root / "annotate.yaml").write_text(team_yaml, encoding="utf-8")
    return Project(root)


def label(project: Project, doc_id: str, annotator: str, labels: Sequence[str | None],
          seconds: Sequence[float | None] = (), unsure: Sequence[int] = (), reviewer: str | None = None) -> Path:
    """Label the first ``len(labels)`` sentences of a document as ``annotator`` (None skips one), then close.

    ``seconds[i]`` is recorded on sentence i, ``unsure`` flags sentences, ``reviewer`` signs gold labels.
    """
    session = LabelSession.open(project, project.document(doc_id), annotator, project.tagset())
    try:
        for i, value in enumerate(labels):
            if value is None:
                continue
            also: dict[str, object] = {}
            if i < len(seconds) and seconds[i] is not None:
                also["seconds"] = seconds[i]
            if annotator == GOLD:
                also["reviewer"] = reviewer or "rita"
            session.change(i, label=value, also=also, unsure=True if i in unsure else None)
    finally:
        session.close()
    return session.path


TEAM = """\
# yaml-language-server: $schema=schemas/project.schema.json
version: 1
seed: 7
annotators_per_document: 2
annotators:
- alice
- bob
- carol
reviewers:
- rita
"""
