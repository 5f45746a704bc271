"""When each label file's work was last done: the author time of its last commit in git, else its mtime.

In a clone, a file's modification time is when git wrote it (the clone or the last pull),
not when its annotator labeled it; the author time of the last commit that touched the
file is. So a file that git tracks and that has not changed since is dated by git; a file
changed since its last commit, not yet committed, or in a project without git, by its
mtime (and its journal's), which on the machine where the labels were made is when they
were made. Merge commits do not date a file (a merge is not labeling work).

The history is read once (``git log``) and remembered in ``.annotate/cache/activity.json``
by the commit it was read at; a later run reads only the commits made since.
Git runs with its file-system monitor hook switched off, so a project's ``.git/config``
cannot make this run a program.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..project import CACHE_DIR
from ..safefs import read_cache, write_cache

if TYPE_CHECKING:
    from ..project import Project
    from .work import FileWork

GIT = ("git", "--no-pager", "--no-optional-locks", "-c", "core.fsmonitor=false")
CACHE_NAME = "activity.json"


def _git(root: Path, *args: str) -> str | None:
    """Git's output in ``root``, or None when git is missing or fails (not a repository, no commit...)."""
    try:
        proc = subprocess.run([*GIT, "-C", str(root), *args], capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "surrogateescape")


def _parse_log(out: str) -> dict[str, float]:
    """Path -> newest author time from ``git log --format=%x1e%at --name-only -z``."""
    times: dict[str, float] = {}
    for chunk in out.split("\x1e"):
        stamp, _, names = chunk.partition("\0")
        if not stamp.strip():
            continue
        when = float(stamp)
        for name in names.split("\0"):
            name = name.strip("\n")
            if name and when > times.get(name, 0.0):
                times[name] = when
    return times


def commit_times(project: Project) -> tuple[dict[str, float], set[str]] | None:
    """Path under ``labels/`` -> author time of its newest commit, and the paths changed since; None without git.

    Paths are relative to the project root. The log is cached by HEAD (see the module's docstring).
    """
    root = project.root
    head = _git(root, "rev-parse", "HEAD")
    prefix = _git(root, "rev-parse", "--show-prefix")
    if head is None or prefix is None:
        return None
    head, prefix = head.strip(), prefix.strip()
    times = _cached_log(project, head)
    if times is None:
        return None
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", "labels")
    changed = set() if status is None else _changed(status, prefix)
    return times, changed


def _changed(status: str, prefix: str) -> set[str]:
    """Paths (relative to the project root) that ``git status --porcelain -z`` lists."""
    out = set()
    for entry in status.split("\0"):
        if len(entry) > 3:
            path = entry[3:]
            out.add(path.removeprefix(prefix))
    return out


def _cached_log(project: Project, head: str) -> dict[str, float] | None:
    cache = project.root / CACHE_DIR / CACHE_NAME
    known: dict[str, float] = {}
    since = None
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        entry = json.loads(read_cache(cache, project.root) or b"{}")
        if entry["head"] == head:
            return {str(k): float(v) for k, v in entry["times"].items()}
        if _git(project.root, "merge-base", "--is-ancestor", entry["head"], head) is not None:
            known, since = {str(k): float(v) for k, v in entry["times"].items()}, entry["head"]
    span = f"{since}..{head}" if since else head
    out = _git(project.root, "log", "--no-renames", "--format=%x1e%at", "--name-only", "-z", "--relative",
               span, "--", "labels")
    if out is None:
        return None
    for path, when in _parse_log(out).items():
        known[path] = max(when, known.get(path, 0.0))
    write_cache(cache, json.dumps({"head": head, "times": known}).encode(), project.root)
    return known


def date_work(project: Project, files: Iterable[FileWork]) -> None:
    """Set ``time`` and ``time_source`` of every file: git's author time when clean in git, else its mtime.

    A file with labels waiting in its journal (git-ignored) holds local work newer than
    any commit: its mtime dates it.
    """
    found = commit_times(project)
    times, changed = found if found is not None else ({}, set())
    for fw in files:
        when = times.get(fw.path)
        if when is not None and fw.path not in changed and not fw.pending:
            fw.time, fw.time_source = when, "git"
        else:
            fw.time, fw.time_source = (fw.mtime or None), "mtime"


TOOL_FILES = ("labels/_doc/.name.journal", "labels/_doc/.name.cache.json", "labels/_doc/.name.yaml.lock",
              "labels/_doc/.name.yaml.1a2b.tmp", ".annotate/cache/x.json")
"""One example of each kind of file the tool keeps for itself (never to be committed)."""


def unignored_tool_files(project: Project) -> list[str]:
    """Which kinds of the tool's own files git would commit here (empty when all are ignored, or without git)."""
    if _git(project.root, "rev-parse", "--is-inside-work-tree") is None:
        return []
    try:
        proc = subprocess.run([*GIT, "-C", str(project.root), "check-ignore", "--no-index", "--stdin", "-z"],
                              input="\0".join(TOOL_FILES).encode(), capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    if proc.returncode not in (0, 1):  # 1: none of them is ignored
        return []
    ignored = set(proc.stdout.decode("utf-8", "replace").split("\0"))
    return [path for path in TOOL_FILES if path not in ignored]
