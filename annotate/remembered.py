"""What a command printed last time (``status``'s rows, ``status --by annotator``'s figures, ``assign``'s plan),
remembered while nothing it comes from has changed.

Those need every label file's summary: read back from the per-file cache
(:mod:`annotate.summaries`) that is most of a second for 20,000 label files, several times a
directory listing, and the plan and the figures on top. But they depend only on the files
(the listing's digest: the name, size and time of every source, label file, journal and
boundary file, taken by the walk any look makes), the project file, git's view of the files
(HEAD and the index) and the tool's version; while none of those changed, the figures are
those of last time, kept in ``.annotate/cache/<name>.json`` and read back without reading
the summaries.

Project content too: a remembered result that is not plain JSON of the expected shape, with
printable text and finite numbers, is not used (the figures are computed again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__
from .listing import Listing, cancel_prefetch, listing_digest, take_shared, walk_shared
from .project import CACHE_DIR, Project
from .safefs import read_cache, read_if_there, write_cache
from .team import PROJECT_FILE
from .team.activity import _git

STATUS = "status-by-annotator"
PLAN = "assign-plan"
ROWS = "status-rows"
FORMAT = 2
"""Part of every key: bump it when what is remembered, or what is printed from it, changes (the tool's version
alone does not change between commits of one release)."""

RESULT_KEYS = {"project_file", "annotators_per_document", "documents", "annotators", "reviewers", "throughput",
               "dated_by"}
ROW_KEYS = {"annotator", "in_team", "share", "assigned", "done", "in_progress", "not_started",
            "unassigned_documents", "errors", "labels", "label_counts", "unsure_rate", "median_seconds_per_sentence",
            "labels_per_hour", "last_activity", "agreement", "gold"}


def git_state(project: Project) -> list[Any] | None:
    """HEAD and the index's size and modification time (what ``git status`` answers from), or None without git."""
    out = _git(project.root, "rev-parse", "HEAD", "--git-dir")
    if out is None:
        return None
    head, _, git_dir = out.strip().partition("\n")
    try:
        st = os.stat(project.root / git_dir.strip() / "index")
    except OSError:
        return [head, None]
    return [head, st.st_size, st.st_mtime_ns]


def key_of(project: Project, digest: str, team: bool = True) -> list[Any]:
    """What the figures depend on (see the module's docstring); ``digest``: the listing's
    (:func:`annotate.listing.listing_digest`). ``team=False``: the files alone (``annotate status``'s rows
    depend neither on the project file nor on git)."""
    if not team:
        return [FORMAT, __version__, digest]
    try:
        found = read_if_there(project.root / PROJECT_FILE, project.root)
    except OSError:
        found = None
    team_digest = hashlib.sha256(found).hexdigest() if found is not None else None
    return [FORMAT, __version__, digest, team_digest, git_state(project)]


def answer(project: Project, name: str, compute: Callable[[Listing], dict[str, Any]], team: bool = True
           ) -> tuple[dict[str, Any], list[str]]:
    """What was remembered as ``name`` when nothing it comes from changed since (see :func:`key_of`), else
    ``compute(listing)``'s, remembered for next time; and the links the walk met (every run walks once).

    The walk is shared with a child process on the other core (:func:`annotate.listing.walk_shared`),
    started before what was remembered is read back and checked.
    """
    path = project.root / CACHE_DIR / f"{name}.json"
    walk_shared(project)
    try:
        stored = _stored(project, path, name)
        listing = take_shared(project)
    finally:
        cancel_prefetch()  # only when an error came first
    key = key_of(project, listing_digest(listing), team)
    if stored is not None and stored[0] == key:
        return stored[1], listing.links
    result = compute(listing)
    remember(project, name, key, result)
    return result, listing.links


def _stored(project: Project, path: Path, name: str) -> tuple[Any, dict[str, Any]] | None:
    """The key and the figures remembered at ``path``, when the figures are of the expected shape for ``name``."""
    with contextlib.suppress(OSError, ValueError, RecursionError):
        data = json.loads(read_cache(path, project.root) or b"{}")
        if type(data) is dict and "key" in data and USABLE[name](data.get("result")):
            return data["key"], data["result"]
    return None


