"""The last ``annotate status --by annotator`` figures, remembered while nothing they come from has changed.

Those figures need every labeled sentence's seconds and every two annotators' labels: read
back from the per-file cache (:mod:`annotate.summaries`) that is most of a second for 20,000
label files, ten times a directory listing. But they depend only on the label files (their
summaries' digest: the sizes and times of every file), the project file, git's view of the
files (HEAD and the index) and the tool's version; while none of those changed, the figures
are those of last time, kept in ``.annotate/cache/status-by-annotator.json``.

Project content too: a remembered result that is not plain JSON of the expected keys, with
printable text and finite numbers, is not used (the figures are computed again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from typing import Any

from .. import __version__
from ..store import CACHE_DIR, Project, read_cache, read_if_there, write_cache
from ..summaries import Summaries
from .activity import _git
from .projectfile import project_file_path

CACHE_NAME = "status-by-annotator.json"
FORMAT = 1

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


def status_key(project: Project, summaries: Summaries) -> list[Any]:
    """What the figures depend on (see the module's docstring)."""
    try:
        team = read_if_there(project_file_path(project), project.root)
    except OSError:
        team = None
    digest = hashlib.sha256(team).hexdigest() if team is not None else None
    return [FORMAT, __version__, summaries.digest, digest, git_state(project)]


def recall(project: Project, key: list[Any]) -> dict[str, Any] | None:
    """The figures remembered for ``key``, when there are and they are of the expected shape."""
    with contextlib.suppress(OSError, ValueError, RecursionError):
        data = json.loads(read_cache(project.root / CACHE_DIR / CACHE_NAME, project.root) or b"{}")
        if type(data) is dict and data.get("key") == key and _usable(data.get("result")):
            return data["result"]
    return None


def remember(project: Project, key: list[Any], result: dict[str, Any]) -> None:
    """Keep the figures for ``key`` (best effort)."""
    payload = json.dumps({"key": key, "result": result}, ensure_ascii=False).encode("utf-8")
    write_cache(project.root / CACHE_DIR / CACHE_NAME, payload, project.root)


def _usable(result: Any) -> bool:
    if type(result) is not dict or set(result) != RESULT_KEYS or not _plain(result):
        return False
    rows = result["annotators"]
    return type(rows) is list and all(type(r) is dict and set(r) == ROW_KEYS for r in rows)


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
