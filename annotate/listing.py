"""One walk of a project's ``seeds/`` and ``labels/``: every source, metadata file, label file, journal and
boundary change file, with each one's size and modification time when asked, and a digest of it all.

Every look at the whole project starts here (:mod:`annotate.summaries` keys its cache on
what the walk found; :mod:`annotate.remembered` keeps what commands printed on its
digest). Lean on purpose: no pydantic, no YAML, so a command that answers from what it
remembered pays for the walk and little else.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import forked
from .project import SOURCE_SUFFIXES
from .safefs import outside_reason

if TYPE_CHECKING:
    from .project import Project

Stat = tuple[int, int]
"""A file's size and modification time (ns)."""

NO_FILE: Stat = (-1, -1)
"""The stat of a file that is not there (or could not be stat'ed)."""

META_SUFFIX = ".meta.yaml"
"""A document's metadata file (see :mod:`annotate.metadata`)."""

UNITS_PREFIX = "_units-"
"""Boundary change files are ``labels/<doc>/_units-<name>.yaml`` (see :mod:`annotate.boundaries`)."""

LISTING_FORMAT = 3
"""Part of :func:`listing_digest`: a new way of listing gives new digests."""


@dataclass
class Listing:
    """What one walk of ``seeds/`` and ``labels/`` found: names (a listing of 100,000 documents stays small), and
    with ``stat`` the size and modification time of each file, taken on the way."""

    sources: dict[str, str] = field(default_factory=dict)
    """doc id -> its source's path, sorted by id (links leading outside the project left out)."""
    meta: dict[str, str] = field(default_factory=dict)
    """doc id -> its metadata file's path."""
    labels: dict[str, list[str]] = field(default_factory=dict)
    """doc id -> annotator names of its label files, sorted (links leading outside left out)."""
    units: dict[str, list[str]] = field(default_factory=dict)
    """doc id -> its boundary change files (``_units-*.yaml``), sorted."""
    links: list[str] = field(default_factory=list)
    """Every symbolic link met (paths)."""
    stats: dict[str, Stat] = field(default_factory=dict)
    """With ``stat``: doc id -> its source's size and mtime; ``meta:<doc id>`` -> its metadata file's."""
    files: dict[str, list[list[list[Any]]]] = field(default_factory=dict)
    """With ``stat``: doc id -> [[name, size, mtime_ns, journal size, journal mtime_ns] of each label file (no
    journal: -1, -1)], [[name, size, mtime_ns] of each boundary change file]]: the key's files."""


def _entries(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError:
        return []


def _stat_of(entry: os.DirEntry[str]) -> Stat:
    try:
        st = entry.stat()
    except OSError:
        return NO_FILE
    return (st.st_size, st.st_mtime_ns)


def _walk(root: Path, top: Path, listing: Listing, visit: Callable[[str, list[os.DirEntry[str]]], None],
          share: Callable[[str], bool] | None = None) -> None:
    """Call ``visit(folder's path under top, its entries)`` for ``top`` and every folder below (links not followed;
    links met recorded, and left out when they lead outside the project). ``share``: only the entries of ``top``
    whose name it accepts (and ``top`` itself is not recorded as a link: the other share does that)."""
    if top.is_symlink():
        if share is None:
            listing.links.append(str(top))
        if outside_reason(root, top):
            return
    stack = [(str(top), "")]
    while stack:
        folder, prefix = stack.pop()
        entries = []
        for entry in _entries(folder):
            if share is not None and not prefix and not share(entry.name):
                continue
            if entry.is_symlink():
                listing.links.append(entry.path)
                if outside_reason(root, entry.path) or entry.is_dir():
                    continue  # out: refused; in: a linked folder is not descended (as Project.documents)
            elif entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, f"{prefix}{entry.name}/"))
                continue
            entries.append(entry)
        visit(prefix, entries)