def remember(project: Project, name: str, key: list[Any], result: dict[str, Any]) -> None:
    """Keep the figures for ``key`` as ``name`` (best effort)."""
    payload = json.dumps({"key": key, "result": result}, ensure_ascii=False).encode("utf-8")
    write_cache(project.root / CACHE_DIR / f"{name}.json", payload, project.root)


def _rows(x: Any, keys: set[str]) -> bool:
    return type(x) is list and all(type(r) is dict and set(r) == keys for r in x)


def _status_usable(result: Any) -> bool:
    return _plain(result) and type(result) is dict and set(result) == RESULT_KEYS \
        and _rows(result["annotators"], ROW_KEYS)


def _names(x: Any) -> bool:
    return type(x) is list and all(type(v) is str for v in x)


def _plan_usable(result: Any) -> bool:
    """The shape ``annotate assign`` prints from (see :func:`annotate.team.figures.plan_data`)."""
    if not _plain(result) or type(result) is not dict or set(result) != PLAN_KEYS:
        return False
    team, counts, plan = result["project_file"], result["documents"], result["plan"]
    if type(team) is not dict or not {"annotators_per_document", "seed", "reviewers"} <= set(team) \
            or type(team["annotators_per_document"]) is not int or not _names(team["reviewers"]):
        return False
    if type(counts) is not dict or not all(type(counts.get(k)) is int for k in COUNT_KEYS):
        return False
    rows = result["annotators"]
    if not _rows(rows, PLAN_ROW_KEYS) or not all(
            type(r["annotator"]) is str and type(r["in_team"]) is bool and type(r["share"]) in (int, float, type(None))
            and all(type(r[k]) is int for k in PLAN_ROW_KEYS - {"annotator", "in_team", "share"}) for r in rows):
        return False
    return _rows(plan, DOC_KEYS) and all(
        type(d["document"]) is str and type(d["needed"]) is int and _names(d["assigned"]) and _names(d["unassigned"])
        and type(d["status"]) is dict and all(type(v) is str for v in d["status"].values()) for d in plan)


PLAN_KEYS = {"project_file", "documents", "annotators", "plan"}
COUNT_KEYS = ("total", "selected", "ready_for_review", "adjudicated")
PLAN_ROW_KEYS = {"annotator", "in_team", "share", "assigned", "done", "in_progress", "not_started",
                 "unassigned_documents"}
DOC_KEYS = {"document", "needed", "assigned", "unassigned", "status"}
def _rows_usable(result: Any) -> bool:
    """``annotate status``'s rows (see :mod:`annotate.status`): [document, annotator, labeled, total, unsure,
    orphans, stale, agreed, disagreed, adjudicated], or [document, annotator, error]; and the unstarted. Checked
    whole here (30,000 rows: the generic walk of :func:`_plain` would be a third of a warm run)."""
    if type(result) is not dict or set(result) != {"rows", "unstarted"} or not _names(result["unstarted"]):
        return False
    rows = result["rows"]
    return all(d.isprintable() for d in result["unstarted"]) and type(rows) is list and all(
        type(r) is list and len(r) in (3, 10) and type(r[0]) is str and type(r[1]) is str and r[0].isprintable()
        and r[1].isprintable() and (
            (len(r) == 3 and type(r[2]) is str and r[2].isprintable())
            or (len(r) == 10 and type(r[6]) is bool and all(type(v) is int and v >= 0 for v in r[2:6])
                and all(type(v) is int and v >= 0 for v in r[7:])))
        for r in rows)


USABLE: dict[str, Callable[[Any], bool]] = {STATUS: _status_usable, PLAN: _plan_usable, ROWS: _rows_usable}


def _plain(x: Any) -> bool:
    """Plain JSON: objects with string keys, lists, finite numbers, booleans, null, and one-line printable text."""
    if x is None or type(x) is bool or type(x) is int:
        return True
    if type(x) is float:
        return math.isfinite(x)
    if type(x) is str:
        return x.isprintable()
    if type(x) is list:
        return all(_plain(v) for v in x)
    if type(x) is dict:
        return all(type(k) is str and k.isprintable() and _plain(v) for k, v in x.items())
    return False
