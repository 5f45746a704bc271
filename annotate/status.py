"""The rows of ``annotate status``: one per label file, from the summaries, remembered on the walk's digest.

A warm ``annotate status`` on 20,000 label files would read every document's summary back
(a tenth of a second and the modules that make them); the rows depend on the files alone,
so they are kept in ``.annotate/cache/status-rows.json`` on the listing's digest
(:func:`annotate.listing.listing_digest`, see :mod:`annotate.remembered`) and printed
from there while no file changed. What leads outside the project (links out, in
``schemas/`` and ``.annotate/`` too) is looked at every time, never remembered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .listing import Listing, list_project

if TYPE_CHECKING:
    from .project import Project
    from .summaries import Progress, Summaries

@dataclass
class StatusView:
    """What ``annotate status`` prints: the rows (again at each call: the printer passes over them three times)
    and the documents nobody has started."""

    rows: Callable[[], Iterator[dict[str, Any]]]
    unstarted: list[str]


def status_view(project: Project, progress: Progress | None = None) -> StatusView:
    """The rows and the unstarted documents: remembered when no file changed since, else from the summaries."""
    from .remembered import ROWS, answer

    def compute(listing: Listing) -> dict[str, Any]:
        from .summaries import read_summaries

        summaries = read_summaries(project, progress, listing=listing)
        return {"rows": list(compact_rows(summaries)), "unstarted": unstarted_of(summaries)}

    found, links = answer(project, ROWS, compute, team=False)
    kept: list[list[Any]] = found["rows"]
    refused = _refused_rows(project, links)
    return StatusView(lambda: _rows(kept, refused), found["unstarted"])


def _refused_rows(project: Project, links: list[str]) -> list[dict[str, Any]]:
    """What leads outside the project, looked at once per run (the printer passes over the rows three times)."""
    return [refused_row(where, reason) for where, reason in project.refused(links=links)]


def _rows(kept: list[list[Any]], refused: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for r in kept:
        if len(r) == 3:
            yield error_row(*r)
        else:
            yield {"document": r[0], "annotator": r[1], "labeled": r[2], "total": r[3], "unsure": r[4],
                   "orphans": r[5], "stale": r[6], "agreed": r[7], "disagreed": r[8], "adjudicated": r[9]}
    yield from refused


def compact_rows(summaries: Summaries) -> Iterator[list[Any]]:
    """One list per label file: [document, annotator, labeled, total, unsure, orphans, stale, agreed, disagreed,
    adjudicated] (the document's review counts on each), or [document, annotator, error] for one that cannot
    be read."""
    for doc_id, summary in summaries.documents.items():
        review = [summary.agreed, summary.disagreed, summary.adjudicated]
        for name, f in summary.files.items():
            if f.error is not None:
                yield [doc_id, name, f.error]
            else:
                yield [doc_id, name, f.labeled, f.total, f.unsure, f.orphans, f.stale, *review]


def iter_status_rows(project: Project, summaries: Summaries) -> Iterator[dict[str, Any]]:
    """The rows, one at a time, from :func:`annotate.summaries.read_summaries`'s result (nothing remembered)."""
    return _rows(list(compact_rows(summaries)), _refused_rows(project, summaries.links))


def unstarted_of(summaries: Summaries) -> list[str]:
    """Documents nobody has a label file for yet."""
    return [d for d, s in summaries.documents.items() if not s.files]


def unstarted_documents(project: Project, summaries: Summaries | None = None) -> list[str]:
    """Documents nobody has a label file for yet (``summaries``: :func:`annotate.summaries.read_summaries`'s result,
    when the caller has it)."""
    if summaries is not None:
        return unstarted_of(summaries)
    listing = list_project(project)
    return [d for d in listing.sources if d not in listing.labels]


def refused_row(where: str, reason: str) -> dict[str, Any]:
    """A file or folder that leads outside the project: listed with why, never read."""
    parts = where.split("/")
    if parts[0] == "labels" and len(parts) > 2 and where.endswith(".yaml"):
        doc, name = "/".join(parts[1:-1]), parts[-1].removesuffix(".yaml")
    else:
        doc, name = where, "-"
    return {**error_row(doc, name, f"{where}: {reason}"), "refused": where}


def error_row(doc_id: str, name: str, error: str) -> dict[str, Any]:
    """A label file that cannot be read: its name and why."""
    return {"document": doc_id, "annotator": name, "labeled": 0, "total": 0, "unsure": 0, "orphans": 0,
            "error": error}

