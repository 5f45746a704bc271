"""Working as a team: the project file, who labels what, queues, and each annotator's progress and quality.

The parts, one job each:

- :mod:`.projectfile`: ``annotate.yaml`` (the team), read safely with file:line errors;
- :mod:`.assign`: rendezvous (highest-random-weight) assignment of documents to annotators;
- :mod:`.work`: what every label file holds, read once through :mod:`annotate.reading`, and when it last changed;
- :mod:`.queues`: an annotator's queue and a reviewer's documents ready for review;
- :mod:`.figures`: progress and quality per annotator, as JSON-ready figures;
- :mod:`.html`: the same figures as one self-contained HTML page with SVG charts (matplotlib).

Screens and commands call :func:`team_state` once and read what they need from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .assign import TeamState, team_state

__all__ = ["TeamState", "team_state"]

PROJECT_FILE = "annotate.yaml"
"""The project file's name, at the project root (see :mod:`.projectfile`)."""


def __getattr__(name: str) -> Any:
    """``TeamState`` and ``team_state``, imported when first asked for: a command that answers from what it
    remembered (:mod:`.remembered`) does not pay for the assignment code."""
    if name in __all__:
        from . import assign

        return getattr(assign, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