def list_project(project: Project, labels: bool = True, stat: bool = False, seeds_too: bool = True,
                 share: Callable[[str], bool] | None = None) -> Listing:
    """Walk ``seeds/`` and ``labels/`` once: every source, metadata file, label file, journal and boundary file.

    ``labels=False``: ``seeds/`` only. ``stat``: each file's size and mtime too (:attr:`Listing.stats`,
    :attr:`Listing.files`). ``seeds_too=False`` and ``share``: a part of the walk (see :func:`walk_shared`):
    ``labels/``'s folders whose name ``share`` accepts.
    """
    listing = Listing()
    sources: dict[str, str] = {}
    stats = listing.stats

    def seeds(prefix: str, entries: list[os.DirEntry[str]]) -> None:
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if name.endswith(SOURCE_SUFFIXES):
                doc_id = prefix + name.rsplit(".", 1)[0]
                sources[doc_id] = entry.path
            elif name.endswith(META_SUFFIX):
                doc_id = prefix + name[: -len(META_SUFFIX)]
                listing.meta[doc_id] = entry.path
                doc_id = f"meta:{doc_id}"
            else:
                continue
            if stat:
                stats[doc_id] = _stat_of(entry)

    def label_folder(prefix: str, entries: list[os.DirEntry[str]]) -> None:
        doc_id = sys.intern(prefix[:-1])
        names, units, journals = {}, {}, {}
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                if name.endswith(".journal"):
                    journals[name[1:-8]] = entry
            elif name.startswith("_"):
                if name.startswith(UNITS_PREFIX) and name.endswith(".yaml"):
                    units[name] = entry
            elif name.endswith(".yaml"):
                names[sys.intern(name[:-5])] = entry
        if not doc_id or not (names or units):
            return
        if names:
            listing.labels[doc_id] = sorted(names)
        if units:
            listing.units[doc_id] = sorted(units)
        if stat:
            listing.files[doc_id] = _folder_key(names, journals, units)

    if seeds_too:
        _walk(project.root, project.seeds, listing, seeds)
    if labels:
        _walk(project.root, project.labels, listing, label_folder, share)
    listing.sources = dict(sorted(sources.items()))
    return _in_order(listing)


def _in_order(listing: Listing) -> Listing:
    """The walk's findings in an order that does not depend on the order the folders were read in."""
    listing.labels = dict(sorted(listing.labels.items()))
    listing.units = dict(sorted(listing.units.items()))
    listing.files = dict(sorted(listing.files.items()))
    listing.links.sort()
    return listing


def listing_digest(listing: Listing) -> str:
    """A digest of what every summary depends on: the name, size and modification time of every source, metadata
    file, label file, journal and boundary file the walk met (with ``stat``), and the links met.

    The same digest, the same files as when it was taken: whatever was computed from them then holds
    (:mod:`annotate.remembered` keeps what commands printed on it, without reading the summaries back).
    """
    text = _COMPACT.encode([LISTING_FORMAT, listing.sources, listing.stats, listing.files, listing.links])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
"""The digest's encoder: compact, no escaping of non-ASCII names, no check for cycles (a listing has none)."""


def _folder_key(names: dict[str, os.DirEntry[str]], journals: dict[str, os.DirEntry[str]],
                units: dict[str, os.DirEntry[str]]) -> list[list[list[Any]]]:
    """The files part of a document's key (see :attr:`Listing.files`), from its folder's entries."""
    files = []
    for name in sorted(names):
        journal = journals.get(name)
        files.append([name, *_stat_of(names[name]), *(_stat_of(journal) if journal is not None else NO_FILE)])
    return [files, [[unit, *_stat_of(units[unit])] for unit in sorted(units)]]


# --------------------------------------------------------------------------- the walk, on another core


@dataclass
class Walked:
    """What a walk made in another process found (see :func:`prefetch_walk`)."""

    digest: str
    """:func:`listing_digest` of the walk (with ``stat``)."""
    links: list[str]
    """:attr:`Listing.links`: every symbolic link met."""


@dataclass
class _Walk:
    root: Path
    child: forked.Child
    shared: bool = False
    """A share of ``labels/`` (see :func:`walk_shared`), not the whole walk."""


_walks: list[_Walk] = []


def prefetch_walk(project: Project) -> bool:
    """Start a walk of ``project`` (:func:`list_project` with ``stat``) in a forked child process, for
    :func:`take_walk` to pick up: its digest and the links met.

    The home screen's rows remembered on the walk's digest (:mod:`annotate.homeview`) are read
    back meanwhile: the walk (a fifth of a second for 10,000 documents) runs on the other core.
    ``annotate`` starts it before it imports the user interface. Linux only (fork without exec
    is not safe everywhere), never with other threads running, one at a time. Returns whether a
    child was started; if anything goes wrong, :func:`take_walk` says None and the caller walks.
    """
    def work() -> list[Any]:
        listing = list_project(project, stat=True)
        return [listing_digest(listing), listing.links]

    return _fork(project, work)


def _fork(project: Project, work: Callable[[], Any], shared: bool = False) -> bool:
    """Run ``work()`` in a forked child (see :mod:`annotate.forked`) that writes its result as JSON."""
    if _walks:
        return False
    child = forked.start(lambda: json.dumps(work()).encode("utf-8"))
    if child is None:
        return False
    _walks.append(_Walk(project.root, child, shared))
    return True


def _result(project: Project, shared: bool) -> Any:
    """What the child started for ``project`` wrote (waits for it), or None when there is none (or it failed)."""
    walk = next((x for x in _walks if x.root == project.root and x.shared == shared), None)
    try:
        _walks.remove(walk)  # type: ignore[arg-type]
    except ValueError:  # none (None is not in the list), or taken by another thread meanwhile
        return None
    data = forked.collect(walk.child)
    try:
        return json.loads(data) if data is not None else None
    except ValueError:
        return None


def _theirs(name: str) -> bool:
    """The folders of ``labels/`` a shared walk's child takes: two in three, by a hash of the name (the parent
    walks ``seeds/`` too)."""
    return zlib.crc32(name.encode("utf-8", "surrogateescape")) % 3 != 0


def walk_shared(project: Project) -> bool:
    """Start walking a share of ``labels/`` (:func:`list_project` with ``stat``) in a forked child process, for
    :func:`take_shared` to finish: a command with nothing else to do meanwhile walks the rest itself, on the
    other core. Linux only, never with other threads running, one at a time; False when not started."""
    def work() -> list[Any]:
        part = list_project(project, stat=True, seeds_too=False, share=_theirs)
        return [part.labels, part.units, part.files, part.links]

    return _fork(project, work, shared=True)


def take_shared(project: Project) -> Listing:
    """The whole walk (:func:`list_project` with ``stat``): this process's share and, when :func:`walk_shared`
    started one, the child's (else, or when it failed, that share too)."""
    started = any(x.root == project.root and x.shared for x in _walks)
    if not started:
        return list_project(project, stat=True)
    listing = list_project(project, stat=True, share=lambda name: not _theirs(name))
    found = _result(project, shared=True)
    try:
        labels, units, files, links = found
        if not (type(labels) is dict and type(units) is dict and type(files) is dict and type(links) is list):
            raise TypeError
    except (TypeError, ValueError):
        part = list_project(project, stat=True, seeds_too=False, share=_theirs)
        labels, units, files, links = part.labels, part.units, part.files, part.links
    listing.labels.update(labels)
    listing.units.update(units)
    listing.files.update(files)
    listing.links.extend(links)
    return _in_order(listing)


def walk_ready(project: Project, wait: float = 0.0) -> bool:
    """True when the walk prefetched for ``project`` has written what it found (within ``wait`` seconds)."""
    walk = next((x for x in _walks if x.root == project.root and not x.shared), None)
    return walk is not None and forked.ready(walk.child, wait)


def take_walk(project: Project) -> Walked | None:
    """What the walk prefetched for ``project`` found (waits for it), or None when there is none (or it failed)."""
    try:
        digest, links = _result(project, shared=False)
    except (ValueError, TypeError):
        return None
    if type(digest) is not str or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest) \
            or type(links) is not list or not all(type(x) is str for x in links):
        return None
    return Walked(digest, links)


def cancel_prefetch() -> None:
    """Stop and reap every walk not picked up (the home screen never read its rows; a command failed)."""
    while _walks:
        forked.stop(_walks.pop().child)
